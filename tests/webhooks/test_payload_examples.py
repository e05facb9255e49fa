"""Shopify's own example bodies (tests/data/shopify/payloads/2026-04) go through the whole path: those
of topics we subscribe to are accepted, kept and processed by their handler, never failed; the others
are refused at the door.

The examples belong to Shopify's sample shop `jsmith.myshopify.com` (the order examples' status URL
names it), so that is the shop installed here; the compliance examples name their shop with the
placeholder `{shop}.myshopify.com`, which is filled in with it before they are sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.shops.models import ComplianceExport, Shop, ShopToken
from loyalty.models import LoyaltyOrder, LoyaltyRefund
from tests.factories import install_shop, post_webhook
from tests.loyalty.ledger import points
from tests.shopify import load_payload, load_payload_bytes, payload_topics
from webhooks.endpoint import accepted_topics
from webhooks.models import InboxStatus, WebhookInbox

# Topics the product must handle (points from orders, the mandatory compliance topics,
# the app's own lifecycle). A handler added later for another topic is expected to process it too.
MUST_HANDLE = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "refunds/create",
        "app/uninstalled",
        "app/scopes_update",
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    }
)
TOPICS = payload_topics()
CUSTOMER = 7_000_000_000_001
SHOP = "jsmith.myshopify.com"


def _example(topic: str) -> bytes:
    return load_payload_bytes(topic).replace(b"{shop}.myshopify.com", SHOP.encode())


async def _install(client, store_client) -> None:
    await install_shop(client, store_client, domain=SHOP)


async def _rows(db) -> list[WebhookInbox]:
    async with db.sessions() as session:
        return list((await session.execute(select(WebhookInbox).order_by(WebhookInbox.id))).scalars())


async def _shop(db) -> Shop | None:
    async with db.sessions() as session:
        return (await session.execute(select(Shop).where(Shop.domain == SHOP))).scalar_one_or_none()


async def test_examples_cover_every_topic_we_must_handle():
    assert set(payload_topics()) >= MUST_HANDLE


async def test_we_subscribe_to_every_topic_we_must_handle():
    assert accepted_topics() >= MUST_HANDLE


@pytest.mark.parametrize("topic", TOPICS)
async def test_example_payload_is_handled_if_subscribed_and_refused_if_not(client, store_client, drainer, db, topic):
    # given
    await _install(client, store_client)

    # when
    response = await post_webhook(client, topic, _example(topic), shop=SHOP, webhook_id=f"example:{topic}")
    await drainer.wake()

    # then
    rows = await _rows(db)
    if topic not in accepted_topics():
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "unknown_topic"
        assert rows == []
        return
    assert response.status_code == 200, response.text
    [row] = rows
    assert row.topic == topic
    if topic == "shop/redact":
        # An installed shop is never erased (its erasure after an uninstall is tested below).
        assert row.status == InboxStatus.IGNORED, row.last_error
        return
    assert (row.status, row.last_error, row.attempts) == (InboxStatus.PROCESSED, None, 1)


ORDER_TOPICS = ["orders/create", "orders/updated", "orders/paid", "orders/cancelled"]


@pytest.mark.parametrize("topic", ORDER_TOPICS)
async def test_an_order_example_is_read_for_what_it_says(client, store_client, drainer, db, topic):
    # given Shopify's example (a voided, cancelled test order) and a live, paid copy of it with a customer
    example = load_payload(topic)
    live = example | {
        "id": example["id"] + 1,
        "test": False,
        "financial_status": "paid",
        "cancelled_at": None,
        "refunds": [],
        "customer": {"id": CUSTOMER},
    }
    await _install(client, store_client)
    # when both are delivered on that topic
    await post_webhook(client, topic, example, shop=SHOP)
    await post_webhook(client, topic, live, shop=SHOP)
    await drainer.wake()
    # then the handler recorded the example as the test order it is, and it earned nothing
    async with db.sessions() as session:
        orders = {o.order_id: o for o in (await session.execute(select(LoyaltyOrder))).scalars()}
    recorded = orders[example["id"]]
    assert (recorded.test, recorded.paid, recorded.cancelled) == (True, False, True)
    assert recorded.points_earned == 0
    # and the live copy earned floor(current subtotal in shop money), as the contract says
    subtotal = Decimal(example["current_subtotal_price_set"]["shop_money"]["amount"])
    assert orders[live["id"]].subtotal == subtotal
    assert await points(db, CUSTOMER) == int(subtotal)


async def test_the_refund_example_is_recorded_with_its_lines(client, store_client, drainer, db):
    # given Shopify's refunds/create example
    example = load_payload("refunds/create")
    await _install(client, store_client)
    # when it is delivered
    await post_webhook(client, "refunds/create", example, shop=SHOP)
    await drainer.wake()
    # then the refund is kept against its order, for when the order's payment is heard
    async with db.sessions() as session:
        (refund,) = (await session.execute(select(LoyaltyRefund))).scalars()
    lines = sum(Decimal(line["subtotal_set"]["shop_money"]["amount"]) for line in example["refund_line_items"])
    assert (refund.refund_id, refund.order_id, refund.subtotal) == (example["id"], example["order_id"], lines)


async def test_all_examples_in_one_batch_are_handled_and_none_fails(client, store_client, drainer, db):
    # given
    await _install(client, store_client)
    # shop/redact erases the shop: tested on its own
    topics = [t for t in payload_topics() if t in accepted_topics() and t != "shop/redact"]
    for topic in topics:
        assert (await post_webhook(client, topic, _example(topic), shop=SHOP)).status_code == 200

    # when
    await drainer.wake()

    # then
    statuses = {row.topic: row.status for row in await _rows(db)}
    assert statuses == dict.fromkeys(topics, InboxStatus.PROCESSED)


async def test_shop_redact_example_erases_the_shop(client, store_client, drainer, db):
    # given
    await _install(client, store_client)
    assert (await post_webhook(client, "app/uninstalled", _example("app/uninstalled"), shop=SHOP)).status_code == 200
    await drainer.wake()

    # when
    response = await post_webhook(client, "shop/redact", _example("shop/redact"), shop=SHOP, webhook_id="redact")
    await drainer.wake()

    # then
    assert response.status_code == 200, response.text
    assert await _shop(db) is None
    [row] = await _rows(db)
    assert (row.webhook_id, row.status, row.body) == ("redact", InboxStatus.PROCESSED, None)


async def test_app_uninstalled_example_marks_the_shop_uninstalled(client, store_client, drainer, db):
    # given
    await _install(client, store_client)

    # when
    await post_webhook(client, "app/uninstalled", _example("app/uninstalled"), shop=SHOP)
    await drainer.wake()

    # then
    shop = await _shop(db)
    assert shop is not None
    assert shop.uninstalled_at is not None
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(ShopToken))).scalar_one() == 0


async def test_scopes_update_example_records_the_current_scopes(client, store_client, drainer, db):
    # given
    await _install(client, store_client)
    current = load_payload("app/scopes_update")["current"]

    # when
    await post_webhook(client, "app/scopes_update", _example("app/scopes_update"), shop=SHOP)
    await drainer.wake()

    # then
    shop = await _shop(db)
    assert shop is not None
    assert shop.scopes.split(",") == current


async def test_data_request_example_prepares_an_export_for_its_customer(client, store_client, drainer, db):
    # given
    await _install(client, store_client)
    example = load_payload("customers/data_request")

    # when
    await post_webhook(client, "customers/data_request", _example("customers/data_request"), shop=SHOP)
    await drainer.wake()

    # then
    async with db.sessions() as session:
        [export] = (await session.execute(select(ComplianceExport))).scalars().all()
    assert (export.customer_id, export.data_request_id) == (example["customer"]["id"], example["data_request"]["id"])
