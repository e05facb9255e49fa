"""The dev store's own pages in a real browser: a logged-out shopper's "Join" and "Sign in" lead to
pages of the shop's plain theme that open the loyalty page as one of its customers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import assert_accessible


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
