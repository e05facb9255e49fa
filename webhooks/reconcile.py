"""Reconciliation: Shopify's webhooks are at-least-once and can be lost, so every so often we page
through the orders Shopify says changed and feed the ones we have not seen into the inbox, where
they take the same path as a webhook."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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
from webhooks.handlers.orders import RECONCILED_TOPIC
from webhooks.inbox import insert_rows, row_values
from webhooks.models import InboxSource

log = structlog.get_logger(__name__)

WAKE_JOB = "webhooks.process_inbox"
# OrdersUpdatedSince.graphql asks for refunds(first: 5): five back means there may be more.
REFUNDS_PER_ORDER = 5
UNREAD_LINES: dict[str, Any] = {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}


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
        unseen = await _unseen(db, shop_id, page["nodes"])
        complete = [await complete_order_node(admin, domain, token, node) for node in unseen]
        queued += await _queue(db, domain, complete, api_version)
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


async def _unseen(db: Database, shop_id: int, nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The orders the ledger has not applied at this version."""
    async with db.sessions() as session:
        seen = await loyalty_service.order_versions(
            session, shop_id=shop_id, order_ids=[int(str(n["legacyResourceId"])) for n in nodes]
        )
    return [
        node
        for node in nodes
        if (known := seen.get(int(str(node["legacyResourceId"])))) is None
        or known < datetime.fromisoformat(str(node["updatedAt"]))
    ]


async def complete_order_node(admin: AdminClient, domain: str, token: str, node: dict[str, Any]) -> dict[str, Any]:
    """Fill in what OrdersUpdatedSince's page sizes cut off: refunds past the first five, lines past
    the first eight. Refunds are recorded once, so a refund counted short would stay short."""
    refunds = list(node.get("refunds") or [])
    if len(refunds) >= REFUNDS_PER_ORDER:
        listed = (await admin.execute(domain, token, "OrderRefunds", {"id": node["id"]}))["order"]["refunds"]
        fetched = {refund["id"]: refund for refund in refunds}
        refunds = [fetched.get(refund["id"]) or {**refund, "refundLineItems": UNREAD_LINES} for refund in listed]
    completed = []
    for refund in refunds:
        lines, page = list(refund["refundLineItems"]["nodes"]), refund["refundLineItems"]["pageInfo"]
        while page["hasNextPage"]:
            more = await admin.execute(
                domain, token, "RefundLineItems", {"id": refund["id"], "after": page["endCursor"]}
            )
            lines += more["refund"]["refundLineItems"]["nodes"]
            page = more["refund"]["refundLineItems"]["pageInfo"]
        completed.append({**refund, "refundLineItems": {"nodes": lines, "pageInfo": page}})
    return {**node, "refunds": completed}


async def _queue(db: Database, domain: str, nodes: list[dict[str, Any]], api_version: str) -> list[int]:
    now = utcnow()
    rows = [
        row_values(
            Envelope(
                shop_domain=domain,
                topic=RECONCILED_TOPIC,
                webhook_id=f"reconcile:{node['id']}:{node['updatedAt']}",
                api_version=api_version,
                event_id=None,
                triggered_at=datetime.fromisoformat(str(node["updatedAt"])),
            ),
            orjson.dumps(node),
            now,
            source=InboxSource.RECONCILE,
        )
        for node in nodes
    ]
    async with db.unit_of_work() as session:
        return await insert_rows(await session.connection(), rows)
