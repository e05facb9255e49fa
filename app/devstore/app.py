"""The dev store's HTTP face: Shopify's token endpoint and Admin GraphQL, plus pages to click through
(a shop's orders, the storefront through the app proxy, the app embedded in an admin frame)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import orjson
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from app.core.config import Settings
from app.devstore.demo import DEMO_SHOP
from app.devstore.graphql_api import execute
from app.devstore.liquid import ROUTES, render_proxy_body
from app.devstore.payloads import customer_payload, order_payload, refund_payload
from app.devstore.signing import app_proxy_signature, oauth_query_hmac, session_token
from app.devstore.state import DevLine, DevShop, DevStore, Refused, parse_amount
from app.devstore.webhooks import deliver
from app.mail.devserver import kept_mail
from app.shopify.subscriptions import graphql_topic, subscribed_topics
from frontend.pages import TEMPLATES

# Mounted in the app (`dangol dev`), url_for looks names up in the app's routes first: a plain "home"
# found the admin's home page, and the page's forms posted to /shops/… instead of /devstore/shops/….
HOME = "devstore_home"
STOREFRONT = "devstore_storefront"
ACCOUNT_LOGIN = "devstore_account_login"
ACCOUNT_REGISTER = "devstore_account_register"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"

pages = Environment(loader=FileSystemLoader([Path(__file__).parent / "templates", TEMPLATES]), autoescape=True)


@dataclass(frozen=True)
class FormError:
    """A form the page shows again with its message: `form` names it (`order:{shop}`, `refund:{id}`,
    `customer:{shop}`), `field` the input the message is about when the form has several, and `typed`
    what was typed into its inputs, shown again."""

    form: str
    message: str
    field: str = ""
    typed: Mapping[str, str] = dataclasses.field(default_factory=dict)


def _oauth_error(code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def create_devstore(
    settings: Settings, store: DevStore | None = None, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`webhook_transport` lets tests deliver webhooks in-process instead of over a port."""
    store = store or DevStore(Path(settings.var_dir) / "devstore.json")
    api = FastAPI(title="Dangol dev store", docs_url=None, redoc_url=None, openapi_url=None)
    api.state.store = store
    api.state.received = []  # GraphQL operations answered, for tests and the curious
    secret = settings.shopify_api_secret.get_secret_value()

    def credentials_ok(body: dict[str, Any]) -> bool:
        return body.get("client_id") == settings.shopify_api_key and body.get("client_secret") == secret

    @api.post("/admin/oauth/access_token")
    async def access_token(request: Request) -> Response:
        body = await _form_or_json(request)
        if not credentials_ok(body):
            return _oauth_error("invalid_client", "client_id or client_secret is wrong", 401)
        expiring = str(body.get("expiring", "0")) == "1"
        grant_type = body.get("grant_type")
        if grant_type == "refresh_token":
            answer = store.rotate(str(body.get("refresh_token", "")))
            return JSONResponse(answer) if answer else _oauth_error("invalid_grant", "refresh token is not valid")
        if grant_type == TOKEN_EXCHANGE:
            return _token_exchange(store, settings, body, expiring)
        grant = store.redeem_code(str(body.get("code", "")))
        if grant is None:
            return _oauth_error("invalid_grant", "authorization code is invalid or was used")
        store.ensure_shop(grant.shop)
        return JSONResponse(store.grant_tokens(grant.shop, grant.scope, expiring=expiring))

    @api.get("/admin/oauth/authorize")
    async def authorize(
        request: Request, client_id: str, redirect_uri: str, scope: str = "", state: str = "", shop: str | None = None
    ) -> Response:
        """The merchant approves at once: back to the app with a code and a signed query."""
        domain = shop or request.headers.get("x-forwarded-host")
        if client_id != settings.shopify_api_key or not domain:
            return _oauth_error("invalid_request", "unknown client_id or shop")
        store.ensure_shop(domain)
        params = {
            "code": store.issue_code(domain, scope),
            "shop": domain,
            "state": state,
            "timestamp": str(int(time.time())),
            "host": domain,
        }
        params["hmac"] = oauth_query_hmac(params, secret)
        return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

    @api.post("/admin/api/{version}/graphql.json")
    async def admin_graphql(version: str, request: Request) -> Response:
        domain = store.shop_for_token(request.headers.get("x-shopify-access-token", ""))
        if domain is None:
            return JSONResponse(
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
                status_code=401,
            )
        try:
            body = orjson.loads(await request.body())
            query = body["query"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return JSONResponse({"errors": "Bad Request"}, status_code=400)
        answer = await execute(store, store.shop(domain), query, body.get("variables"), body.get("operationName"))
        api.state.received.append(
            {
                "shop": domain,
                "version": version,
                "query": query,
                "variables": body.get("variables"),
                "errors": answer.get("errors"),
            }
        )
        return JSONResponse(answer)

    # --- pages --------------------------------------------------------------------------------

    async def announce(shop: DevShop, topic: str, payload: dict[str, Any]) -> None:
        """Deliver to each subscription for the topic: the shop's own and the app's TOML ones."""
        urls = {s.callback_url for s in shop.subscriptions if s.topic == graphql_topic(topic)}
        if topic in subscribed_topics():
            urls.add(f"{settings.app_url}/webhooks")
        async with httpx.AsyncClient(transport=webhook_transport, timeout=10) as client:
            for url in sorted(urls):
                for attempt in range(3):
                    try:
                        response = await deliver(
                            client,
                            url,
                            topic,
                            shop.domain,
                            payload,
                            secret=secret,
                            api_version=settings.shopify_api_version,
                        )
                        if response.status_code < 500:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2 * (attempt + 1))

    def home_page(request: Request, error: FormError | None = None) -> HTMLResponse:
        page = pages.get_template("devstore_home.html").render(
            # The page answers form posts too, at deeper paths: its relative links start from here.
            base=request.url_for(HOME).path,
            shops=list(store.state.shops.values()),
            app_url=settings.app_url,
            api_key=settings.shopify_api_key,
            error=error,
        )
        return HTMLResponse(page, status_code=422 if error else 200)

    def shop_or_404(domain: str) -> DevShop:
        try:
            return store.shop(domain)
        except KeyError:
            raise HTTPException(404, f"no shop {domain} in the dev store") from None

    @api.get("/", response_class=HTMLResponse, name=HOME)
    async def home(request: Request) -> HTMLResponse:
        return home_page(request)

    @api.post("/shops/{domain}/orders")
    async def place_order(
        request: Request,
        domain: str,
        customer_id: int = Form(0),
        # No amount of the store's choosing: FastAPI gives a field sent empty its default.
        amount: str = Form(""),
        # An unticked checkbox sends nothing, so a missing field is an unpaid order.
        paid: bool = Form(False),
    ) -> Response:
        shop = shop_or_404(domain)
        try:
            price = parse_amount(amount, shop.currency)
        except Refused as refused:
            return home_page(request, FormError(f"order:{domain}", str(refused), typed={"amount": amount}))
        order = store.place_order(
            domain, customer_id=customer_id or None, paid=paid, lines=[DevLine(title="Dev store item", price=price)]
        )
        await announce(shop, "orders/create", order_payload(shop, order))
        if paid:
            await announce(shop, "orders/paid", order_payload(shop, order))
        return RedirectResponse(request.url_for(HOME), status_code=303)

    @api.post("/shops/{domain}/orders/{order_id}/{action}")
    async def order_action(
        request: Request, domain: str, order_id: int, action: str, amount: str = Form("")
    ) -> Response:
        shop = shop_or_404(domain)
        if action not in ("pay", "refund", "cancel") or order_id not in shop.orders:
            raise HTTPException(404, f"no order {order_id} to {action} in {domain}")
        try:
            if action == "pay":
                order = store.mark_paid(domain, order_id)
                await announce(shop, "orders/paid", order_payload(shop, order))
            elif action == "refund":
                order, refund = store.refund(domain, order_id, parse_amount(amount, shop.currency))
                await announce(shop, "refunds/create", refund_payload(order, refund))
                await announce(shop, "orders/updated", order_payload(shop, order))
            else:
                order = store.cancel(domain, order_id)
                await announce(shop, "orders/cancelled", order_payload(shop, order))
        except Refused as refused:
            return home_page(request, FormError(f"{action}:{order_id}", str(refused), typed={"amount": amount}))
        return RedirectResponse(request.url_for(HOME), status_code=303)

    @api.post("/shops/{domain}/customers")
    async def add_customer(
        request: Request, domain: str, first_name: str = Form(""), last_name: str = Form(""), email: str = Form("")
    ) -> Response:
        shop = shop_or_404(domain)
        try:
            customer = store.add_customer(domain, first_name, last_name, email)
        except Refused as refused:
            typed = {"first_name": first_name, "last_name": last_name, "email": email}
            return home_page(request, FormError(f"customer:{domain}", str(refused), refused.field, typed))
        await announce(shop, "customers/create", customer_payload(customer))
        return RedirectResponse(request.url_for(HOME), status_code=303)

    @api.get("/shops/{domain}/customers.json")
    async def list_customers(domain: str) -> list[dict[str, Any]]:
        """The shop's customers, for scripts (dangol dev prints a shopper's page with one)."""
        shop = shop_or_404(domain)
        return [
            {"id": c.id, "first_name": c.first_name, "last_name": c.last_name, "email": c.email}
            for c in shop.customers.values()
        ]

    @api.get("/shops/{domain}/apps/loyalty/{path:path}", name=STOREFRONT)
    async def storefront(domain: str, path: str, request: Request) -> Response:
        """Shopify's app proxy: sign the query and forward to the app's /proxy."""
        params = {k: v for k, v in request.query_params.items() if k != "customer_id"}
        params |= {
            "shop": domain,
            "logged_in_customer_id": request.query_params.get("customer_id", ""),
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(time.time())),
        }
        params["signature"] = app_proxy_signature(params, secret)
        target = f"{settings.app_url}/proxy{'/' + path if path else ''}?{urlencode(params)}"
        async with httpx.AsyncClient(transport=webhook_transport, timeout=10) as client:
            response = await client.get(target, headers={"Accept-Language": request.headers.get("accept-language", "")})
        if not response.headers.get("content-type", "").startswith("application/liquid"):
            return Response(
                response.content, status_code=response.status_code, media_type=response.headers.get("content-type")
            )
        shop = shop_or_404(domain)
        customer_id = request.query_params.get("customer_id", "")
        customer = shop.customers.get(int(customer_id)) if customer_id.isdigit() else None
        locale = request.query_params.get("locale") or "en"
        content = render_proxy_body(
            response.text, shop=shop, customer=customer, locale=locale, routes=theme_routes(request, domain)
        )
        page = pages.get_template("devstore_storefront.html").render(shop=shop, content=Markup(content), locale=locale)
        return HTMLResponse(page, status_code=response.status_code)

    def theme_routes(request: Request, domain: str) -> dict[str, str]:
        """Shopify's `routes` for the shop's theme: its account pages are the dev store's, under the
        shop's path as its storefront is (a shop's own theme has them at /account/…)."""
        return ROUTES | {
            "account_login_url": request.url_for(ACCOUNT_LOGIN, domain=domain).path,
            "account_register_url": request.url_for(ACCOUNT_REGISTER, domain=domain).path,
        }

    def account_page(request: Request, domain: str, heading: str) -> HTMLResponse:
        """The dev store has no customer accounts: a shopper signs in by opening the loyalty page as
        one of the shop's customers."""
        shop = shop_or_404(domain)
        loyalty = request.url_for(STOREFRONT, domain=domain, path="").path
        page = pages.get_template("devstore_account.html").render(
            shop=shop,
            heading=heading,
            loyalty=loyalty,
            customers=[(c, f"{loyalty}?{urlencode({'customer_id': c.id})}") for c in shop.customers.values()],
            home=request.url_for(HOME).path,
            locale="en",
        )
        return HTMLResponse(page)

    @api.get("/shops/{domain}/account/login", response_class=HTMLResponse, name=ACCOUNT_LOGIN)
    async def account_login(request: Request, domain: str) -> HTMLResponse:
        return account_page(request, domain, "Sign in")

    @api.get("/shops/{domain}/account/register", response_class=HTMLResponse, name=ACCOUNT_REGISTER)
    async def account_register(request: Request, domain: str) -> HTMLResponse:
        return account_page(request, domain, "Create an account")

    @api.get("/mail", response_class=HTMLResponse)
    async def mail() -> HTMLResponse:
        """Every mail the local SMTP server kept, newest first."""
        return HTMLResponse(
            pages.get_template("devstore_mail.html").render(mails=kept_mail(Path(settings.var_dir) / "mail"))
        )

    @api.get("/admin/apps/{api_key}", response_class=HTMLResponse)
    async def embedded_admin(api_key: str, shop: str, locale: str | None = None) -> HTMLResponse:
        """Plays the Shopify admin: frames the app with a fresh ID token (and, as Shopify does, the
        staff member's admin language as `locale`)."""
        token = session_token(shop, settings.shopify_api_key, secret)
        query = {"shop": shop, "host": shop, "embedded": "1", "id_token": token} | (
            {"locale": locale} if locale else {}
        )
        src = f"{settings.app_url}/admin?{urlencode(query)}"
        return HTMLResponse(pages.get_template("devstore_admin.html").render(shop=shop, src=src))

    @api.get("/admin/apps/{api_key}/session-token")
    async def fresh_session_token(api_key: str, shop: str) -> Response:
        """A fresh ID token, as the admin hands App Bridge one whenever it asks (the App Bridge
        stand-in of tests/browser/ asks here)."""
        if api_key != settings.shopify_api_key:
            return _oauth_error("invalid_request", "unknown api key", 404)
        return JSONResponse({"id_token": session_token(shop, settings.shopify_api_key, secret)})

    return api


