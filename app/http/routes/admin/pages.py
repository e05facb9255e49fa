"""What every admin page shares: who the merchant is, in which language, and one way to render a page
in the admin layout (frontend/templates/admin/layout.html).

A page is authenticated by, in order: App Bridge's session token on a fetch (`Authorization: Bearer`),
the `id_token` Shopify puts on a document request, or the page token a page we rendered carries in
its links and forms (`_session`). The page token exists because pages must work without App
Bridge's script (it comes from Shopify's CDN): it is our own signature over the shop's domain, given
only inside a page that was itself authenticated by Shopify's token, and valid for two hours. Without
any of them, a document request is bounced to App Bridge's page that fetches a fresh session token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.config import DEV_STORE_PATH, Settings
from app.http import page_tokens
from app.http.deps import ServicesDep, invalid_session, request_headers, shop_with_token, url_of
from app.http.errors import ApiError, ReplyWith
from app.services import Services
from app.shops import service as shops_service
from app.shops.models import Shop
from frontend.i18n import Language, accepted_languages, choose, translations
from frontend.pages import render

# What a page's links carry on, so the next page speaks the same language inside the same admin.
KEPT_PARAMETERS = ("shop", "host", "embedded", "locale")


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


def navigation(gettext: Any) -> list[NavItem]:
    return [
        NavItem("/admin", gettext("Home")),
        NavItem("/admin/program", gettext("Program")),
        NavItem("/admin/customers", gettext("Customers")),
    ]


def frame_ancestors(settings: Settings, shop_domain: str) -> dict[str, str]:
    """Who may frame the admin: the shop's admin and Shopify's (and the dev store, in development)."""
    origins = [f"https://{shop_domain}", "https://admin.shopify.com"]
    if settings.dangol_dev_store:
        origins.append(settings.app_url)
    return {"Content-Security-Policy": f"frame-ancestors {' '.join(origins)};"}


@dataclass
class AdminPage:
    """An authenticated admin request: its shop, its language, and how to answer with a page."""

    services: Services
    shop: Shop
    language: Language
    kept: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def shop_id(self) -> int:
        assert self.shop.id is not None
        return self.shop.id

    @property
    def page_token(self) -> str:
        return page_tokens.sign(self.services.settings, self.shop.domain)

    def url(self, path: str, **params: Any) -> str:
        """A link to another admin page, carrying the page token and the admin's parameters."""
        query = {k: v for k, v in self.kept.items()} | {page_tokens.FIELD: self.page_token}
        query |= {k: str(v) for k, v in params.items() if v is not None and v != ""}
        return f"{path}?{urlencode(query)}"

    def render(self, template: str, *, current: str, status: int = 200, **context: Any) -> HTMLResponse:
        gettext = _gettext(self.language)
        body = render(
            template,
            language=self.language,
            api_key=self.services.settings.shopify_api_key,
            shop=self.shop,
            currency=self.shop.currency,
            time_zone=self.shop.iana_timezone,
            nav=navigation(gettext),
            current=current,
            url=self.url,
            page_token=self.page_token,
            kept_fields=[*self.kept.items(), (page_tokens.FIELD, self.page_token)],
            **context,
        )
        return HTMLResponse(body, status_code=status, headers=self.headers | PAGE_HEADERS)

    def fragment(self, template: str, **context: Any) -> HTMLResponse:
        """A piece of a page for a script to put in place: the reader's language and the shop's
        currency and time zone, as the whole page has them."""
        body = render(
            template, language=self.language, currency=self.shop.currency, time_zone=self.shop.iana_timezone, **context
        )
        return HTMLResponse(body, headers=self.headers | PAGE_HEADERS)

    def redirect(self, path: str, **params: Any) -> RedirectResponse:
        return RedirectResponse(self.url(path, **params), status_code=303, headers=self.headers | PAGE_HEADERS)


# Page tokens travel in links: never let them leave in a Referer.
PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def _gettext(language: Language) -> Any:
    return translations(language).gettext


