"""`POST /webhooks` as docs/architecture.md describes it: 200 accepted (or duplicate, or not our shop), 401 bad HMAC,
400 missing header or body not JSON; the inbox keeps one row per delivery and per event."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from loyalty.models import LedgerEntry
from tests.conftest import API_SECRET
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook, signed
from webhooks.models import InboxStatus, WebhookInbox

PREVIOUS_SECRET = "the-secret-before-the-rotation-of-32-bytes"
REQUIRED_HEADERS = ["X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id"]


@pytest.fixture
def settings(settings, request):
    """Indirectly parametrised with a previous secret, the app is mid-rotation."""
    previous = getattr(request, "param", None)
    if previous is None:
        return settings
    return settings.model_copy(update={"shopify_api_secret_previous": SecretStr(previous)})


async def _rows(db) -> list[WebhookInbox]:
    async with db.sessions() as session:
        return list((await session.execute(select(WebhookInbox).order_by(WebhookInbox.id))).scalars())


async def _ledger(db) -> list[LedgerEntry]:
    async with db.sessions() as session:
        return list((await session.execute(select(LedgerEntry))).scalars())


def _order_body() -> bytes:
    return orjson.dumps(order_json(make_order(subtotal="25.00")))


def _assert_error(response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["detail"], str)
    assert body["detail"]


async def test_signed_webhook_is_accepted_into_the_inbox(client, db):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid", webhook_id="wh-accepted", event_id="ev-accepted")

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    assert response.status_code == 200, response.text
    [row] = await _rows(db)
    assert (row.shop_domain, row.topic, row.webhook_id, row.event_id) == (
        SHOP,
        "orders/paid",
        "wh-accepted",
        "ev-accepted",
    )
    assert row.api_version == "2026-04"
    assert row.triggered_at is not None
    assert row.status == InboxStatus.PENDING


async def test_wrong_secret_is_401_with_the_error_shape(client, db):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid", secret="not-" + API_SECRET)

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 401)
    assert await _rows(db) == []


@pytest.mark.parametrize("position", [0, 10, -1], ids=lambda p: f"_case=byte_{p}")
async def test_one_changed_byte_is_401(client, db, position):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid")
    tampered = bytearray(body)
    tampered[position] ^= 0x01

    # when
    response = await client.post("/webhooks", content=bytes(tampered), headers=headers)

    # then
    _assert_error(response, 401)
    assert await _rows(db) == []


async def test_missing_hmac_header_is_401(client, db):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid")
    del headers["X-Shopify-Hmac-Sha256"]

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 401)
    assert await _rows(db) == []


async def test_empty_hmac_header_is_401(client, db):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid") | {"X-Shopify-Hmac-Sha256": ""}

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 401)
    assert await _rows(db) == []


@pytest.mark.parametrize("header", REQUIRED_HEADERS, ids=lambda h: f"_case={h}")
async def test_missing_required_header_is_400(client, db, header):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid")
    del headers[header]

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 400)
    assert await _rows(db) == []


@pytest.mark.parametrize("header", REQUIRED_HEADERS, ids=lambda h: f"_case={h}")
async def test_blank_required_header_is_400(client, db, header):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid") | {header: "  "}

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 400)
    assert await _rows(db) == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Shopify-Shop-Domain", "evil.example.com"),
        ("X-Shopify-Shop-Domain", "loyal-test.myshopify.com.evil.com"),
        ("X-Shopify-Webhook-Id", "w" * 300),
        ("X-Shopify-Topic", "t" * 300),
    ],
    ids=["_case=foreign_domain", "_case=suffixed_domain", "_case=long_webhook_id", "_case=long_topic"],
)
async def test_malformed_required_header_is_400_not_5xx(client, db, header, value):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid") | {header: value}

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 400)
    assert await _rows(db) == []


async def test_optional_headers_may_be_absent(client, db):
    # given
    body = _order_body()
    first = signed(body, "orders/paid", webhook_id="wh-plain-1")
    second = signed(body, "orders/paid", webhook_id="wh-plain-2")
    for headers in (first, second):
        del headers["X-Shopify-Event-Id"]
        del headers["X-Shopify-Triggered-At"]

    # when
    responses = [await client.post("/webhooks", content=body, headers=h) for h in (first, second)]

    # then
    assert [r.status_code for r in responses] == [200, 200]
    rows = await _rows(db)
    assert [(r.webhook_id, r.event_id, r.triggered_at) for r in rows] == [
        ("wh-plain-1", None, None),
        ("wh-plain-2", None, None),
    ]


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"id": 1', b"[1, 2, 3]", b'"a string"', b"null"],
    ids=["_case=empty", "_case=text", "_case=truncated", "_case=array", "_case=string", "_case=null"],
)
async def test_correctly_signed_body_that_is_not_a_json_object_is_400(client, db, body):
    # given
    headers = signed(body, "orders/paid")

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 400)
    assert await _rows(db) == []


async def test_non_utf8_body_signed_correctly_is_400(client, db):
    # given
    body = b'{"note": "caf\xe9 \xff"}'
    headers = signed(body, "orders/paid")

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 400)
    assert await _rows(db) == []


async def test_non_utf8_body_signed_wrongly_is_401(client, db):
    # given
    body = b'{"note": "caf\xe9 \xff"}'
    headers = signed(body, "orders/paid", secret="not-" + API_SECRET)

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 401)
    assert await _rows(db) == []


@pytest.mark.parametrize("case", [str.lower, str.upper, str.swapcase], ids=["_case=lower", "_case=upper", "_case=swap"])
async def test_header_names_are_case_insensitive(client, db, case):
    # given
    body = _order_body()
    headers = {case(name): value for name, value in signed(body, "orders/paid", webhook_id="wh-case").items()}

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    assert response.status_code == 200, response.text
    [row] = await _rows(db)
    assert (row.topic, row.shop_domain, row.webhook_id) == ("orders/paid", SHOP, "wh-case")


async def test_webhook_delivered_five_times_at_once_leaves_one_row(client, db):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid", webhook_id="wh-five")

    # when
    responses = await asyncio.gather(*(client.post("/webhooks", content=body, headers=headers) for _ in range(5)))

    # then
    assert [r.status_code for r in responses] == [200] * 5
    assert [r.webhook_id for r in await _rows(db)] == ["wh-five"]


async def test_webhook_redelivered_after_processing_is_acknowledged_and_not_processed_again(
    client, store_client, drainer, db
):
    # given
    await install_shop(client, store_client)
    body = _order_body()
    headers = signed(body, "orders/paid", webhook_id="wh-again")
    assert (await client.post("/webhooks", content=body, headers=headers)).status_code == 200
    await drainer.wake()

    # when
    responses = [await client.post("/webhooks", content=body, headers=headers) for _ in range(4)]
    await drainer.wake()

    # then
    assert [r.status_code for r in responses] == [200] * 4
    [row] = await _rows(db)
    assert (row.status, row.attempts) == (InboxStatus.PROCESSED, 1)
    assert [e.delta for e in await _ledger(db)] == [25]


async def test_same_event_id_for_the_same_topic_is_one_row(client, db):
    # given
    body = _order_body()

    # when
    first = await post_webhook(client, "orders/paid", body, webhook_id="wh-sub-1", event_id="ev-shared")
    second = await post_webhook(client, "orders/paid", body, webhook_id="wh-sub-2", event_id="ev-shared")

    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert [r.webhook_id for r in await _rows(db)] == ["wh-sub-1"]


async def test_same_event_id_on_another_topic_is_another_row(client, db):
    # given
    body = _order_body()

    # when
    first = await post_webhook(client, "orders/paid", body, webhook_id="wh-topic-1", event_id="ev-shared")
    second = await post_webhook(client, "orders/updated", body, webhook_id="wh-topic-2", event_id="ev-shared")

    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert [(r.topic, r.event_id) for r in await _rows(db)] == [
        ("orders/paid", "ev-shared"),
        ("orders/updated", "ev-shared"),
    ]


async def test_same_event_id_for_another_shop_is_another_row(client, db):
    # given
    body = _order_body()

    # when
    first = await post_webhook(client, "orders/paid", body, webhook_id="wh-a", event_id="ev-shared")
    second = await post_webhook(
        client, "orders/paid", body, shop="other-shop.myshopify.com", webhook_id="wh-b", event_id="ev-shared"
    )

    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert [r.shop_domain for r in await _rows(db)] == [SHOP, "other-shop.myshopify.com"]


@pytest.mark.parametrize("settings", [PREVIOUS_SECRET], indirect=True, ids=["_case=rotating"])
async def test_previous_secret_is_accepted_during_a_rotation(client, db):
    # given
    body = _order_body()
    by_previous = signed(body, "orders/paid", webhook_id="wh-old", secret=PREVIOUS_SECRET)
    by_current = signed(body, "orders/paid", webhook_id="wh-new", secret=API_SECRET)
    by_stranger = signed(body, "orders/paid", webhook_id="wh-odd", secret="some-other-secret")

    # when
    old = await client.post("/webhooks", content=body, headers=by_previous)
    new = await client.post("/webhooks", content=body, headers=by_current)
    odd = await client.post("/webhooks", content=body, headers=by_stranger)

    # then
    assert (old.status_code, new.status_code) == (200, 200)
    _assert_error(odd, 401)
    assert [r.webhook_id for r in await _rows(db)] == ["wh-old", "wh-new"]


@pytest.mark.parametrize("settings", [PREVIOUS_SECRET], indirect=True, ids=["_case=rotating"])
async def test_non_utf8_body_signed_with_the_previous_secret_is_400_during_a_rotation(client, db):
    # given
    body = b'{"note": "\xff"}'
    headers = signed(body, "orders/paid", secret=PREVIOUS_SECRET)

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 400)


async def test_previous_secret_is_refused_when_no_rotation_is_configured(client, db):
    # given
    body = _order_body()
    headers = signed(body, "orders/paid", secret=PREVIOUS_SECRET)

    # when
    response = await client.post("/webhooks", content=body, headers=headers)

    # then
    _assert_error(response, 401)
    assert await _rows(db) == []


@pytest.mark.parametrize(
    "topic",
    ["products/create", "orders/fulfilled", "orders/reconciled", "ORDERS/RECONCILED"],
    ids=lambda t: f"_case={t}",
)
async def test_a_topic_we_do_not_subscribe_to_is_refused_and_not_kept(client, store_client, drainer, db, topic):
    # given an installed shop, and a validly signed order body under a topic we never subscribed to
    # (orders/reconciled is internal: only reconciliation may write it)
    await install_shop(client, store_client)
    body = _order_body()

    # when
    response = await post_webhook(client, topic, body)
    await drainer.wake()

    # then
    _assert_error(response, 400)
    assert response.json()["error"] == "unknown_topic"
    assert await _rows(db) == []
    assert await _ledger(db) == []


async def test_webhook_for_an_unknown_shop_is_accepted_and_then_ignored(client, drainer, db):
    # given
    body = _order_body()

    # when
    response = await post_webhook(client, "orders/paid", body, shop="never-installed.myshopify.com")
    await drainer.wake()

    # then
    assert response.status_code == 200, response.text
    [row] = await _rows(db)
    assert (row.shop_domain, row.status) == ("never-installed.myshopify.com", InboxStatus.IGNORED)
    assert await _ledger(db) == []


async def test_webhook_for_an_uninstalled_shop_is_accepted_and_then_ignored(client, store_client, drainer, db):
    # given
    await install_shop(client, store_client)
    assert (await post_webhook(client, "app/uninstalled", {"id": 1, "name": "Test"})).status_code == 200
    await drainer.wake()

    # when
    response = await post_webhook(client, "orders/paid", _order_body(), webhook_id="wh-late")
    await drainer.wake()

    # then
    assert response.status_code == 200, response.text
    [late] = [row for row in await _rows(db) if row.webhook_id == "wh-late"]
    assert late.status == InboxStatus.IGNORED
    assert await _ledger(db) == []


async def test_raw_body_bytes_are_stored_exactly(client, db):
    # given
    body = (
        b'{ "id" : 820982911946154508,\r\n\t"note": "caf\xc3\xa9 \\u00e9 \xf0\x9f\x8e\x89",'
        b' "total": 1.10, "z": null, "a": [ ] }\n  '
    )

    # when
    response = await post_webhook(client, "orders/paid", body)

    # then
    assert response.status_code == 200, response.text
    [row] = await _rows(db)
    assert row.body == body
