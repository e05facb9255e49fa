"""Every loyalty query. Set-based: a batch of orders costs a fixed handful of round trips.

Lock order, everywhere: order rows (by id), then member rows (by id). Keeping one order means two
transactions can wait on each other but never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_ignoring_conflicts, insert_rows_ignoring_conflicts, restrict_to, update_rows
from app.core.db import dialect_of
from app.core.types import Money
from loyalty.models import EntryKind, LedgerEntry, LoyaltyOrder, LoyaltyProgram, LoyaltyRefund, Member, TierChange
from loyalty.schemas import LedgerLine, RefundFacts

ORDERS: Table = LoyaltyOrder.__table__  # type: ignore[attr-defined]
REFUNDS: Table = LoyaltyRefund.__table__  # type: ignore[attr-defined]
MEMBERS: Table = Member.__table__  # type: ignore[attr-defined]
ENTRIES: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
PROGRAMS: Table = LoyaltyProgram.__table__  # type: ignore[attr-defined]
TIER_CHANGES: Table = TierChange.__table__  # type: ignore[attr-defined]


def columns_of(state: type[Any], table: Table) -> list[Column[Any]]:
    """The table's columns a state class's fields name, one by one: a field without a column is a
    mistake caught when the module loads, not in the middle of a batch."""
    names = [f.name for f in fields(state)]
    missing = [name for name in names if name not in table.c]
    if missing:
        raise TypeError(f"{state.__name__} names columns {table.name} does not have: {missing}")
    return [table.c[name] for name in names]


@dataclass(frozen=True)
class NewEntry:
    """A ledger entry about to be written; its key comes from the business fact (see orders.py)."""

    shop_id: int
    member_id: int
    delta: int
    kind: EntryKind
    reason: str
    idempotency_key: str
    created_at: datetime
    order_id: int | None = None
    rate: Decimal | None = None
    multiplier: Decimal | None = None

    def row(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)} | {"kind": self.kind.value}


@dataclass
class OrderState:
    id: int
    order_id: int
    order_gid: str | None
    name: str | None
    customer_id: int | None
    subtotal: Decimal | None
    currency: str | None
    processed_at: datetime | None
    shopify_updated_at: datetime | None
    paid: bool
    cancelled: bool
    test: bool
    refunded_subtotal: Decimal
    points_earned: int
    points_reversed: int
    earned_at: datetime | None

    @property
    def label(self) -> str:
        return self.name or f"#{self.order_id}"


@dataclass
class MemberState:
    id: int
    customer_id: int
    points_balance: int
    tier_name: str | None
    spend: Decimal


@dataclass(frozen=True)
class RefundRow:
    id: int
    refund_id: int
    order_id: int
    subtotal: Decimal


ORDER_STATE_COLUMNS = columns_of(OrderState, ORDERS)
MEMBER_STATE_COLUMNS = columns_of(MemberState, MEMBERS)
REFUND_ROW_COLUMNS = columns_of(RefundRow, REFUNDS)


# --- program -----------------------------------------------------------------------------------


async def program_document(session: AsyncSession, shop_id: int) -> dict[str, Any] | None:
    result = await session.execute(select(PROGRAMS.c.document).where(PROGRAMS.c.shop_id == shop_id))
    return result.scalar_one_or_none()


async def save_program(session: AsyncSession, shop_id: int, document: dict[str, Any], now: datetime) -> None:
    await session.execute(
        insert_ignoring_conflicts(PROGRAMS, dialect_of(session)).values(
            shop_id=shop_id, document=document, updated_at=now
        )
    )
    await session.execute(
        update(PROGRAMS).where(PROGRAMS.c.shop_id == shop_id).values(document=document, updated_at=now)
    )


async def program_reviewed_at(session: AsyncSession, shop_id: int) -> datetime | None:
    result = await session.execute(select(PROGRAMS.c.reviewed_at).where(PROGRAMS.c.shop_id == shop_id))
    return result.scalar_one_or_none()


async def mark_program_reviewed(session: AsyncSession, shop_id: int, now: datetime) -> None:
    await session.execute(update(PROGRAMS).where(PROGRAMS.c.shop_id == shop_id).values(reviewed_at=now))


async def insert_program_if_missing(
    session: AsyncSession, shop_id: int, document: dict[str, Any], now: datetime
) -> None:
    await session.execute(
        insert_ignoring_conflicts(PROGRAMS, dialect_of(session)).values(
            shop_id=shop_id, document=document, updated_at=now
        )
    )


# --- orders and refunds ------------------------------------------------------------------------


async def lock_orders(session: AsyncSession, shop_id: int, order_ids: Sequence[int]) -> dict[int, OrderState]:
    """Create missing order rows, then lock them all in id order."""
    if not order_ids:
        return {}
    await insert_rows_ignoring_conflicts(session, ORDERS, [{"shop_id": shop_id, "order_id": oid} for oid in order_ids])
    wanted = restrict_to(select(*ORDER_STATE_COLUMNS), ORDERS.c.order_id, order_ids, dialect_of(session))
    result = await session.execute(
        wanted.where(ORDERS.c.shop_id == shop_id).order_by(ORDERS.c.id).with_for_update(of=ORDERS)
    )
    return {row.order_id: OrderState(**row._mapping) for row in result}


async def order_versions(session: AsyncSession, shop_id: int, order_ids: Sequence[int]) -> dict[int, datetime | None]:
    if not order_ids:
        return {}
    result = await session.execute(
        select(ORDERS.c.order_id, ORDERS.c.shopify_updated_at).where(
            ORDERS.c.shop_id == shop_id, ORDERS.c.order_id.in_(order_ids)
        )
    )
    return {row.order_id: row.shopify_updated_at for row in result}


async def save_orders(session: AsyncSession, states: Iterable[OrderState]) -> None:
    rows = [{name: value for name, value in asdict(state).items() if name != "order_id"} for state in states]
    await update_rows(session, ORDERS, rows)


async def insert_refunds(session: AsyncSession, shop_id: int, refunds: Iterable[RefundFacts]) -> list[RefundFacts]:
    """Record refunds; returns those not seen before (a replay returns nothing)."""
    candidates = {r.refund_id: r for r in refunds}
    if not candidates:
        return []
    result = await session.execute(
        insert_ignoring_conflicts(REFUNDS, dialect_of(session)).returning(REFUNDS.c.refund_id),
        [
            {
                "shop_id": shop_id,
                "refund_id": r.refund_id,
                "order_id": r.order_id,
                "subtotal": r.subtotal,
                "created_at": r.created_at,
                "applied": False,
            }
            for r in candidates.values()
        ],
    )
    return [candidates[rid] for rid in result.scalars()]


async def unapplied_refunds(session: AsyncSession, shop_id: int, order_ids: Sequence[int]) -> list[RefundRow]:
    if not order_ids:
        return []
    result = await session.execute(
        select(*REFUND_ROW_COLUMNS)
        .where(REFUNDS.c.shop_id == shop_id, REFUNDS.c.order_id.in_(order_ids), REFUNDS.c.applied.is_(False))
        .order_by(REFUNDS.c.refund_id)
    )
    return [RefundRow(**row._mapping) for row in result]


async def mark_refunds_applied(session: AsyncSession, refund_row_ids: Sequence[int]) -> None:
    if refund_row_ids:
        await session.execute(update(REFUNDS).where(REFUNDS.c.id.in_(refund_row_ids)).values(applied=True))


# --- members and the ledger --------------------------------------------------------------------


async def lock_members(
    session: AsyncSession, shop_id: int, customer_ids: Sequence[int], base_tier: str, now: datetime
) -> dict[int, MemberState]:
    """Create missing members in the base tier, then lock them all in id order."""
    if not customer_ids:
        return {}
    await insert_rows_ignoring_conflicts(
        session,
        MEMBERS,
        [
            {
                "shop_id": shop_id,
                "customer_id": cid,
                "points_balance": 0,
                "tier_name": base_tier,
                "spend": Decimal(0),
                "created_at": now,
                "updated_at": now,
            }
            for cid in customer_ids
        ],
    )
    wanted = restrict_to(select(*MEMBER_STATE_COLUMNS), MEMBERS.c.customer_id, customer_ids, dialect_of(session))
    result = await session.execute(
        wanted.where(MEMBERS.c.shop_id == shop_id).order_by(MEMBERS.c.id).with_for_update(of=MEMBERS)
    )
    return {row.customer_id: MemberState(**row._mapping) for row in result}


async def find_member(session: AsyncSession, shop_id: int, customer_id: int) -> MemberState | None:
    result = await session.execute(
        select(*MEMBER_STATE_COLUMNS).where(MEMBERS.c.shop_id == shop_id, MEMBERS.c.customer_id == customer_id)
    )
    row = result.first()
    return MemberState(**row._mapping) if row else None


async def insert_entries(session: AsyncSession, entries: Sequence[NewEntry]) -> set[str]:
    """Append ledger entries; returns the idempotency keys actually written (replays are skipped)."""
    rows = [entry.row() for entry in entries]
    return set(await insert_rows_ignoring_conflicts(session, ENTRIES, rows, ENTRIES.c.idempotency_key))


async def add_to_balances(session: AsyncSession, deltas: Mapping[int, int], now: datetime) -> None:
    """Move cached balances in SQL (never read-modify-write in Python), beside their entries."""
    rows = [
        {"id": member_id, "points_balance": delta, "updated_at": now} for member_id, delta in deltas.items() if delta
    ]
    await update_rows(session, MEMBERS, rows, increments={"points_balance"})


_LEDGER_LINES = (
    select(
        ENTRIES.c.delta,
        ENTRIES.c.kind,
        ENTRIES.c.reason,
        ENTRIES.c.created_at,
        ENTRIES.c.id,
        ORDERS.c.name.label("order_name"),
    )
    .select_from(
        ENTRIES.outerjoin(ORDERS, and_(ORDERS.c.shop_id == ENTRIES.c.shop_id, ORDERS.c.order_id == ENTRIES.c.order_id))
    )
    .where(ENTRIES.c.shop_id == bindparam("shop_id"), ENTRIES.c.member_id == bindparam("member_id"))
    .order_by(ENTRIES.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


async def ledger_lines(
    session: AsyncSession, shop_id: int, member_id: int, limit: int, before_id: int | None = None
) -> list[LedgerLine]:
    """Newest first; with `before_id`, the page after the entry with that id (keyset, not OFFSET).
    The statement is built once: a shopper's page reads it on every view (bench/storefront.py)."""
    statement = _LEDGER_LINES if before_id is None else _LEDGER_LINES.where(ENTRIES.c.id < before_id)
    parameters = {"shop_id": shop_id, "member_id": member_id, "limit": limit}
    return [LedgerLine(**row._mapping) for row in await session.execute(statement, parameters)]


