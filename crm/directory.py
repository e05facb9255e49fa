"""The shop's members as the admin lists them: searched by name or email, sorted by points, spend or
tier, filtered by tier, a page at a time by keyset (no OFFSET: every page costs the same).

Names and emails are the CRM's (crm_customers); points and counted spend are loyalty's, kept on the
member beside the tier they decide, so a sort or a tier filter reads an index, not the orders.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import Select, and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from crm.repository import CUSTOMERS
from loyalty.repository import MEMBERS

Sort = Literal["points", "spend", "tier"]
SORTS: tuple[Sort, ...] = ("points", "spend", "tier")
PAGE_SIZE = 25
MAX_QUERY = 100


class BadCursor(ValueError):
    """A cursor we did not give out, or one for another sort."""


@dataclass(frozen=True)
class Listed:
    member_id: int
    customer_id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    points: int
    spend: Decimal

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class Page:
    members: list[Listed]
    next_cursor: str | None


def _sort_column(sort: Sort) -> Any:
    # A tier is decided by spend, so the tier order is the spend order.
    return MEMBERS.c.points_balance if sort == "points" else MEMBERS.c.spend


def encode_cursor(sort: Sort, value: int | Decimal, member_id: int) -> str:
    raw = json.dumps([sort, str(value), member_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[int | Decimal, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, member_id = json.loads(raw)
        if kind != sort or not isinstance(member_id, int) or isinstance(member_id, bool):
            raise BadCursor("the cursor belongs to another listing")
        return (int(value) if sort == "points" else Decimal(value)), member_id
    except (binascii.Error, ValueError, TypeError, InvalidOperation, UnicodeDecodeError) as exc:
        raise BadCursor("the cursor is not one this listing gave out") from exc


async def list_members(
    session: AsyncSession,
    *,
    shop_id: int,
    query: str = "",
    sort: Sort = "points",
    spend_band: tuple[Decimal, Decimal | None] | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page, highest first. `spend_band` keeps members whose spend is in [low, high)."""
    order = _sort_column(sort)
    statement: Select[Any] = (
        select(
            MEMBERS.c.id,
            MEMBERS.c.customer_id,
            MEMBERS.c.points_balance,
            MEMBERS.c.spend,
            CUSTOMERS.c.first_name,
            CUSTOMERS.c.last_name,
            CUSTOMERS.c.email,
        )
        .select_from(
            MEMBERS.outerjoin(
                CUSTOMERS,
                and_(CUSTOMERS.c.shop_id == MEMBERS.c.shop_id, CUSTOMERS.c.customer_id == MEMBERS.c.customer_id),
            )
        )
        .where(MEMBERS.c.shop_id == shop_id, MEMBERS.c.redacted_at.is_(None))
        .order_by(order.desc(), MEMBERS.c.id.desc())
        .limit(limit + 1)
    )
    words = query.strip().lower()[:MAX_QUERY]
    if words:
        statement = statement.where(CUSTOMERS.c.search_text.like(f"%{_escaped(words)}%", escape="\\"))
    if spend_band is not None:
        low, high = spend_band
        statement = statement.where(MEMBERS.c.spend >= low)
        if high is not None:
            statement = statement.where(MEMBERS.c.spend < high)
    if after:
        value, member_id = decode_cursor(sort, after)
        statement = statement.where(tuple_(order, MEMBERS.c.id) < tuple_(value, member_id))
    rows = (await session.execute(statement)).all()
    members = [
        Listed(r.id, r.customer_id, r.first_name, r.last_name, r.email, int(r.points_balance), Decimal(r.spend))
        for r in rows[:limit]
    ]
    following = None
    if len(rows) > limit:
        last = members[-1]
        following = encode_cursor(sort, last.points if sort == "points" else last.spend, last.member_id)
    return Page(members, following)


def _escaped(text: str) -> str:
    """A search as a LIKE pattern's literal text: its own % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
