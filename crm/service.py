"""CRM use cases: the only public entry points of the domain. Services flush, never commit.

For now the CRM keeps the shop's customers and orders current (so nothing later features read is
lost when webhook bodies are emptied), exports them and erases them on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from crm import repository
from crm.schemas import CustomerSnapshot, EmailConsent, OrderRecord


async def record_orders(
    session: AsyncSession,
    *,
    shop_id: int,
    orders: Sequence[OrderRecord],
    customers: Sequence[CustomerSnapshot] = (),
    now: datetime | None = None,
) -> None:
    """Keep each order (and the customer inside it) as the newest snapshot says. Idempotent: a
    replay or an older snapshot arriving late changes nothing."""
    now = now or utcnow()
    await repository.save_orders(session, shop_id, orders, now)
    await repository.save_customers(session, shop_id, customers, now)


async def record_customer(session: AsyncSession, *, shop_id: int, customer: CustomerSnapshot) -> None:
    await repository.save_customers(session, shop_id, [customer], utcnow())


async def record_consent(session: AsyncSession, *, shop_id: int, consent: EmailConsent) -> None:
    await repository.save_consents(session, shop_id, [consent], utcnow())


async def profile(session: AsyncSession, *, shop_id: int, customer_id: int) -> dict[str, Any] | None:
    """The customer as Shopify last described them (name, email, phone, addresses, consent), or None."""
    return await repository.customer_of(session, shop_id, customer_id)


async def export_customer(
    session: AsyncSession, *, shop_id: int, customer_id: int, order_ids: Sequence[int] = ()
) -> dict[str, Any]:
    """Everything the CRM holds on one customer, for a `customers/data_request`."""
    profile = await repository.customer_of(session, shop_id, customer_id)
    orders = await repository.orders_with_lines(session, shop_id, customer_id, order_ids)
    return {"profile": _plain(profile), "orders": [_plain(order) for order in orders]}


async def redact_customer(
    session: AsyncSession, *, shop_id: int, customer_id: int, order_ids: Sequence[int], surrogate: int
) -> None:
    await repository.unlink_customer(session, shop_id, customer_id, order_ids, surrogate)


async def redact_shop(session: AsyncSession, *, shop_id: int) -> None:
    await repository.delete_shop_rows(session, shop_id)


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO 8601, money as decimal strings; table ids left out."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("id", "shop_id")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
