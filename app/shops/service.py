"""A shop's lifecycle: install, uninstall, erase. Runs inside the caller's unit of work."""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import jobs
from app.core.bulk import insert_ignoring_conflicts
from app.core.clock import utcnow
from app.core.db import dialect_of
from app.shopify.oauth import TokenGrant
from app.shops import compliance
from app.shops.crypto import TokenCipher
from app.shops.models import Shop
from app.shops.tokens import drop_token, save_grant
from crm import service as crm_service
from loyalty import service as loyalty_service
from referrals import service as referrals_service

log = structlog.get_logger(__name__)

SYNC_JOB = "shops.sync_shop"


async def find_shop(session: AsyncSession, domain: str) -> Shop | None:
    result = await session.execute(select(Shop).where(Shop.domain == domain))  # type: ignore[arg-type]
    return result.scalar_one_or_none()


async def shops_by_domain(session: AsyncSession, domains: list[str]) -> dict[str, Shop]:
    if not domains:
        return {}
    result = await session.execute(select(Shop).where(Shop.domain.in_(domains)))  # type: ignore[attr-defined]
    return {shop.domain: shop for shop in result.scalars()}


async def all_shops(session: AsyncSession) -> list[Shop]:
    """Installed or not: an uninstalled shop keeps its data until `shop/redact`."""
    result = await session.execute(select(Shop).order_by(Shop.id))  # type: ignore[arg-type]
    return list(result.scalars())


async def installed_shops(session: AsyncSession) -> list[Shop]:
    result = await session.execute(select(Shop).where(Shop.uninstalled_at.is_(None)).order_by(Shop.id))  # type: ignore[union-attr, arg-type]
    return list(result.scalars())


async def unsynced_shops(session: AsyncSession) -> list[int]:
    """Installed shops whose currency, time zone and subscriptions were never read and ensured."""
    result = await session.execute(
        select(Shop.id).where(Shop.uninstalled_at.is_(None), Shop.synced_at.is_(None))  # type: ignore[call-overload, union-attr]
    )
    return [int(shop_id) for shop_id in result.scalars()]


async def record_install(session: AsyncSession, domain: str, grant: TokenGrant, cipher: TokenCipher) -> Shop:
    """Store the shop and its token; a re-install revives an uninstalled shop with its history.
    Currency, time zone and webhook subscriptions are read by the sync job after commit."""
    dialect = dialect_of(session)
    await session.execute(
        insert_ignoring_conflicts(Shop.__table__, dialect).values(  # type: ignore[attr-defined]
            domain=domain, installed_at=utcnow(), scopes=grant.scope, referral_key=referrals_service.new_referral_key()
        )
    )
    shop = await find_shop(session, domain)
    assert shop is not None
    assert shop.id is not None
    # Every grant is an install as far as lifecycle webhooks are concerned: an app/uninstalled
    # triggered before this moment is history, even if the worker has not processed it yet.
    shop.installed_at = utcnow()
    shop.uninstalled_at = None
    shop.scopes = grant.scope
    token = await save_grant(session, shop.id, grant, cipher)
    await loyalty_service.ensure_program(session, shop.id)
    jobs.defer(SYNC_JOB, shop.id, job_id=f"shop-sync:{shop.id}:{token.generation}")
    log.info("shops.installed", shop=domain)
    return shop


async def mark_uninstalled(session: AsyncSession, shop: Shop) -> None:
    """`app/uninstalled`: Shopify has revoked the token; forget it. Data stays until `shop/redact`."""
    assert shop.id is not None
    if shop.uninstalled_at is None:  # a repeated delivery keeps the first uninstall's time
        shop.uninstalled_at = utcnow()
    await drop_token(session, shop.id)
    log.info("shops.uninstalled", shop=shop.domain)


async def erase_shop(session: AsyncSession, shop: Shop) -> None:
    """`shop/redact`: remove everything we hold for the shop (48 h after uninstall)."""
    assert shop.id is not None
    await loyalty_service.redact_shop(session, shop_id=shop.id)
    await referrals_service.redact_shop(session, shop_id=shop.id)
    await crm_service.redact_shop(session, shop_id=shop.id)
    await compliance.delete_shop_exports(session, shop_id=shop.id)
    await drop_token(session, shop.id)
    await session.delete(shop)
    log.info("shops.erased", shop=shop.domain)
