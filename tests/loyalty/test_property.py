"""Property: whatever the interleaving, duplication and batching of deliveries, every balance equals
the sum of its ledger and equals what the order facts say it should be."""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.shops.models import Shop
from loyalty.models import LedgerEntry, LoyaltyOrder, LoyaltyRefund, Member, TierChange
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook, refund_json, with_refund
from tests.loyalty.ledger import accounts
from webhooks.models import WebhookInbox

CUSTOMERS = (9_100_000_000_000_011, 9_100_000_000_000_012)
EXAMPLES = int(os.environ.get("DANGOL_PROPERTY_EXAMPLES", "40"))

money = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2)


@dataclass(frozen=True)
class Story:
    """One order's life: what happened to it, from which its deliveries are drawn."""

    order_id: int
    customer_id: int | None
    subtotal: Decimal
    created_paid: bool
    paid: bool
    refunds: tuple[Decimal, ...]
    cancelled: bool
    test: bool

    def expected_points(self) -> int:
        if not self.paid or self.cancelled or self.test or self.customer_id is None:
            return 0
        # Worked out here with exact fractions, not with the rules under test.
        earned = math.floor(Fraction(self.subtotal))
        refunded = Fraction(sum(self.refunds, Decimal(0)))
        taken_back = earned if refunded >= self.subtotal else math.floor(earned * refunded / Fraction(self.subtotal))
        return earned - taken_back

    def deliveries(self) -> list[tuple[str, dict[str, object]]]:
        """Every announcement Shopify would make along the way, each a (topic, body)."""
        base = make_order(
            order_id=self.order_id,
            customer_id=self.customer_id,
            subtotal=str(self.subtotal),
            status="paid" if self.created_paid else "pending",
            test=self.test,
        )
        events = [("orders/create", order_json(base))]
        current = base
        if self.paid:
            current = current.model_copy(
                update={"financial_status": "paid", "updated_at": current.updated_at + timedelta(seconds=1)}
            )
            events.append(("orders/paid", order_json(current)))
            for number, amount in enumerate(self.refunds, start=1):
                refund_id = self.order_id * 10 + number
                current = with_refund(current, refund_id=refund_id, amount=str(amount))
                fully = current.current_subtotal <= 0
                current = current.model_copy(update={"financial_status": "refunded" if fully else "partially_refunded"})
                events.append(("refunds/create", refund_json(current, refund_id=refund_id, amount=str(amount))))
                events.append(("orders/updated", order_json(current)))
        if self.cancelled:
            current = current.model_copy(
                update={
                    "cancelled_at": current.updated_at + timedelta(seconds=5),
                    "updated_at": current.updated_at + timedelta(seconds=5),
                    "financial_status": "refunded" if self.paid else "voided",
                }
            )
            events.append(("orders/cancelled", order_json(current)))
        return events


@st.composite
def stories(draw: st.DrawFn, index: int) -> Story:
    subtotal = draw(money)
    paid = draw(st.booleans())
    refunds: list[Decimal] = []
    if paid:
        left = subtotal
        for _ in range(draw(st.integers(0, 3))):
            if left <= 0:
                break
            amount = draw(st.decimals(min_value=Decimal("0.01"), max_value=left, places=2))
            refunds.append(amount)
            left -= amount
    return Story(
        order_id=9_000_000_000_000_000 + index,
        customer_id=draw(st.sampled_from([*CUSTOMERS, None])),
        subtotal=subtotal,
        created_paid=paid and draw(st.booleans()),
        paid=paid,
        refunds=tuple(refunds),
        cancelled=draw(st.booleans()),
        test=draw(st.sampled_from([False, False, False, True])),
    )


@st.composite
def schedules(draw: st.DrawFn) -> tuple[list[Story], list[tuple[str, dict[str, object], bool, bool]]]:
    """Stories, and a delivery schedule: every event at least once, some twice or thrice (with the same
    or a new delivery id), shuffled; after each, the worker may or may not run."""
    story_list = [draw(stories(i)) for i in range(draw(st.integers(1, 3)))]
    events = [event for story in story_list for event in story.deliveries()]
    repeats = [draw(st.integers(1, 3)) for _ in events]
    deliveries = [(i, copy) for i, count in enumerate(repeats) for copy in range(count)]
    order = draw(st.permutations(deliveries))
    schedule = [
        (events[i][0], events[i][1], copy > 0 and draw(st.booleans()), draw(st.booleans())) for i, copy in order
    ]
    return story_list, schedule


async def _assert_only_appended(db, before: dict[int, tuple[object, ...]]) -> dict[int, tuple[object, ...]]:
    """The ledger is append-only: every entry seen before is still there, unchanged."""
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(
                    LedgerEntry.id,
                    LedgerEntry.member_id,
                    LedgerEntry.idempotency_key,
                    LedgerEntry.delta,
                    LedgerEntry.reason,
                    LedgerEntry.created_at,
                )
            )
        ).all()
    now = {row[0]: tuple(row[1:]) for row in rows}
    assert {entry_id: now.get(entry_id) for entry_id in before} == before
    return now


async def _reset(db) -> None:
    async with db.unit_of_work() as session:
        for table in (TierChange, LedgerEntry, LoyaltyRefund, LoyaltyOrder, Member, WebhookInbox):
            await session.execute(delete(table))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=schedules())
async def test_any_interleaving_of_deliveries_ends_with_the_expected_balances(client, store_client, drainer, db, plan):
    # given an installed shop and a clean ledger
    async with db.sessions() as session:
        installed = (await session.execute(select(Shop.id).where(Shop.domain == SHOP))).first()
    if installed is None:
        await install_shop(client, store_client)
    await _reset(db)
    story_list, schedule = plan
    # when every event is delivered (some more than once) in a random order, the worker running at random
    delivery_ids: dict[int, str] = {}
    written: dict[int, tuple[object, ...]] = {}
    for topic, body, same_delivery_id, run_worker in schedule:
        key = id(body)
        webhook_id = delivery_ids[key] if same_delivery_id and key in delivery_ids else str(uuid.uuid4())
        delivery_ids.setdefault(key, webhook_id)
        assert (await post_webhook(client, topic, body, webhook_id=webhook_id)).status_code == 200
        if run_worker:
            await drainer.wake()
            written = await _assert_only_appended(db, written)
    await drainer.wake()
    await _assert_only_appended(db, written)
    # then each balance equals the sum of its entries (checked by accounts()) and the expected figure
    expected: dict[int, int] = {}
    for story in story_list:
        if story.customer_id is not None:
            expected[story.customer_id] = expected.get(story.customer_id, 0) + story.expected_points()
    held = await accounts(db)
    for customer_id, points in expected.items():
        assert (held[customer_id].points if customer_id in held else 0) == points, (customer_id, story_list)
