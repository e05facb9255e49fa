"""Small keyword-only builders for tests: installed shops, signed webhooks, orders, session tokens."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import orjson

from app.core.clock import utcnow
from app.devstore.payloads import order_payload, refund_payload
from app.devstore.signing import app_proxy_signature, session_token
from app.devstore.state import DevCustomer, DevLine, DevOrder, DevRefund, DevShop, DevStore
from app.devstore.webhooks import webhook_headers
from tests.conftest import API_KEY, API_SECRET, STORE_URL

SHOP = "loyal-test.myshopify.com"


async def approved_callback(
    client: httpx.AsyncClient, store_client: httpx.AsyncClient, *, domain: str = SHOP
) -> dict[str, str]:
    """Start the install at /auth and let the dev store approve it; the query Shopify would call back with."""
    begin = await client.get("/auth", params={"shop": domain})
    assert begin.status_code == 302, begin.text
    query = dict(parse_qsl(urlsplit(begin.headers["location"]).query)) | {"shop": domain}
    approved = await store_client.get(f"/admin/oauth/authorize?{urlencode(query)}")
    assert approved.status_code == 302, approved.text
    callback = urlsplit(approved.headers["location"])
    assert callback.path == "/auth/callback"
    return dict(parse_qsl(callback.query, keep_blank_values=True))


async def install_shop(client: httpx.AsyncClient, store_client: httpx.AsyncClient, *, domain: str = SHOP) -> None:
    """Install through /auth → dev store authorize → /auth/callback, as a merchant's click would."""
    params = await approved_callback(client, store_client, domain=domain)
    finished = await client.get("/auth/callback", params=params)
    assert finished.status_code == 302, finished.text


def signed(
    body: bytes,
    topic: str,
    *,
    shop: str = SHOP,
    webhook_id: str | None = None,
    event_id: str | None = None,
    secret: str = API_SECRET,
) -> dict[str, str]:
    return webhook_headers(
        body, secret=secret, topic=topic, shop=shop, api_version="2026-04", webhook_id=webhook_id, event_id=event_id
    )


async def post_webhook(
    client: httpx.AsyncClient,
    topic: str,
    payload: dict[str, Any] | bytes,
    *,
    shop: str = SHOP,
    webhook_id: str | None = None,
    event_id: str | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers = signed(body, topic, shop=shop, webhook_id=webhook_id, event_id=event_id)
    return await client.post("/webhooks", content=body, headers=headers)


def dev_shop(store: DevStore, domain: str = SHOP) -> DevShop:
    return store.ensure_shop(domain)


def make_order(
    *,
    order_id: int | None = None,
    customer_id: int | None = 7_000_000_000_001,
    subtotal: str = "100.00",
    status: str = "paid",
    cancelled: bool = False,
    test: bool = False,
    currency: str = "USD",
    processed_at: datetime | None = None,
    updated_at: datetime | None = None,
    refunds: list[DevRefund] | None = None,
) -> DevOrder:
    now = utcnow()
    return DevOrder(
        id=order_id or uuid.uuid4().int % 2**62,
        number=1001,
        customer_id=customer_id,
        lines=[DevLine(title="Thing", price=Decimal(subtotal))],
        currency=currency,
        financial_status=status,
        cancelled_at=now if cancelled else None,
        test=test,
        created_at=processed_at or now,
        processed_at=processed_at or now,
        updated_at=updated_at or now,
        refunds=refunds or [],
    )


def order_json(order: DevOrder, *, shop: str = SHOP) -> dict[str, Any]:
    """The order's webhook body. Without its status URL: a test's shop has no Shopify id to put in it
    (tests of the shop check add their own, tests/webhooks/test_door.py)."""
    customers = {}
    if order.customer_id:
        customers[order.customer_id] = DevCustomer(
            id=order.customer_id, first_name="Test", last_name="Shopper", email="shopper@example.com"
        )
    body = order_payload(DevShop(domain=shop, id=1, name="Test", customers=customers), order)
    body.pop("order_status_url")
    return body


def refund_json(order: DevOrder, *, refund_id: int, amount: str, at: datetime | None = None) -> dict[str, Any]:
    return refund_payload(order, DevRefund(id=refund_id, created_at=at or utcnow(), line_subtotals=[Decimal(amount)]))


def with_refund(order: DevOrder, *, refund_id: int, amount: str) -> DevOrder:
    refund = DevRefund(id=refund_id, created_at=utcnow(), line_subtotals=[Decimal(amount)])
    return order.model_copy(
        update={"refunds": [*order.refunds, refund], "updated_at": order.updated_at + timedelta(seconds=1)}
    )


def bearer(shop: str = SHOP, *, secret: str = API_SECRET, api_key: str = API_KEY, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {session_token(shop, api_key, secret, **kwargs)}"}


def proxy_query(
    *,
    shop: str = SHOP,
    customer_id: int | str | None,
    secret: str = API_SECRET,
    timestamp: int | None = None,
    **extra: str,
) -> str:
    params = {
        "shop": shop,
        "logged_in_customer_id": "" if customer_id is None else str(customer_id),
        "path_prefix": "/apps/loyalty",
        "timestamp": str(timestamp or int(time.time())),
        **extra,
    }
    params["signature"] = app_proxy_signature(params, secret)
    return urlencode(params)


STORE = STORE_URL
