"""A member as merchants and shoppers see them, and the merchant's manual corrections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from loyalty import repository, rules
from loyalty.errors import IdempotencyKeyReused, InsufficientPoints
from loyalty.models import EntryKind
from loyalty.programs import get_program
from loyalty.repository import NewEntry
from loyalty.schemas import LedgerLine, MemberView, NextTier

LEDGER_PAGE = 100


async def member_view(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    shop_timezone: str | None,
    now: datetime | None = None,
    ledger_limit: int = LEDGER_PAGE,
) -> MemberView:
    """A customer's points, tier and progress. A customer we have never seen holds 0 in the base tier."""
    now = now or utcnow()
    program = await get_program(session, shop_id)
    since = rules.window_start(program.tier_window, now, shop_timezone)
    spend = (await repository.spend_by_customer(session, shop_id, [customer_id], since)).get(customer_id, Decimal(0))
    member = await repository.find_member(session, shop_id, customer_id)
    upcoming = rules.next_tier(program.tiers, spend)
    return MemberView(
        customer_id=customer_id,
        points=member.points_balance if member else 0,
        # From live spend, like `next_tier`: the stored tier of a moving window may be hours behind.
        tier=rules.tier_for_spend(program.tiers, spend).name,
        spend=spend,
        next_tier=NextTier(name=upcoming[0].name, remaining=upcoming[1]) if upcoming else None,
        ledger=await repository.ledger_lines(session, shop_id, member.id, ledger_limit) if member else [],
    )


async def ledger_page(
    session: AsyncSession, *, shop_id: int, customer_id: int, before_id: int | None, limit: int = LEDGER_PAGE
) -> tuple[list[LedgerLine], int | None]:
    """A page of the member's history, newest first, and the id to continue before (None at the end)."""
    member = await repository.find_member(session, shop_id, customer_id)
    if member is None:
        return [], None
    lines = await repository.ledger_lines(session, shop_id, member.id, limit + 1, before_id)
    return lines[:limit], (lines[limit - 1].id if len(lines) > limit else None)


async def tier_history(session: AsyncSession, *, shop_id: int, customer_id: int) -> list[dict[str, Any]]:
    """The member's tier changes, oldest first."""
    member = await repository.find_member(session, shop_id, customer_id)
    return [] if member is None else await repository.tier_history(session, shop_id, member.id)


async def adjust_points(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    points: int,
    reason: str,
    request_key: str,
    now: datetime | None = None,
) -> bool:
    """A merchant's manual correction. Idempotent per `request_key`; a debit may not overdraw.
    Returns False when the same request was already applied; the key sent again with another
    customer, amount or reason is refused rather than silently ignored."""
    now = now or utcnow()
    program = await get_program(session, shop_id)
    member = (await repository.lock_members(session, shop_id, [customer_id], program.base_tier.name, now))[customer_id]
    key = f"adjust:{request_key}"
    earlier = await repository.entry_by_key(session, shop_id, key)
    if earlier is not None:
        if earlier != (member.id, points, reason):
            raise IdempotencyKeyReused(request_key)
        return False
    if points < 0 and member.points_balance + points < 0:
        raise InsufficientPoints(member.points_balance, -points)
    entry = NewEntry(
        shop_id=shop_id,
        member_id=member.id,
        delta=points,
        kind=EntryKind.ADJUST,
        reason=reason,
        idempotency_key=key,
        created_at=now,
    )
    if await repository.insert_entries(session, [entry]):
        await repository.add_to_balances(session, {member.id: points}, now)
    return True
