"""Does the body belong to the shop its headers name?

Shopify's HMAC signs the body only. A body signed for one shop, re-sent with another shop's
`X-Shopify-Shop-Domain`, still verifies; what the body itself says about its shop is signed, so
wherever a body names its shop, that must be the shop of the headers. A mismatch is a bad payload.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from app.shopify.domains import normalise_shop_domain
from app.shops.models import Shop
from webhooks.payloads import PayloadError


def _shopify_id(value: int | str | None) -> int | None:
    """A shop id as a number, whether given as `548380009` or `gid://shopify/Shop/548380009`."""
    if value is None:
        return None
    text = str(value).rsplit("/", 1)[-1]
    return int(text) if text.isascii() and text.isdigit() else None


def ensure_same_shop(
    shop: Shop,
    *,
    domain: str | None = None,
    shop_id: int | str | None = None,
    status_url: str | None = None,
) -> None:
    """Raise PayloadError if the body's `domain`, `shop_id` or order status URL names another shop
    than `shop`. What the body leaves out is not held against it; a shop id is compared once the
    shop's own id is known (read at install)."""
    if domain is not None and normalise_shop_domain(domain) != shop.domain:
        raise PayloadError("the body names another shop than X-Shopify-Shop-Domain")
    known = _shopify_id(shop.shopify_shop_gid)
    if shop_id is not None and known is not None and _shopify_id(shop_id) != known:
        raise PayloadError("the body's shop id is not this shop's")
    if status_url:
        _check_status_url(shop, status_url, known)


def _check_status_url(shop: Shop, url: str, known: int | None) -> None:
    """`https://{domain}/{shop id}/orders/{token}/…`: the domain is the shop's own or its custom one,
    so only a myshopify.com host can be compared; the shop id in the path can always be."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith(".myshopify.com") and host != shop.domain:
        raise PayloadError("the order's status URL is on another shop")
    first = parts.path.strip("/").split("/", 1)[0]
    if known is not None and first.isascii() and first.isdigit() and int(first) != known:
        raise PayloadError("the order's status URL names another shop id")
