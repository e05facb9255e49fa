"""`create_app`: the FastAPI application with its routers, error handlers and process services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core import jobs
from app.core.config import Settings, get_settings
from app.http.errors import install_error_handlers
from app.http.routes import admin, auth, health, proxy
from app.services import Services, build_services
from webhooks import router as webhooks_router
from webhooks.inbox import InboxWriter
from webhooks.tasks import PROCESS_JOB


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`services` may be given by tests (and closed by them); otherwise the app builds and closes its own."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or build_services(settings)

        async def wake_worker(created: list[int]) -> None:
            await jobs.send([jobs.DeferredJob(PROCESS_JOB, job_id=f"inbox:{min(created)}")])

        app.state.inbox_writer = InboxWriter(
            app.state.services.db,
            linger_seconds=settings.inbox_linger_seconds,
            max_batch=settings.inbox_max_batch,
            on_committed=wake_worker,
        )
        try:
            yield
        finally:
            await app.state.inbox_writer.drain()
            if own:
                await app.state.services.close()

    app = FastAPI(
        title="Dangol",
        version="0.1.0",
        lifespan=lifespan,
        description="Loyalty, referrals and retention for Shopify shops.",
    )
    install_error_handlers(app)
    app.include_router(webhooks_router.router)
    app.include_router(auth.router)
    app.include_router(admin.router)
    app.include_router(proxy.router)
    app.include_router(health.router)
    if settings.dangol_dev_store:
        from app.devstore.app import create_devstore

        app.mount("/devstore", create_devstore(settings))
    return app
