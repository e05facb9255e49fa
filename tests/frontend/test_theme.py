"""The theme editor link that switches the launcher embed on (frontend/theme.py)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from frontend.theme import EMBED_HANDLE, EXTENSION_DIR, embed_activation_url

CLIENT_ID = "0123456789abcdef0123456789abcdef"


def test_the_link_opens_the_live_themes_app_embeds_with_ours_switched_on():
    # when
    url = embed_activation_url("loyal-test.myshopify.com", CLIENT_ID)

    # then: exactly the format of Shopify's theme app extension docs
    assert url == (
        "https://loyal-test.myshopify.com/admin/themes/current/editor"
        f"?context=apps&activateAppId={CLIENT_ID}/loyalty-launcher"
    )
    parts = urlsplit(url)
    assert parse_qs(parts.query) == {"context": ["apps"], "activateAppId": [f"{CLIENT_ID}/{EMBED_HANDLE}"]}


def test_the_handle_names_the_extensions_app_embed_block():
    # given the block file the handle names
    block = (EXTENSION_DIR / "blocks" / f"{EMBED_HANDLE}.liquid").read_text()

    # then it is an app embed (an app block could not be activated this way)
    schema = json.loads(re.search(r"{%\s*schema\s*%}(.*?){%\s*endschema\s*%}", block, re.S).group(1))
    assert schema["target"] in {"body", "head", "compliance_head"}


def test_the_domain_is_written_as_shopify_writes_it():
    assert embed_activation_url(" Loyal-Test.MyShopify.com ", CLIENT_ID).startswith("https://loyal-test.myshopify.com/")


@pytest.mark.parametrize(
    ("_case", "shop", "api_key"),
    [
        ("a custom domain", "shop.example.com", CLIENT_ID),
        ("a path smuggled in", "evil.com/x?.myshopify.com", CLIENT_ID),
        ("no domain", "", CLIENT_ID),
        ("no client id", "loyal-test.myshopify.com", ""),
        ("a client id that changes the query", "loyal-test.myshopify.com", "abc&context=x"),
    ],
)
def test_anything_else_is_refused(_case, shop, api_key):
    with pytest.raises(ValueError, match="not a"):
        embed_activation_url(shop, api_key)
