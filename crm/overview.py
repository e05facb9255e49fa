"""The shop's numbers at a glance, for the admin's home page: members, points issued and taken back,
and orders and revenue by week, members' and guests', in the shop's own weeks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.repository import ORDERS
from loyalty.repository import ENTRIES, MEMBERS

# Orders whose money was taken: what the shop's revenue is made of.
PAID = ("paid", "partially_refunded", "partially_paid")


@dataclass(frozen=True)
class Week:
    starts: datetime
    member_orders: int
    guest_orders: int
    member_revenue: Decimal
    guest_revenue: Decimal


@dataclass(frozen=True)
class Overview:
    members: int
    points_issued: int
    points_taken_back: int
    points_outstanding: int
    weeks: list[Week]
    orders_seen: int

    @property
    def member_revenue(self) -> Decimal:
        return sum((w.member_revenue for w in self.weeks), Decimal(0))

    @property
    def guest_revenue(self) -> Decimal:
        return sum((w.guest_revenue for w in self.weeks), Decimal(0))


def week_starts(now: datetime, time_zone: str | None, weeks: int) -> list[datetime]:
    """The last `weeks` Mondays at midnight in the shop's zone (oldest first), as aware instants."""
    zone = ZoneInfo(time_zone or "UTC")
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return [datetime.combine(monday - timedelta(weeks=n), time(0), tzinfo=zone) for n in range(weeks - 1, -1, -1)]


async def shop_overview(
    session: AsyncSession, *, shop_id: int, now: datetime, time_zone: str | None, weeks: int = 12
) -> Overview:
    members, outstanding = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(MEMBERS.c.points_balance), 0)).where(
                MEMBERS.c.shop_id == shop_id, MEMBERS.c.redacted_at.is_(None)
            )
        )
    ).one()
    issued, taken_back = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((ENTRIES.c.delta > 0, ENTRIES.c.delta), else_=0)), 0),
                func.coalesce(func.sum(case((ENTRIES.c.delta < 0, -ENTRIES.c.delta), else_=0)), 0),
            ).where(ENTRIES.c.shop_id == shop_id)
        )
    ).one()
    orders_seen = (
        await session.execute(select(func.count()).select_from(ORDERS).where(ORDERS.c.shop_id == shop_id))
    ).scalar_one()
    return Overview(
        members=int(members),
        points_issued=int(issued),
        points_taken_back=int(taken_back),
        points_outstanding=int(outstanding),
        weeks=await _weeks(session, shop_id, week_starts(now, time_zone, weeks)),
        orders_seen=int(orders_seen),
    )


async def _weeks(session: AsyncSession, shop_id: int, starts: list[datetime]) -> list[Week]:
    """Orders and revenue per week and per kind of buyer, grouped in SQL by the week boundaries
    (a CASE over them works the same on every database)."""
    week = case(
        *((ORDERS.c.processed_at >= start, index) for index, start in reversed(list(enumerate(starts)))),
        else_=-1,
    )
    member = ORDERS.c.customer_id.is_not(None)
    revenue = func.coalesce(func.sum(func.coalesce(ORDERS.c.total, ORDERS.c.subtotal)), 0)
    result = await session.execute(
        select(week.label("week"), member.label("member"), func.count().label("orders"), revenue.label("revenue"))
        .where(
            ORDERS.c.shop_id == shop_id,
            ORDERS.c.processed_at >= starts[0],
            ORDERS.c.test.is_(False),
            ORDERS.c.cancelled.is_(False),
            ORDERS.c.financial_status.in_(PAID),
        )
        .group_by(week, member)
    )
    counts: dict[tuple[int, bool], tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for row in result:
        counts[(int(row.week), bool(row.member))] = (int(row.orders), Decimal(row.revenue))
    return [
        Week(
            starts=start,
            member_orders=counts[(index, True)][0],
            guest_orders=counts[(index, False)][0],
            member_revenue=counts[(index, True)][1],
            guest_revenue=counts[(index, False)][1],
        )
        for index, start in enumerate(starts)
    ]
