"""Loyalty use cases: the only public entry points of the domain. Services flush, never commit."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import jobs
from app.core.clock import utcnow
from loyalty import repository, rules
from loyalty.errors import IdempotencyKeyReused, InsufficientPoints
from loyalty.models import EntryKind
from loyalty.program import Program, default_program
from loyalty.repository import MemberState, OrderState, RefundRow
from loyalty.schemas import Applied, MemberView, NextTier, OrderEvent, OrderSnapshot, RefundFacts

LEDGER_PAGE = 100


# --- the program -------------------------------------------------------------------------------


async def get_program(session: AsyncSession, shop_id: int) -> Program:
    document = await repository.program_document(session, shop_id)
    return Program.model_validate(document) if document is not None else default_program()


async def ensure_program(session: AsyncSession, shop_id: int) -> None:
    """Give a newly installed shop the default program; an existing one is left as it is."""
    await repository.insert_program_if_missing(session, shop_id, default_program().document(), utcnow())


RECOMPUTE_SHOP_TIERS_JOB = "loyalty.recompute_shop_tiers"


async def update_program(session: AsyncSession, shop_id: int, program: Program) -> Program:
    """Replace the program. Views and earning read tiers live from spend at once; the stored tiers
    (and their change records) follow in a job, since a big shop has too many members for a request.
    The job is asked for only when the tiers or their window changed, once per shop and tier set
    (saving the same tiers again while it waits adds nothing)."""
    before = await get_program(session, shop_id)
    if before == program:
        return program
    await repository.save_program(session, shop_id, program.document(), utcnow())
    if rules.tier_basis(before) != rules.tier_basis(program):
        digest = hashlib.sha256(repr(rules.tier_basis(program)).encode()).hexdigest()[:16]
        jobs.defer(RECOMPUTE_SHOP_TIERS_JOB, shop_id, job_id=f"{RECOMPUTE_SHOP_TIERS_JOB}:{shop_id}:{digest}")
    return program


# --- orders ------------------------------------------------------------------------------------


async def apply_order_events(
    session: AsyncSession,
    *,
    shop_id: int,
    events: Sequence[OrderEvent],
    shop_timezone: str | None,
    now: datetime | None = None,
) -> Applied:
    """Bring the ledger in line with everything known about these orders.

    Idempotent and order-independent: the outcome depends only on the set of facts ever seen
    (paid, cancelled, each refund), never on how often or in which order they were announced.
    Keys: `earn:order:{id}`, `refund:{refund_id}:reverse`, `cancel:order:{id}`.
    Locks: the orders' rows, then their members' rows, each in id order.
    """
    now = now or utcnow()
    program = await get_program(session, shop_id)
    snapshots = [e for e in events if isinstance(e, OrderSnapshot)]
    refunds = {r.refund_id: r for r in _refunds_in(events)}
    order_ids = sorted({s.order_id for s in snapshots} | {r.order_id for r in refunds.values()})

    orders = await repository.lock_orders(session, shop_id, order_ids)
    for snapshot in snapshots:
        _absorb(orders[snapshot.order_id], snapshot)
    for refund in await repository.insert_refunds(session, shop_id, refunds.values()):
        orders[refund.order_id].refunded_subtotal += refund.subtotal
    pending: dict[int, list[RefundRow]] = defaultdict(list)
    for row in await repository.unapplied_refunds(session, shop_id, order_ids):
        pending[row.order_id].append(row)

    customers = sorted({o.customer_id for o in orders.values() if o.customer_id is not None and not o.test})
    members = await repository.lock_members(session, shop_id, customers, program.base_tier.name, now)
    since = rules.window_start(program.tier_window, now, shop_timezone)
    multipliers = await _earn_multipliers(session, shop_id, program, orders, members, since)
    plan = _LedgerPlan(shop_id=shop_id, program=program, now=now, multipliers=multipliers)
    for order_id in order_ids:
        order = orders[order_id]
        plan.settle(order, members.get(order.customer_id) if order.customer_id else None, pending[order_id])

    written = await repository.insert_entries(session, plan.entries)
    deltas: dict[int, int] = defaultdict(int)
    for entry in plan.entries:
        if entry["idempotency_key"] in written:
            deltas[entry["member_id"]] += entry["delta"]
    await repository.add_to_balances(session, deltas, now)
    await repository.save_orders(session, orders.values())
    await repository.mark_refunds_applied(session, plan.applied_refunds)
    tier_changes = await _recompute_tiers(session, shop_id, program, list(members.values()), shop_timezone, now)
    return Applied(entries_written=len(written), points_delta=sum(deltas.values()), tier_changes=tier_changes)


async def _earn_multipliers(
    session: AsyncSession,
    shop_id: int,
    program: Program,
    orders: Mapping[int, OrderState],
    members: Mapping[int, MemberState],
    since: datetime | None,
) -> dict[int, Decimal]:
    """The tier multiplier each order about to earn gets: that of the tier its customer held when
    it was placed, from the counted spend of their orders processed before it (as known now).

    Read from the orders, not the member's stored tier, so the figure does not depend on how
    deliveries were grouped into batches, and a stale windowed tier never leaks into an earn.
    """
    earning = [
        o
        for o in orders.values()
        if o.paid and not o.cancelled and not o.test and o.earned_at is None and o.customer_id in members
    ]
    flat = {tier.multiplier for tier in program.tiers}
    if not earning or len(flat) == 1:
        return {o.order_id: next(iter(flat)) for o in earning}
    customers = sorted({o.customer_id for o in earning if o.customer_id is not None})
    spends = await repository.counted_orders(session, shop_id, customers, since, exclude_order_ids=list(orders))
    for order in orders.values():
        if order.customer_id in members and rules.counts_toward_tier(
            paid=order.paid,
            cancelled=order.cancelled,
            test=order.test,
            subtotal=order.subtotal,
            processed_at=order.processed_at,
            since=since,
        ):
            spends.append(
                repository.CountedOrder(
                    order.customer_id or 0,
                    order.order_id,
                    order.processed_at,
                    (order.subtotal or Decimal(0)) - order.refunded_subtotal,
                )
            )
    placed_by_customer: dict[int, list[tuple[tuple[datetime, int], Decimal]]] = defaultdict(list)
    for spend in spends:
        placed_by_customer[spend.customer_id].append(
            (rules.placement_key(spend.processed_at, spend.order_id), spend.amount)
        )
    multipliers = {}
    for order in earning:
        placed = rules.placement_key(order.processed_at, order.order_id)
        before = sum((amount for key, amount in placed_by_customer[order.customer_id or 0] if key < placed), Decimal(0))
        multipliers[order.order_id] = rules.tier_for_spend(program.tiers, max(Decimal(0), before)).multiplier
    return multipliers


def _refunds_in(events: Iterable[OrderEvent]) -> Iterable[RefundFacts]:
    for event in events:
        if isinstance(event, RefundFacts):
            yield event
        else:
            yield from event.refunds


def _absorb(state: OrderState, snapshot: OrderSnapshot) -> None:
    """Fold one announcement into what we know. Facts only grow; the earn base is frozen once earned."""
    state.paid = state.paid or snapshot.paid
    state.cancelled = state.cancelled or snapshot.cancelled
    state.test = state.test or snapshot.test
    newer = state.shopify_updated_at is None or (
        snapshot.updated_at is not None and snapshot.updated_at >= state.shopify_updated_at
    )
    if not newer and state.subtotal is not None:
        return
    if state.earned_at is None:
        state.subtotal = snapshot.subtotal
        state.customer_id = snapshot.customer_id or state.customer_id
    state.order_gid = snapshot.order_gid or state.order_gid
    state.name = snapshot.name or state.name
    state.currency = snapshot.currency or state.currency
    state.processed_at = snapshot.processed_at or state.processed_at
    state.shopify_updated_at = snapshot.updated_at or state.shopify_updated_at


@dataclass
class _LedgerPlan:
    """The entries a batch needs, worked out in memory while the rows are locked."""

    shop_id: int
    program: Program
    now: datetime
    multipliers: Mapping[int, Decimal]
    entries: list[dict[str, Any]] = field(default_factory=list)
    applied_refunds: list[int] = field(default_factory=list)

    def settle(self, order: OrderState, member: MemberState | None, refunds: list[RefundRow]) -> None:
        if order.test or (order.cancelled and order.earned_at is None):
            # Nothing was or will be earned, so there is nothing to take back.
            self.applied_refunds.extend(r.id for r in refunds)
            return
        if member is None:
            return
        if order.paid and not order.cancelled and order.earned_at is None:
            self._earn(order, member)
        if order.earned_at is None:
            return
        already_applied = order.refunded_subtotal - sum((r.subtotal for r in refunds), Decimal(0))
        for refund in refunds:
            already_applied += refund.subtotal
            target = rules.reversal_target(order.points_earned, already_applied, order.subtotal)
            self._take_back(
                order,
                member,
                target,
                EntryKind.REFUND,
                f"refund:{refund.refund_id}:reverse",
                f"Refund on order {order.label}",
            )
            self.applied_refunds.append(refund.id)
        if order.cancelled:
            self._take_back(
                order,
                member,
                order.points_earned,
                EntryKind.CANCEL,
                f"cancel:order:{order.order_id}",
                f"Order {order.label} cancelled",
            )

    def _earn(self, order: OrderState, member: MemberState) -> None:
        rate = self.program.earn.points_per_unit
        multiplier = self.multipliers[order.order_id]
        points = rules.points_for_order(order.subtotal or Decimal(0), rate, multiplier)
        order.earned_at = self.now
        order.points_earned = points
        if points:
            self._add(
                member,
                order,
                points,
                EntryKind.EARN,
                f"earn:order:{order.order_id}",
                f"Order {order.label}",
                rate=rate,
                multiplier=multiplier,
            )

    def _take_back(
        self, order: OrderState, member: MemberState, target: int, kind: EntryKind, key: str, reason: str
    ) -> None:
        owed = target - order.points_reversed
        if owed > 0:
            order.points_reversed += owed
            self._add(member, order, -owed, kind, key, reason)

    def _add(
        self,
        member: MemberState,
        order: OrderState,
        delta: int,
        kind: EntryKind,
        key: str,
        reason: str,
        *,
        rate: Decimal | None = None,
        multiplier: Decimal | None = None,
    ) -> None:
        self.entries.append(
            {
                "shop_id": self.shop_id,
                "member_id": member.id,
                "delta": delta,
                "kind": kind.value,
                "reason": reason,
                "idempotency_key": key,
                "order_id": order.order_id,
                "rate": rate,
                "multiplier": multiplier,
                "created_at": self.now,
            }
        )


# --- tiers -------------------------------------------------------------------------------------


async def _recompute_tiers(
    session: AsyncSession,
    shop_id: int,
    program: Program,
    members: Sequence[MemberState],
    shop_timezone: str | None,
    now: datetime,
) -> int:
    """Set each (locked) member's tier from their spend in the program's window; record changes."""
    if not members:
        return 0
    since = rules.window_start(program.tier_window, now, shop_timezone)
    spend = await repository.spend_by_customer(session, shop_id, [m.customer_id for m in members], since)
    changes = []
    for member in members:
        customer_spend = spend.get(member.customer_id, Decimal(0))
        tier = rules.tier_for_spend(program.tiers, customer_spend).name
        if tier != member.tier_name:
            changes.append((member, tier, customer_spend))
    await repository.set_tiers(session, shop_id, changes, now)
    for member, tier, _ in changes:
        member.tier_name = tier
    return len(changes)


async def recompute_tiers_page(
    session: AsyncSession,
    *,
    shop_id: int,
    shop_timezone: str | None,
    after_member_id: int,
    limit: int = 500,
    now: datetime | None = None,
) -> int | None:
    """Recompute one page of members' tiers as time moves windows on. Returns the last member id
    of the page, or None when there are no more."""
    now = now or utcnow()
    page = await repository.all_member_customer_ids(session, shop_id, after_member_id, limit)
    if not page:
        return None
    program = await get_program(session, shop_id)
    members = await repository.lock_members(
        session, shop_id, [customer_id for _, customer_id in page], program.base_tier.name, now
    )
    await _recompute_tiers(session, shop_id, program, list(members.values()), shop_timezone, now)
    return page[-1][0]


# --- members -----------------------------------------------------------------------------------


async def member_view(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    shop_timezone: str | None,
    now: datetime | None = None,
    ledger_limit: int = LEDGER_PAGE,
) -> MemberView:
    """A customer's points, tier and progress. A customer we have never seen holds 0 in the base tier."""
    now = now or utcnow()
    program = await get_program(session, shop_id)
    since = rules.window_start(program.tier_window, now, shop_timezone)
    spend = (await repository.spend_by_customer(session, shop_id, [customer_id], since)).get(customer_id, Decimal(0))
    member = await repository.find_member(session, shop_id, customer_id)
    upcoming = rules.next_tier(program.tiers, spend)
    return MemberView(
        customer_id=customer_id,
        points=member.points_balance if member else 0,
        # From live spend, like `next_tier`: the stored tier of a moving window may be hours behind.
        tier=rules.tier_for_spend(program.tiers, spend).name,
        spend=spend,
        next_tier=NextTier(name=upcoming[0].name, remaining=upcoming[1]) if upcoming else None,
        ledger=await repository.ledger_lines(session, shop_id, member.id, ledger_limit) if member else [],
    )


