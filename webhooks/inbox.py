"""The durable inbox: the shape of a row, inserting rows, claiming due rows, writing outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
import structlog
from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.bulk import insert_ignoring_conflicts, update_rows
from webhooks.envelope import Envelope
from webhooks.models import InboxSource, InboxStatus, WebhookInbox

log = structlog.get_logger(__name__)

INBOX: Table = WebhookInbox.__table__  # type: ignore[attr-defined]


def row_values(envelope: Envelope, raw_body: bytes, now: datetime, source: str = InboxSource.WEBHOOK) -> dict[str, Any]:
    return {
        "shop_domain": envelope.shop_domain,
        "topic": envelope.topic,
        "webhook_id": envelope.webhook_id,
        "event_id": envelope.event_id,
        "triggered_at": envelope.triggered_at,
        "api_version": envelope.api_version,
        "source": source,
        "body": raw_body,
        "received_at": now,
        "status": InboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
    }


ROW_COLUMNS = tuple(row_values(Envelope("x.myshopify.com", "t", "w", "v", None, None), b"", datetime.now()))
PG_INSERT = (
    f"INSERT INTO {INBOX.name} ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ROW_COLUMNS))}) "
    "ON CONFLICT DO NOTHING RETURNING id"
)


def row_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in ROW_COLUMNS)


async def insert_rows(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert inside the caller's transaction, skipping duplicates on either unique key; the ids of
    the rows actually created."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        raw = await conn.get_raw_connection()
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        await cursor.executemany(PG_INSERT, [row_tuple(row) for row in rows], returning=True)
        return await returned_ids(cursor)
    result = await conn.execute(insert_ignoring_conflicts(INBOX, conn.dialect.name).returning(INBOX.c.id), list(rows))
    return [int(i) for i in result.scalars()]


async def returned_ids(cursor: Any) -> list[int]:
    """The ids RETURNING gave, one result set per row of a psycopg executemany."""
    ids: list[int] = []
    while True:
        ids.extend(int(row[0]) for row in await cursor.fetchall())
        if not cursor.nextset():
            return ids


@dataclass(frozen=True)
class InboxEvent:
    id: int
    shop_domain: str
    topic: str
    webhook_id: str
    event_id: str | None
    source: str
    body: bytes
    attempts: int
    received_at: datetime
    triggered_at: datetime | None

    @property
    def happened_at(self) -> datetime:
        """When Shopify says the event happened; when it does not say, when we received it."""
        return self.triggered_at or self.received_at


EVENT_COLUMNS = (
    INBOX.c.id,
    INBOX.c.shop_domain,
    INBOX.c.topic,
    INBOX.c.webhook_id,
    INBOX.c.event_id,
    INBOX.c.source,
    INBOX.c.body,
    INBOX.c.attempts,
    INBOX.c.received_at,
    INBOX.c.triggered_at,
)
# What reading a stored value back into Python can raise (a timestamp before year 1, say).
UNREADABLE = (DataError, ValueError, OverflowError, psycopg.DataError)


async def claim_due(session: Any, limit: int, now: datetime, *, only_id: int | None = None) -> list[InboxEvent]:
    """Lock up to `limit` due rows, oldest first, skipping rows another worker holds (or just the
    row `only_id`, if it is still due). A row whose values cannot be read back is set aside as
    failed rather than failing the claim: one bad row must not stop the inbox of every shop."""
    due = [INBOX.c.status == InboxStatus.PENDING.value, INBOX.c.next_attempt_at <= now]
    if only_id is not None:
        due.append(INBOX.c.id == only_id)
    claim = select(*EVENT_COLUMNS).where(*due).order_by(INBOX.c.id).limit(limit).with_for_update(skip_locked=True)
    try:
        return [_event(row) for row in await session.execute(claim)]
    except UNREADABLE as exc:
        log.warning("webhooks.inbox.unreadable_rows", error=type(exc).__name__)
    ids = (await session.execute(claim.with_only_columns(INBOX.c.id))).scalars().all()
    events = []
    for inbox_id in ids:
        try:
            [row] = await session.execute(select(*EVENT_COLUMNS).where(INBOX.c.id == inbox_id))
            events.append(_event(row))
        except UNREADABLE as exc:
            await session.execute(
                update(INBOX)
                .where(INBOX.c.id == inbox_id)
                .values(status=InboxStatus.FAILED.value, processed_at=now, last_error=f"unreadable row: {exc}"[:2000])
            )
    return events


def _event(row: Any) -> InboxEvent:
    return InboxEvent(**{**row._mapping, "body": bytes(row.body or b"")})


def retry_delay(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour: past Shopify's own 4-hour retry window in 8 tries."""
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempt - 1)))


