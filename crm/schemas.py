"""What the CRM takes in: customers and orders as Shopify describes them, already read from payloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class EmailConsent:
    """Email marketing consent as Shopify states it (`subscribed`, `not_subscribed`, `unsubscribed`,
    `pending`, `redacted`, `invalid`); `updated_at` orders the statements."""

    customer_id: int
    state: str | None
    opt_in_level: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class CustomerSnapshot:
    customer_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    state: str | None
    locale: str | None
    addresses: tuple[dict[str, Any], ...]
    created_at: datetime | None
    updated_at: datetime | None
    consent: EmailConsent | None = None


@dataclass(frozen=True)
class LineRecord:
    line_id: int
    product_id: int | None
    variant_id: int | None
    title: str
    variant_title: str | None
    vendor: str | None
    sku: str | None
    quantity: int
    price: Decimal
    gift_card: bool
    product_type: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    order_id: int
    name: str | None
    customer_id: int | None
    email: str | None
    currency: str | None
    subtotal: Decimal | None
    total: Decimal | None
    financial_status: str | None
    cancelled: bool
    test: bool
    processed_at: datetime | None
    updated_at: datetime | None
    discount_codes: tuple[dict[str, Any], ...] = ()
    landing_site: str | None = None
    referring_site: str | None = None
    note_attributes: tuple[dict[str, Any], ...] = ()
    source_name: str | None = None
    customer_locale: str | None = None
    lines: tuple[LineRecord, ...] = field(default_factory=tuple)
