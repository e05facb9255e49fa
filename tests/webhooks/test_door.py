"""The webhook door against hostile deliveries: Shopify's HMAC covers the body only, so a validly signed
body can arrive with any headers. Headers are held to their format and range at the door; what a body
says about its shop must agree with the headers; one bad row never blocks a shared commit or the
worker's pass; bodies are bounded in size, time and number read at once. A fuzz of the headers
around a signed body ends with no 5xx, no stuck inbox and no change in another shop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update

from app.core.clock import utcnow
from app.shops.models import Shop, ShopToken
from loyalty.models import LedgerEntry, Member
from tests.app.support import assert_error
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook, signed
from tests.fuzzing import fuzz, on_loop
from tests.loyalty.ledger import points
from webhooks import endpoint
from webhooks.endpoint import accepted_topics
from webhooks.envelope import Envelope
from webhooks.inbox import insert_rows, row_values
from webhooks.intake import InboxWriter, sink_for
from webhooks.models import InboxStatus, WebhookInbox

OTHER = "other-shop.myshopify.com"
CUSTOMER = 7_000_000_000_001
SHOP_IDS = {SHOP: 548380009, OTHER: 548380010}


async def _rows(db) -> list[WebhookInbox]:
    async with db.sessions() as session:
        return list((await session.execute(select(WebhookInbox).order_by(WebhookInbox.id))).scalars())


async def _shop(db, domain: str) -> Shop:
    async with db.sessions() as session:
        return (await session.execute(select(Shop).where(Shop.domain == domain))).scalar_one()


async def _two_synced_shops(client, store_client, db, drainer) -> None:
    """Two installed shops whose Shopify ids are known (read at install, as the sync job does), the
    other shop with a customer who earned 100 points."""
    for domain in (SHOP, OTHER):
        await install_shop(client, store_client, domain=domain)
        async with db.unit_of_work() as session:
            await session.execute(
                update(Shop)
                .where(Shop.domain == domain)
                .values(shopify_shop_gid=f"gid://shopify/Shop/{SHOP_IDS[domain]}")
            )
    order = make_order(customer_id=CUSTOMER, subtotal="100.00")
    assert (await post_webhook(client, "orders/paid", _order_body_of(OTHER, order), shop=OTHER)).status_code == 200
    await drainer.wake()
    assert await _other_shop_state(db) == _other_intact()


def _order_body_of(domain: str, order=None) -> dict[str, Any]:
    body = order_json(order or make_order(customer_id=CUSTOMER), shop=domain)
    return body | {"order_status_url": f"https://{domain}/{SHOP_IDS[domain]}/orders/abc/authenticate?key=k"}


async def _other_shop_state(db) -> dict[str, Any]:
    async with db.sessions() as session:
        shop = (await session.execute(select(Shop).where(Shop.domain == OTHER))).scalar_one_or_none()
        if shop is None:
            return {"shop": None}
        tokens = (
            await session.execute(select(func.count()).select_from(ShopToken).where(ShopToken.shop_id == shop.id))
        ).scalar_one()
        balances = (
            await session.execute(select(Member.customer_id, Member.points_balance).where(Member.shop_id == shop.id))
        ).all()
        entries = (
            await session.execute(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.shop_id == shop.id))
        ).scalar_one()
    return {
        "installed": shop.uninstalled_at is None,
        "scopes": bool(shop.scopes),
        "tokens": tokens,
        "balances": sorted(balances),
        "entries": entries,
    }


def _other_intact() -> dict[str, Any]:
    return {"installed": True, "scopes": True, "tokens": 1, "balances": [(CUSTOMER, 100)], "entries": 1}


# --- headers at the door ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Shopify-Triggered-At", "0001-01-01T00:00:00+14:00"),
        ("X-Shopify-Triggered-At", "9999-12-31T23:59:59+00:00"),
        ("X-Shopify-Triggered-At", "yesterday"),
        ("X-Shopify-Triggered-At", "2026-11-29T10:00:00"),
        ("X-Shopify-Webhook-Id", "abc\x00def"),
        ("X-Shopify-Webhook-Id", "has space"),
        ("X-Shopify-Webhook-Id", "é".encode() * 10),
        ("X-Shopify-Event-Id", "x" * 256),
        ("X-Shopify-Event-Id", "tab\there"),
        ("X-Shopify-Topic", "orders/paid" + "x" * 200),
        ("X-Shopify-API-Version", "latest"),
    ],
    ids=[
        "_case=trigger_year_1",
        "_case=trigger_year_9999",
        "_case=trigger_words",
        "_case=trigger_without_zone",
        "_case=nul_in_webhook_id",
        "_case=space_in_webhook_id",
        "_case=non_ascii_webhook_id",
        "_case=long_event_id",
        "_case=control_in_event_id",
        "_case=long_topic",
        "_case=api_version_words",
    ],
)
async def test_a_malformed_header_around_a_signed_body_is_400_and_not_kept(client, db, header, value):
    # given a correctly signed body
    body = orjson.dumps(_order_body_of(SHOP))
    headers = signed(body, "orders/paid") | {header: value}
    # when
    response = await client.post("/webhooks", content=body, headers=headers)
    # then
    assert_error(response, 400)
    assert await _rows(db) == []


async def test_a_legitimate_delivery_beside_a_refused_one_is_kept(client, db):
    # given a malformed and a good delivery arriving together
    body = orjson.dumps(_order_body_of(SHOP))
    bad = signed(body, "orders/paid", webhook_id="bad") | {"X-Shopify-Triggered-At": "0001-01-01T00:00:00+14:00"}
    good = signed(body, "orders/paid", webhook_id="good")
    # when
    answers = await asyncio.gather(
        client.post("/webhooks", content=body, headers=bad), client.post("/webhooks", content=body, headers=good)
    )
    # then
    assert [a.status_code for a in answers] == [400, 200]
    assert [row.webhook_id for row in await _rows(db)] == ["good"]


# --- what the body says about its shop -----------------------------------------------------------


async def test_an_order_body_sent_as_another_shops_erasure_erases_nothing(client, store_client, db, drainer):
    # given two shops, and an orders/paid body signed for the first
    await _two_synced_shops(client, store_client, db, drainer)
    body = orjson.dumps(_order_body_of(SHOP))
    # when it is re-sent as shop/redact (and customers/redact) of the other shop
    for topic in ("shop/redact", "customers/redact", "customers/data_request", "app/uninstalled", "app/scopes_update"):
        assert (await post_webhook(client, topic, body, shop=OTHER, webhook_id=f"forged:{topic}")).status_code == 200
    await drainer.wake()
    # then nothing of the other shop changed, and each forged row failed as a bad payload
    assert await _other_shop_state(db) == _other_intact()
    forged = [row for row in await _rows(db) if row.webhook_id.startswith("forged:")]
    assert {row.status for row in forged} == {InboxStatus.FAILED}


async def test_a_compliance_body_naming_another_shop_is_a_bad_payload(client, store_client, db, drainer):
    # given
    await _two_synced_shops(client, store_client, db, drainer)
    redact = {"shop_domain": SHOP, "customer": {"id": CUSTOMER}, "orders_to_redact": []}
    # when the first shop's redaction arrives under the other shop's header
    await post_webhook(client, "customers/redact", redact, shop=OTHER, webhook_id="misdirected")
    await drainer.wake()
    # then
    [row] = [r for r in await _rows(db) if r.webhook_id == "misdirected"]
    assert row.status == InboxStatus.FAILED
    assert "another shop" in row.last_error
    assert await _other_shop_state(db) == _other_intact()


async def test_a_compliance_body_with_another_shop_id_is_a_bad_payload(client, store_client, db, drainer):
    # given
    await _two_synced_shops(client, store_client, db, drainer)
    redact = {"shop_domain": OTHER, "shop_id": SHOP_IDS[SHOP], "customer": {"id": CUSTOMER}}
    # when
    await post_webhook(client, "customers/redact", redact, shop=OTHER, webhook_id="wrong-id")
    await drainer.wake()
    # then
    [row] = [r for r in await _rows(db) if r.webhook_id == "wrong-id"]
    assert row.status == InboxStatus.FAILED
    assert await points(db, CUSTOMER) == 100


async def test_shop_redact_never_erases_an_installed_shop(client, store_client, db, drainer):
    # given an installed shop
    await _two_synced_shops(client, store_client, db, drainer)
    # when its own, correctly addressed erasure arrives while it is installed
    await post_webhook(client, "shop/redact", {"shop_domain": OTHER, "shop_id": SHOP_IDS[OTHER]}, shop=OTHER)
    await drainer.wake()
    # then it is ignored
    assert await _other_shop_state(db) == _other_intact()
    assert (await _rows(db))[-1].status == InboxStatus.IGNORED


@pytest.mark.parametrize(
    "status_url",
    [
        f"https://{SHOP}/{SHOP_IDS[SHOP]}/orders/abc/authenticate?key=k",
        f"https://www.custom-domain.example/{SHOP_IDS[SHOP]}/orders/abc/authenticate?key=k",
    ],
    ids=["_case=myshopify_domain", "_case=custom_domain_with_the_first_shops_id"],
)
async def test_an_order_of_one_shop_delivered_as_anothers_earns_nothing(client, store_client, db, drainer, status_url):
    # given an order of the first shop (its status URL names it)
    await _two_synced_shops(client, store_client, db, drainer)
    order = make_order(customer_id=CUSTOMER, subtotal="500.00")
    body = order_json(order, shop=SHOP) | {"order_status_url": status_url}
    # when it is delivered under the other shop's header
    await post_webhook(client, "orders/paid", body, shop=OTHER, webhook_id="moved")
    await drainer.wake()
    # then
    [row] = [r for r in await _rows(db) if r.webhook_id == "moved"]
    assert row.status == InboxStatus.FAILED
    assert await _other_shop_state(db) == _other_intact()


async def test_an_order_on_the_shops_custom_domain_earns(client, store_client, db, drainer):
    # given the other shop's order, whose status URL is on its own custom domain
    await _two_synced_shops(client, store_client, db, drainer)
    order = make_order(customer_id=CUSTOMER, subtotal="30.00")
    status_url = f"https://shop.example.kr/{SHOP_IDS[OTHER]}/orders/abc/authenticate?key=k"
    # when
    await post_webhook(
        client, "orders/paid", order_json(order, shop=OTHER) | {"order_status_url": status_url}, shop=OTHER
    )
    await drainer.wake()
    # then
    async with db.sessions() as session:
        shop_id = (await _shop(db, OTHER)).id
        balance = (
            await session.execute(
                select(Member.points_balance).where(Member.shop_id == shop_id, Member.customer_id == CUSTOMER)
            )
        ).scalar_one()
    assert balance == 130


# --- one bad row, not every shop's inbox ----------------------------------------------------------


def _envelope(webhook_id: str, *, shop_domain: Any = SHOP) -> Envelope:
    return Envelope(shop_domain, "orders/paid", webhook_id, "2026-04", None, None)


async def test_a_row_the_database_refuses_fails_alone_in_a_shared_commit(db):
    # given the real group commit, and two deliveries that reach it together, one of which the
    # database refuses (the door would have refused it; this is what the door cannot foresee)
    writer = InboxWriter(sink_for(db), linger_seconds=0.05, max_batch=16)
    body = orjson.dumps(_order_body_of(SHOP))
    try:
        # when
        results = await asyncio.gather(
            writer.submit(_envelope("good"), body),
            writer.submit(_envelope("refused", shop_domain=None), body),
            return_exceptions=True,
        )
    finally:
        await writer.drain()
    # then only the refused row failed
    assert results[0] is None
    assert isinstance(results[1], Exception)
    assert [row.webhook_id for row in await _rows(db)] == ["good"]


async def test_a_row_that_cannot_be_read_back_is_set_aside_and_the_rest_processed(
    client, store_client, db, drainer, dialect
):
    # given an installed shop with two pending deliveries, one holding a time before year 1 (stored
    # by an earlier version that let any X-Shopify-Triggered-At in)
    await install_shop(client, store_client)
    body = orjson.dumps(_order_body_of(SHOP, make_order(customer_id=CUSTOMER, subtotal="40.00")))
    rows = [row_values(_envelope(name), body, utcnow()) for name in ("unreadable", "fine")]
    async with db.engine.begin() as conn:
        await insert_rows(conn, rows)
        ancient = "0001-01-01T00:00:00+14:00" if dialect == "postgresql" else "0000-12-31 10:00:00.000000"
        await conn.execute(
            text("UPDATE webhook_inbox SET triggered_at = :at WHERE webhook_id = 'unreadable'"), {"at": ancient}
        )
    # when the worker drains
    await drainer.wake()
    # then the unreadable row is failed, the other one processed, and nothing is left due
    async with db.sessions() as session:
        statuses = dict((await session.execute(select(WebhookInbox.webhook_id, WebhookInbox.status))).all())
        error = (
            await session.execute(select(WebhookInbox.last_error).where(WebhookInbox.webhook_id == "unreadable"))
        ).scalar_one()
    assert statuses == {"unreadable": InboxStatus.FAILED, "fine": InboxStatus.PROCESSED}
    assert error.startswith("unreadable row")
    assert await points(db, CUSTOMER) == 40


# --- bodies: size, time, number at once -----------------------------------------------------------


async def _stalling(first: bytes) -> AsyncIterator[bytes]:
    yield first
    await asyncio.sleep(3600)
    yield b""


async def test_a_webhook_body_that_stalls_is_cut_off(client, monkeypatch):
    monkeypatch.setattr(endpoint, "BODY_DEADLINE_SECONDS", 0.3)
    headers = signed(b"{}", "orders/paid")
    response = await asyncio.wait_for(client.post("/webhooks", content=_stalling(b"{"), headers=headers), timeout=5)
    assert_error(response, 408, "body_timeout")


async def test_a_declared_webhook_body_over_the_limit_is_refused_unread(client):
    headers = signed(b"{}", "orders/paid") | {"Content-Length": str(endpoint.MAX_BODY_BYTES + 1)}
    response = await asyncio.wait_for(client.post("/webhooks", content=_stalling(b"{"), headers=headers), timeout=5)
    assert_error(response, 413, "body_too_large")


async def test_bodies_read_at_once_are_capped_and_the_next_is_told_to_retry(app, client, db, monkeypatch):
    # given a door that reads one body at a time, busy with a body that stalls
    monkeypatch.setattr(endpoint, "READ_TURN_WAIT_SECONDS", 0.2)
    app._intake.reading = asyncio.Semaphore(1)
    slow = asyncio.create_task(client.post("/webhooks", content=_stalling(b"{"), headers=signed(b"{}", "orders/paid")))
    await asyncio.sleep(0.1)
    try:
        # when another delivery arrives
        body = orjson.dumps(_order_body_of(SHOP))
        response = await client.post("/webhooks", content=body, headers=signed(body, "orders/paid"))
    finally:
        slow.cancel()
    # then it is told to come back (Shopify retries), and nothing was kept
    assert_error(response, 503, "busy")
    assert await _rows(db) == []


# --- fuzz -------------------------------------------------------------------------------------------

_texts = st.text(max_size=300)
_topics = st.one_of(st.sampled_from([*sorted(accepted_topics()), "orders/reconciled", "Orders/Paid"]), _texts)
_shops = st.one_of(st.sampled_from([SHOP, OTHER, OTHER.upper(), f" {OTHER} "]), _texts)
_times = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.just(""),
    _texts,
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-14:00"]),
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "X-Shopify-Topic": _topics,
        "X-Shopify-Shop-Domain": _shops,
        "X-Shopify-Webhook-Id": _texts,
        "X-Shopify-Event-Id": _texts,
        "X-Shopify-Triggered-At": _times,
        "X-Shopify-API-Version": st.one_of(st.just("2026-04"), _texts),
    },
)


def _as_sent(headers: dict[str, str]) -> dict[str, bytes]:
    """As bytes on the wire: UTF-8, line breaks folded (a client could send any of these octets)."""
    return {k: v.replace("\r", " ").replace("\n", " ").encode() for k, v in headers.items()}


async def test_random_headers_around_a_signed_body_never_fail_stick_or_reach_another_shop(
    client, store_client, db, drainer
):
    # given two shops, and an order body of the first shop, validly signed
    await _two_synced_shops(client, store_client, db, drainer)
    body = orjson.dumps(_order_body_of(SHOP, make_order(customer_id=CUSTOMER + 1, subtotal="10.00")))
    call = on_loop()
    statuses: list[int] = []

    def check(headers: dict[str, str]) -> None:
        sent = signed(body, "orders/paid") | _as_sent(headers)
        # when
        response = call(client.post("/webhooks", content=body, headers=sent))
        # then never a 5xx, always the contract's shape
        assert response.status_code < 500, (sent, response.text)
        statuses.append(response.status_code)
        if response.status_code != 200:
            assert set(response.json()) == {"error", "detail"}

    await fuzz(_headers, check, max_examples=150)
    await drainer.wake()
    # then the inbox holds nothing due, the other shop is as it was, and a real delivery still goes through
    async with db.sessions() as session:
        due = (
            await session.execute(
                select(func.count())
                .select_from(WebhookInbox)
                .where(WebhookInbox.status == InboxStatus.PENDING, WebhookInbox.next_attempt_at <= utcnow())
            )
        ).scalar_one()
    assert due == 0
    assert await _other_shop_state(db) == _other_intact()
    assert {200, 400} <= set(statuses)
    real = make_order(customer_id=CUSTOMER, subtotal="5.00")
    assert (await post_webhook(client, "orders/paid", _order_body_of(OTHER, real), shop=OTHER)).status_code == 200
    await drainer.wake()
    assert (await _other_shop_state(db))["balances"] == [(CUSTOMER, 105)]
