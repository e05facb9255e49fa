"""What a merchant does in Dangol's admin, in a real browser inside the dev store's frame, with App
Bridge's stand-in and with Shopify's CDN down (the pages must work either way): move a tier and see
where members land before saving, get a wrong field pointed out, find a customer and adjust their
points, all by keyboard too; and what the shopper then sees. Every state a page reaches passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Frame, Locator, expect

from tests.browser.actions import go_to, place_order
from tests.browser.conftest import Admin, DemoShop, open_admin
from tests.browser.server import AppServer
from tests.browser.support import assert_accessible, screenshot

BOTH_CDN_MODES = pytest.mark.parametrize("cdn_mode", ["stand-in", "down"])


def tier_row(frame: Frame, tier: str) -> Locator:
    return frame.locator("#tier-preview").get_by_role("row").filter(has=frame.get_by_role("rowheader", name=tier))


def members_in(frame: Frame, tier: str) -> Locator:
    """The preview's member count for a tier (the row's last cell)."""
    return tier_row(frame, tier).get_by_role("cell").last


@BOTH_CDN_MODES
def test_moving_a_tier_shows_where_members_land_and_the_shopper_sees_it_once_saved(
    context: BrowserContext, server: AppServer, demo_shop: DemoShop, merchant: Admin, storefront, cdn_mode
):
    # given Jiwoo has spent 42.00: a Member, with Silver from 200.00
    jiwoo = demo_shop.customers[0]
    place_order(context, server, jiwoo, "42.00")
    merchant.page.bring_to_front()
    go_to(merchant, "Program")
    frame = merchant.frame
    expect(members_in(frame, "Member")).to_have_text("1")
    expect(members_in(frame, "Silver")).to_have_text("0")

    # when the merchant types a lower threshold for Silver
    frame.get_by_label("Tier 2 threshold").fill("40")

    # then the preview follows before anything is saved
    expect(members_in(frame, "Silver")).to_have_text("1")
    expect(members_in(frame, "Member")).to_have_text("0")
    expect(tier_row(frame, "Silver")).to_contain_text("$40.00")
    assert_accessible(merchant.page)
    if cdn_mode == "stand-in":
        screenshot(merchant.page, "admin-program-preview")

    # when they save
    frame.get_by_role("button", name="Save program").click()

    # then the page says so, keeps the new threshold, and the shopper's page shows Silver at once
    expect(frame.get_by_role("status")).to_contain_text("Saved. Shoppers see the program at once.")
    expect(frame.get_by_label("Tier 2 threshold")).to_have_value("40")
    assert_accessible(merchant.page)
    server.settle()
    page = storefront(jiwoo.id)
    expect(page.locator(".dl-badge")).to_have_text("Silver")
    expect(page.get_by_text("Spend $458.00 more to reach Gold.")).to_be_visible()


@BOTH_CDN_MODES
def test_a_wrong_field_is_pointed_out_and_nothing_is_saved(
    merchant: Admin, storefront, demo_shop, no_console_errors, cdn_mode
):
    go_to(merchant, "Program")
    frame = merchant.frame

    # when the merchant types a threshold that is not a number and saves
    frame.get_by_label("Tier 2 threshold").fill("two hundred")
    frame.get_by_role("button", name="Save program").click()

    # then a summary links to the field, the field says what is wrong, and the preview says why it is empty
    summary = frame.get_by_role("alert")
    expect(summary).to_contain_text("Some fields need a change before the program can be saved")
    expect(summary).to_contain_text("Tier 2 threshold: Enter a number.")
    # the keyboard starts at the summary, whether the page was swapped in or loaded anew
    expect(summary).to_be_focused()
    # The form comes back as 422 (refused, as the API would answer), which Chromium logs; nothing else.
    logged = no_console_errors.take()
    assert logged, "the refused form was answered 422"
    assert all("status of 422" in line for line in logged), logged
    field = frame.get_by_label("Tier 2 threshold")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("two hundred")
    summary.get_by_role("link").first.click()
    expect(field).to_be_focused()
    assert_accessible(merchant.page)
    if cdn_mode == "stand-in":
        screenshot(merchant.page, "admin-program-error")

    # and shoppers still see the saved program
    page = storefront(demo_shop.customers[0].id)
    expect(page.get_by_role("listitem").filter(has_text="Free shipping")).to_contain_text("150 points")
    expect(page.locator(".dl-badge")).to_have_text("Member")


@BOTH_CDN_MODES
def test_finding_a_customer_and_adjusting_their_points_once(
    context: BrowserContext, server: AppServer, demo_shop: DemoShop, merchant: Admin, storefront, cdn_mode
):
    # given two customers with paid orders
    jiwoo, alex = demo_shop.customers[0], demo_shop.customers[1]
    place_order(context, server, jiwoo, "42.00", "#1001")
    place_order(context, server, alex, "10.00", "#1002")
    merchant.page.bring_to_front()
    go_to(merchant, "Customers")
    frame = merchant.frame
    expect(frame.get_by_role("row").filter(has_text=jiwoo.first_name)).to_be_visible()

    # when the merchant searches by a part of an email
    frame.get_by_label("Search by name or email").fill(alex.email.split("@")[0])
    with frame.expect_navigation():
        frame.get_by_role("button", name="Show").click()

    # then only Alex is listed
    rows = frame.locator("#members tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{alex.first_name} {alex.last_name}")
    assert_accessible(merchant.page)

    # when they open Alex and add 50 points with a reason, clicking the button twice
    with frame.expect_navigation():
        rows.first.get_by_role("link", name=f"{alex.first_name} {alex.last_name}").click()
    frame.get_by_label("Points to add (negative to take away)").fill("50")
    frame.get_by_label("Reason").fill("Goodwill for a late parcel")
    frame.get_by_role("button", name="Adjust").dblclick()

    # then it is applied once: 10 earned + 50, with the reason in the history
    expect(frame.get_by_role("status")).to_contain_text("Points adjusted.")
    standing = frame.locator("#standing")
    expect(standing.get_by_role("definition").first).to_have_text("60")
    history = frame.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Adjusted · Goodwill for a late parcel")
    assert_accessible(merchant.page)

    # and Alex sees the same on the shop
    page = storefront(alex.id)
    expect(page.locator(".dl-points")).to_have_text("60")
    expect(page.get_by_role("listitem").filter(has_text="Goodwill for a late parcel")).to_contain_text("+50")


def test_the_program_form_works_by_keyboard_alone(merchant: Admin):
    frame = merchant.frame
    go_to(merchant, "Program")

    # when the merchant tabs to the earning rate, types, and tabs on to the save button
    field = frame.get_by_label("Points per USD spent")
    reached = tab_until(merchant, field)
    assert outline_shown(field), "the focused field shows where the keyboard is"
    merchant.page.keyboard.press("Control+A")
    merchant.page.keyboard.type("3")
    save = frame.get_by_role("button", name="Save program")
    tab_until(merchant, save, start=reached)
    assert outline_shown(save), "the focused button shows where the keyboard is"
    merchant.page.keyboard.press("Enter")

    # then the program is saved with the new rate
    expect(frame.get_by_role("status")).to_contain_text("Saved.")
    expect(frame.get_by_label("Points per USD spent")).to_have_value("3")

    # and the navigation is reachable by keyboard too
    customers = frame.get_by_role("navigation").get_by_role("link", name="Customers")
    customers.focus()
    with frame.expect_navigation():
        merchant.page.keyboard.press("Enter")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Customers")


def tab_until(merchant: Admin, target: Locator, start: int = 0, limit: int = 200) -> int:
    """Press Tab until `target` has focus; the number of presses so far. Fails past `limit`."""
    for presses in range(start, limit):
        if target.evaluate("element => element === document.activeElement"):
            return presses
        merchant.page.keyboard.press("Tab")
    raise AssertionError(f"{target} never took the focus in {limit} presses of Tab")


def outline_shown(target: Locator) -> bool:
    return bool(
        target.evaluate(
            "e => { const s = getComputedStyle(e); return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)"
            " || s.boxShadow !== 'none'; }"
        )
    )


def test_the_admin_and_the_shoppers_page_in_korean(
    context: BrowserContext, server: AppServer, demo_shop: DemoShop, storefront
):
    # given Jiwoo's paid order
    jiwoo = demo_shop.customers[0]
    place_order(context, server, jiwoo, "42000", "#1001")

    # when the merchant's admin is in Korean
    merchant = open_admin(context, server, demo_shop.domain, locale="ko")
    frame = merchant.frame

    # then every page they reach is in Korean, links keep the language, and each passes axe
    expect(frame.get_by_role("heading", level=1)).to_have_text("Dangol-Demo의 Dangol")
    assert frame.evaluate("document.documentElement.lang") == "ko"
    assert_accessible(merchant.page)
    go_to(merchant, "프로그램")
    expect(frame.get_by_role("heading", level=1)).to_have_text("프로그램")
    expect(frame.get_by_role("button", name="프로그램 저장")).to_be_visible()
    assert_accessible(merchant.page)
    go_to(merchant, "고객")
    expect(frame.get_by_role("row").filter(has_text="Jiwoo")).to_contain_text("42,000")
    assert_accessible(merchant.page)
    screenshot(merchant.page, "admin-customers-ko")

    # and the shopper's page in Korean greets them by name
    page = storefront(jiwoo.id, locale="ko")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Jiwoo님의 혜택$"))
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert_accessible(page)
    screenshot(page, "loyalty-ko")


def test_the_home_page_charts_the_orders_members_and_guests_place(
    context: BrowserContext, server: AppServer, demo_shop: DemoShop
):
    # given two members' paid orders this week
    place_order(context, server, demo_shop.customers[0], "42.00", "#1001")
    place_order(context, server, demo_shop.customers[1], "10.00", "#1002")

    # when the merchant opens Dangol
    merchant = open_admin(context, server, demo_shop.domain)
    frame = merchant.frame

    # then the numbers and the charts show them, each chart with its numbers in a table beside it
    glance = frame.locator("#glance")
    expect(glance.get_by_role("definition").first).to_have_text("2")
    orders = frame.get_by_role("figure", name="Orders by members and guests, by week")
    expect(orders.get_by_role("img", name="Orders by members and guests, by week")).to_be_visible()
    expect(orders.get_by_role("table")).to_be_hidden()
    orders.get_by_text("Show the numbers").click()
    expect(orders.get_by_role("row").last).to_contain_text("2")
    orders.get_by_text("Show the numbers").click()
    revenue = frame.get_by_role("figure", name="Members' share of sales before refunds, last 12 weeks")
    revenue.get_by_text("Show the numbers").click()
    expect(revenue.get_by_role("row").filter(has_text="Members")).to_contain_text("$52.00")
    revenue.get_by_text("Show the numbers").click()
    assert_accessible(merchant.page)
    screenshot(merchant.page, "admin-home")