async def entry_by_key(session: AsyncSession, shop_id: int, idempotency_key: str) -> tuple[int, int, str] | None:
    """(member id, delta, reason) of the entry written under this key, if any."""
    result = await session.execute(
        select(ENTRIES.c.member_id, ENTRIES.c.delta, ENTRIES.c.reason).where(
            ENTRIES.c.shop_id == shop_id, ENTRIES.c.idempotency_key == idempotency_key
        )
    )
    row = result.first()
    return None if row is None else (row.member_id, row.delta, row.reason)


# --- tiers -------------------------------------------------------------------------------------


async def spend_by_customer(
    session: AsyncSession, shop_id: int, customer_ids: Sequence[int], since: datetime | None
) -> dict[int, Decimal]:
    """Paid, not cancelled, not test, not refunded spend per customer since `since` (all time if None)."""
    if not customer_ids:
        return {}
    spend = type_coerce(func.sum(ORDERS.c.subtotal - ORDERS.c.refunded_subtotal), Money)
    statement = _counted(session, select(ORDERS.c.customer_id, spend.label("spend")), shop_id, customer_ids, since)
    result = await session.execute(statement.group_by(ORDERS.c.customer_id))
    return {row.customer_id: max(Decimal(0), Decimal(row.spend or 0)) for row in result}


