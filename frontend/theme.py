"""The theme app extension as the admin knows it: its folder, its app embed's handle, and the theme
editor link that switches the embed on."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from app.shopify.domains import normalise_shop_domain

EXTENSION_DIR = Path(__file__).parent / "extensions" / "dangol-loyalty"
# Shopify names an app embed by its block file's name without `.liquid`, so renaming
# blocks/loyalty-launcher.liquid would break every activation link already handed out.
EMBED_HANDLE = "loyalty-launcher"
# Shopify's client ids are hex; the dev store's are words joined by dashes. Either goes into the
# link's query as it is.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]+")


def embed_activation_url(shop_domain: str, api_key: str) -> str:
    """The shop's theme editor, open on its live theme's app embeds with the launcher switched on for
    the merchant to save. Shopify wants the shop's myshopify.com domain here, not a custom domain,
    and the app's client id (`api_key`), not the extension's id."""
    domain = normalise_shop_domain(shop_domain)
    if domain is None:
        raise ValueError(f"not a myshopify.com shop domain: {shop_domain!r}")
    if not CLIENT_ID.fullmatch(api_key):
        raise ValueError(f"not an app client id: {api_key!r}")
    query = urlencode({"context": "apps", "activateAppId": f"{api_key}/{EMBED_HANDLE}"}, safe="/")
    return f"https://{domain}/admin/themes/current/editor?{query}"
