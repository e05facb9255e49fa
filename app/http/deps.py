"""Request dependencies: the process's services, the admin's shop, the storefront's shopper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request
from starlette.types import Scope

from app.core.config import Settings
from app.http import page_tokens
from app.http.errors import ApiError
from app.services import Services
from app.shopify.errors import ShopifyUnavailable, TokenGrantError
from app.shops import service as shops_service
from app.shops import storefront
from app.shops.models import Shop, ShopToken
from app.shops.storefront import Standing

RETRY_SESSION = {"X-Shopify-Retry-Invalid-Session-Request": "1"}
# Shopify ids are positive and fit a BIGINT column.
MAX_SHOPIFY_ID = 2**63 - 1


async def get_services(request: Request) -> Services:
    # Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a hop that cost the
    # storefront's reads about 5% of their CPU (bench/storefront.py).
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def request_headers(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.headers.items()}


def public_url(settings: Settings, path: str, query: str) -> str:
    """The request's URL as the world reaches us, from APP_URL: never from the Host header, which a
    client chooses (the session verifier builds redirects from the URL it is given)."""
    return f"{settings.app_url}{path}{'?' + query if query else ''}"


def url_of(request: Request, services: Services) -> str:
    return public_url(services.settings, request.url.path, request.url.query)


def invalid_session(code: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(
        401, "invalid_session_token", f"session token rejected ({code})", headers=(headers or {}) | RETRY_SESSION
    )


def invalid_proxy_signature(code: str) -> ApiError:
    return ApiError(401, "invalid_signature", f"app proxy signature rejected ({code})")


def authenticator(services: Services) -> Callable[[Scope], ApiError | None]:
    """Checks, before a request's body is read, what the route's own dependency will check again:
    a session token for the admin API, a signature for the storefront."""

    def authenticate(scope: Scope) -> ApiError | None:
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        url = public_url(services.settings, path, query)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if path.startswith("/admin/") and not path.startswith("/admin/api/") and not headers.get("authorization"):
            # An admin page's form: its page token is in the query or a header, never only in the body.
            token = headers.get(page_tokens.HEADER) or parse_qs(query).get(page_tokens.FIELD, [""])[0]
            if page_tokens.shop_of(services.settings, token) is None:
                return ApiError(401, "invalid_page_token", "this page has expired; open Dangol from the admin again")
            return None
        if path.startswith("/admin"):
            if not headers.get("authorization"):
                return ApiError(
                    401, "missing_session_token", "Authorization: Bearer <session token> is required", RETRY_SESSION
                )
            verdict = services.verifier.session(scope["method"], url, headers)
            return None if verdict.ok else invalid_session(verdict.code, verdict.headers)
        if path == "/proxy" or path.startswith("/proxy/"):
            proxied = services.verifier.app_proxy(url)
            return None if proxied.ok else invalid_proxy_signature(proxied.code)
        return None

    return authenticate


async def current_shop(request: Request, services: ServicesDep) -> Shop:
    """The shop of a verified App Bridge session token (`Authorization: Bearer`). A shop opening the
    app for the first time (Shopify-managed install) gets its offline token by token exchange here."""
    if not request.headers.get("authorization"):
        raise ApiError(
            401, "missing_session_token", "Authorization: Bearer <session token> is required", headers=RETRY_SESSION
        )
    verdict = services.verifier.session(request.method, url_of(request, services), request_headers(request))
    if not verdict.ok or verdict.shop_domain is None:
        raise invalid_session(verdict.code, verdict.headers)
    return await shop_with_token(services, verdict.shop_domain, verdict.id_token)


async def shop_with_token(services: Services, shop_domain: str, id_token: object) -> Shop:
    async with services.db.sessions() as session:
        shop = await shops_service.find_shop(session, shop_domain)
        if shop is not None and shop.installed and shop.id is not None:
            token = await session.get(ShopToken, shop.id)
            if token is not None:
                return shop
    try:
        grant = await services.auth.exchange_session_token(id_token)
    except TokenGrantError as exc:
        raise ApiError(
            401, "token_exchange_refused", f"Shopify refused the token exchange ({exc.code})", headers=RETRY_SESSION
        ) from exc
    except ShopifyUnavailable as exc:
        raise ApiError(503, "shopify_unavailable", "Shopify could not be reached; try again") from exc
    async with services.db.unit_of_work() as session:
        return await shops_service.record_install(session, shop_domain, grant, services.cipher)


CurrentShop = Annotated[Shop, Depends(current_shop)]


@dataclass(frozen=True)
class Shopper:
    standing: Standing
    customer_id: int | None


async def proxy_shopper(request: Request, services: ServicesDep) -> Shopper:
    """A storefront request forwarded by Shopify's app proxy, verified by its `signature`, with the
    shopper's standing read in one statement (app/shops/storefront.py)."""
    verdict = services.verifier.app_proxy(url_of(request, services))
    if not verdict.ok or verdict.shop_domain is None:
        raise invalid_proxy_signature(verdict.code)
    if verdict.customer_id is not None and not 0 < verdict.customer_id <= MAX_SHOPIFY_ID:
        raise ApiError(400, "invalid_customer", "logged_in_customer_id is not a Shopify customer id")
    async with services.db.statement_reads() as session:
        found = await storefront.standing(session, shop_domain=verdict.shop_domain, customer_id=verdict.customer_id)
    if found is None or not found.installed:
        raise ApiError(404, "shop_not_installed", "this shop has not installed Dangol")
    return Shopper(standing=found, customer_id=verdict.customer_id)


ProxyShopper = Annotated[Shopper, Depends(proxy_shopper)]


def logged_in(shopper: Shopper) -> int:
    if shopper.customer_id is None:
        raise ApiError(403, "not_logged_in", "log in to your account to see your points")
    return shopper.customer_id
