"""Reconciliation: orders the webhooks never delivered reach the ledger through GraphQL and the inbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select

from app.core.clock import utcnow
from app.devstore.payloads import order_payload, refund_payload
from app.devstore.state import DevLine, DevRefund
from app.shops.models import Shop
from app.worker import reconcile_orders
from tests.factories import SHOP, install_shop, post_webhook
from tests.loyalty.ledger import accounts, points
from webhooks.models import InboxSource, WebhookInbox


async def _reconciled_rows(db) -> list[WebhookInbox]:
    async with db.sessions() as session:
        query = select(WebhookInbox).where(WebhookInbox.source == InboxSource.RECONCILE.value)
        return list((await session.execute(query)).scalars())


async def test_an_order_the_webhooks_never_delivered_is_credited_by_reconciliation(
    client, store_client, devstore, services, drainer, db
):
    # given an installed shop whose customer paid for an order Shopify never told us about
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Min", "Park", "min@example.com")
    order = devstore.place_order(SHOP, customer_id=customer.id, lines=[DevLine(title="Mug", price=Decimal("64.90"))])
    # when reconciliation runs and the worker drains
    assert await reconcile_orders({"services": services}) == 1
    await drainer.wake()
    # then the points are there, through the same inbox path as a webhook
    assert await points(db, customer.id) == 64
    rows = await _reconciled_rows(db)
    assert [(row.topic, row.status, row.order_id) for row in rows] == [("orders/reconciled", "processed", order.id)]
    # and a second run finds nothing new
    assert await reconcile_orders({"services": services}) == 0


async def test_reconciliation_catches_a_refund_whose_webhook_was_lost(
    client, store_client, devstore, services, drainer, db
):
    # given an order whose paid webhook did arrive
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Noa", "Levi", "noa@example.com")
    order = devstore.place_order(SHOP, customer_id=customer.id, lines=[DevLine(title="Lamp", price=Decimal("150.00"))])
    shop = devstore.shop(SHOP)
    await post_webhook(client, "orders/paid", order_payload(shop, order))
    await drainer.wake()
    assert await reconcile_orders({"services": services}) == 0  # nothing we have not seen
    # when, a second later, 50.00 is refunded and that webhook is lost
    with time_machine.travel(order.updated_at + timedelta(seconds=1)):
        devstore.refund(SHOP, order.id, Decimal("50.00"))
    assert await reconcile_orders({"services": services}) == 1
    await drainer.wake()
    # then the refund's share came back, once
    account = (await accounts(db))[customer.id]
    assert account.points == 100
    assert [key for key, _ in account.entries][-1].startswith("refund:")


async def test_reconciliation_and_a_late_webhook_credit_once(client, store_client, devstore, services, drainer, db):
    # given an order first found by reconciliation
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Ada", "Obi", "ada@example.com")
    order = devstore.place_order(SHOP, customer_id=customer.id, lines=[DevLine(title="Pen", price=Decimal("12.00"))])
    await reconcile_orders({"services": services})
    await drainer.wake()
    # when its webhook finally arrives, a day late
    await post_webhook(client, "orders/paid", order_payload(devstore.shop(SHOP), order))
    await drainer.wake()
    # then it still earned once
    assert (await accounts(db))[customer.id].entries == [(f"earn:order:{order.id}", 12)]


async def test_reconciliation_asks_shopify_with_a_valid_query(client, store_client, devstore, services):
    # given an installed shop
    await install_shop(client, store_client)
    # when reconciliation runs
    await reconcile_orders({"services": services})
    # then the dev store answered an OrdersUpdatedSince query without GraphQL errors, filtered by updated_at
    asked = [op for op in services.devstore_app.state.received if "OrdersUpdatedSince" in op["query"]]
    assert asked
    assert asked[-1]["errors"] is None
    assert asked[-1]["variables"]["query"].startswith("updated_at:>'")


async def test_a_refund_of_more_lines_than_a_page_is_recorded_in_full(
    client, store_client, devstore, services, drainer, db
):
    # given an order of ten 10.00 lines whose paid webhook arrived
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Kim", "Lee", "kim@example.com")
    lines = [DevLine(title=f"Item {i}", price=Decimal("10.00")) for i in range(10)]
    order = devstore.place_order(SHOP, customer_id=customer.id, lines=lines)
    await post_webhook(client, "orders/paid", order_payload(devstore.shop(SHOP), order))
    await drainer.wake()
    # when nine lines are refunded, reconciliation sees it first, and the refund's own webhook comes later
    with time_machine.travel(order.updated_at + timedelta(seconds=1)):
        refund = DevRefund(id=devstore.state.new_id(), created_at=utcnow(), line_subtotals=[Decimal("10.00")] * 9)
        order.refunds.append(refund)
        order.financial_status = "partially_refunded"
        order.updated_at = utcnow()
    await reconcile_orders({"services": services})
    await drainer.wake()
    await post_webhook(client, "refunds/create", refund_payload(order, refund))
    await drainer.wake()
    # then 90 of the 100 points came back, not the 80 that the first page of lines holds
    assert await points(db, customer.id) == 10


async def test_an_order_with_more_refunds_than_a_page_is_reconciled_in_full(
    client, store_client, devstore, services, drainer, db
):
    # given a 200.00 order that earned through its webhook
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Ana", "Ruiz", "ana@example.com")
    order = devstore.place_order(SHOP, customer_id=customer.id, lines=[DevLine(title="Kit", price=Decimal("200.00"))])
    await post_webhook(client, "orders/paid", order_payload(devstore.shop(SHOP), order))
    await drainer.wake()
    # when seven refunds of 10.00 happen and all their webhooks are lost
    with time_machine.travel(order.updated_at + timedelta(seconds=1)):
        for _ in range(7):
            devstore.refund(SHOP, order.id, Decimal("10.00"))
    await reconcile_orders({"services": services})
    await drainer.wake()
    # then all seven were found (a first page holds five) and 70 points came back
    assert await points(db, customer.id) == 130
    asked = [op["query"] for op in services.devstore_app.state.received]
    assert any("OrderRefunds" in query for query in asked)


async def test_reconciliation_pages_past_the_first_page_and_then_starts_from_its_last_run(
    client, store_client, devstore, services, drainer, db
):
    # given 45 paid orders Shopify never told us about: more than two pages of 20
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Yuna", "Kim", "yuna@example.com")
    for cents in range(45):
        devstore.place_order(
            SHOP, customer_id=customer.id, lines=[DevLine(title="Sock", price=Decimal("10.00") + Decimal(cents) / 100)]
        )
    started = utcnow()
    # when reconciliation runs
    assert await reconcile_orders({"services": services}) == 45
    await drainer.wake()
    # then every one of them earned, and the shop remembers how far it got
    assert len((await accounts(db))[customer.id].entries) == 45
    async with db.sessions() as session:
        until = (await session.execute(select(Shop.orders_reconciled_until).where(Shop.domain == SHOP))).scalar_one()
    assert until is not None
    assert until >= started
    # and the next run asks only for what changed since then, less the overlap for clock skew
    await reconcile_orders({"services": services})
    asked = [op for op in services.devstore_app.state.received if "OrdersUpdatedSince" in op["query"]]
    first_run, second_run = asked[:3], asked[3:]
    assert [op["variables"]["after"] is None for op in first_run] == [True, False, False]
    since = until - services.settings.reconcile_overlap
    assert second_run[0]["variables"] == {
        "query": f"updated_at:>'{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'",
        "after": None,
    }


async def test_points_come_from_shop_money_when_the_shopper_paid_in_another_currency(
    client, store_client, devstore, services, drainer, db
):
    # given a USD shop whose customers pay in won (1 USD = 1350 KRW; the won has no minor unit): one
    # order arrives by webhook, one only through reconciliation
    await install_shop(client, store_client)
    customer = devstore.add_customer(SHOP, "Jiwoo", "Han", "jiwoo@example.com")
    delivered, found = (
        devstore.place_order(SHOP, customer_id=customer.id, lines=[DevLine(title="Tea", price=Decimal(price))])
        for price in ("40.00", "25.50")
    )
    for order in (delivered, found):
        order.presentment_currency, order.presentment_rate = "KRW", Decimal(1350)
    body = order_payload(devstore.shop(SHOP), delivered)
    assert body["current_subtotal_price_set"]["presentment_money"] == {"amount": "54000", "currency_code": "KRW"}
    await post_webhook(client, "orders/paid", body)
    await drainer.wake()
    assert await reconcile_orders({"services": services}) == 1
    await drainer.wake()
    # then each earned on its USD subtotal: 40 + 25, not tens of thousands
    assert (await accounts(db))[customer.id].points == 40 + 25
