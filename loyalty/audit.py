"""The nightly audit of the ledger's invariant: every cached balance equals the sum of its entries.

Balances move only beside the entries that explain them (loyalty/orders.py, loyalty/members.py), so
this should never find anything; if it does, something wrote around the ledger, and it must be loud.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.repository import ENTRIES, MEMBERS


@dataclass(frozen=True)
class BalanceMismatch:
    member_id: int
    customer_id: int
    cached: int
    summed: int


async def balance_mismatches(session: AsyncSession, *, shop_id: int) -> list[BalanceMismatch]:
    """Every member of the shop whose cached balance is not the sum of their entries."""
    summed = func.coalesce(func.sum(ENTRIES.c.delta), 0)
    result = await session.execute(
        select(MEMBERS.c.id, MEMBERS.c.customer_id, MEMBERS.c.points_balance, summed.label("summed"))
        .select_from(MEMBERS.outerjoin(ENTRIES, ENTRIES.c.member_id == MEMBERS.c.id))
        .where(MEMBERS.c.shop_id == shop_id)
        .group_by(MEMBERS.c.id, MEMBERS.c.customer_id, MEMBERS.c.points_balance)
        .having(MEMBERS.c.points_balance != summed)
        .order_by(MEMBERS.c.id)
    )
    return [BalanceMismatch(row.id, row.customer_id, row.points_balance, int(row.summed)) for row in result]
