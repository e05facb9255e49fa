"""Offline tokens: stored encrypted, handed out fresh, refreshed one at a time per shop.

Shopify rotates the refresh token on every refresh, so two refreshes racing with the same refresh
token can leave the loser holding a dead pair. The token row is locked for the refresh (row lock
on PostgreSQL, SQLite's write lock there), and whoever waited re-reads the row and finds it fresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.db import Database, insert_ignoring_conflicts
from app.shopify.errors import TokenGrantError
from app.shopify.oauth import ShopifyAuth, TokenGrant
from app.shops.crypto import TokenCipher
from app.shops.models import ShopToken

log = structlog.get_logger(__name__)

TOKENS: Table = ShopToken.__table__  # type: ignore[attr-defined]


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
        insert_ignoring_conflicts(TOKENS, session.get_bind().dialect.name).values(
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
        """Refresh under the token row's lock; a caller that waited finds the new token and uses it."""
        generation: int | None = None
        try:
            async with self.db.unit_of_work() as session:
                result = await session.execute(
                    select(ShopToken).where(ShopToken.shop_id == shop_id).with_for_update()  # type: ignore[arg-type]
                )
                row = result.scalar_one_or_none()
                if row is None:
                    raise ShopNotConnected(shop_domain)
                current, generation = grant_of(row, self.cipher), row.generation
                renewed = await self.auth.refresh(shop_domain, current, self.margin)
                if renewed is None:
                    return current.access_token
                await save_grant(session, shop_id, renewed, self.cipher)
                log.info("shops.token.refreshed", shop=shop_domain, generation=row.generation)
                return renewed.access_token
        except TokenGrantError as exc:
            assert generation is not None
            # The pair is dead (revoked, expired): keep nothing that cannot work; the merchant's
            # next visit to the app exchanges a new one.
            async with self.db.unit_of_work() as session:
                await drop_token(session, shop_id, generation=generation)
            log.warning("shops.token.refresh_refused", shop=shop_domain, code=exc.code)
            raise ShopNotConnected(shop_domain) from exc

    async def due_for_refresh(self) -> list[int]:
        async with self.db.sessions() as session:
            result = await session.execute(
                select(ShopToken.shop_id).where(  # type: ignore[call-overload]
                    ShopToken.expires_at.is_not(None),  # type: ignore[union-attr]
                    ShopToken.expires_at < utcnow() + self.margin,  # type: ignore[operator]
                )
            )
            return list(result.scalars())
