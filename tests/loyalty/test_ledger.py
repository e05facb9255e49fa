"""The exactly-once ledger, driven through the real path: signed webhook → inbox → worker → ledger."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select, update

from app.shops.models import Shop
from app.worker import recompute_tiers
from loyalty import service as loyalty_service
from loyalty.models import LedgerEntry, LoyaltyOrder
from loyalty.program import Program, default_program
from loyalty.schemas import MemberView
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook, refund_json, with_refund
from tests.loyalty.ledger import accounts, entry_count, points, tier_changes

CUSTOMER = 9_100_000_000_000_001  # above 2**53, as real Shopify ids are


@pytest.fixture
async def shop_id(client, store_client, db) -> int:
    await install_shop(client, store_client)
    async with db.sessions() as session:
        return (await session.execute(select(Shop.id).where(Shop.domain == SHOP))).scalar_one()


async def _program(db, shop_id: int, **changes) -> None:
    document = default_program().document() | changes
    async with db.unit_of_work() as session:
        await loyalty_service.update_program(session, shop_id, Program.model_validate(document))


async def test_a_webhook_delivered_five_times_credits_once(client, drainer, db, shop_id):
    # given one paid order
    body = order_json(make_order(customer_id=CUSTOMER, subtotal="120.00"))
    # when Shopify delivers it five times, the worker running between some of them
    for attempt in range(5):
        assert (await post_webhook(client, "orders/paid", body, webhook_id="delivery-1")).status_code == 200
        if attempt % 2:
            await drainer.wake()
    await drainer.wake()
    # then one entry of 120 points
    assert (await accounts(db))[CUSTOMER].entries == [(f"earn:order:{body['id']}", 120)]


async def test_one_order_announced_by_three_topics_in_any_order_credits_once(client, drainer, db, shop_id):
    for seed in range(6):
        # given an order that Shopify announces as created, paid and updated
        order = make_order(customer_id=CUSTOMER + seed, subtotal="75.25")
        topics = ["orders/create", "orders/paid", "orders/updated"]
        random.Random(seed).shuffle(topics)
        # when the three arrive in a shuffled order, each with its own delivery id
        for topic in topics:
            await post_webhook(client, topic, order_json(order))
        await drainer.wake()
        # then the customer holds 75 points from one entry
        account = (await accounts(db))[CUSTOMER + seed]
        assert account.points == 75
        assert len(account.entries) == 1


async def test_an_order_is_not_paid_until_shopify_says_so(client, drainer, db, shop_id):
    # given an order created unpaid
    order = make_order(customer_id=CUSTOMER, subtotal="50.00", status="pending")
    await post_webhook(client, "orders/create", order_json(order))
    await drainer.wake()
    assert await points(db, CUSTOMER) == 0
    # when an update says it is paid
    paid = order.model_copy(update={"financial_status": "paid", "updated_at": order.updated_at + timedelta(minutes=1)})
    await post_webhook(client, "orders/updated", order_json(paid))
    await drainer.wake()
    # then it earns
    assert await points(db, CUSTOMER) == 50


async def test_refunds_take_back_points_in_proportion(client, drainer, db, shop_id):
    # given a paid order of 200.00 (200 points)
    order = make_order(customer_id=CUSTOMER, subtotal="200.00")
    await post_webhook(client, "orders/paid", order_json(order))
    # when 50.00 and then 30.00 are refunded
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=11, amount="50.00"))
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=12, amount="30.00"))
    await drainer.wake()
    # then 50 and 30 points came back, each under its refund's key
    entries = (await accounts(db))[CUSTOMER].entries
    assert entries == [(f"earn:order:{order.id}", 200), ("refund:11:reverse", -50), ("refund:12:reverse", -30)]


async def test_a_refund_that_arrives_before_its_order_still_counts(client, drainer, db, shop_id):
    # given a refund of 40.00 on an order we have not heard of yet
    order = make_order(customer_id=CUSTOMER, subtotal="100.00")
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=21, amount="40.00"))
    await drainer.wake()
    assert await points(db, CUSTOMER) == 0
    # when the order's paid webhook arrives late
    await post_webhook(client, "orders/paid", order_json(order))
    await drainer.wake()
    # then it earned 100 and gave 40 back
    assert await points(db, CUSTOMER) == 60


async def test_an_update_listing_refunds_earns_on_the_subtotal_before_refunds(client, drainer, db, shop_id):
    # given orders/paid was lost and the first we hear is an update after a 25.00 refund
    refunded = with_refund(make_order(customer_id=CUSTOMER, subtotal="100.00"), refund_id=31, amount="25.00")
    await post_webhook(client, "orders/updated", order_json(refunded))
    # and later the refund's own webhook and the stale paid one
    await post_webhook(client, "refunds/create", refund_json(refunded, refund_id=31, amount="25.00"))
    await post_webhook(client, "orders/paid", order_json(refunded.model_copy(update={"refunds": []})))
    await drainer.wake()
    # then 100 earned, 25 reversed once
    assert (await accounts(db))[CUSTOMER].entries == [(f"earn:order:{refunded.id}", 100), ("refund:31:reverse", -25)]


async def test_cancelling_gives_back_whatever_the_order_still_holds(client, drainer, db, shop_id):
    # given a paid order of 80.00 with 20.00 refunded
    order = make_order(customer_id=CUSTOMER, subtotal="80.00")
    await post_webhook(client, "orders/paid", order_json(order))
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=41, amount="20.00"))
    await drainer.wake()
    assert await points(db, CUSTOMER) == 60
    # when it is cancelled (twice, as Shopify may)
    cancelled = order.model_copy(update={"cancelled_at": order.updated_at, "financial_status": "refunded"})
    await post_webhook(client, "orders/cancelled", order_json(cancelled))
    await post_webhook(client, "orders/cancelled", order_json(cancelled))
    await drainer.wake()
    # then the remaining 60 came back in one entry
    account = (await accounts(db))[CUSTOMER]
    assert account.points == 0
    assert account.entries[-1] == (f"cancel:order:{order.id}", -60)


async def test_a_cancellation_heard_before_payment_earns_nothing(client, drainer, db, shop_id):
    order = make_order(customer_id=CUSTOMER, subtotal="80.00")
    cancelled = order.model_copy(update={"cancelled_at": order.updated_at, "financial_status": "refunded"})
    await post_webhook(client, "orders/cancelled", order_json(cancelled))
    await post_webhook(client, "orders/paid", order_json(order))
    await drainer.wake()
    assert await entry_count(db) == 0


@pytest.mark.parametrize(("_case", "changes"), [("test order", {"test": True}), ("guest", {"customer_id": None})])
async def test_orders_that_earn_nothing(client, drainer, db, shop_id, _case, changes):
    order = make_order(customer_id=CUSTOMER, subtotal="99.00").model_copy(update=changes)
    await post_webhook(client, "orders/paid", order_json(order))
    await drainer.wake()
    assert await entry_count(db) == 0


async def test_the_earn_entry_records_the_rate_and_the_tier_multiplier(client, drainer, db, shop_id):
    # given a program where Silver (from 200) earns double
    tiers = default_program().document()["tiers"]
    tiers[1]["multiplier"] = 2
    await _program(db, shop_id, tiers=tiers, earn={"points_per_unit": 1.5})
    # when a customer reaches Silver and then orders again
    await post_webhook(client, "orders/paid", order_json(make_order(customer_id=CUSTOMER, subtotal="200.00")))
    await drainer.wake()
    second = make_order(customer_id=CUSTOMER, subtotal="10.00")
    await post_webhook(client, "orders/paid", order_json(second))
    await drainer.wake()
    # then the second order earned 1.5 × 2 × 10 and says so
    async with db.sessions() as session:
        entry = (await session.execute(select(LedgerEntry).where(LedgerEntry.order_id == second.id))).scalar_one()
    assert (entry.delta, entry.rate, entry.multiplier) == (30, 1.5, 2)
    assert await points(db, CUSTOMER) == 300 + 30


@pytest.mark.parametrize("batched", [False, True], ids=["one_at_a_time", "in_one_batch"])
@pytest.mark.parametrize("arrival", ["placed_order", "reversed"])
async def test_the_multiplier_is_the_tier_held_when_the_order_was_placed(
    client, drainer, db, shop_id, batched, arrival
):
    # given a program where Silver (from 200) earns double, and two orders placed a minute apart
    tiers = default_program().document()["tiers"]
    tiers[1]["multiplier"] = 2
    await _program(db, shop_id, tiers=tiers)
    placed = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    first = make_order(customer_id=CUSTOMER, subtotal="200.00", processed_at=placed)
    second = make_order(customer_id=CUSTOMER, subtotal="10.00", processed_at=placed + timedelta(minutes=1))
    orders = [first, second] if arrival == "placed_order" else [second, first]
    # when both are paid, the worker taking them together or apart
    for order in orders:
        await post_webhook(client, "orders/paid", order_json(order))
        if not batched:
            await drainer.wake()
    await drainer.wake()
    # then the first earns at Member (×1); the second earns at Silver (×2) whenever the first was
    # already known, however the deliveries were grouped
    async with db.sessions() as session:
        entries = dict((await session.execute(select(LedgerEntry.order_id, LedgerEntry.multiplier))).all())
    known_first = arrival == "placed_order" or batched
    assert entries == {first.id: 1, second.id: 2 if known_first else 1}


async def test_tiers_move_with_spend_and_every_move_is_recorded(client, drainer, db, shop_id):
    # given a customer crossing Silver (200) and Gold (500)
    first = make_order(customer_id=CUSTOMER, subtotal="250.00")
    second = make_order(customer_id=CUSTOMER, subtotal="260.00")
    await post_webhook(client, "orders/paid", order_json(first))
    await drainer.wake()
    assert (await accounts(db))[CUSTOMER].tier == "Silver"
    await post_webhook(client, "orders/paid", order_json(second))
    await drainer.wake()
    assert (await accounts(db))[CUSTOMER].tier == "Gold"
    # when a refund brings the spend back under 500
    await post_webhook(client, "refunds/create", refund_json(second, refund_id=51, amount="100.00"))
    await drainer.wake()
    # then the tier falls back, and each change is on record
    assert (await accounts(db))[CUSTOMER].tier == "Silver"
    assert await tier_changes(db) == [("Member", "Silver"), ("Silver", "Gold"), ("Gold", "Silver")]


@time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
async def test_an_order_thirteen_months_old_counts_for_lifetime_not_rolling_twelve_months(
    client, drainer, db, shop_id, services
):
    # given a 300.00 order placed thirteen months ago
    old = make_order(customer_id=CUSTOMER, subtotal="300.00", processed_at=datetime(2025, 10, 23, 12, 0, tzinfo=UTC))
    await post_webhook(client, "orders/paid", order_json(old))
    await drainer.wake()
    # then under the lifetime window the customer is Silver
    async with db.sessions() as session:
        lifetime = await loyalty_service.member_view(session, shop_id=shop_id, customer_id=CUSTOMER, shop_timezone=None)
    assert (lifetime.tier, lifetime.spend) == ("Silver", 300)
    # when the merchant switches to a rolling twelve-month window
    await _program(db, shop_id, tier_window="rolling_12_months")
    async with db.sessions() as session:
        rolling = await loyalty_service.member_view(session, shop_id=shop_id, customer_id=CUSTOMER, shop_timezone=None)
    # then the old order no longer counts, at once: the tier shown agrees with its own progress bar
    assert (rolling.tier, rolling.spend) == ("Member", 0)
    assert rolling.next_tier is not None
    assert (rolling.next_tier.name, rolling.next_tier.remaining) == ("Silver", 200)
    # and the hourly recompute records the stored tier's move
    await recompute_tiers({"services": services})
    assert (await accounts(db))[CUSTOMER].tier == "Member"
    assert await tier_changes(db) == [("Member", "Silver"), ("Silver", "Member")]


async def test_calendar_year_resets_on_first_january_in_the_shops_time_zone(client, drainer, db, shop_id, services):
    # given a shop in Seoul on the calendar-year window, and a 250.00 order on 31 December
    async with db.unit_of_work() as session:
        await session.execute(update(Shop).where(Shop.id == shop_id).values(iana_timezone="Asia/Seoul"))
    await _program(db, shop_id, tier_window="calendar_year")
    with time_machine.travel(datetime(2026, 12, 31, 14, 0, tzinfo=UTC), tick=False):  # 23:00 in Seoul
        await post_webhook(client, "orders/paid", order_json(make_order(customer_id=CUSTOMER, subtotal="250.00")))
        await drainer.wake()
        assert (await accounts(db))[CUSTOMER].tier == "Silver"
    # when the nightly recompute runs at 23:59 Seoul time, nothing moves yet
    with time_machine.travel(datetime(2026, 12, 31, 14, 59, tzinfo=UTC), tick=False):
        await recompute_tiers({"services": services})
        assert (await accounts(db))[CUSTOMER].tier == "Silver"
    # and at 00:30 on 1 January in Seoul (still 31 December in UTC) the year has turned
    with time_machine.travel(datetime(2026, 12, 31, 15, 30, tzinfo=UTC), tick=False):
        await recompute_tiers({"services": services})
        assert (await accounts(db))[CUSTOMER].tier == "Member"
    assert await tier_changes(db) == [("Member", "Silver"), ("Silver", "Member")]


async def test_order_state_tracks_what_the_ledger_holds(client, drainer, db, shop_id):
    # given an order with a refund and a cancellation
    order = make_order(customer_id=CUSTOMER, subtotal="90.00")
    await post_webhook(client, "orders/paid", order_json(order))
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=61, amount="30.00"))
    await drainer.wake()
    # then the order row's cached figures agree with the ledger
    async with db.sessions() as session:
        row = (await session.execute(select(LoyaltyOrder).where(LoyaltyOrder.order_id == order.id))).scalar_one()
    assert (row.points_earned, row.points_reversed, row.refunded_subtotal) == (90, 30, 30)
    assert await points(db, CUSTOMER) == row.points_earned - row.points_reversed


async def test_cents_add_up_exactly_to_a_threshold(client, drainer, db, shop_id):
    # given three orders whose subtotals sum to exactly 200.00 (as binary floats they would not)
    for subtotal in ("66.67", "66.67", "66.66"):
        await post_webhook(client, "orders/paid", order_json(make_order(customer_id=CUSTOMER, subtotal=subtotal)))
    await drainer.wake()
    # then the spend is exactly 200 and the customer is Silver with no cent to go
    async with db.sessions() as session:
        view = await loyalty_service.member_view(session, shop_id=shop_id, customer_id=CUSTOMER, shop_timezone=None)
    assert (view.spend, view.tier) == (Decimal("200.00"), "Silver")
    assert isinstance(view.spend, Decimal)
    assert (await accounts(db))[CUSTOMER].tier == "Silver"


async def test_thousandths_of_a_dinar_are_neither_rounded_up_nor_lost(client, drainer, db, shop_id):
    async def figures(order_id: int) -> tuple[LoyaltyOrder, MemberView]:
        async with db.sessions() as session:
            row = (await session.execute(select(LoyaltyOrder).where(LoyaltyOrder.order_id == order_id))).scalar_one()
            view = await loyalty_service.member_view(session, shop_id=shop_id, customer_id=CUSTOMER, shop_timezone=None)
        return row, view

    # given a Kuwaiti shop's order of 199.999 KWD (to two decimals it would be 200.00: 200 points, Silver)
    order = make_order(customer_id=CUSTOMER, subtotal="199.999", currency="KWD")
    await post_webhook(client, "orders/paid", order_json(order))
    await drainer.wake()
    row, view = await figures(order.id)
    # then it earns 199 points and the customer is one fils short of Silver
    assert (row.subtotal, row.points_earned) == (Decimal("199.999"), 199)
    assert (view.spend, view.tier, view.next_tier.remaining) == (Decimal("199.999"), "Member", Decimal("0.001"))
    # when 99.999 is refunded, floor(199 × 99.999 / 199.999) = 99 points come back
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=81, amount="99.999"))
    await drainer.wake()
    row, view = await figures(order.id)
    assert (row.refunded_subtotal, row.points_reversed) == (Decimal("99.999"), 99)
    assert (view.points, view.spend) == (100, Decimal("100.000"))


async def test_two_shops_with_the_same_order_and_customer_ids_keep_apart(client, store_client, drainer, db, shop_id):
    # given a second shop, and the same order id and customer id arriving from both
    other = "second-shop.myshopify.com"
    await install_shop(client, store_client, domain=other)
    order = make_order(customer_id=CUSTOMER, subtotal="120.00")
    await post_webhook(client, "orders/paid", order_json(order))
    await post_webhook(
        client, "orders/paid", order_json(order.model_copy(update={"lines": order.lines * 2}), shop=other), shop=other
    )
    await post_webhook(client, "refunds/create", refund_json(order, refund_id=71, amount="60.00"), shop=other)
    await drainer.wake()
    # then each shop has its own member, entries and figures
    async with db.sessions() as session:
        other_id = (await session.execute(select(Shop.id).where(Shop.domain == other))).scalar_one()
        views = {
            sid: await loyalty_service.member_view(session, shop_id=sid, customer_id=CUSTOMER, shop_timezone=None)
            for sid in (shop_id, other_id)
        }
    assert (views[shop_id].points, views[shop_id].spend) == (120, 120)
    assert (views[other_id].points, views[other_id].spend) == (240 - 60, 180)
    assert [line.delta for line in views[shop_id].ledger] == [120]
    assert sorted(line.delta for line in views[other_id].ledger) == [-60, 240]
