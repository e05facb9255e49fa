"""A webhook's envelope: the headers Shopify's own validator requires, checked before anything else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.shopify.domains import normalise_shop_domain

MAX_HEADER_VALUE = 255


class EnvelopeError(ValueError):
    """A required header is missing or malformed (answered 400)."""


@dataclass(frozen=True)
class Envelope:
    shop_domain: str
    topic: str
    webhook_id: str
    api_version: str
    event_id: str | None
    triggered_at: datetime | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Envelope:
        def required(name: str) -> str:
            value = (headers.get(name) or "").strip()
            if not value:
                raise EnvelopeError(f"{name} header is missing")
            if len(value) > MAX_HEADER_VALUE:
                raise EnvelopeError(f"{name} header is too long")
            return value

        topic = required("x-shopify-topic")
        raw_domain = required("x-shopify-shop-domain")
        shop_domain = normalise_shop_domain(raw_domain)
        if shop_domain is None:
            raise EnvelopeError("X-Shopify-Shop-Domain is not a myshopify.com domain")
        event_id = (headers.get("x-shopify-event-id") or "").strip()[:MAX_HEADER_VALUE] or None
        return cls(
            shop_domain=shop_domain,
            topic=topic.lower(),
            webhook_id=required("x-shopify-webhook-id"),
            api_version=required("x-shopify-api-version")[:20],
            event_id=event_id,
            triggered_at=_instant(headers.get("x-shopify-triggered-at")),
        )


def _instant(value: str | None) -> datetime | None:
    """Shopify's `X-Shopify-Triggered-At` is ISO 8601; an unreadable one is dropped, not fatal."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