def demo_links(settings: Settings, store: DevStore, mount: str) -> dict[str, str]:
    """The pages of the dev store mounted at `mount` to open first, for the demo shop `dangol dev`
    installs: the store, the shop's admin, its first customer's loyalty page, the kept mail."""
    shop = store.state.shops.get(DEMO_SHOP)
    first = min(shop.customers) if shop and shop.customers else None
    return {
        "store": f"{mount}/",
        "admin": f"{mount}/admin/apps/{settings.shopify_api_key}?{urlencode({'shop': DEMO_SHOP})}",
        "shopper": f"{mount}/shops/{DEMO_SHOP}/apps/loyalty/" + (f"?customer_id={first}" if first else ""),
        "mail": f"{mount}/mail",
    }


def _token_exchange(store: DevStore, settings: Settings, body: dict[str, Any], expiring: bool) -> Response:
    if body.get("subject_token_type") != ID_TOKEN or body.get("requested_token_type") != OFFLINE_TOKEN:
        return _oauth_error("invalid_request", "only ID token → offline token exchanges are supported here")
    try:
        claims = jwt.decode(
            str(body.get("subject_token", "")),
            settings.shopify_api_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=settings.shopify_api_key,
            leeway=10,
        )
    except jwt.PyJWTError:
        return _oauth_error("invalid_subject_token", "the session token is invalid or expired")
    domain = str(claims.get("dest", "")).removeprefix("https://")
    store.ensure_shop(domain)
    return JSONResponse(store.grant_tokens(domain, settings.shopify_scopes, expiring=expiring))


async def _form_or_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    form = await request.form()
    return {k: v for k, v in form.items()}
