"""Test harness: one database per run (PostgreSQL when DATABASE_URL names one, else SQLite), real Redis
(REDIS_URL or the embedded one), the dev store in-process, and clean tables before every test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database, metadata, sync_url
from app.devstore.app import create_devstore
from app.devstore.state import DevStore
from app.embedded_redis import embedded_redis_url
from app.http.main import create_app
from app.migrate import scratch_database
from app.models import import_all_models
from app.services import Services, build_services
from tests.fuzzing import ANSWERS
from webhooks.tasks import Drainer

API_KEY = "test-client-id"
API_SECRET = "test-client-secret-of-thirty-two-bytes"
APP_URL = "http://app.test"
STORE_URL = "http://devstore.test"

import_all_models()


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres")) else None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this run, migrated to head with Alembic (the way production gets it)."""
    with scratch_database(_postgres_url(), tmp_path_factory.mktemp("db"), "test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("REDIS_URL") or embedded_redis_url(tmp_path_factory.mktemp("redis"))


@pytest.fixture(scope="session")
def dialect(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        shopify_api_key=API_KEY,
        shopify_api_secret=API_SECRET,
        database_url=database_url,
        redis_url=redis_url,
        app_url=APP_URL,
        shopify_api_base_url=STORE_URL,
        var_dir=tmp_path / "var",
        dangol_encryption_key=None,
    )


def _truncate(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture(autouse=True)
def clean_state(database_url: str, redis_url: str) -> None:
    _truncate(database_url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


@pytest.fixture
def devstore() -> DevStore:
    return DevStore()


def stack_services(settings: Settings, devstore: DevStore) -> Services:
    """The app's services, with every call to Shopify answered by an in-process dev store, which in
    turn delivers its webhooks to the app (set `services.app_holder["app"]` once the app exists)."""
    holder: dict[str, FastAPI] = {}

    class LateApp:
        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            await holder["app"](scope, receive, send)

    store_app = create_devstore(settings, devstore, webhook_transport=httpx.ASGITransport(LateApp()))
    built = build_services(settings, shopify_transport=httpx.ASGITransport(store_app))
    built.devstore_app = store_app  # type: ignore[attr-defined]
    built.app_holder = holder  # type: ignore[attr-defined]
    return built


@dataclass
class LiveApp:
    app: FastAPI
    services: Services
    client: httpx.AsyncClient  # to the app, as APP_URL
    store: httpx.AsyncClient  # to the dev store, as STORE_URL


@asynccontextmanager
async def running_app(
    settings: Settings, devstore: DevStore, services: Services | None = None
) -> AsyncIterator[LiveApp]:
    """The one way a test gets a live app: started with its lifespan, wired to an in-process dev store
    that delivers its webhooks back to it, with a client to each. Services built here are closed
    here; services given are the caller's to close."""
    own = services is None
    services = services or stack_services(settings, devstore)
    application = create_app(settings, services)
    services.app_holder["app"] = application  # type: ignore[attr-defined]
    try:
        async with (
            LifespanManager(application),
            httpx.AsyncClient(transport=httpx.ASGITransport(application), base_url=APP_URL) as client,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(services.devstore_app),  # type: ignore[attr-defined]
                base_url=STORE_URL,
            ) as store,
        ):
            yield LiveApp(application, services, client, store)
    finally:
        if own:
            await services.close()


@pytest.fixture
async def services(settings: Settings, devstore: DevStore) -> AsyncIterator[Services]:
    built = stack_services(settings, devstore)
    yield built
    await built.close()


@pytest.fixture
async def live(settings: Settings, devstore: DevStore, services: Services) -> AsyncIterator[LiveApp]:
    async with running_app(settings, devstore, services) as started:
        yield started


@pytest.fixture
def app(live: LiveApp) -> FastAPI:
    return live.app


@pytest.fixture
def client(live: LiveApp) -> httpx.AsyncClient:
    return live.client


@pytest.fixture
async def store_client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The dev store alone, for tests that talk to it without starting the app."""
    transport = httpx.ASGITransport(services.devstore_app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url=STORE_URL) as http:
        yield http


@pytest.fixture
def drainer(services: Services) -> Drainer:
    return Drainer(services.db, batch_size=200, max_attempts=8, budget_seconds=60)


@pytest.fixture
def db(services: Services) -> Database:
    return services.db


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How the schemathesis run was answered, per operation: a fuzz that met only 401s proves nothing."""
    if not ANSWERS:
        return
    terminalreporter.section("API fuzz: answers per operation")
    for label in sorted(ANSWERS):
        counts = ANSWERS[label]
        shown = ", ".join(f"{cls} {counts[cls]}" for cls in sorted(counts))
        terminalreporter.write_line(f"{label:55} {shown}")
