"""Reading the ledger back in tests, and checking its invariant every time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.core.db import Database
from loyalty.models import LedgerEntry, Member, TierChange


@dataclass(frozen=True)
class Account:
    points: int
    tier: str | None
    entries: list[tuple[str, int]]


async def accounts(db: Database) -> dict[int, Account]:
    """Every member's account; asserts the invariant: cached balance == sum of entries."""
    async with db.sessions() as session:
        members = (await session.execute(select(Member))).scalars().all()
        result = {}
        for member in members:
            entries = (
                await session.execute(
                    select(LedgerEntry.idempotency_key, LedgerEntry.delta)
                    .where(LedgerEntry.member_id == member.id)
                    .order_by(LedgerEntry.id)
                )
            ).all()
            total = sum(delta for _, delta in entries)
            assert member.points_balance == total, f"{member.customer_id}: cached {member.points_balance} != {total}"
            result[member.customer_id] = Account(member.points_balance, member.tier_name, [tuple(e) for e in entries])
        return result


async def points(db: Database, customer_id: int) -> int:
    return (await accounts(db)).get(customer_id, Account(0, None, [])).points


async def entry_count(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(LedgerEntry))).scalar_one())


async def tier_changes(db: Database) -> list[tuple[str | None, str]]:
    async with db.sessions() as session:
        rows = (await session.execute(select(TierChange.from_tier, TierChange.to_tier).order_by(TierChange.id))).all()
        return [tuple(r) for r in rows]