@dataclass(frozen=True)
class CountedOrder:
    customer_id: int
    order_id: int
    processed_at: datetime | None
    amount: Decimal


async def counted_orders(
    session: AsyncSession,
    shop_id: int,
    customer_ids: Sequence[int],
    since: datetime | None,
    *,
    exclude_order_ids: Sequence[int],
) -> list[CountedOrder]:
    """The orders behind `spend_by_customer`, one by one, leaving out those the caller holds."""
    if not customer_ids:
        return []
    columns = select(
        ORDERS.c.customer_id,
        ORDERS.c.order_id,
        ORDERS.c.processed_at,
        type_coerce(ORDERS.c.subtotal - ORDERS.c.refunded_subtotal, Money).label("amount"),
    )
    statement = _counted(session, columns, shop_id, customer_ids, since)
    if exclude_order_ids:
        statement = statement.where(ORDERS.c.order_id.not_in(exclude_order_ids))
    result = await session.execute(statement)
    return [CountedOrder(r.customer_id, r.order_id, r.processed_at, Decimal(r.amount)) for r in result]


def _counted(
    session: AsyncSession, statement: Select[Any], shop_id: int, customer_ids: Sequence[int], since: datetime | None
) -> Select[Any]:
    """`statement` over the customers' orders that count toward a tier."""
    restricted = restrict_to(statement, ORDERS.c.customer_id, customer_ids, dialect_of(session))
    return restricted.where(*_counting(shop_id, since))


