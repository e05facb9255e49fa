"""The real app for browser tests: uvicorn on a free port in a thread of its own, with the dev store
mounted, as `dangol dev` runs it; and the worker's jobs, run on demand until none is left."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from arq.worker import Worker
from fastapi import FastAPI
from starlette.routing import Mount

from app.core.config import Settings
from app.devstore.state import DevStore, DevStoreState
from app.http.main import create_app
from app.services import Services
from app.worker import worker_context, worker_options
from tests.conftest import API_KEY, API_SECRET

T = TypeVar("T")


@dataclass
class AppServer:
    url: str
    settings: Settings
    app: FastAPI
    loop: asyncio.AbstractEventLoop

    @property
    def store_url(self) -> str:
        return f"{self.url}/devstore"

    @property
    def services(self) -> Services:
        return self.app.state.services  # type: ignore[no-any-return]

    @property
    def devstore(self) -> DevStore:
        mount = next(r for r in self.app.routes if isinstance(r, Mount) and r.path == "/devstore")
        return mount.app.state.store  # type: ignore[attr-defined, no-any-return]

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run `coroutine` on the app's own event loop: its database pool and HTTP client server there."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def settle(self) -> int:
        """Run what `dangol worker` would: drain the inbox (webhooks the dev store delivered), then every
        queued job (the install's shop sync, further drains), until the queue is empty. Fails if a job
        fails. Answers the number of jobs run."""
        return self.call(self._burst())

    async def _burst(self) -> int:
        # Cron jobs left out: they run by the clock, and a test wants the same result every time.
        options = worker_options(self.settings) | {"cron_jobs": None}
        worker = Worker(**options, ctx=worker_context(self.services), burst=True)
        try:
            return await worker.run_check()
        finally:
            await worker.close()

    def forget_devstore(self) -> None:
        """An empty dev store, as the database is emptied before every test (tests/conftest.py)."""
        store = self.devstore
        with store.lock:
            store.state = DevStoreState()
            store.save()


def server_settings(url: str, database_url: str, redis_url: str, var_dir: Path) -> Settings:
    return Settings(
        shopify_api_key=API_KEY,
        shopify_api_secret=API_SECRET,
        database_url=database_url,
        redis_url=redis_url,
        app_url=url,
        shopify_api_base_url=f"{url}/devstore",
        var_dir=var_dir,
        dangol_encryption_key=None,
        dangol_dev_store=True,
    )


@contextmanager
def serve_app(database_url: str, redis_url: str, var_dir: Path) -> Iterator[AppServer]:
    # IPPROTO_TCP named, as the sockets uvicorn binds itself have it: asyncio sets TCP_NODELAY only on
    # connections of such a socket, and without it every response waited 40 ms for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = server_settings(url, database_url, redis_url, var_dir)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        await server.serve(sockets=[listener])

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="dangol-server-app", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start (see the log above)")
            time.sleep(0.01)
        yield AppServer(url=url, settings=settings, app=app, loop=loops[0])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
