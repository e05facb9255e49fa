"""The browser tests' own checks can fail: axe finds a serious violation (inside a frame too), the
vitals observers see a layout shift, console errors and uncaught exceptions are caught, requests to
other hosts are refused, and screenshots are written only when asked for."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import support
from tests.browser.server import AppServer
from tests.browser.support import assert_accessible, screenshot, web_vitals

ACCESSIBLE = "<!doctype html><html lang=en><title>Check</title><main><h1>Check</h1>{}</main></html>"


def open_html(page: Page, server: AppServer, html: str) -> None:
    """`html` served as a page of the app's own host, so the context's routing and init scripts apply."""
    url = f"{server.url}/browser-harness-check"
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(url)


def test_assert_accessible_fails_on_a_critical_violation_in_the_page_or_a_frame(context, server):
    page = context.new_page()
    open_html(page, server, ACCESSIBLE.format("<p>No form here.</p>"))
    assert_accessible(page)

    open_html(page, server, ACCESSIBLE.format("<input name=points>"))
    with pytest.raises(AssertionError, match=r"label \(critical\)"):
        assert_accessible(page)

    framed = ACCESSIBLE.format("<input name=points>").replace('"', "&quot;")
    open_html(page, server, ACCESSIBLE.format(f'<iframe title="Inner" srcdoc="{framed}"></iframe>'))
    with pytest.raises(AssertionError, match=r"label \(critical\) in about:srcdoc"):
        assert_accessible(page)


def test_web_vitals_see_a_layout_shift(context, server):
    # given a page that pushes its text down once it has painted
    page = context.new_page()
    text = "<p style='font-size:40px'>" + "Points and rewards. " * 60 + "</p>"
    shift = (
        "<script>requestAnimationFrame(() => requestAnimationFrame(() => {"
        "const banner = document.createElement('div'); banner.style.height = '300px';"
        "document.querySelector('main').prepend(banner); }));</script>"
    )
    open_html(page, server, ACCESSIBLE.format(text + shift))

    # when the shift has been observed
    page.wait_for_function("() => window.__dangolVitals.cls > 0")

    # then
    vitals = web_vitals(page)
    assert vitals.lcp_ms > 0
    assert vitals.cls > 0.1


def test_console_errors_and_uncaught_exceptions_are_caught(context, server, no_console_errors):
    page = context.new_page()
    open_html(page, server, ACCESSIBLE.format("<p>Quiet.</p>"))
    with context.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("() => console.error('boom')")
    with context.expect_event("weberror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('bang'); }); }")

    caught = no_console_errors.take()

    assert len(caught) == 2
    assert "boom" in caught[0]
    assert "Error: bang" in caught[1]


def test_requests_to_other_hosts_are_refused(context, server, network, no_console_errors):
    page = context.new_page()
    open_html(page, server, ACCESSIBLE.format("<p>Offline.</p>"))

    outcome = page.evaluate("() => fetch('https://example.com/pixel.png').then(() => 'loaded', () => 'refused')")

    assert outcome == "refused"
    assert network.refused == ["https://example.com/pixel.png"]
    no_console_errors.take()


def test_screenshots_are_written_only_when_asked_for(context, server, monkeypatch, tmp_path):
    page = context.new_page()
    open_html(page, server, ACCESSIBLE.format("<p>Smile.</p>"))
    monkeypatch.setattr(support, "SCREENSHOTS", tmp_path)
    monkeypatch.delenv(support.SCREENSHOTS_WANTED, raising=False)

    assert screenshot(page, "check") is None
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setenv(support.SCREENSHOTS_WANTED, "1")
    written = screenshot(page, "check")
    assert written == tmp_path / "check.png"
    assert written.read_bytes().startswith(b"\x89PNG")
