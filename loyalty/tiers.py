"""Members' stored tiers: recomputed from their spend in the program's window, changes recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from loyalty import repository, rules
from loyalty.program import Program, TierWindow
from loyalty.programs import get_program
from loyalty.repository import MemberState


async def recompute_tiers(
    session: AsyncSession,
    shop_id: int,
    program: Program,
    members: Sequence[MemberState],
    shop_timezone: str | None,
    now: datetime,
) -> int:
    """Set each (locked) member's tier from their spend in the program's window; record changes."""
    if not members:
        return 0
    since = rules.window_start(program.tier_window, now, shop_timezone)
    spend = await repository.spend_by_customer(session, shop_id, [m.customer_id for m in members], since)
    changes = []
    moved: dict[int, Decimal] = {}
    for member in members:
        customer_spend = spend.get(member.customer_id, Decimal(0))
        if customer_spend != member.spend:
            moved[member.id] = customer_spend
            member.spend = customer_spend
        tier = rules.tier_for_spend(program.tiers, customer_spend).name
        if tier != member.tier_name:
            changes.append((member, tier, customer_spend))
    await repository.set_spends(session, moved)
    await repository.set_tiers(session, shop_id, changes, now)
    for member, tier, _ in changes:
        member.tier_name = tier
    return len(changes)


async def recompute_tiers_page(
    session: AsyncSession,
    *,
    shop_id: int,
    shop_timezone: str | None,
    after_member_id: int,
    limit: int = 500,
    now: datetime | None = None,
) -> int | None:
    """Recompute one page of members' tiers as time moves windows on. Returns the last member id
    of the page, or None when there are no more."""
    now = now or utcnow()
    page = await repository.all_member_customer_ids(session, shop_id, after_member_id, limit)
    if not page:
        return None
    program = await get_program(session, shop_id)
    members = await repository.lock_members(
        session, shop_id, [customer_id for _, customer_id in page], program.base_tier.name, now
    )
    await recompute_tiers(session, shop_id, program, list(members.values()), shop_timezone, now)
    return page[-1][0]


async def members_per_tier(
    session: AsyncSession,
    *,
    shop_id: int,
    thresholds: Sequence[Decimal],
    window: TierWindow,
    shop_timezone: str | None,
    now: datetime,
) -> list[int]:
    """How many members each tier of a ladder (thresholds rising from 0) would hold today. For the
    program's own window the members' kept spend decides; for another window, their orders in it."""
    program = await get_program(session, shop_id)
    if window == program.tier_window:
        return await repository.members_by_band(session, shop_id, thresholds)
    since = rules.window_start(window, now, shop_timezone)
    return await repository.members_by_window_band(session, shop_id, thresholds, since)
