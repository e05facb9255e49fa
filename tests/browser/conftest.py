"""Browser tests: the real app on a port with the dev store mounted (as `dangol dev` runs it), a demo
shop installed through OAuth before each test, and Chromium (one per run, a context per test) with
Shopify's CDN answered by stand-ins and every other host refused.

A test asks for `merchant` (Dangol's admin inside the dev store's admin frame) or `storefront` (a
shopper's loyalty page through the dev store's app proxy), and checks pages with the helpers of
tests/browser/support.py. Console errors and uncaught exceptions fail the test.

Headless Chromium paints only the page in front, the one opened last: a page left behind does not
paint (no LCP either) until `page.bring_to_front()`. Close a helper page when done with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, sync_playwright

from app.dev import install_demo_shop
from app.devstore.demo import DEMO_SHOP
from tests.browser.server import AppServer, serve_app
from tests.browser.support import CHROMIUM_ARGS, HERE, CdnMode, ConsoleErrors, Network
from tests.conftest import API_KEY

# run.py names the Chromium it found (Debian's, or Playwright's own); pytest run directly falls back to
# Debian's, then to Playwright's own. Without any, the launch fails: browser tests are never skipped.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")


def chromium_executable() -> str | None:
    named = os.environ.get("DANGOL_CHROMIUM")
    if named:
        return named
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.is_file() else None


@pytest.fixture(scope="package")
def server(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with serve_app(database_url, redis_url, tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope: Playwright's sync API marks its event loop as running while it is open, and the
    # async tests of other folders need none running.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def cdn_mode() -> CdnMode:
    """Shopify's CDN as the browser sees it: `stand-in` serves App Bridge's stand-in and an empty
    Polaris; a test parametrized with `down` has every request to the CDN fail."""
    return "stand-in"


@pytest.fixture
def network(server: AppServer, cdn_mode: CdnMode) -> Network:
    return Network(server.url, server.store_url, cdn_mode)


@pytest.fixture
def context(browser: Browser, network: Network) -> Iterator[BrowserContext]:
    fresh = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC")
    fresh.set_default_timeout(10_000)
    fresh.route("**/*", network)
    fresh.add_init_script(path=HERE / "vitals.js")
    yield fresh
    fresh.close()


@pytest.fixture(autouse=True)
def no_console_errors(context: BrowserContext, cdn_mode: CdnMode) -> ConsoleErrors:
    errors = ConsoleErrors(cdn_down=cdn_mode == "down")
    context.on("console", errors.on_console)
    context.on("weberror", errors.on_web_error)
    return errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Checked as part of the test itself, so an error the browser reported fails the test (rather than
    # erroring its teardown), and only when the test's own assertions passed.
    result = yield
    errors = getattr(item, "funcargs", {}).get("no_console_errors")
    if isinstance(errors, ConsoleErrors):
        errors.assert_none()
    return result


@dataclass(frozen=True)
class DemoCustomer:
    id: int
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class DemoShop:
    domain: str
    customers: list[DemoCustomer]


@pytest.fixture
def demo_shop(server: AppServer) -> DemoShop:
    """The demo shop `dangol dev` installs, installed the same way, its webhooks and jobs processed."""
    server.forget_devstore()
    install_demo_shop(server.url, server.store_url)
    server.settle()
    listed = httpx.get(f"{server.store_url}/shops/{DEMO_SHOP}/customers.json").json()
    customers = [DemoCustomer(**c) for c in sorted(listed, key=lambda c: c["id"])]
    return DemoShop(domain=DEMO_SHOP, customers=customers)


@dataclass(frozen=True)
class Admin:
    page: Page  # the dev store's admin page, playing Shopify's admin
    frame: Frame  # Dangol's document inside it


def open_admin(context: BrowserContext, server: AppServer, shop: str, locale: str | None = None) -> Admin:
    """The admin as Shopify's admin frames it; `locale` is the staff member's admin language."""
    page = context.new_page()
    query = {"shop": shop} | ({"locale": locale} if locale else {})
    page.goto(f"{server.store_url}/admin/apps/{API_KEY}?{urlencode(query)}")
    frame = page.wait_for_selector("iframe").content_frame()
    assert frame is not None
    frame.wait_for_load_state("load")
    return Admin(page=page, frame=frame)


@pytest.fixture
def merchant(context: BrowserContext, server: AppServer, demo_shop: DemoShop) -> Admin:
    """The merchant of the demo shop, in Dangol's admin as Shopify's admin frames it."""
    return open_admin(context, server, demo_shop.domain)


@pytest.fixture
def storefront(context: BrowserContext, server: AppServer, demo_shop: DemoShop) -> Callable[..., Page]:
    """Opens the loyalty page through the dev store's app proxy, as the customer with the given id, or
    logged out for None; `locale` is the storefront's language."""

    def open_page(customer_id: int | None, locale: str | None = None) -> Page:
        page = context.new_page()
        params = ({} if customer_id is None else {"customer_id": customer_id}) | ({"locale": locale} if locale else {})
        query = f"?{urlencode(params)}" if params else ""
        page.goto(f"{server.store_url}/shops/{demo_shop.domain}/apps/loyalty/{query}")
        return page

    return open_page
