"""`create_app`: the FastAPI application with its routers, error handlers and process services."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property, partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from app import __version__
from app.core import jobs
from app.core.config import DEV_STORE_PATH, Settings, get_settings
from app.core.heap import settle_heap
from app.http.border import Border
from app.http.deps import authenticator
from app.http.docs import install_docs
from app.http.errors import ApiError, install_error_handlers
from app.http.routes import admin, auth, health, home, proxy
from app.http.schemas import ERROR_RESPONSES
from app.services import Services, build_services
from frontend.pages import STATIC
from webhooks.endpoint import OPENAPI_PATH, PATH, WebhookIntake
from webhooks.intake import InboxWriter, WakeUps, sink_for
from webhooks.tasks import PROCESS_JOB

DEV_STORE_MODULE = "app.devstore.app"


class DangolAPI(FastAPI):
    """FastAPI with the webhook intake in front of everything (see webhooks/endpoint.py for why), and
    every other request through the border (app/http/border.py) before FastAPI's own stack."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH:
            await self._intake(scope, receive, send)
            return
        if scope["type"] == "http":
            await self._border(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    @cached_property
    def _intake(self) -> WebhookIntake:
        return WebhookIntake(self.state)

    @cached_property
    def _border(self) -> Border:
        services: Services = self.state.services
        return Border(super().__call__, services.settings, authenticator(services), self._refusal_page)

    def _refusal_page(self, scope: Scope, refusal: ApiError) -> Response | None:
        return admin.problem_page(Request({**scope, "app": self}), refusal.status, refusal.code)

    def openapi(self) -> dict[str, Any]:
        schema = super().openapi()
        schema["paths"].setdefault(PATH, OPENAPI_PATH)
        return schema


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`services` may be given by tests (and closed by them); otherwise the app builds and closes its own."""
    settings = settings or get_settings()
    settings.require_credentials()
    settings.require_production_backends()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or build_services(settings)
        app.state.webhook_secrets = settings.webhook_secrets

        async def wake_worker(first_row: int) -> None:
            await jobs.send([jobs.DeferredJob(PROCESS_JOB, job_id=f"inbox:{first_row}")])

        wake_ups = WakeUps(wake_worker)
        app.state.inbox_writer = InboxWriter(
            sink_for(app.state.services.db),
            linger_seconds=settings.inbox_linger_seconds,
            max_batch=settings.inbox_max_batch,
            on_committed=wake_ups,
        )
        settle_heap()
        try:
            yield
        finally:
            await app.state.inbox_writer.drain()
            await wake_ups.drain()
            if own:
                await app.state.services.close()

    app = DangolAPI(
        title="Dangol",
        version=__version__,
        lifespan=lifespan,
        description="Loyalty, referrals and retention for Shopify shops.",
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    install_error_handlers(app, problem_page=admin.problem_page)
    for router in (home.router, auth.router, *admin.routers, proxy.router, health.router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if settings.dangol_dev_store:
        # By name: production code never imports the dev store (a pyproject.toml import contract).
        devstore_module = importlib.import_module(DEV_STORE_MODULE)
        devstore = devstore_module.create_devstore(settings)
        app.mount(DEV_STORE_PATH, devstore)
        app.state.dev_links = partial(devstore_module.demo_links, settings, devstore.state.store, DEV_STORE_PATH)
    return app
