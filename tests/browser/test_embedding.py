"""Dangol inside the dev store's admin frame, as inside Shopify's admin: the frame shows the app (its
Content-Security-Policy lets the dev store frame it), a document load without an ID token comes back
with one through App Bridge's bounce page, and App Bridge authenticates the page's fetches."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect


def test_the_admin_renders_inside_the_dev_stores_frame(merchant, server, no_console_errors):
    # then the frame holds Dangol's admin document, not Chromium's error page for a refused frame
    assert [e for e in no_console_errors.seen if "Content Security Policy" in e] == []
    assert merchant.frame.url.startswith(f"{server.url}/admin?")
    expect(merchant.frame.get_by_role("heading", level=1)).to_have_text("Dangol for Dangol-Demo")


def test_a_document_load_without_an_id_token_comes_back_with_a_fresh_one(merchant, server, demo_shop):
    # when the frame loads the admin with no ID token (a bookmark, a reload by hand)
    query = urlencode({"shop": demo_shop.domain, "host": demo_shop.domain, "embedded": "1"})
    merchant.frame.goto(f"{server.url}/admin?{query}")

    # then App Bridge's bounce page (framed too) reloads it with one, and the admin renders
    merchant.frame.wait_for_url(re.compile(r"/admin\?.*id_token="))
    expect(merchant.frame.get_by_role("heading", level=1)).to_have_text("Dangol for Dangol-Demo")


@pytest.mark.parametrize(("cdn_mode", "status"), [("stand-in", 200), ("down", 401)])
def test_app_bridge_adds_the_session_token_to_the_pages_fetches(merchant, no_console_errors, cdn_mode, status):
    # when the admin page fetches its own API
    answer = merchant.frame.evaluate(
        "async () => { const r = await fetch('/admin/api/program'); return [r.status, await r.json()]; }"
    )

    # then App Bridge sent the session token; without App Bridge nothing did, and the API refused
    assert answer[0] == status
    if status == 200:
        assert answer[1]["earn"] == {"points_per_unit": 1}
    else:
        assert answer[1]["error"] == "missing_session_token"
        assert [e for e in no_console_errors.take() if "401" in e]
