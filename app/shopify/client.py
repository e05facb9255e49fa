"""Admin GraphQL: the documents the app sends, and one client that sends them through `shopifyapp`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from shopify_app import ShopifyApp

from app.shopify.errors import ShopifyError, ShopifyUnauthorized, ShopifyUnavailable

OPERATIONS_DIR = Path(__file__).parent / "operations"


@cache
def operation(name: str) -> str:
    """A GraphQL document from `operations/{name}.graphql`; tests validate each against Shopify's schema."""
    return (OPERATIONS_DIR / f"{name}.graphql").read_text()


def all_operations() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(OPERATIONS_DIR.glob("*.graphql"))}


def _throttle_wait(body: dict[str, Any]) -> float | None:
    """Seconds until a THROTTLED request can afford its cost again, from Shopify's cost extension."""
    codes = {((e.get("extensions") or {}).get("code")) for e in body.get("errors") or [] if isinstance(e, dict)}
    if "THROTTLED" not in codes:
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost", 0)) - float(status.get("currentlyAvailable", 0))
        return max(1.0, missing / float(status.get("restoreRate") or 50))
    except (TypeError, ValueError):
        return 1.0


class AdminClient:
    def __init__(self, app: ShopifyApp, http: httpx.AsyncClient, api_version: str) -> None:
        self.app = app
        self.http = http
        self.api_version = api_version

    async def execute(
        self, shop_domain: str, access_token: str, name: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run the named operation; the `data` object on success.

        Raises ShopifyUnavailable for what a retry may cure (network, 5xx, 429, THROTTLED),
        ShopifyUnauthorized for a refused token, ShopifyError for the rest."""
        result = await self.app.admin_graphql_request_async(
            operation(name),
            shop=shop_domain.removesuffix(".myshopify.com"),
            access_token=access_token,
            api_version=self.api_version,
            variables=variables,
            max_retries=2,
            http_client=self.http,
        )
        if result.ok:
            return dict(result.data or {})
        status = result.response.status
        if status == 401:
            raise ShopifyUnauthorized(f"{name}: token refused")
        if status == 0 or status == 429 or status >= 500:
            raise ShopifyUnavailable(f"{name}: {result.log.code}")
        body = _json(result.response.body)
        wait = _throttle_wait(body)
        if wait is not None:
            raise ShopifyUnavailable(f"{name}: throttled", retry_after=wait)
        messages = [e.get("message") for e in body.get("errors") or [] if isinstance(e, dict)]
        raise ShopifyError(f"{name}: {result.log.code} {messages}")


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
