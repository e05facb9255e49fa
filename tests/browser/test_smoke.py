"""Today's pages in a real browser: the dev store, Dangol's admin pages in the dev store's frame (with
App Bridge's stand-in and with Shopify's CDN down), and a shopper's loyalty page logged in and out.
Each passes axe, logs no error, and has its LCP and CLS printed (`-s` shows them); the admin's pages
keep the project's target, LCP under 1 s and CLS under 0.1."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.actions import go_to, place_order
from tests.browser.conftest import Admin
from tests.browser.support import ADMIN_CLS, ADMIN_LCP_MS, CdnMode, assert_accessible, screenshot, web_vitals

BOTH_CDN_MODES = pytest.mark.parametrize("cdn_mode", ["stand-in", "down"])


def check_admin_page(merchant: Admin, cdn_mode: CdnMode, name: str) -> None:
    vitals = web_vitals(merchant.frame)
    print(f"\nadmin {name}, CDN {cdn_mode}: {vitals}")
    assert_accessible(merchant.page)
    assert vitals.lcp_ms < ADMIN_LCP_MS
    assert vitals.cls < ADMIN_CLS
    if cdn_mode == "stand-in":  # with the CDN down the pages look the same
        screenshot(merchant.page, f"admin-{name}")


def test_the_dev_store_home_page(context, server, demo_shop):
    # given an order placed on it
    place_order(context, server, demo_shop.customers[0], "42.00")

    # when it is opened
    page = context.new_page()
    page.goto(f"{server.store_url}/")

    # then it lists the shop, its customers and the order
    expect(page.get_by_role("heading", level=1)).to_have_text("Dev store")
    expect(page.get_by_role("cell", name="Jiwoo Kim · jiwoo@example.com")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="#1001")).to_contain_text("Jiwoo Kim")
    print(f"\ndev store home: {web_vitals(page)}")
    assert_accessible(page)
    screenshot(page, "devstore-home")


@BOTH_CDN_MODES
def test_the_admin_home_inside_the_dev_store_frame(merchant, network, cdn_mode):
    expect(merchant.frame.get_by_role("heading", level=1)).to_have_text("Dangol for Dangol-Demo")
    expect(merchant.frame.get_by_role("heading", name="Get started")).to_be_visible()
    assert network.cdn_requests, "the admin loads App Bridge from Shopify's CDN"
    check_admin_page(merchant, cdn_mode, "home-new-shop")


@BOTH_CDN_MODES
def test_the_admin_program_page(merchant, cdn_mode):
    go_to(merchant, "Program")
    expect(merchant.frame.get_by_role("heading", level=1)).to_have_text("Program")
    expect(merchant.frame.get_by_label("Points per USD spent")).to_have_value("1")
    check_admin_page(merchant, cdn_mode, "program")


@BOTH_CDN_MODES
def test_the_admin_customer_pages(context, server, demo_shop, merchant, cdn_mode):
    # given a paid order of 42.00 by the first demo customer
    place_order(context, server, demo_shop.customers[0], "42.00")

    # when the merchant opens the customers list
    go_to(merchant, "Customers")

    # then the customer is listed with the points the order earned
    row = merchant.frame.get_by_role("row").filter(has_text="Jiwoo Kim")
    expect(row).to_contain_text("42")
    check_admin_page(merchant, cdn_mode, "customers")

    # and their own page opens from the list
    with merchant.frame.expect_navigation():
        row.get_by_role("link", name="Jiwoo Kim").click()
    expect(merchant.frame.get_by_role("heading", level=1)).to_contain_text("Jiwoo Kim")
    check_admin_page(merchant, cdn_mode, "customer")


def test_the_loyalty_page_of_a_logged_in_shopper(context, server, storefront, demo_shop):
    # given a paid order of 42.00 by the first demo customer
    shopper = demo_shop.customers[0]
    place_order(context, server, shopper, "42.00")

    # when they open the loyalty page through the shop's app proxy
    page = storefront(shopper.id)

    # then it shows their points and the rewards
    expect(page.get_by_role("heading", level=1)).to_have_text("Jiwoo, your rewards")
    expect(page.locator(".dl-points")).to_have_text("42")
    expect(page.get_by_role("listitem").filter(has_text="Free shipping")).to_contain_text("150 points")
    print(f"\nloyalty page, logged in: {web_vitals(page)}")
    assert_accessible(page)
    screenshot(page, "loyalty-logged-in")


def test_the_loyalty_page_of_a_logged_out_shopper(storefront, demo_shop):
    page = storefront(None)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rewards for regulars")
    # The theme's sign-in page: in the dev store, under the shop's path (tests/browser/test_devstore_pages.py)
    sign_in = f"/devstore/shops/{demo_shop.domain}/account/login"
    expect(page.get_by_role("link", name="Sign in")).to_have_attribute("href", sign_in)
    print(f"\nloyalty page, logged out: {web_vitals(page)}")
    assert_accessible(page)
    screenshot(page, "loyalty-logged-out")
