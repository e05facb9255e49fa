"""Orders and refunds brought into the ledger: earning, proportional reversal, cancellation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from loyalty import repository, rules
from loyalty.models import EntryKind
from loyalty.program import Program
from loyalty.programs import get_program
from loyalty.repository import MemberState, NewEntry, OrderState, RefundRow
from loyalty.schemas import Applied, OrderEvent, OrderSnapshot, RefundFacts
from loyalty.tiers import recompute_tiers


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
        if entry.idempotency_key in written:
            deltas[entry.member_id] += entry.delta
    await repository.add_to_balances(session, deltas, now)
    await repository.save_orders(session, orders.values())
    await repository.mark_refunds_applied(session, plan.applied_refunds)
    tier_changes = await recompute_tiers(session, shop_id, program, list(members.values()), shop_timezone, now)
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
    entries: list[NewEntry] = field(default_factory=list)
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
            NewEntry(
                shop_id=self.shop_id,
                member_id=member.id,
                delta=delta,
                kind=kind,
                reason=reason,
                idempotency_key=key,
                created_at=self.now,
                order_id=order.order_id,
                rate=rate,
                multiplier=multiplier,
            )
        )


async def order_versions(
    session: AsyncSession, *, shop_id: int, order_ids: Sequence[int]
) -> dict[int, datetime | None]:
    """The newest `updated_at` applied per order, for reconciliation to skip what it already has."""
    return await repository.order_versions(session, shop_id, order_ids)