def _counting(shop_id: int, since: datetime | None) -> list[ColumnElement[bool]]:
    """When an order of the shop counts toward a tier: SQL twin of `rules.counts_toward_tier`."""
    conditions = [
        ORDERS.c.shop_id == shop_id,
        ORDERS.c.paid.is_(True),
        ORDERS.c.cancelled.is_(False),
        ORDERS.c.test.is_(False),
        ORDERS.c.subtotal.is_not(None),
    ]
    if since is not None:
        conditions.append(ORDERS.c.processed_at >= since)
    return conditions


def _band(spend: Any, thresholds: Sequence[Decimal]) -> Any:
    """The index of the highest threshold `spend` reaches (thresholds rising from 0)."""
    whens = [(spend >= threshold, index) for index, threshold in reversed(list(enumerate(thresholds)))]
    return case(*whens, else_=0) if len(whens) > 1 else literal(0)


async def members_by_band(session: AsyncSession, shop_id: int, thresholds: Sequence[Decimal]) -> list[int]:
    """Members per band of their kept spend."""
    band = _band(MEMBERS.c.spend, thresholds)
    result = await session.execute(
        select(band.label("band"), func.count())
        .where(MEMBERS.c.shop_id == shop_id, MEMBERS.c.redacted_at.is_(None))
        .group_by(band)
    )
    counts = [0] * len(thresholds)
    for index, count in result:
        counts[int(index)] += int(count)
    return counts


async def members_by_window_band(
    session: AsyncSession, shop_id: int, thresholds: Sequence[Decimal], since: datetime | None
) -> list[int]:
    """Members per band of their spend since `since`, summed from their orders (members without a
    counted order there are in the first band)."""
    spend = type_coerce(func.sum(ORDERS.c.subtotal - ORDERS.c.refunded_subtotal), Money).label("spend")
    conditions = [*_counting(shop_id, since), ORDERS.c.customer_id.is_not(None)]
    per_customer = select(ORDERS.c.customer_id, spend).where(*conditions).group_by(ORDERS.c.customer_id).subquery()
    band = _band(per_customer.c.spend, thresholds)
    joined = per_customer.join(
        MEMBERS, (MEMBERS.c.shop_id == shop_id) & (MEMBERS.c.customer_id == per_customer.c.customer_id)
    )
    result = await session.execute(
        select(band.label("band"), func.count())
        .select_from(joined)
        .where(MEMBERS.c.redacted_at.is_(None))
        .group_by(band)
    )
    counts = [0] * len(thresholds)
    for index, count in result:
        counts[int(index)] += int(count)
    members = (
        await session.execute(select(func.count()).where(MEMBERS.c.shop_id == shop_id, MEMBERS.c.redacted_at.is_(None)))
    ).scalar_one()
    counts[0] += int(members) - sum(counts)
    return counts


