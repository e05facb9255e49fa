"""Getting and keeping offline tokens: authorization-code install, token exchange, refresh.

ShopifyAPI gives the authorization-code helpers (permission URL, OAuth HMAC with its timestamp
check). `shopifyapp` gives token exchange and refresh. Neither asks for an *expiring* token when
trading an authorization code (ShopifyAPI's `request_token` never sends `expiring=1`), so that one
request is written here by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import shopify
from shopify_app import ShopifyApp

from app.core.clock import utcnow
from app.core.config import Settings
from app.shopify.errors import ShopifyUnavailable, TokenGrantError

# The grant errors after which only a new install helps.
REAUTHORISE_CODES = frozenset({"invalid_grant", "refresh_token_expired", "invalid_subject_token", "invalid_client"})


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    scope: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None


def _at(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _grant_from_package(token: Any) -> TokenGrant:
    return TokenGrant(
        access_token=token.token,
        scope=token.scope or "",
        expires_at=_at(token.expires),
        refresh_token=token.refresh_token,
        refresh_token_expires_at=_at(token.refresh_token_expires),
    )


def _fail(code: str) -> Exception:
    if code in REAUTHORISE_CODES:
        return TokenGrantError(code)
    return ShopifyUnavailable(f"token request failed: {code}")


class ShopifyAuth:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, app: ShopifyApp) -> None:
        self.settings = settings
        self.http = http
        self.app = app
        # Class-level credentials are how ShopifyAPI's helpers read them; one subclass per secret
        # keeps the rotation's previous secret usable without touching the library's globals.
        self._signers: list[Any] = [
            type("DangolOAuthSigner", (shopify.Session,), {"api_key": settings.shopify_api_key, "secret": secret})
            for secret in settings.webhook_secrets
        ]

    def permission_url(self, shop_domain: str, state: str) -> str:
        session = self._signers[0](shop_domain, self.settings.shopify_api_version)
        return str(session.create_permission_url(self.settings.scopes, f"{self.settings.app_url}/auth/callback", state))

    def callback_is_authentic(self, params: Mapping[str, str]) -> bool:
        """Shopify's OAuth query HMAC (hex, sorted params) and a timestamp under a day old."""
        query = dict(params)
        for signer in self._signers:
            try:
                if signer.validate_params(query):
                    return True
            except (TypeError, ValueError):
                return False
        return False

    async def exchange_code(self, shop_domain: str, code: str) -> TokenGrant:
        """Authorization code → expiring offline token (`expiring=1`), by hand: see the module note."""
        try:
            response = await self.http.post(
                f"https://{shop_domain}/admin/oauth/access_token",
                json={
                    "client_id": self.settings.shopify_api_key,
                    "client_secret": self.settings.shopify_api_secret.get_secret_value(),
                    "code": code,
                    "expiring": "1",
                },
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise ShopifyUnavailable(f"token request failed: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ShopifyUnavailable(f"token request answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ShopifyUnavailable("token request answered non-JSON") from exc
        if response.status_code != 200 or "access_token" not in body:
            raise TokenGrantError(str(body.get("error") or f"http_{response.status_code}"))
        now = utcnow()
        expires_in = body.get("expires_in")
        refresh_expires_in = body.get("refresh_token_expires_in")
        return TokenGrant(
            access_token=body["access_token"],
            scope=body.get("scope", ""),
            expires_at=now + timedelta(seconds=int(expires_in)) if expires_in is not None else None,
            refresh_token=body.get("refresh_token"),
            refresh_token_expires_at=now + timedelta(seconds=int(refresh_expires_in))
            if refresh_expires_in is not None
            else None,
        )

    async def exchange_session_token(self, id_token: Any) -> TokenGrant:
        """Shopify-managed install: the admin's ID token → expiring offline token."""
        result = await self.app.exchange_using_token_exchange_async(
            "offline", id_token=id_token, expiring=True, http_client=self.http
        )
        if not result.ok or result.access_token is None:
            raise _fail(result.log.code)
        return _grant_from_package(result.access_token)

    async def refresh(self, shop_domain: str, grant: TokenGrant, margin: timedelta) -> TokenGrant | None:
        """Rotate the pair if the access token expires within `margin`; None if it need not."""
        if grant.refresh_token is None or grant.expires_at is None:
            return None
        if grant.expires_at - margin > utcnow():
            return None
        result = await self.app.refresh_token_exchanged_access_token_async(
            {
                "shop": shop_domain.removesuffix(".myshopify.com"),
                "access_mode": "offline",
                "refresh_token": grant.refresh_token,
                # The package refreshes only inside its own last minute; we ask earlier, so we
                # hand it an expiry that has already come.
                "expires": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "refresh_token_expires": grant.refresh_token_expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                if grant.refresh_token_expires_at
                else "",
            },
            http_client=self.http,
        )
        if not result.ok or result.access_token is None:
            raise _fail(result.log.code)
        return _grant_from_package(result.access_token)
