"""Referral use cases. For now: each advocate's code, and what privacy requests need."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_ignoring_conflicts
from app.core.clock import utcnow
from app.core.db import dialect_of
from referrals.models import ReferralCode

CODES: Table = ReferralCode.__table__  # type: ignore[attr-defined]
# No 0/O, 1/I/L: codes get read aloud and typed from phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def referral_code(session: AsyncSession, *, shop_id: int, customer_id: int) -> str:
    """The customer's code, created on first use. Stable: the same customer always gets the same one."""
    dialect = dialect_of(session)
    for _ in range(5):
        await session.execute(
            insert_ignoring_conflicts(CODES, dialect).values(
                shop_id=shop_id, customer_id=customer_id, code=_new_code(), created_at=utcnow()
            )
        )
        result = await session.execute(
            select(CODES.c.code).where(CODES.c.shop_id == shop_id, CODES.c.customer_id == customer_id)
        )
        code = result.scalar_one_or_none()
        if code is not None:
            return str(code)
    raise RuntimeError("could not allocate a unique referral code")


async def export_customer(session: AsyncSession, *, shop_id: int, customer_id: int) -> dict[str, Any]:
    result = await session.execute(
        select(CODES.c.code, CODES.c.created_at).where(CODES.c.shop_id == shop_id, CODES.c.customer_id == customer_id)
    )
    return {"codes": [{"code": row.code, "created_at": row.created_at.isoformat()} for row in result]}


async def redact_customer(session: AsyncSession, *, shop_id: int, customer_id: int) -> None:
    await session.execute(delete(CODES).where(CODES.c.shop_id == shop_id, CODES.c.customer_id == customer_id))


async def redact_shop(session: AsyncSession, *, shop_id: int) -> None:
    await session.execute(delete(CODES).where(CODES.c.shop_id == shop_id))
