"""What loyalty holds on a person, exported and erased on Shopify's compliance requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from loyalty import repository


async def export_customer(session: AsyncSession, *, shop_id: int, customer_id: int) -> dict[str, Any]:
    """Everything loyalty holds on one customer, for a `customers/data_request`."""
    member = await repository.find_member(session, shop_id, customer_id)
    orders = await repository.orders_of(session, shop_id, customer_id)
    return {
        "member": None
        if member is None
        else {
            "customer_id": member.customer_id,
            "points": member.points_balance,
            "tier": member.tier_name,
        },
        "ledger": []
        if member is None
        else [
            {"delta": line.delta, "kind": line.kind, "reason": line.reason, "created_at": line.created_at.isoformat()}
            for line in await repository.ledger_lines(session, shop_id, member.id, limit=100_000)
        ],
        "tier_changes": []
        if member is None
        else [
            {
                "from": change["from_tier"],
                "to": change["to_tier"],
                "spend": str(change["spend"]),
                "at": change["created_at"].isoformat(),
            }
            for change in await repository.tier_history(session, shop_id, member.id)
        ],
        "orders": [
            {
                "order_id": o["order_id"],
                "name": o["name"],
                "subtotal": None if o["subtotal"] is None else str(o["subtotal"]),
                "currency": o["currency"],
                "paid": o["paid"],
                "cancelled": o["cancelled"],
                "refunded_subtotal": str(o["refunded_subtotal"]),
                "points_earned": o["points_earned"],
                "points_reversed": o["points_reversed"],
            }
            for o in orders
        ],
    }


async def redact_customer(
    session: AsyncSession, *, shop_id: int, customer_id: int, surrogate: int, now: datetime | None = None
) -> None:
    """Erase a customer's link to their points. Amounts stay, under `surrogate`, an id that leads
    nowhere (negative, so it can never be a Shopify id)."""
    await repository.anonymise_customer(session, shop_id, customer_id, surrogate, now or utcnow())


async def redact_shop(session: AsyncSession, *, shop_id: int) -> None:
    await repository.delete_shop_rows(session, shop_id)
