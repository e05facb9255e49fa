"""Page tokens: the admin's own short-lived signature over a shop's domain, carried by the links and
forms of pages we rendered, so pages work when App Bridge's script (from Shopify's CDN) does not load.
Given only inside a page that Shopify's session token authenticated (app/http/routes/admin/pages.py)."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.core.config import Settings

LIFETIME_SECONDS = 2 * 3600
FIELD = "_session"
HEADER = "x-dangol-page-token"


def _signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.shopify_api_secret.get_secret_value(), salt="dangol-admin-page")


def sign(settings: Settings, shop_domain: str) -> str:
    return str(_signer(settings).dumps(shop_domain))


def shop_of(settings: Settings, token: str) -> str | None:
    """The shop the token was given for, or None if it is forged, malformed or expired."""
    try:
        domain = _signer(settings).loads(token, max_age=LIFETIME_SECONDS)
    except BadSignature:
        return None
    return domain if isinstance(domain, str) else None


def expired_shop(settings: Settings, token: str) -> str | None:
    """The shop of a token we signed that has only run out of time (to say where to open Dangol
    again); None for anything forged or malformed."""
    try:
        _signer(settings).loads(token, max_age=LIFETIME_SECONDS)
    except SignatureExpired as expired:
        domain = _signer(settings).load_payload(expired.payload) if expired.payload is not None else None
        return domain if isinstance(domain, str) else None
    except BadSignature:
        return None
    return None