@dataclass
class Outcome:
    """What became of one row; written in the same transaction as its effects."""

    status: InboxStatus
    error: str | None = None
    shop_id: int | None = None
    customer_id: int | None = None
    order_id: int | None = None
    retry_in: timedelta | None = None
    uses_attempt: bool = True


async def write_outcomes(session: Any, outcomes: dict[int, tuple[InboxEvent, Outcome]], now: datetime) -> None:
    rows = [
        {
            "id": event.id,
            "status": outcome.status.value,
            "attempts": event.attempts + (1 if outcome.uses_attempt else 0),
            "last_error": outcome.error,
            "processed_at": now if outcome.status != InboxStatus.PENDING else None,
            "next_attempt_at": now + outcome.retry_in if outcome.retry_in else now,
            "shop_id": outcome.shop_id,
            "customer_id": outcome.customer_id,
            "order_id": outcome.order_id,
        }
        for event, outcome in outcomes.values()
    ]
    await update_rows(session, INBOX, rows)
    ignored = [event.id for event, outcome in outcomes.values() if outcome.status == InboxStatus.IGNORED]
    if ignored:
        # Nothing will ever read an ignored body (a shop we do not serve, a request with nothing to
        # do): personal data in it goes at once rather than after the grace period.
        await session.execute(update(INBOX).where(INBOX.c.id.in_(ignored)).values(body=None))


# --- what compliance requests need from the inbox ---------------------------------------------------


async def pending_before(session: Any, shop_domain: str, before_id: int, topics: Sequence[str]) -> bool:
    """Whether any of the shop's rows of these topics, received before `before_id`, still waits."""
    result = await session.execute(
        select(INBOX.c.id)
        .where(
            INBOX.c.shop_domain == shop_domain,
            INBOX.c.id < before_id,
            INBOX.c.status == InboxStatus.PENDING.value,
            INBOX.c.topic.in_(topics),
        )
        .limit(1)
    )
    return result.first() is not None


def _about(shop_domain: str, customer_id: int, order_ids: Sequence[int]) -> Any:
    """Rows of the shop (by domain: a row ignored before the install or failed before its shop was
    known has no shop id, but names the customer all the same) about the customer or their orders."""
    return (INBOX.c.shop_domain == shop_domain) & (
        (INBOX.c.customer_id == customer_id) | INBOX.c.order_id.in_(list(order_ids) or [-1])
    )


async def deliveries_about(
    session: Any, shop_domain: str, customer_id: int, order_ids: Sequence[int]
) -> list[dict[str, Any]]:
    result = await session.execute(
        select(INBOX.c.topic, INBOX.c.received_at, INBOX.c.order_id)
        .where(_about(shop_domain, customer_id, order_ids))
        .order_by(INBOX.c.id)
    )
    return [
        {"topic": row.topic, "received_at": row.received_at.isoformat(), "order_id": row.order_id} for row in result
    ]


async def erase_bodies_about(session: Any, shop_domain: str, customer_id: int, order_ids: Sequence[int]) -> None:
    """Processed bodies carry names, emails and addresses: drop them, keep the bookkeeping."""
    await session.execute(
        update(INBOX)
        .where(_about(shop_domain, customer_id, order_ids), INBOX.c.status != InboxStatus.PENDING.value)
        .values(body=None, customer_id=None)
    )


async def empty_settled_bodies(session: Any, *, settled_before: datetime, limit: int) -> int:
    """Empty up to `limit` bodies of rows settled (processed or failed) before `settled_before`, and of
    ignored rows; how many. Bookkeeping stays (topic, ids, times, outcome)."""
    kept = (INBOX.c.status == InboxStatus.IGNORED.value) | (
        INBOX.c.status.in_([InboxStatus.PROCESSED.value, InboxStatus.FAILED.value])
        & (INBOX.c.processed_at < settled_before)
    )
    ids = (
        (await session.execute(select(INBOX.c.id).where(INBOX.c.body.is_not(None), kept).limit(limit))).scalars().all()
    )
    if ids:
        await session.execute(update(INBOX).where(INBOX.c.id.in_(ids)).values(body=None))
    return len(ids)


async def empty_body(session: Any, inbox_id: int) -> None:
    await session.execute(update(INBOX).where(INBOX.c.id == inbox_id).values(body=None))


async def delete_shop_rows(session: Any, shop_domain: str, *, keep_id: int) -> None:
    """Every row of the shop but `keep_id` (the erasure's own, kept as the record that we complied)."""
    await session.execute(delete(INBOX).where(INBOX.c.shop_domain == shop_domain, INBOX.c.id != keep_id))
