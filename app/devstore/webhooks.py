"""Signed webhooks, as Shopify sends them: the dev store's deliveries and `dangol webhook trigger`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson

from app.core.clock import utcnow
from app.core.config import Settings
from app.devstore.demo import DEMO_SHOP, DEV_API_SECRET
from app.devstore.payloads import sample_payload
from app.devstore.signing import webhook_hmac
from app.devstore.state import DevShop


def webhook_headers(
    body: bytes,
    *,
    secret: str,
    topic: str,
    shop: str,
    api_version: str,
    webhook_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": webhook_hmac(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": utcnow().isoformat(),
    }


async def deliver(
    client: httpx.AsyncClient,
    address: str,
    topic: str,
    shop: str,
    payload: dict[str, Any] | bytes,
    *,
    secret: str,
    api_version: str,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers = webhook_headers(body, secret=secret, topic=topic, shop=shop, api_version=api_version)
    return await client.post(address, content=body, headers=headers)


async def send_sample_webhook(
    settings: Settings, *, topic: str, address: str, shop: str | None, body: bytes | None, api_version: str | None
) -> tuple[int, str]:
    domain = shop or DEMO_SHOP
    payload: dict[str, Any] | bytes = (
        body if body is not None else sample_payload(DevShop(domain=domain, id=548380009, name="Sample shop"), topic)
    )
    secret = settings.shopify_api_secret.get_secret_value() or DEV_API_SECRET
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            response = await deliver(
                client,
                address,
                topic,
                domain,
                payload,
                secret=secret,
                api_version=api_version or settings.shopify_api_version,
            )
        except httpx.HTTPError as exc:
            return 0, f"could not reach {address}: {exc}"
    return response.status_code, response.text
