"""Verifying what Shopify sends us, through Shopify's own `shopifyapp` package (webhook bodies
are checked on intake's hot path by webhooks/verify.py, for the reason given there).

The package answers in its own terms (a status and a log code); here those become our verdicts,
and the contract's status codes are decided by the callers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlparse, urlsplit

from shopify_app import ShopifyApp

from app.core.config import Settings
from app.shopify.domains import normalise_shop_domain

# Shopify signs each of these once; a second copy is a forgery trying to make us read another value
# than the signed one.
PROXY_SINGLE_VALUED = frozenset({"shop", "signature", "timestamp", "logged_in_customer_id", "path_prefix", "hmac"})
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
FRAME_ANCESTORS = re.compile(r"(frame-ancestors\b[^;]*)")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allow_framing_by(headers: Mapping[str, str], origins: tuple[str, ...]) -> dict[str, str]:
    """`headers` with `origins` added to the Content-Security-Policy's frame-ancestors (the library
    allows only the shop and Shopify's admin)."""
    answer = dict(headers)
    if not origins:
        return answer
    for name, value in headers.items():
        if name.lower() == "content-security-policy":
            answer[name] = FRAME_ANCESTORS.sub(lambda m: f"{m.group(1).rstrip()} {' '.join(origins)}", value, count=1)
    return answer


def proxy_query_problem(url: str) -> str | None:
    """Why an app proxy query cannot be genuine, decided before any library reads it (a signature
    that is not hex made the library's comparison raise), or None."""
    try:
        pairs = parse_qsl(urlparse(url).query, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return "malformed_query"
    counts = Counter(key for key, _ in pairs)
    if any(counts[name] > 1 for name in PROXY_SINGLE_VALUED):
        return "repeated_parameter"
    signature = next((value for key, value in pairs if key == "signature"), None)
    if signature is None:
        return "missing_signature"
    if not HEX_SHA256.fullmatch(signature):
        return "malformed_signature"
    return None


@dataclass(frozen=True)
class ProxyVerdict:
    ok: bool
    code: str
    shop_domain: str | None = None
    customer_id: int | None = None


@dataclass(frozen=True)
class DocumentAnswer:
    """A page the library wrote (App Bridge's bounce page), or why it would not."""

    ok: bool
    code: str
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class SessionVerdict:
    """An App Bridge session token (ID token), verified. `status`/`headers` are what to answer when not ok."""

    ok: bool
    code: str
    status: int = 200
    headers: dict[str, str] | None = None
    shop_domain: str | None = None
    user_id: str | None = None
    id_token: Any = None


class ShopifyVerifier:
    """One per process: holds the client secret (and the previous one during a rotation)."""

    PATCH_ID_TOKEN_PATH = "/auth/patch-id-token"

    def __init__(self, settings: Settings) -> None:
        self.app = ShopifyApp(
            client_id=settings.shopify_api_key,
            client_secret=settings.shopify_api_secret.get_secret_value(),
            old_client_secret=settings.previous_secret,
        )
        # Our documents say who may frame them. Shopify's admin and the shop's domain in production;
        # with the local dev store mounted, its admin page frames the app from APP_URL's origin
        # (app/devstore/app.py), and a browser would show a blank frame without it.
        self.dev_framers = (origin_of(settings.app_url),) if settings.dangol_dev_store else ()

    def app_proxy(self, url: str) -> ProxyVerdict:
        problem = proxy_query_problem(url)
        if problem is not None:
            return ProxyVerdict(ok=False, code=problem)
        result = self.app.verify_app_proxy_req({"method": "GET", "headers": {}, "url": url, "body": ""})
        if not result.ok:
            return ProxyVerdict(ok=False, code=result.log.code)
        shop = normalise_shop_domain(f"{result.shop}.myshopify.com" if result.shop else "")
        if shop is None:
            return ProxyVerdict(ok=False, code="invalid_shop")
        customer = (result.logged_in_customer_id or "").strip()
        # ASCII digits only: str.isdigit() also says yes to "²" and "١٢".
        known = customer.isascii() and customer.isdigit()
        return ProxyVerdict(
            ok=True, code=result.log.code, shop_domain=shop, customer_id=int(customer) if known else None
        )

    def session(self, method: str, url: str, headers: dict[str, str]) -> SessionVerdict:
        """Verify an App Bridge ID token from `Authorization: Bearer` (fetch) or `?id_token=` (document).

        On top of the package's checks (HS256 signature, expiry with 10 s leeway, `aud`), the contract
        asks that `iss` be `https://{shop}/admin` for the shop named in `dest`.
        """
        result = self.app.verify_app_home_req(
            {"method": method, "headers": headers, "url": url, "body": ""},
            app_home_patch_id_token_path=self.PATCH_ID_TOKEN_PATH,
        )
        if not result.ok:
            return SessionVerdict(
                ok=False,
                code=result.log.code,
                status=result.response.status,
                headers=allow_framing_by(result.response.headers, self.dev_framers),
            )
        claims = result.id_token.claims if result.id_token else {}
        shop = normalise_shop_domain(urlparse(str(claims.get("dest", ""))).hostname or "")
        # Shopify's ID tokens always expire; PyJWT only checks `exp` when it is present.
        if shop is None or claims.get("iss") != f"https://{shop}/admin" or "exp" not in claims:
            return SessionVerdict(
                ok=False, code="invalid_issuer", status=401, headers={"X-Shopify-Retry-Invalid-Session-Request": "1"}
            )
        return SessionVerdict(
            ok=True,
            code=result.log.code,
            headers=allow_framing_by(result.response.headers, self.dev_framers),
            shop_domain=shop,
            user_id=None if result.user_id is None else str(result.user_id),
            id_token=result.id_token,
        )

    def patch_id_token_page(self, url: str) -> DocumentAnswer:
        """App Bridge's bounce page for `url` (`/auth/patch-id-token?shop=…&shopify-reload=…`)."""
        result = self.app.app_home_patch_id_token({"method": "GET", "headers": {}, "url": url, "body": ""})
        return DocumentAnswer(
            ok=result.ok,
            code=result.log.code,
            status=result.response.status,
            body=result.response.body,
            headers=allow_framing_by(result.response.headers, self.dev_framers),
        )
