"""The app's own lifecycle topics."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.shops import service as shops_service
from app.shops.models import Shop
from webhooks.inbox import InboxEvent
from webhooks.payloads import ScopesUpdate, parse


async def on_app_uninstalled(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    """Forget the token; but an uninstall from before the shop's latest install is history, not news
    (a late or retried delivery must not undo a re-install)."""
    if event.happened_at < shop.installed_at:
        return
    await shops_service.mark_uninstalled(session, shop)


async def on_app_scopes_update(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    shop.scopes = ",".join(parse(ScopesUpdate, event.body).current)
