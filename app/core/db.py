"""Database engine, sessions and the unit of work that commits once and then sends deferred jobs.
Set-based writes that differ by dialect live beside it, in app/core/bulk.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel

from app.core import jobs

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _normalised(url: str, *, asynchronous: bool) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        driver = "aiosqlite" if asynchronous else "pysqlite"
        return parsed.set(drivername=f"sqlite+{driver}").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported DATABASE_URL backend {backend!r}: use sqlite:/// or postgresql+psycopg://")


def async_url(url: str) -> str:
    return _normalised(url, asynchronous=True)


def sync_url(url: str) -> str:
    return _normalised(url, asynchronous=False)


def ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def configure_sqlite(sync_engine: Any, *, writes: bool = True) -> None:
    """WAL for concurrent readers, a long busy timeout, and, for the engine that writes, BEGIN
    IMMEDIATE so two writers queue on the lock up front instead of failing when a reader upgrades
    (SQLite's "database is locked"). The engine that only reads begins deferred: under WAL a reader
    never waits for the writer, where an IMMEDIATE begin would queue every page view behind it."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def create_engine(url: str, *, writes: bool = True, **kwargs: Any) -> AsyncEngine:
    ensure_sqlite_directory(url)
    # Statement parameters stay out of error messages: they reach logs and the inbox's last_error,
    # and they hold customers' names and emails.
    engine = create_async_engine(async_url(url), hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine.sync_engine, writes=writes)
    return engine


class Database:
    """The engine and session factories a process holds: `unit_of_work()` for writing, `sessions()`
    for reading in one transaction, `statement_reads()` for the storefront's hot reads. On PostgreSQL
    all use one engine; on SQLite reads have an engine of their own whose transactions begin deferred
    (see `configure_sqlite`)."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.read_engine = (
            create_engine(url, writes=False, **engine_kwargs) if self.engine.dialect.name == "sqlite" else self.engine
        )
        self.sessions = async_sessionmaker(self.read_engine, class_=AsyncSession, expire_on_commit=False)
        self._writing = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # Each statement its own snapshot, with no BEGIN and ROLLBACK round trips around it: a third of
        # a shopper's page read on PostgreSQL (bench/storefront.py). Only for reads that stand alone.
        self.statement_reads = (
            async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                class_=AsyncSession,
                expire_on_commit=False,
            )
            if self.engine.dialect.name == "postgresql"
            else self.sessions
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """Open a transaction, commit once at the end, then send the jobs deferred inside it.
        Nothing reaches the queue unless the commit succeeded."""
        token = jobs.begin_collecting()
        try:
            async with self._writing() as session, session.begin():
                yield session
            deferred = jobs.collected()
        finally:
            jobs.end_collecting(token)
        await jobs.send(deferred)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