async def adjust_points(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    points: int,
    reason: str,
    request_key: str,
    now: datetime | None = None,
) -> bool:
    """A merchant's manual correction. Idempotent per `request_key`; a debit may not overdraw.
    Returns False when the same request was already applied; the key sent again with another
    customer, amount or reason is refused rather than silently ignored."""
    now = now or utcnow()
    program = await get_program(session, shop_id)
    member = (await repository.lock_members(session, shop_id, [customer_id], program.base_tier.name, now))[customer_id]
    key = f"adjust:{request_key}"
    earlier = await repository.entry_by_key(session, shop_id, key)
    if earlier is not None:
        if earlier != (member.id, points, reason):
            raise IdempotencyKeyReused(request_key)
        return False
    if points < 0 and member.points_balance + points < 0:
        raise InsufficientPoints(member.points_balance, -points)
    entry = {
        "shop_id": shop_id,
        "member_id": member.id,
        "delta": points,
        "kind": EntryKind.ADJUST.value,
        "reason": reason,
        "idempotency_key": key,
        "created_at": now,
    }
    if await repository.insert_entries(session, [entry]):
        await repository.add_to_balances(session, {member.id: points}, now)
    return True


# --- privacy -----------------------------------------------------------------------------------


async def export_customer(session: AsyncSession, *, shop_id: int, customer_id: int) -> dict[str, Any]:
    """Everything loyalty holds on one customer, for a `customers/data_request`."""
    member = await repository.find_member(session, shop_id, customer_id)
    orders = await repository.orders_of(session, shop_id, customer_id)
    return {
        "member": None
        if member is None
        else {
            "customer_id": member.customer_id,
            "points": member.points_balance,
            "tier": member.tier_name,
        },
        "ledger": []
        if member is None
        else [
            {"delta": line.delta, "kind": line.kind, "reason": line.reason, "created_at": line.created_at.isoformat()}
            for line in await repository.ledger_lines(session, shop_id, member.id, limit=100_000)
        ],
        "tier_changes": []
        if member is None
        else [
            {
                "from": change["from_tier"],
                "to": change["to_tier"],
                "spend": str(change["spend"]),
                "at": change["created_at"].isoformat(),
            }
            for change in await repository.tier_history(session, shop_id, member.id)
        ],
        "orders": [
            {
                "order_id": o["order_id"],
                "name": o["name"],
                "subtotal": None if o["subtotal"] is None else str(o["subtotal"]),
                "currency": o["currency"],
                "paid": o["paid"],
                "cancelled": o["cancelled"],
                "refunded_subtotal": str(o["refunded_subtotal"]),
                "points_earned": o["points_earned"],
                "points_reversed": o["points_reversed"],
            }
            for o in orders
        ],
    }


async def redact_customer(
    session: AsyncSession, *, shop_id: int, customer_id: int, surrogate: int, now: datetime | None = None
) -> None:
    """Erase a customer's link to their points. Amounts stay, under `surrogate`, an id that leads
    nowhere (negative, so it can never be a Shopify id)."""
    await repository.anonymise_customer(session, shop_id, customer_id, surrogate, now or utcnow())


async def redact_shop(session: AsyncSession, *, shop_id: int) -> None:
    await repository.delete_shop_rows(session, shop_id)


async def order_versions(
    session: AsyncSession, *, shop_id: int, order_ids: Sequence[int]
) -> dict[int, datetime | None]:
    """The newest `updated_at` applied per order, for reconciliation to skip what it already has."""
    return await repository.order_versions(session, shop_id, order_ids)