async def admin_page(request: Request, services: ServicesDep) -> AdminPage:
    params: Mapping[str, str] = request.query_params
    token = request.headers.get(page_tokens.HEADER) or params.get(page_tokens.FIELD)
    shop, headers = await _authenticated_shop(request, services, token)
    kept = {name: params[name] for name in KEPT_PARAMETERS if params.get(name)} | {"shop": shop.domain}
    language = choose([params.get("locale"), *_accepted(request)])
    return AdminPage(services, shop, language, kept, headers | frame_ancestors(services.settings, shop.domain))


def _accepted(request: Request) -> list[str]:
    return accepted_languages(request.headers.get("accept-language"))


async def _authenticated_shop(
    request: Request, services: Services, page_token: str | None
) -> tuple[Shop, dict[str, str]]:
    if request.headers.get("authorization") or request.query_params.get("id_token"):
        verdict = services.verifier.session(request.method, url_of(request, services), request_headers(request))
        if not verdict.ok or verdict.shop_domain is None:
            if verdict.status in (301, 302, 303, 307):
                raise ReplyWith(Response(status_code=verdict.status, headers=verdict.headers))
            raise invalid_session(verdict.code, verdict.headers)
        shop = await shop_with_token(services, verdict.shop_domain, verdict.id_token)
        return shop, {k: v for k, v in (verdict.headers or {}).items() if k.lower() == "link"}
    if page_token:
        domain = page_tokens.shop_of(services.settings, page_token)
        if domain is None:
            raise ApiError(401, "invalid_page_token", "this page has expired; open Dangol from the admin again")
        async with services.db.sessions() as session:
            found = await shops_service.find_shop(session, domain)
        if found is None or not found.installed:
            raise ApiError(401, "invalid_page_token", "this shop has not installed Dangol")
        return found, {}
    verdict = services.verifier.session(request.method, url_of(request, services), request_headers(request))
    if verdict.status in (301, 302, 303, 307):
        raise ReplyWith(Response(status_code=verdict.status, headers=verdict.headers))
    raise invalid_session(verdict.code, verdict.headers)


CurrentPage = Annotated[AdminPage, Depends(admin_page)]


def admin_app_url(settings: Settings, shop_domain: str) -> str:
    """Where a merchant opens Dangol inside their admin: Shopify's admin, or the dev store's page
    that plays it when the dev store is mounted."""
    query = urlencode({"shop": shop_domain})
    if settings.dangol_dev_store:
        return f"{settings.app_url}{DEV_STORE_PATH}/admin/apps/{settings.shopify_api_key}?{query}"
    return f"https://{shop_domain}/admin/apps/{settings.shopify_api_key}"


def problem_page(request: Request, status: int, code: str) -> HTMLResponse | None:
    """An admin document that cannot be shown, said in words in the admin's frame; None for anything
    that is not a page request (the admin API and the pages' own fetches keep their JSON)."""
    path = request.url.path
    if not (path == "/admin" or path.startswith("/admin/")) or path.startswith("/admin/api"):
        return None
    destination = request.headers.get("sec-fetch-dest")
    if destination not in ("document", "iframe") and not (
        destination is None and "text/html" in request.headers.get("accept", "")
    ):
        return None
    services: Services = request.app.state.services
    settings = services.settings
    language = choose([request.query_params.get("locale"), *_accepted(request)])
    gettext = _gettext(language)
    token = request.headers.get(page_tokens.HEADER) or request.query_params.get(page_tokens.FIELD) or ""
    shop = page_tokens.shop_of(settings, token) or page_tokens.expired_shop(settings, token)
    if status == 401:
        heading = gettext("This page has expired")
        message = gettext(
            "For your shop's safety, Dangol's pages last two hours. Open Dangol again from your Shopify admin."
        )
    else:
        heading = gettext("Nothing here")
        message = gettext("This address does not lead to a page of Dangol. Open Dangol again from your Shopify admin.")
    body = render(
        "admin/problem.html",
        language=language,
        heading=heading,
        message=message,
        admin_url=admin_app_url(settings, shop) if shop else None,
    )
    if shop:
        framing = frame_ancestors(settings, shop)
    else:
        origins = ["https://admin.shopify.com", "https://*.myshopify.com"]
        origins += [settings.app_url] if settings.dangol_dev_store else []
        framing = {"Content-Security-Policy": f"frame-ancestors {' '.join(origins)};"}
    return HTMLResponse(body, status_code=status, headers=framing | PAGE_HEADERS | {"X-Dangol-Error": code})
