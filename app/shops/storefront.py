"""What a shopper's storefront request reads: their shop, its program, their points, counted spend and
referral code, in one round trip and without writing anything.

The storefront is read on every page a shopper opens, so it is the cheapest thing the app does: one
statement by the shop's domain (the shops' unique key) with the member and the code joined in;
the program's validation is done once per saved version and kept. A missing referral record is
asked for with a job, never written here: a read never takes a write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from cachetools import LRUCache
from sqlalchemy import BigInteger, BindParameter, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.shops.models import Shop
from crm.repository import CUSTOMERS
from loyalty import repository as loyalty_repository
from loyalty.program import Program, default_program
from loyalty.repository import MEMBERS, PROGRAMS
from loyalty.schemas import LedgerLine
from referrals.service import CODES, derived_code

SHOPS = Shop.__table__  # type: ignore[attr-defined]
PROGRAM_CACHE_SIZE = 1024
_programs: LRUCache[tuple[int, datetime | None], Program] = LRUCache(maxsize=PROGRAM_CACHE_SIZE)


@dataclass(frozen=True)
class Standing:
    shop_id: int
    domain: str
    installed: bool
    currency: str | None
    time_zone: str | None
    program: Program
    member_id: int | None
    points: int
    spend: Decimal
    referral_code: str | None
    # True when the code shown is derived here and not yet recorded.
    code_unrecorded: bool
    first_name: str | None = None


def program_of(shop_id: int, version: datetime | None, document: dict[str, Any] | None) -> Program:
    """The shop's program, validated once per saved version (the version is its `updated_at`)."""
    if document is None:
        return default_program()
    key = (shop_id, version)
    program = _programs.get(key)
    if program is None:
        program = _programs[key] = Program.model_validate(document)
    return program


# Built once: building a select costs more CPU than PostgreSQL spends running it (bench/storefront.py).
_CUSTOMER: BindParameter[int] = bindparam("customer", type_=BigInteger)
STANDING = (
    select(
        SHOPS.c.id,
        SHOPS.c.uninstalled_at,
        SHOPS.c.currency,
        SHOPS.c.iana_timezone,
        SHOPS.c.referral_key,
        PROGRAMS.c.document,
        PROGRAMS.c.updated_at,
        MEMBERS.c.id.label("member_id"),
        MEMBERS.c.points_balance,
        MEMBERS.c.spend,
        CODES.c.code,
        CUSTOMERS.c.first_name,
    )
    .select_from(
        SHOPS.outerjoin(PROGRAMS, PROGRAMS.c.shop_id == SHOPS.c.id)
        .outerjoin(MEMBERS, and_(MEMBERS.c.shop_id == SHOPS.c.id, MEMBERS.c.customer_id == _CUSTOMER))
        .outerjoin(CODES, and_(CODES.c.shop_id == SHOPS.c.id, CODES.c.customer_id == _CUSTOMER))
        .outerjoin(CUSTOMERS, and_(CUSTOMERS.c.shop_id == SHOPS.c.id, CUSTOMERS.c.customer_id == _CUSTOMER))
    )
    .where(SHOPS.c.domain == bindparam("domain"))
)


async def standing(session: AsyncSession, *, shop_domain: str, customer_id: int | None) -> Standing | None:
    """The shop (None if unknown) and, for a logged-in shopper, their standing in it."""
    customer = customer_id if customer_id is not None else -1
    result = await session.execute(STANDING, {"customer": customer, "domain": shop_domain})
    row = result.first()
    if row is None:
        return None
    code = row.code
    derived = code is None and customer_id is not None and bool(row.referral_key)
    if derived:
        code = derived_code(row.referral_key, customer)
    return Standing(
        shop_id=row.id,
        domain=shop_domain,
        installed=row.uninstalled_at is None,
        currency=row.currency,
        time_zone=row.iana_timezone,
        program=program_of(row.id, row.updated_at, row.document),
        member_id=row.member_id,
        points=int(row.points_balance or 0),
        spend=Decimal(row.spend or 0),
        referral_code=code,
        code_unrecorded=derived,
        # A name of spaces greets no one.
        first_name=(row.first_name or "").strip() or None,
    )


async def recent_history(session: AsyncSession, *, shop_id: int, member_id: int, limit: int = 5) -> list[LedgerLine]:
    return await loyalty_repository.ledger_lines(session, shop_id, member_id, limit)
