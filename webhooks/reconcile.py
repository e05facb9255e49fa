"""Reconciliation: Shopify's webhooks are at-least-once and can be lost, so every so often we page
through the orders Shopify says changed and feed the ones we have not seen into the inbox, where
they take the same path as a webhook."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import structlog

from app.core import jobs
from app.core.clock import utcnow
from app.core.db import Database
from app.shopify.client import AdminClient
from app.shops.models import Shop
from app.shops.tokens import TokenStore
from loyalty import service as loyalty_service
from webhooks.envelope import Envelope
from webhooks.inbox import insert_rows, row_values
from webhooks.models import InboxSource
from webhooks.topics import RECONCILED_TOPIC

log = structlog.get_logger(__name__)

WAKE_JOB = "webhooks.process_inbox"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def reconcile_shop(
    db: Database, tokens: TokenStore, admin: AdminClient, shop_id: int, *, api_version: str, overlap: timedelta
) -> int:
    """Queue every order updated since the last run that the ledger has not seen at that version.
    Returns how many were queued."""
    async with db.sessions() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None or not shop.installed:
            return 0
        domain, since = shop.domain, shop.orders_reconciled_until or shop.installed_at
    started = utcnow()
    token = await tokens.access_token(shop_id, domain)
    search = f"updated_at:>'{(since - overlap).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    queued: list[int] = []
    after: str | None = None
    while True:
        page = (await admin.execute(domain, token, "OrdersUpdatedSince", {"query": search, "after": after}))["orders"]
        queued += await _queue_unseen(db, shop_id, domain, page["nodes"], api_version)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    async with db.unit_of_work() as session:
        shop = await session.get(Shop, shop_id)
        if shop is not None:
            shop.orders_reconciled_until = started
        if queued:
            jobs.defer(WAKE_JOB, job_id=f"inbox:{min(queued)}")
    log.info("webhooks.reconciled", shop=domain, queued=len(queued))
    return len(queued)


async def _queue_unseen(
    db: Database, shop_id: int, domain: str, nodes: list[dict[str, object]], api_version: str
) -> list[int]:
    async with db.unit_of_work() as session:
        seen = await loyalty_service.order_versions(
            session, shop_id=shop_id, order_ids=[int(str(n["legacyResourceId"])) for n in nodes]
        )
        now = utcnow()
        rows = []
        for node in nodes:
            updated_at = _instant(str(node["updatedAt"]))
            known = seen.get(int(str(node["legacyResourceId"])))
            if known is not None and known >= updated_at:
                continue
            envelope = Envelope(
                shop_domain=domain,
                topic=RECONCILED_TOPIC,
                webhook_id=f"reconcile:{node['id']}:{node['updatedAt']}",
                api_version=api_version,
                event_id=None,
                triggered_at=updated_at,
            )
            rows.append(row_values(envelope, orjson.dumps(node), now, source=InboxSource.RECONCILE))
        return await insert_rows(await session.connection(), rows)
