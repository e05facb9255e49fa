"""The dev store's own pages in a real browser: a logged-out shopper's "Join" and "Sign in" lead to
pages of the shop's plain theme that open the loyalty page as one of its customers, and a name typed as
one word of 300 letters wraps instead of making any of its pages wider than the window."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.actions import place_order
from tests.browser.conftest import DemoCustomer
from tests.browser.support import assert_accessible

LONG_NAME = "A" * 300


@pytest.mark.parametrize("link", ["Sign in", "Join"])
def test_a_logged_out_shopper_signs_in_as_one_of_the_shops_customers(storefront, demo_shop, link):
    # given the loyalty page of a logged-out shopper
    page = storefront(None)

    # when they follow the link to sign in or join
    page.get_by_role("link", name=link).click()

    # then the dev store's page for it says there are no accounts and lists the shop's customers
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in" if link == "Sign in" else "Create an account")
    expect(page.get_by_text("The dev store has no customer accounts")).to_be_visible()
    assert_accessible(page)

    # and choosing a customer opens the loyalty page as them
    page.get_by_role("link", name="Jiwoo Kim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jiwoo, your rewards")


@pytest.mark.parametrize(
    ("_case", "path"),
    [
        ("the store's home", "/"),
        ("the loyalty page", "/shops/{shop}/apps/loyalty/?customer_id={customer}"),
        ("the sign-in page", "/shops/{shop}/account/login"),
    ],
)
def test_a_name_of_one_very_long_word_does_not_widen_the_page(context, server, demo_shop, _case, path):
    # given a customer whose first name is one word of 300 letters, with a paid order
    added = httpx.post(
        f"{server.store_url}/shops/{demo_shop.domain}/customers",
        data={"first_name": LONG_NAME, "last_name": "Kim", "email": "long@example.com"},
    )
    assert added.status_code == 303, added.text
    [customer] = [c for c in server.devstore.shop(demo_shop.domain).customers.values() if c.first_name == LONG_NAME]
    place_order(context, server, DemoCustomer(customer.id, LONG_NAME, "Kim", customer.email), "42.00")

    # when a page where the name shows is opened
    page = context.new_page()
    page.goto(server.store_url + path.format(shop=demo_shop.domain, customer=customer.id))
    expect(page.get_by_text(LONG_NAME[:50]).first).to_be_visible()

    # then nothing scrolls sideways
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a window of {widths[1]} px"
