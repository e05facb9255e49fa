"""Offline tokens: stored encrypted, handed out fresh, refreshed one at a time per shop.

Shopify rotates the refresh token on every refresh, so two refreshes racing with the same refresh
token can leave the loser holding a dead pair. One refresh at a time per shop: the refresher takes
a short lease on the token row (a conditional update, committed at once), calls Shopify with no
transaction open, and stores the new pair if nobody stored a newer one meanwhile. Whoever finds the
lease taken waits for the row to turn fresh. Holding a row lock across the call instead would, on
SQLite, stop every writer in the process for as long as Shopify takes to answer.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_ignoring_conflicts
from app.core.clock import utcnow
from app.core.db import Database, dialect_of
from app.shopify.errors import TokenGrantError
from app.shopify.oauth import ShopifyAuth, TokenGrant
from app.shops.crypto import TokenCipher
from app.shops.models import ShopToken

log = structlog.get_logger(__name__)

TOKENS: Table = ShopToken.__table__  # type: ignore[attr-defined]
# Longer than a refresh call can take (the Shopify client times out at 10 s).
LEASE = timedelta(seconds=30)
LEASE_POLL_SECONDS = 0.05


class ShopNotConnected(Exception):
    """No usable token: the shop uninstalled us, or must open the app again to re-authorise."""


def grant_of(row: ShopToken, cipher: TokenCipher) -> TokenGrant:
    return TokenGrant(
        access_token=cipher.decrypt(row.access_token_encrypted),
        scope=row.scope,
        expires_at=row.expires_at,
        refresh_token=cipher.decrypt(row.refresh_token_encrypted) if row.refresh_token_encrypted else None,
        refresh_token_expires_at=row.refresh_token_expires_at,
    )


async def save_grant(session: AsyncSession, shop_id: int, grant: TokenGrant, cipher: TokenCipher) -> ShopToken:
    """Store a grant. Two requests may record one at once (App Bridge's first page load sends several):
    create the row if missing without conflicting, then lock it, so the later writer simply wins."""
    await session.execute(
        insert_ignoring_conflicts(TOKENS, dialect_of(session)).values(
            shop_id=shop_id, access_token_encrypted="", scope="", generation=0, updated_at=utcnow()
        )
    )
    row = await session.get(ShopToken, shop_id, with_for_update=True, populate_existing=True)
    assert row is not None
    row.access_token_encrypted = cipher.encrypt(grant.access_token)
    row.scope = grant.scope
    row.expires_at = grant.expires_at
    row.refresh_token_encrypted = cipher.encrypt(grant.refresh_token) if grant.refresh_token else None
    row.refresh_token_expires_at = grant.refresh_token_expires_at
    row.generation += 1
    row.updated_at = utcnow()
    await session.flush()
    return row


async def drop_token(session: AsyncSession, shop_id: int, *, generation: int | None = None) -> None:
    """Forget the shop's token; with `generation`, only if nobody stored a newer grant since."""
    condition = TOKENS.c.shop_id == shop_id
    if generation is not None:
        condition &= TOKENS.c.generation == generation
    await session.execute(delete(TOKENS).where(condition))


class TokenStore:
    def __init__(self, db: Database, cipher: TokenCipher, auth: ShopifyAuth, margin: timedelta) -> None:
        self.db = db
        self.cipher = cipher
        self.auth = auth
        self.margin = margin

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is None or expires_at - self.margin > utcnow()

    async def access_token(self, shop_id: int, shop_domain: str) -> str:
        """A token good for at least the refresh margin; refreshes first if it is not."""
        async with self.db.sessions() as session:
            row = await session.get(ShopToken, shop_id)
            if row is None:
                raise ShopNotConnected(shop_domain)
            if self._fresh(row.expires_at):
                return self.cipher.decrypt(row.access_token_encrypted)
        return await self.refresh(shop_id, shop_domain)

    async def refresh(self, shop_id: int, shop_domain: str) -> str:
        """Refresh under the shop's lease; a caller that finds it taken waits and uses the new token."""
        deadline = utcnow() + LEASE + LEASE
        while True:
            claimed = await self._claim_lease(shop_id, shop_domain)
            if claimed is not None:
                return await self._refresh_holding_lease(shop_id, shop_domain, *claimed)
            await asyncio.sleep(LEASE_POLL_SECONDS)
            async with self.db.sessions() as session:
                row = await session.get(ShopToken, shop_id, populate_existing=True)
                if row is None:
                    raise ShopNotConnected(shop_domain)
                if self._fresh(row.expires_at):
                    return self.cipher.decrypt(row.access_token_encrypted)
            if utcnow() > deadline:
                raise ShopNotConnected(shop_domain)

    async def _claim_lease(self, shop_id: int, shop_domain: str) -> tuple[TokenGrant, int] | None:
        """The current grant and its generation, with the lease; None if someone else holds it."""
        now = utcnow()
        async with self.db.unit_of_work() as session:
            taken = await session.execute(
                update(TOKENS)
                .where(
                    TOKENS.c.shop_id == shop_id,
                    (TOKENS.c.refresh_lease_until.is_(None)) | (TOKENS.c.refresh_lease_until < now),
                )
                .values(refresh_lease_until=now + LEASE)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                if await session.get(ShopToken, shop_id) is None:
                    raise ShopNotConnected(shop_domain)
                return None
            row = await session.get(ShopToken, shop_id, populate_existing=True)
            assert row is not None
            return grant_of(row, self.cipher), row.generation

    async def _refresh_holding_lease(self, shop_id: int, shop_domain: str, current: TokenGrant, generation: int) -> str:
        try:
            renewed = await self.auth.refresh(shop_domain, current, self.margin)
        except TokenGrantError as exc:
            # The pair is dead (revoked, expired): keep nothing that cannot work; the merchant's
            # next visit to the app exchanges a new one.
            async with self.db.unit_of_work() as session:
                await drop_token(session, shop_id, generation=generation)
            log.warning("shops.token.refresh_refused", shop=shop_domain, code=exc.code)
            raise ShopNotConnected(shop_domain) from exc
        except BaseException:
            await self._release_lease(shop_id)
            raise
        async with self.db.unit_of_work() as session:
            row = await session.get(ShopToken, shop_id, with_for_update=True, populate_existing=True)
            if row is None:  # uninstalled while we were asking
                raise ShopNotConnected(shop_domain)
            row.refresh_lease_until = None
            if renewed is None:
                return current.access_token
            if row.generation != generation:
                # A new install's grant arrived meanwhile: it is newer than ours, keep it.
                return self.cipher.decrypt(row.access_token_encrypted)
            saved = await save_grant(session, shop_id, renewed, self.cipher)
            saved.refresh_lease_until = None
            log.info("shops.token.refreshed", shop=shop_domain, generation=generation + 1)
            return renewed.access_token

    async def _release_lease(self, shop_id: int) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(update(TOKENS).where(TOKENS.c.shop_id == shop_id).values(refresh_lease_until=None))

    async def due_for_refresh(self) -> list[int]:
        async with self.db.sessions() as session:
            result = await session.execute(
                select(ShopToken.shop_id).where(  # type: ignore[call-overload]
                    ShopToken.expires_at.is_not(None),  # type: ignore[union-attr]
                    ShopToken.expires_at < utcnow() + self.margin,  # type: ignore[operator]
                )
            )
            return list(result.scalars())
