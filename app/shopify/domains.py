"""Shop domains: only `{name}.myshopify.com`, exactly as Shopify's own sanitiser accepts it."""

from __future__ import annotations

from functools import lru_cache

from shopify.utils.shop_url import sanitize_shop_domain

MAX_DOMAIN_LENGTH = 255


@lru_cache(maxsize=4096)
def normalise_shop_domain(value: str | None) -> str | None:
    """The lower-cased shop domain, or None unless the whole value is one. ShopifyAPI's sanitiser
    also accepts a trailing path or a bare name; a request naming a shop must name it exactly."""
    candidate = (value or "").strip().lower()
    if not candidate or len(candidate) > MAX_DOMAIN_LENGTH or not candidate.endswith(".myshopify.com"):
        return None
    sanitised = sanitize_shop_domain(candidate)
    return sanitised if sanitised == candidate else None
