"""Group commit for webhook intake, and the wake-ups it sends to workers.

Acceptance is durable: a webhook is answered only after the commit that holds its row. Rows from
requests arriving together share one commit, so the database's commit rate does not cap intake.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import psycopg
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.core.clock import utcnow
from app.core.db import Database, sync_url
from webhooks.envelope import Envelope
from webhooks.inbox import PG_INSERT, insert_rows, returned_ids, row_tuple, row_values

log = structlog.get_logger(__name__)

OnCommitted = Callable[[list[int]], Awaitable[None]]


class Sink(Protocol):
    slots: int

    async def write(self, rows: Sequence[dict[str, Any]]) -> list[int]: ...

    async def close(self) -> None: ...


class PipelinedSink:
    """PostgreSQL: each commit is one round trip, `BEGIN; INSERT … × n; COMMIT` in one psycopg
    pipeline, on connections of its own. Under load the event loop is busy, and every round trip
    of a commit waits its turn on it: the SQLAlchemy transaction with a COPY took five round trips
    and 6-8 ms per commit; this takes one. Measured with bench/webhook_ack.py."""

    slots = 2

    def __init__(self, database_url: str) -> None:
        self.conninfo = (
            make_url(sync_url(database_url)).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._idle: list[psycopg.AsyncConnection[Any]] = []

    async def write(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        conn = self._idle.pop() if self._idle else await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        try:
            cursor = conn.cursor()
            async with conn.pipeline():
                await conn.execute("BEGIN")
                await cursor.executemany(PG_INSERT, [row_tuple(row) for row in rows], returning=True)
                await conn.execute("COMMIT")
            ids = await returned_ids(cursor)
        except BaseException:
            await conn.close()  # its state is unknown; the next commit opens a fresh one
            raise
        self._idle.append(conn)
        return ids

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()


class TransactionSink:
    """SQLite (one writer at a time): an ordinary transaction through the app's engine."""

    slots = 1

    def __init__(self, db: Database) -> None:
        self.db = db

    async def write(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        async with self.db.engine.begin() as conn:
            return await insert_rows(conn, rows)

    async def close(self) -> None:
        return None


def sink_for(db: Database) -> Sink:
    return PipelinedSink(db.url) if db.dialect == "postgresql" else TransactionSink(db)


class InboxWriter:
    """While every commit slot is busy, arriving rows wait together; the moment a slot frees, all of
    them go in one commit. An idle writer lingers a moment first, so a burst shares a commit too.
    `on_committed` (waking a worker) runs after the requests are answered."""

    def __init__(
        self, sink: Sink, *, linger_seconds: float, max_batch: int, on_committed: OnCommitted | None = None
    ) -> None:
        self.sink = sink
        self.linger = linger_seconds
        self.max_batch = max_batch
        self.on_committed = on_committed
        self._busy = 0
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, envelope: Envelope, raw_body: bytes) -> None:
        """Returns once the row (or the row it duplicates) is committed; raises if the commit failed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._pending.append((row_values(envelope, raw_body, utcnow()), future))
        if len(self._pending) >= self.max_batch:
            self._flush_now()
        elif self._timer is None and self._busy < self.sink.slots:
            self._timer = loop.call_later(self.linger, self._flush_now)
        await future

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._busy >= self.sink.slots or not self._pending:
            return  # a finishing commit takes whatever is waiting
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        self._busy += 1
        task = asyncio.create_task(self._flush(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            created = await self._write(batch)
        finally:
            self._busy -= 1
            self._flush_now()
        if created and self.on_committed is not None:
            await self.on_committed(created)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> list[int]:
        """Commit the batch and settle each request's future. If a row makes the shared commit fail,
        the rows go again one by one, so only the row at fault is refused (the door validates every
        header, so this is for what it cannot foresee). A lost database fails them all at once."""
        try:
            created = await self.sink.write([row for row, _ in batch])
        except Exception as exc:
            log.error("webhooks.inbox.commit_failed", rows=len(batch), error=type(exc).__name__)
            if len(batch) == 1 or is_connection_failure(exc):
                _settle(batch, exc)
                return []
            created = []
            for item in batch:
                created += await self._write([item])
            return created
        _settle(batch, None)
        return created

    async def drain(self) -> None:
        """Commit what is waiting and let in-flight commits finish (for shutdown)."""
        while self._pending or self._tasks:
            self._flush_now()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sink.close()


def _settle(batch: Sequence[tuple[dict[str, Any], asyncio.Future[None]]], error: Exception | None) -> None:
    for _, future in batch:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def is_connection_failure(exc: Exception) -> bool:
    """The database is out of reach: writing the rows one by one would only fail as many times."""
    return isinstance(exc, psycopg.OperationalError | OperationalError | OSError)


class WakeUps:
    """Rate-limited worker wake-ups with a trailing edge: at most one every `interval` seconds, and
    always one sent after the latest commit. A draining worker keeps looking until the inbox is
    empty, so one wake-up covers every commit before it; sending one per commit made arq's enqueue
    (a WATCH/MULTI round trip and a pickle) a tenth of intake's CPU."""

    def __init__(self, send: Callable[[int], Awaitable[None]], interval: float = 0.05) -> None:
        self._send = send
        self._interval = interval
        self._first_unannounced: int | None = None
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, created: list[int]) -> None:
        first = min(created)
        self._first_unannounced = first if self._first_unannounced is None else min(self._first_unannounced, first)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._announce())

    async def _announce(self) -> None:
        while self._first_unannounced is not None:
            first, self._first_unannounced = self._first_unannounced, None
            try:
                await self._send(first)
            except Exception as exc:  # the sweeper covers a wake-up that never happened
                log.warning("webhooks.inbox.wakeup_failed", error=type(exc).__name__)
            await asyncio.sleep(self._interval)

    async def drain(self) -> None:
        if self._sender is not None:
            await self._sender
