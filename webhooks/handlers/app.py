"""The app's own lifecycle topics."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.shops import service as shops_service
from app.shops.models import Shop
from webhooks.inbox import InboxEvent
from webhooks.payloads import AppUninstalled, ScopesUpdate, parse
from webhooks.shop_claims import ensure_same_shop


async def on_app_uninstalled(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    """Forget the token; but an uninstall from before the shop's latest install is history, not news
    (a late or retried delivery must not undo a re-install)."""
    body = parse(AppUninstalled, event.body)
    ensure_same_shop(shop, domain=body.myshopify_domain, shop_id=body.id)
    if event.happened_at < shop.installed_at:
        return
    await shops_service.mark_uninstalled(session, shop)


async def on_app_scopes_update(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    update = parse(ScopesUpdate, event.body)
    ensure_same_shop(shop, shop_id=update.shop_id)
    shop.scopes = ",".join(update.current)