async def all_member_customer_ids(
    session: AsyncSession, shop_id: int, after_member_id: int, limit: int
) -> list[tuple[int, int]]:
    result = await session.execute(
        select(MEMBERS.c.id, MEMBERS.c.customer_id)
        .where(MEMBERS.c.shop_id == shop_id, MEMBERS.c.id > after_member_id, MEMBERS.c.redacted_at.is_(None))
        .order_by(MEMBERS.c.id)
        .limit(limit)
    )
    return [(row.id, row.customer_id) for row in result]


async def set_spends(session: AsyncSession, spends: Mapping[int, Decimal]) -> None:
    """Members' counted spend (by member id), as the tier recompute found it."""
    await update_rows(session, MEMBERS, [{"id": member_id, "spend": spend} for member_id, spend in spends.items()])


async def set_tiers(
    session: AsyncSession, shop_id: int, changes: Sequence[tuple[MemberState, str, Decimal]], now: datetime
) -> None:
    if not changes:
        return
    await update_rows(
        session, MEMBERS, [{"id": member.id, "tier_name": tier, "updated_at": now} for member, tier, _ in changes]
    )
    await session.execute(
        TIER_CHANGES.insert(),
        [
            {
                "shop_id": shop_id,
                "member_id": member.id,
                "from_tier": member.tier_name,
                "to_tier": tier,
                "spend": spend,
                "created_at": now,
            }
            for member, tier, spend in changes
        ],
    )


async def tier_history(session: AsyncSession, shop_id: int, member_id: int) -> list[dict[str, Any]]:
    result = await session.execute(
        select(TIER_CHANGES.c.from_tier, TIER_CHANGES.c.to_tier, TIER_CHANGES.c.spend, TIER_CHANGES.c.created_at)
        .where(TIER_CHANGES.c.shop_id == shop_id, TIER_CHANGES.c.member_id == member_id)
        .order_by(TIER_CHANGES.c.id)
    )
    return [dict(row._mapping) for row in result]


# --- privacy -----------------------------------------------------------------------------------


async def orders_of(session: AsyncSession, shop_id: int, customer_id: int) -> list[dict[str, Any]]:
    result = await session.execute(
        select(ORDERS).where(ORDERS.c.shop_id == shop_id, ORDERS.c.customer_id == customer_id).order_by(ORDERS.c.id)
    )
    return [dict(row._mapping) for row in result]


async def anonymise_customer(
    session: AsyncSession, shop_id: int, customer_id: int, surrogate: int, now: datetime
) -> None:
    """Unlink a customer from what we keep: amounts stay for the books, the person does not."""
    member = await find_member(session, shop_id, customer_id)
    if member is not None:
        await session.execute(
            update(ENTRIES).where(ENTRIES.c.shop_id == shop_id, ENTRIES.c.member_id == member.id).values(reason="")
        )
        await session.execute(
            update(MEMBERS)
            .where(MEMBERS.c.id == member.id)
            .values(customer_id=surrogate, redacted_at=now, updated_at=now)
        )
    await session.execute(
        update(ORDERS)
        .where(ORDERS.c.shop_id == shop_id, ORDERS.c.customer_id == customer_id)
        .values(customer_id=surrogate, name=None, order_gid=None)
    )


async def delete_shop_rows(session: AsyncSession, shop_id: int) -> None:
    for table in (TIER_CHANGES, ENTRIES, REFUNDS, ORDERS, MEMBERS, PROGRAMS):
        await session.execute(delete(table).where(table.c.shop_id == shop_id))
