"""After install: read the shop's currency and time zone once, and make sure our webhook
subscriptions exist for shops installed outside the Shopify CLI."""

from __future__ import annotations

import structlog

from app.core.clock import utcnow
from app.core.db import Database
from app.shopify.client import AdminClient
from app.shopify.subscriptions import graphql_topic, subscribed_topics
from app.shops.models import Shop
from app.shops.tokens import TokenStore

log = structlog.get_logger(__name__)


async def existing_subscriptions(admin: AdminClient, domain: str, token: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    after: str | None = None
    while True:
        data = await admin.execute(domain, token, "WebhookSubscriptions", {"after": after})
        page = data["webhookSubscriptions"]
        for node in page["nodes"]:
            url = (node.get("endpoint") or {}).get("callbackUrl")
            if url:
                found.add((node["topic"], url))
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def sync_shop(db: Database, tokens: TokenStore, admin: AdminClient, shop_id: int, app_url: str) -> None:
    async with db.sessions() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None or not shop.installed:
            return
        domain = shop.domain
    token = await tokens.access_token(shop_id, domain)
    details = (await admin.execute(domain, token, "ShopDetails"))["shop"]

    callback = f"{app_url}/webhooks"
    have = await existing_subscriptions(admin, domain, token)
    created = 0
    for topic in subscribed_topics():
        if (graphql_topic(topic), callback) in have:
            continue
        data = await admin.execute(
            domain, token, "WebhookSubscriptionCreate", {"topic": graphql_topic(topic), "callbackUrl": callback}
        )
        errors = data["webhookSubscriptionCreate"]["userErrors"]
        if errors:
            log.warning("shops.subscription.refused", shop=domain, topic=topic, errors=errors)
        else:
            created += 1

    async with db.unit_of_work() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None:
            return
        shop.shopify_shop_gid = details["id"]
        shop.name = details["name"]
        shop.currency = details["currencyCode"]
        shop.iana_timezone = details["ianaTimezone"]
        shop.synced_at = utcnow()
    log.info("shops.synced", shop=domain, subscriptions_created=created)
