"""The composition root: every long-lived object a process needs, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from shopify_app import ShopifyApp

from app.core import jobs
from app.core.config import Settings
from app.core.db import Database
from app.queue import JobQueue
from app.shopify.client import AdminClient
from app.shopify.http import shopify_http_client
from app.shopify.oauth import ShopifyAuth
from app.shopify.verify import ShopifyVerifier
from app.shops.crypto import TokenCipher, encryption_keys
from app.shops.tokens import TokenStore


@dataclass
class Services:
    settings: Settings
    db: Database
    queue: JobQueue
    verifier: ShopifyVerifier
    http: httpx.AsyncClient
    auth: ShopifyAuth
    admin: AdminClient
    cipher: TokenCipher
    tokens: TokenStore

    async def close(self) -> None:
        jobs.set_sender(None)
        await self.queue.close()
        await self.http.aclose()
        await self.db.dispose()


def build_services(
    settings: Settings, *, shopify_transport: httpx.AsyncBaseTransport | None = None, db: Database | None = None
) -> Services:
    """`shopify_transport` lets tests put the local dev store in-process instead of on a port."""
    settings.require_credentials()
    settings.require_production_backends()
    database = db or Database(settings.database_url)
    queue = JobQueue(settings)
    jobs.set_sender(queue.send)
    verifier = ShopifyVerifier(settings)
    http = shopify_http_client(settings.shopify_api_base_url, shopify_transport)
    shopify_app: ShopifyApp = verifier.app
    auth = ShopifyAuth(settings, http, shopify_app)
    cipher = TokenCipher(encryption_keys(settings))
    return Services(
        settings=settings,
        db=database,
        queue=queue,
        verifier=verifier,
        http=http,
        auth=auth,
        admin=AdminClient(shopify_app, http, settings.shopify_api_version),
        cipher=cipher,
        tokens=TokenStore(database, cipher, auth, timedelta(seconds=settings.token_refresh_margin_seconds)),
    )
