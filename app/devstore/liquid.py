"""The dev store's theme: an app proxy answer of type `application/liquid` is rendered as Liquid with
the shop's objects (as Shopify does, with python-liquid here) and shown inside a plain shop layout.
Rendering it for real is what proves nothing of ours in the body runs as Liquid."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from liquid import Environment

from app.devstore.state import DevCustomer, DevShop

# Shopify's routes for customer accounts (classic accounts; the theme's own paths), for a shop at the
# root of its domain. The dev store's storefront passes its own (app.py: theme_routes).
ROUTES = {"account_login_url": "/account/login", "account_register_url": "/account/register", "root_url": "/"}


@cache
def _environment() -> Environment:
    return Environment()


def render_proxy_body(
    body: str, *, shop: DevShop, customer: DevCustomer | None, locale: str, routes: Mapping[str, str] = ROUTES
) -> str:
    """The HTML Shopify would put inside the theme for this Liquid body."""
    objects: dict[str, Any] = {
        "shop": {"name": shop.name, "domain": shop.domain, "permanent_domain": shop.domain, "currency": shop.currency},
        "routes": dict(routes),
        "request": {"locale": {"iso_code": locale}},
        "customer": None
        if customer is None
        else {
            "id": customer.id,
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "name": customer.name,
        },
    }
    return str(_environment().from_string(body).render(**objects))
