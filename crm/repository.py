"""Every CRM query. Writes are set-based upserts: a batch of orders costs a fixed few statements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import upsert_rows
from crm.models import CrmCustomer, CrmOrder, CrmOrderLine
from crm.schemas import CustomerSnapshot, EmailConsent, OrderRecord

CUSTOMERS: Table = CrmCustomer.__table__  # type: ignore[attr-defined]
ORDERS: Table = CrmOrder.__table__  # type: ignore[attr-defined]
LINES: Table = CrmOrderLine.__table__  # type: ignore[attr-defined]

CONSENT = ("email_consent_state", "email_consent_opt_in_level", "email_consent_updated_at")


def search_text(customer: CustomerSnapshot) -> str:
    """What the admin's search looks in: email and name, lower-cased, in one string."""
    return " ".join(part for part in (customer.email, customer.first_name, customer.last_name) if part).lower()


async def save_orders(session: AsyncSession, shop_id: int, orders: Sequence[OrderRecord], now: datetime) -> None:
    """Each order as its newest snapshot says; its lines as last seen."""
    await upsert_rows(
        session,
        ORDERS,
        [
            {
                "shop_id": shop_id,
                "order_id": o.order_id,
                "name": o.name,
                "customer_id": o.customer_id,
                "email": o.email,
                "currency": o.currency,
                "subtotal": o.subtotal,
                "total": o.total,
                "financial_status": o.financial_status,
                "cancelled": o.cancelled,
                "test": o.test,
                "discount_codes": list(o.discount_codes),
                "landing_site": o.landing_site,
                "referring_site": o.referring_site,
                "note_attributes": list(o.note_attributes),
                "source_name": o.source_name,
                "customer_locale": o.customer_locale,
                "processed_at": o.processed_at,
                "shopify_updated_at": o.updated_at,
            }
            for o in orders
        ],
        key=("shop_id", "order_id"),
        newer="shopify_updated_at",
    )
    lines = [
        {
            "shop_id": shop_id,
            "order_id": o.order_id,
            "line_id": line.line_id,
            "product_id": line.product_id,
            "variant_id": line.variant_id,
            "title": line.title,
            "variant_title": line.variant_title,
            "product_type": line.product_type,
            "vendor": line.vendor,
            "sku": line.sku,
            "quantity": line.quantity,
            "price": line.price,
            "gift_card": line.gift_card,
        }
        for o in orders
        for line in o.lines
    ]
    # A webhook's lines carry no product type: never let one blank out a type the Admin API gave.
    await upsert_rows(
        session, LINES, lines, key=("shop_id", "line_id"), changing=set(lines[0]) - {"product_type"} if lines else None
    )


async def save_customers(
    session: AsyncSession, shop_id: int, customers: Sequence[CustomerSnapshot], now: datetime
) -> None:
    """Profiles follow the newest snapshot; consent, where a snapshot carries it, its own newest statement."""
    await upsert_rows(
        session,
        CUSTOMERS,
        [
            {
                "shop_id": shop_id,
                "customer_id": c.customer_id,
                "email": c.email,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "phone": c.phone,
                "state": c.state,
                "locale": c.locale,
                "addresses": list(c.addresses),
                "search_text": search_text(c),
                "shopify_created_at": c.created_at,
                "shopify_updated_at": c.updated_at,
                "recorded_at": now,
            }
            for c in customers
        ],
        key=("shop_id", "customer_id"),
        newer="shopify_updated_at",
    )
    await save_consents(session, shop_id, [c.consent for c in customers if c.consent is not None], now)


async def save_consents(session: AsyncSession, shop_id: int, consents: Sequence[EmailConsent], now: datetime) -> None:
    await upsert_rows(
        session,
        CUSTOMERS,
        [
            {
                "shop_id": shop_id,
                "customer_id": c.customer_id,
                "email_consent_state": c.state,
                "email_consent_opt_in_level": c.opt_in_level,
                "email_consent_updated_at": c.updated_at,
                "addresses": [],
                "search_text": "",
                "recorded_at": now,
            }
            for c in consents
        ],
        key=("shop_id", "customer_id"),
        newer="email_consent_updated_at",
        changing={*CONSENT, "recorded_at"},
    )


# --- privacy -------------------------------------------------------------------------------------


async def customer_of(session: AsyncSession, shop_id: int, customer_id: int) -> dict[str, Any] | None:
    result = await session.execute(
        select(CUSTOMERS).where(CUSTOMERS.c.shop_id == shop_id, CUSTOMERS.c.customer_id == customer_id)
    )
    row = result.mappings().first()
    return dict(row) if row else None


async def orders_with_lines(
    session: AsyncSession, shop_id: int, customer_id: int, order_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """The customer's orders (and those named), each with its lines."""
    result = await session.execute(
        select(ORDERS)
        .where(
            ORDERS.c.shop_id == shop_id,
            (ORDERS.c.customer_id == customer_id) | ORDERS.c.order_id.in_(list(order_ids) or [-1]),
        )
        .order_by(ORDERS.c.processed_at, ORDERS.c.order_id)
    )
    orders = [dict(row) for row in result.mappings()]
    lines = await session.execute(
        select(LINES)
        .where(LINES.c.shop_id == shop_id, LINES.c.order_id.in_([o["order_id"] for o in orders] or [-1]))
        .order_by(LINES.c.line_id)
    )
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line in lines.mappings():
        by_order.setdefault(line["order_id"], []).append(dict(line))
    return [order | {"lines": by_order.get(order["order_id"], [])} for order in orders]


async def unlink_customer(
    session: AsyncSession, shop_id: int, customer_id: int, order_ids: Sequence[int], surrogate: int
) -> None:
    """Forget the person: their profile goes; their orders stay for the shop's numbers, under an id
    that leads nowhere, with what could name them (email, notes, the addresses of pages) cleared."""
    await session.execute(
        delete(CUSTOMERS).where(CUSTOMERS.c.shop_id == shop_id, CUSTOMERS.c.customer_id == customer_id)
    )
    naming: dict[str, Any] = {
        "email": None,
        "note_attributes": [],
        "landing_site": None,
        "referring_site": None,
        "name": None,
    }
    await session.execute(
        update(ORDERS)
        .where(ORDERS.c.shop_id == shop_id, ORDERS.c.customer_id == customer_id)
        .values(customer_id=surrogate, **naming)
    )
    # Guest orders named in the request (already unlinked ones keep their surrogate: a replay of the
    # request must leave the same state).
    await session.execute(
        update(ORDERS)
        .where(
            ORDERS.c.shop_id == shop_id, ORDERS.c.order_id.in_(list(order_ids) or [-1]), ORDERS.c.customer_id.is_(None)
        )
        .values(**naming)
    )


async def delete_shop_rows(session: AsyncSession, shop_id: int) -> None:
    for table in (LINES, ORDERS, CUSTOMERS):
        await session.execute(delete(table).where(table.c.shop_id == shop_id))
