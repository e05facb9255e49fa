"""Referral use cases. For now: each advocate's code, and what privacy requests need.

A customer's code is derived from the shop's referral key and the customer's id, so a storefront
read can show it without writing anything; the code is recorded (so `/r/{code}` can find its
advocate) by a job the read asks for when the record is missing. A code recorded before this scheme,
or one recorded at random because the derived one was taken, stays the customer's code for good.
"""

from __future__ import annotations

import hashlib
import hmac
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
# Codes are unique across every shop (links carry no shop): 31^10 keeps a clash between derived
# codes unlikely even across millions of customers, and a clash falls back to a random code.
CODE_LENGTH = 10
ENSURE_CODE_JOB = "referrals.ensure_code"


def new_referral_key() -> str:
    """A shop's key for deriving its customers' codes, made once at install."""
    return secrets.token_hex(32)


def derived_code(referral_key: str, customer_id: int) -> str:
    digest = int.from_bytes(hmac.new(referral_key.encode(), str(customer_id).encode(), hashlib.sha256).digest())
    letters = []
    for _ in range(CODE_LENGTH):
        digest, index = divmod(digest, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[index])
    return "".join(letters)


def _random_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def record_code(session: AsyncSession, *, shop_id: int, customer_id: int, code: str) -> str:
    """Record the customer's code (the derived one, or a random one if another customer has it);
    idempotent: a customer who has a code keeps it. Returns the customer's code."""
    dialect = dialect_of(session)
    for candidate in (code, *(_random_code() for _ in range(5))):
        await session.execute(
            insert_ignoring_conflicts(CODES, dialect).values(
                shop_id=shop_id, customer_id=customer_id, code=candidate, created_at=utcnow()
            )
        )
        result = await session.execute(
            select(CODES.c.code).where(CODES.c.shop_id == shop_id, CODES.c.customer_id == customer_id)
        )
        recorded = result.scalar_one_or_none()
        if recorded is not None:
            return str(recorded)
    raise RuntimeError("could not record a unique referral code")


async def export_customer(session: AsyncSession, *, shop_id: int, customer_id: int) -> dict[str, Any]:
    result = await session.execute(
        select(CODES.c.code, CODES.c.created_at).where(CODES.c.shop_id == shop_id, CODES.c.customer_id == customer_id)
    )
    return {"codes": [{"code": row.code, "created_at": row.created_at.isoformat()} for row in result]}


async def redact_customer(session: AsyncSession, *, shop_id: int, customer_id: int) -> None:
    await session.execute(delete(CODES).where(CODES.c.shop_id == shop_id, CODES.c.customer_id == customer_id))


async def redact_shop(session: AsyncSession, *, shop_id: int) -> None:
    await session.execute(delete(CODES).where(CODES.c.shop_id == shop_id))
