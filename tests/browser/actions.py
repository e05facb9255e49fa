"""What a person does in the browser, shared by the tests: a developer places an order on the dev store,
a merchant follows the admin's navigation."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Admin, DemoCustomer
from tests.browser.server import AppServer


def place_order(
    context: BrowserContext, server: AppServer, customer: DemoCustomer, subtotal: str, number: str = "#1001"
) -> None:
    """Through the dev store's page, as a developer clicks it; the worker then processes its webhooks.
    The page is closed after: headless Chromium paints only the page in front (tests/browser/conftest.py)."""
    page = context.new_page()
    page.goto(f"{server.store_url}/")
    page.get_by_label("Customer").select_option(label=f"{customer.first_name} {customer.last_name}")
    page.get_by_label("Subtotal").fill(subtotal)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("row").filter(has_text=number)).to_contain_text("paid")
    server.settle()
    page.close()


def go_to(merchant: Admin, link: str) -> None:
    """Follow a link of the admin's navigation, as the merchant clicks it."""
    with merchant.frame.expect_navigation():
        merchant.frame.get_by_role("navigation").get_by_role("link", name=link).click()
