"""A webhook's envelope: the headers Shopify sends with a delivery, checked at the door.

Shopify's HMAC covers the body, not these headers, so each is held to its format and range before
it is stored: one malformed value must be refused here with a 400, not break a shared commit or a
worker's pass over the inbox later.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.shopify.domains import normalise_shop_domain

MAX_ID_LENGTH = 255
# Visible ASCII only: no spaces, no control characters (a NUL cannot be stored in PostgreSQL text).
DELIVERY_ID = re.compile(rf"[\x21-\x7e]{{1,{MAX_ID_LENGTH}}}")
API_VERSION = re.compile(r"\d{4}-\d{2}|unstable")
# Shopify retries for four hours and may hold a delivery back for a day; clocks drift a little.
OLDEST_TRIGGER = timedelta(days=30)
NEWEST_TRIGGER = timedelta(hours=1)


class EnvelopeError(ValueError):
    """A header is missing or malformed (answered 400). `code` is the contract's error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class Envelope:
    shop_domain: str
    topic: str
    webhook_id: str
    api_version: str
    event_id: str | None
    triggered_at: datetime | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], topics: Collection[str]) -> Envelope:
        """The envelope of a delivery for one of `topics` (those the app subscribes to)."""
        topic = _required(headers, "x-shopify-topic").lower()
        if topic not in topics:
            raise EnvelopeError("unknown_topic", f"X-Shopify-Topic {topic[:100]!r} is not a topic we subscribe to")
        shop_domain = normalise_shop_domain(_required(headers, "x-shopify-shop-domain"))
        if shop_domain is None:
            raise EnvelopeError("invalid_header", "X-Shopify-Shop-Domain is not a myshopify.com domain")
        api_version = _required(headers, "x-shopify-api-version")
        if not API_VERSION.fullmatch(api_version):
            raise EnvelopeError("invalid_header", "X-Shopify-API-Version is not a version such as 2026-04")
        event_id = (headers.get("x-shopify-event-id") or "").strip() or None
        return cls(
            shop_domain=shop_domain,
            topic=topic,
            webhook_id=_delivery_id(_required(headers, "x-shopify-webhook-id"), "X-Shopify-Webhook-Id"),
            api_version=api_version,
            event_id=None if event_id is None else _delivery_id(event_id, "X-Shopify-Event-Id"),
            triggered_at=_triggered_at(headers.get("x-shopify-triggered-at")),
        )


def _required(headers: Mapping[str, str], name: str) -> str:
    value = (headers.get(name) or "").strip()
    if not value:
        raise EnvelopeError("missing_header", f"{name} header is missing")
    if len(value) > MAX_ID_LENGTH:
        raise EnvelopeError("invalid_header", f"{name} header is too long")
    return value


def _delivery_id(value: str, name: str) -> str:
    if not DELIVERY_ID.fullmatch(value):
        raise EnvelopeError("invalid_header", f"{name} must be up to {MAX_ID_LENGTH} visible ASCII characters")
    return value


def _triggered_at(value: str | None) -> datetime | None:
    """Shopify's `X-Shopify-Triggered-At`: ISO 8601 with a zone, within a sane distance of now."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EnvelopeError("invalid_header", "X-Shopify-Triggered-At is not an ISO 8601 time") from exc
    if instant.tzinfo is None:
        raise EnvelopeError("invalid_header", "X-Shopify-Triggered-At has no time zone")
    now = utcnow()
    if not now - OLDEST_TRIGGER <= instant <= now + NEWEST_TRIGGER:
        raise EnvelopeError("invalid_header", "X-Shopify-Triggered-At is too far from now")
    return instant
