"""Install: Shopify's authorization-code grant, and the page App Bridge uses to renew ID tokens."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.http.deps import ServicesDep, public_url
from app.http.errors import ApiError
from app.http.schemas import ErrorOut
from app.shopify.domains import normalise_shop_domain
from app.shopify.errors import ShopifyUnavailable, TokenGrantError
from app.shops import service as shops_service

router = APIRouter(tags=["install"])

STATE_COOKIE = "dangol_oauth_state"
STATE_MAX_AGE_SECONDS = 600
CALLBACK_PARAMS = ("code", "hmac", "shop", "state", "timestamp")


def _state_signer(services: ServicesDep) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services.settings.shopify_api_secret.get_secret_value(), salt="dangol-oauth-state")


@router.get(
    "/auth",
    response_class=RedirectResponse,
    status_code=302,
    responses={400: {"model": ErrorOut, "description": "not a myshopify.com domain"}},
)
async def begin_install(services: ServicesDep, shop: str = Query(max_length=255)) -> Response:
    domain = normalise_shop_domain(shop)
    if domain is None:
        raise ApiError(400, "invalid_shop", "shop must be a valid {name}.myshopify.com domain")
    nonce = secrets.token_urlsafe(24)
    response = RedirectResponse(services.auth.permission_url(domain, nonce), status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        _state_signer(services).dumps({"nonce": nonce, "shop": domain}),
        max_age=STATE_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        path="/auth",
        secure=services.settings.app_url.startswith("https://"),
    )
    return response


@router.get(
    "/auth/callback",
    response_class=RedirectResponse,
    status_code=302,
    responses={
        400: {"model": ErrorOut, "description": "bad state or parameters"},
        401: {"model": ErrorOut, "description": "bad hmac"},
    },
)
async def finish_install(request: Request, services: ServicesDep) -> Response:
    params = {key: value for key, value in request.query_params.items()}
    missing = [name for name in CALLBACK_PARAMS if not params.get(name)]
    if missing:
        raise ApiError(400, "missing_parameter", f"missing {', '.join(missing)}")
    domain = normalise_shop_domain(params["shop"])
    if domain is None:
        raise ApiError(400, "invalid_shop", "shop must be a valid {name}.myshopify.com domain")
    if not services.auth.callback_is_authentic(params):
        raise ApiError(401, "invalid_hmac", "the callback's hmac does not verify, or it is over a day old")
    try:
        state = _state_signer(services).loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise ApiError(400, "invalid_state", "install session missing or expired; start again at /auth") from exc
    if (
        not isinstance(state, dict)
        or not secrets.compare_digest(str(state.get("nonce")), params["state"])
        or state.get("shop") != domain
    ):
        raise ApiError(400, "invalid_state", "state does not match this install")
    try:
        grant = await services.auth.exchange_code(domain, params["code"])
    except TokenGrantError as exc:
        raise ApiError(400, "code_rejected", f"Shopify refused the authorization code ({exc.code})") from exc
    except ShopifyUnavailable as exc:
        raise ApiError(503, "shopify_unavailable", "Shopify could not be reached; try again") from exc
    async with services.db.unit_of_work() as session:
        await shops_service.record_install(session, domain, grant, services.cipher)
    admin_base = services.settings.shopify_api_base_url or f"https://{domain}"
    response = RedirectResponse(f"{admin_base}/admin/apps/{services.settings.shopify_api_key}?shop={domain}", 302)
    response.delete_cookie(STATE_COOKIE, path="/auth")
    return response


@router.get("/auth/patch-id-token", include_in_schema=False)
async def patch_id_token(
    services: ServicesDep,
    shop: str = Query("", max_length=255),
    shopify_reload: str = Query("", alias="shopify-reload", max_length=2048),
) -> Response:
    """App Bridge's bounce page for a document request that arrived without a fresh ID token. The shop
    goes into the answer's Content-Security-Policy and the reload path is followed by App Bridge, so
    both are checked here rather than passed through."""
    domain = normalise_shop_domain(shop)
    if domain is None:
        raise ApiError(400, "invalid_shop", "shop must be a valid {name}.myshopify.com domain")
    if not _is_app_path(shopify_reload):
        raise ApiError(400, "invalid_reload", "shopify-reload must be a path of this app")
    query = urlencode({"shop": domain, "shopify-reload": shopify_reload})
    page = services.verifier.patch_id_token_page(public_url(services.settings, "/auth/patch-id-token", query))
    if not page.ok:
        raise ApiError(400, page.code, "shop and shopify-reload are required")
    return Response(page.body, status_code=page.status, headers=page.headers)


def _is_app_path(value: str) -> bool:
    """A path on this app: starts with one slash, names no other host or scheme, no control characters."""
    parts = urlsplit(value)
    return (
        value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not parts.scheme
        and not parts.netloc
        and value.isprintable()
    )
