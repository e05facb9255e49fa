"""Database engine, sessions and the unit of work that commits once and then sends deferred jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    Select,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeEngine
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


def configure_sqlite(sync_engine: Any) -> None:
    """WAL for concurrent readers, a long busy timeout, and BEGIN IMMEDIATE so two writers queue
    on the lock up front instead of failing when a reader upgrades (SQLite's "database is locked")."""

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
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    ensure_sqlite_directory(url)
    engine = create_async_engine(async_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine.sync_engine)
    return engine


class Database:
    """One engine and its session factory; web and worker each hold one."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """Open a transaction, commit once at the end, then send the jobs deferred inside it.
        Nothing reaches the queue unless the commit succeeded."""
        token = jobs.begin_collecting()
        try:
            async with self.sessions() as session, session.begin():
                yield session
            deferred = jobs.collected()
        finally:
            jobs.end_collecting(token)
        await jobs.send(deferred)

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING on any unique key: duplicates are no-ops, never check-then-insert."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise ValueError(f"unsupported dialect {dialect}")


def _spread(table: Table, rows: Sequence[Mapping[str, Any]]) -> Select[Any]:
    """PostgreSQL: the rows as one array per column, spread out again by `unnest` (which zips arrays
    side by side). One short statement whatever the batch, where a multi-row VALUES list is rebuilt and
    re-parsed parameter by parameter on every batch, and an executemany runs once per row."""
    names = list(rows[0])
    return select(
        *(
            func.unnest(
                bindparam(
                    f"u_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(_element_type(table.c[name]))
                )
            ).label(name)
            for name in names
        )
    )


def _element_type(column: Column[Any]) -> TypeEngine[Any]:
    """The array's element type: the column's, except that text goes unbounded. The array is sent
    with an explicit cast, and an explicit cast to `varchar(n)` silently cuts what is longer; the
    column's own assignment then refuses it, as a plain INSERT or UPDATE would."""
    declared = column.type
    stored = declared.impl_instance if isinstance(declared, TypeDecorator) else declared
    return Text() if isinstance(stored, String) else declared


def restrict_to(statement: Select[Any], column: Column[Any], values: Sequence[Any], dialect: str) -> Select[Any]:
    """`statement` narrowed to rows whose `column` is one of `values` (each counted once).

    On PostgreSQL the values are joined as an array spread by `unnest`, so the planner probes the
    index key by key whatever its statistics say: an IN list against a table it believes small (a
    shop's first burst, before autovacuum's next analyze) became a scan of the whole shop per batch.
    """
    distinct = list(dict.fromkeys(values))
    if dialect != "postgresql":
        return statement.where(column.in_(distinct))
    wanted = (
        func.unnest(bindparam(None, distinct, type_=postgresql.ARRAY(column.type)))
        .table_valued("value")
        .render_derived(name=f"wanted_{column.name}")
    )
    return statement.join(wanted, column == wanted.c.value)


async def insert_rows_ignoring_conflicts(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Column[Any] | None = None,
) -> list[Any]:
    """Insert rows (each naming the same columns), skipping those that collide with a unique key;
    returns `returning` of the rows written (nothing when no column is asked for)."""
    if not rows:
        return []
    dialect = dialect_of(session)
    parameters: list[Mapping[str, Any]] | None = None
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table).from_select(list(rows[0]), _spread(table, rows)).on_conflict_do_nothing()
    else:
        statement = insert_ignoring_conflicts(table, dialect)
        parameters = list(rows)
    if returning is None:
        await session.execute(statement, parameters)
        return []
    result = await session.execute(statement.returning(returning), parameters)
    return list(result.scalars())


async def update_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str = "id",
    increments: Collection[str] = (),
) -> None:
    """Update many rows in one statement: each row names its target by `key` (unique within the
    batch) and sets the other columns it names; a column in `increments` is added to, not set."""
    if not rows:
        return
    if len({row[key] for row in rows}) != len(rows):
        raise ValueError(f"update_rows: {key} repeats within the batch")
    names = [name for name in rows[0] if name != key]

    def assigned(name: str, incoming: Any) -> Any:
        return table.c[name] + incoming if name in increments else incoming

    if dialect_of(session) == "postgresql":
        incoming = _spread(table, rows).subquery("incoming")
        await session.execute(
            update(table)
            .where(table.c[key] == incoming.c[key])
            .values({name: assigned(name, incoming.c[name]) for name in names})
        )
        return
    await session.execute(
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: assigned(name, bindparam(f"b_{name}")) for name in names}),
        [{f"b_{name}": value for name, value in row.items()} for row in rows],
    )
