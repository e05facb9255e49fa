"""The embedded admin's pages over HTTP: authenticated by Shopify's token or our page token, the
program form through the same rules as the API with errors on their fields, the customers list and
each customer's page with a manual adjustment, and one shop never seeing another's data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from sqlalchemy import update

from app.devstore.signing import session_token
from app.http import page_tokens
from app.shops.models import Shop
from tests.conftest import API_KEY, API_SECRET
from tests.factories import SHOP, bearer, install_shop, make_order, order_json, post_webhook
from tests.loyalty.ledger import points

OTHER = "other-shop.myshopify.com"
ALICE, BOB = 7_000_000_000_101, 7_000_000_000_202


class Page(HTMLParser):
    """What a test reads off a page: form fields by id, links, error messages, the h1."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str]] = {}
        self.links: list[str] = []
        self.forms: list[dict[str, str]] = []
        self.errors: dict[str, str] = {}
        self._error: str | None = None
        self._h1 = False
        self.h1 = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag in ("input", "select") and "id" in named:
            self.fields[named["id"]] = named
        elif tag == "input" and "name" in named:  # hidden fields: known by name
            self.fields[named["name"]] = named
        if tag == "a" and "href" in named:
            self.links.append(named["href"])
        if tag == "form":
            self.forms.append(named)
        if tag == "p" and named.get("class") == "field-error":
            self._error = named["id"].removesuffix("-error")
        self._h1 = tag == "h1"

    def handle_data(self, data: str) -> None:
        if self._error:
            self.errors[self._error] = data.strip()
            self._error = None
        if self._h1:
            self.h1 += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._h1 = False


def _document(path: str, shop: str = SHOP, **params: str) -> str:
    """A document request as the Shopify admin makes it, with a fresh ID token."""
    query = {"shop": shop, "host": "aG9zdA", "embedded": "1", "id_token": session_token(shop, API_KEY, API_SECRET)}
    return f"{path}?{urlencode(query | params)}"


def _token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)[page_tokens.FIELD][0]


async def _spend(client, drainer, customer_id: int, subtotal: str, shop: str = SHOP) -> None:
    order = make_order(customer_id=customer_id, subtotal=subtotal)
    assert (await post_webhook(client, "orders/paid", order_json(order, shop=shop), shop=shop)).status_code == 200
    await drainer.wake()


async def _name(db, customer_id: int, first: str, email: str, shop: str = SHOP) -> None:
    """Give a member a name and email, as customers/create would."""
    from crm import service as crm_service
    from crm.schemas import CustomerSnapshot
    from tests.app.support import find_shop

    shop_row = await find_shop(db, shop)
    async with db.unit_of_work() as session:
        await crm_service.record_customer(
            session,
            shop_id=shop_row.id,
            customer=CustomerSnapshot(customer_id, email, first, "Kim", None, "enabled", None, (), None, None),
        )


@pytest.fixture
async def shop(client, store_client):
    await install_shop(client, store_client)


# --- who may see a page --------------------------------------------------------------------------


async def test_the_home_page_opens_with_shopifys_token_and_may_be_framed_only_by_the_shop(client, shop):
    response = await client.get(_document("/admin"))
    assert response.status_code == 200, response.text
    assert Page(response.text).h1 == f"Dangol for {SHOP}"  # its name comes with the shop's sync
    assert response.headers["content-security-policy"] == f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_a_document_without_a_token_is_bounced_to_app_bridge(client, shop):
    response = await client.get("/admin/customers", params={"shop": SHOP, "embedded": "1"})
    assert response.status_code in (302, 307)
    assert urlsplit(response.headers["location"]).path == "/auth/patch-id-token"


async def test_every_link_a_page_gives_opens_without_shopifys_token(client, shop):
    # given the home page, opened from the admin
    page = Page((await client.get(_document("/admin"))).text)
    internal = sorted({link for link in page.links if link.startswith("/admin")})
    assert {urlsplit(link).path for link in internal} >= {"/admin", "/admin/program", "/admin/customers"}
    # when each of its links is followed (no App Bridge: the page token carries the session)
    for link in internal:
        response = await client.get(link)
        # then
        assert response.status_code == 200, (link, response.text[:200])


@pytest.mark.parametrize("token", ["forged", "x" * 80, ""], ids=["_case=forged", "_case=long", "_case=empty"])
async def test_a_bad_page_token_is_refused(client, shop, token):
    response = await client.get("/admin/program", params={page_tokens.FIELD: token, "shop": SHOP})
    assert response.status_code == 401 or urlsplit(response.headers.get("location", "")).path == "/auth/patch-id-token"


async def test_a_page_token_of_another_app_secret_is_refused(client, shop):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("another-secret-of-thirty-two-bytes-x", salt="dangol-admin-page").dumps(SHOP)
    response = await client.get("/admin/program", params={page_tokens.FIELD: forged})
    assert response.status_code == 401


async def test_a_form_post_without_a_page_token_is_refused_before_its_body_is_read(client, shop):
    response = await client.post("/admin/program", data={"keep": "1"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_page_token"


NAVIGATION = {"sec-fetch-dest": "iframe", "accept": "text/html"}


async def test_an_expired_page_says_so_in_the_frame_and_links_to_dangol_in_the_admin(client, shop, settings):
    # given a page token given three hours ago
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=3), tick=False):
        old = page_tokens.sign(settings, SHOP)
    # when the merchant follows a link or sends a form of that page
    followed = await client.get("/admin/program", params={page_tokens.FIELD: old}, headers=NAVIGATION)
    sent = await client.post(
        f"/admin/program?{urlencode({page_tokens.FIELD: old})}", data={"keep": "1"}, headers=NAVIGATION
    )
    # then each answers a page, not JSON: what happened, and a way back into Dangol, framed by the shop only
    for response in (followed, sent):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        page = Page(response.text)
        assert page.h1 == "This page has expired"
        assert f"https://{SHOP}/admin/apps/{API_KEY}" in page.links
        assert (
            response.headers["content-security-policy"] == f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
        )
    # and a script's fetch still gets the JSON it can read
    fetched = await client.get("/admin/program", params={page_tokens.FIELD: old}, headers={"sec-fetch-dest": "empty"})
    assert fetched.json()["error"] == "invalid_page_token"


async def test_an_address_that_leads_nowhere_is_a_page_saying_so(client, shop):
    token = _token_of(
        next(link for link in Page((await client.get(_document("/admin"))).text).links if "_session" in link)
    )
    for path in ("/admin/customers/42", "/admin/customers/not-a-number", "/admin/nowhere"):
        response = await client.get(path, params={page_tokens.FIELD: token}, headers=NAVIGATION)
        assert response.status_code == 404, path
        assert Page(response.text).h1 == "Nothing here", path
    # the admin API keeps its JSON
    refused = await client.get("/admin/api/customers/not-a-number", headers=bearer() | NAVIGATION)
    assert refused.json()["error"] == "validation_error"


# --- the program ---------------------------------------------------------------------------------


def _form_of(html: str) -> dict[str, str]:
    """Every field of the program form as the page filled it in, as a browser sends it (a checkbox
    only when ticked)."""
    page = Page(html)
    values = {}
    for field_id, attrs in page.fields.items():
        if attrs.get("type") == "checkbox" and "checked" not in attrs:
            continue
        values[attrs.get("name", field_id)] = attrs.get("value", "")
    # selects show their choice as the `selected` option; the page repeats it in the form's values
    for name, chosen in re.findall(
        r'<select id="([^"]+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]+)" selected', html, re.S
    ):
        values[name] = chosen
    return values


async def _program_page(client) -> tuple[str, dict[str, str]]:
    response = await client.get(_document("/admin/program"))
    assert response.status_code == 200, response.text
    action = next(f["action"] for f in Page(response.text).forms if f.get("id") == "program-form")
    return action, _form_of(response.text)


async def test_the_form_shows_the_program_and_saves_a_change_through_the_apis_rules(client, shop):
    # given the program page
    action, values = await _program_page(client)
    assert values["tiers-2-name"] == "Gold"
    assert values["tier_window"] == "lifetime"
    # when the merchant lowers Gold to 400, adds Platinum and saves
    values |= {
        "tiers-2-threshold": "400",
        "tiers-3-name": "Platinum",
        "tiers-3-threshold": "1000",
        "tiers-3-multiplier": "2",
    }
    response = await client.post(action, data=values)
    # then the program is saved, for the API too, and the merchant is shown the saved page
    assert response.status_code == 303, response.text
    saved = (await client.get("/admin/api/program", headers=bearer())).json()
    assert [(t["name"], t["threshold"], t["multiplier"]) for t in saved["tiers"]] == [
        ("Member", "0", 1),
        ("Silver", "200", 1),
        ("Gold", "400", 1),
        ("Platinum", "1000", 2),
    ]
    shown = await client.get(response.headers["location"])
    assert "Saved. Shoppers see the program at once." in shown.text
    # and the onboarding step "review your program" is done
    assert (
        'Review your program</strong> <span class="visually-hidden">(done)'
        in (await client.get(_document("/admin"))).text
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"tiers-1-threshold": "abc"}, "tiers-1-threshold", "Enter a number."),
        ({"tiers-1-threshold": "NaN"}, "tiers-1-threshold", "Enter a number."),
        ({"tiers-1-threshold": "-5"}, "tiers-1-threshold", "Enter a number of at least 0."),
        ({"tiers-1-threshold": "2000000000"}, "tiers-1-threshold", "Enter a number of at most 1,000,000,000."),
        ({"earn-points_per_unit": ""}, "earn-points_per_unit", "Enter a number."),
        ({"rewards-0-points_cost": "0"}, "rewards-0-points_cost", "Enter a number above 0."),
        ({"tiers-1-multiplier": "0"}, "tiers-1-multiplier", "Enter a number above 0."),
        ({"rewards-1-value": "150"}, "rewards-1-value", "A percentage off cannot be more than 100."),
        ({"rewards-0-value": "0"}, "rewards-0-value", "An amount or percentage off needs a value above 0."),
        ({"tiers-2-threshold": "150"}, "tiers-2-threshold", "Each tier starts above the one before it."),
        ({"tiers-2-threshold": "200"}, "tiers-2-threshold", "Each tier starts above the one before it."),
        (
            {"tiers-0-threshold": "10"},
            "tiers-0-threshold",
            "The first tier starts at 0, so that every member has a tier.",
        ),
        ({"tiers-2-name": "silver"}, "tiers-2-name", "Another tier has this name."),
        (
            {"rewards-3-name": "5 OFF your order", "rewards-3-points_cost": "50", "rewards-3-value": "1"},
            "rewards-3-name",
            "Another reward has this name.",
        ),
        (
            {"tiers-0-remove": "1", "tiers-1-remove": "1", "tiers-2-remove": "1"},
            "tiers-0-name",
            "Keep at least one tier.",
        ),
        ({"referrals-hold_days": "1.5"}, "referrals-hold_days", "Enter a whole number."),
    ],
    ids=[
        "_case=words",
        "_case=not_a_number",
        "_case=negative",
        "_case=huge",
        "_case=empty",
        "_case=zero_cost",
        "_case=zero_multiplier",
        "_case=over_100",
        "_case=zero_value",
        "_case=falling",
        "_case=equal",
        "_case=first_not_zero",
        "_case=same_name",
        "_case=same_reward",
        "_case=no_tier_left",
        "_case=fraction",
    ],
)
async def test_a_bad_value_is_shown_on_its_field_and_nothing_changes(client, shop, changes, field, message):
    # given
    action, values = await _program_page(client)
    before = (await client.get("/admin/api/program", headers=bearer())).json()
    # when
    response = await client.post(action, data=values | changes)
    # then the page comes back with the message on the field, the field marked, and the program as it was
    assert response.status_code == 422, response.text
    page = Page(response.text)
    assert page.errors.get(field) == message, page.errors
    assert page.fields[field].get("aria-invalid") == "true"
    assert (await client.get("/admin/api/program", headers=bearer())).json() == before


async def test_the_summary_names_each_field_and_a_refused_form_keeps_what_was_ticked(client, shop):
    # given a form with a removed reward and a wrong threshold
    action, values = await _program_page(client)
    values |= {"rewards-0-remove": "1", "tiers-1-threshold": "abc"}
    # when it is refused
    response = await client.post(action, data=values)
    # then the summary names the field as its label does, and the removal is still ticked
    assert response.status_code == 422
    assert '<a href="#tiers-1-threshold">Tier 2 threshold: Enter a number.</a>' in response.text
    assert re.search(
        r'<input type="checkbox" id="rewards-0-remove" name="rewards-0-remove" value="1" checked>', response.text
    )
    assert not re.search(r'id="rewards-1-remove"[^>]*checked', response.text)
    # and once the threshold is fixed, the save removes the reward
    fixed = Page(response.text)
    action = next(f["action"] for f in fixed.forms if f.get("id") == "program-form")
    resent = _form_of(response.text) | {"tiers-1-threshold": "200"}
    assert (await client.post(action, data=resent)).status_code == 303
    saved = (await client.get("/admin/api/program", headers=bearer())).json()
    assert [r["id"] for r in saved["rewards"]] == ["10-percent", "free-shipping"]


async def test_keeping_the_default_program_counts_as_reviewing_it(client, shop):
    response = await client.get(_document("/admin/program"))
    keep = next(f["action"] for f in Page(response.text).forms if f.get("id") != "program-form")
    assert (await client.post(keep, data={"keep": "1"})).status_code == 303
    after = await client.get(_document("/admin/program"))
    assert "Keep this program" not in after.text


def _preview_counts(html: str) -> list[int]:
    """The last column of the preview: members per tier."""
    return [int(n) for n in re.findall(r'<td class="num">([\d,]+)</td></tr>', html)]


async def test_the_preview_places_members_by_the_tiers_as_typed(client, shop, drainer):
    # given members who spent 50, 250 and 600
    for customer, spend in ((ALICE, "50.00"), (BOB, "250.00"), (ALICE + 1, "600.00")):
        await _spend(client, drainer, customer, spend)
    action, values = await _program_page(client)
    preview = action.replace("/admin/program?", "/admin/program/preview?")
    # when the merchant types Silver at 300 (not saved)
    response = await client.post(preview, data=values | {"tiers-1-threshold": "300"})
    # then Silver holds nobody, and the program is unchanged
    assert response.status_code == 200
    assert _preview_counts(response.text) == [2, 0, 1]
    assert (await client.get("/admin/api/program", headers=bearer())).json()["tiers"][1]["threshold"] == "200"


async def test_the_preview_of_another_window_counts_orders_in_it(client, shop, drainer):
    await _spend(client, drainer, ALICE, "250.00")
    action, values = await _program_page(client)
    preview = action.replace("/admin/program?", "/admin/program/preview?")
    response = await client.post(preview, data=values | {"tier_window": "calendar_year"})
    assert _preview_counts(response.text) == [0, 1, 0]


# --- customers -----------------------------------------------------------------------------------


async def test_the_list_searches_sorts_filters_and_pages_by_keyset(client, shop, drainer, db):
    # given 30 members with different spend, two of them named
    for n in range(30):
        await _spend(client, drainer, ALICE + n, f"{10 * (n + 1)}.00")
    await _name(db, ALICE + 3, "Jiwoo", "jiwoo@example.com")
    await _name(db, ALICE + 7, "Minji", "minji@shop.kr")
    # when the API lists them by points, a page at a time
    first = (await client.get("/admin/api/customers", headers=bearer())).json()
    second = (await client.get("/admin/api/customers", params={"after": first["next"]}, headers=bearer())).json()
    # then every member appears once, highest first, 25 then 5
    listed = [c["customer_id"] for c in first["customers"] + second["customers"]]
    assert len(first["customers"]) == 25
    assert second["next"] is None
    assert listed == [ALICE + n for n in range(29, -1, -1)]
    # and search finds by email or name, case-insensitively
    found = (await client.get("/admin/api/customers", params={"query": "JIWOO"}, headers=bearer())).json()
    assert [(c["customer_id"], c["name"], c["email"]) for c in found["customers"]] == [
        (ALICE + 3, "Jiwoo Kim", "jiwoo@example.com")
    ]
    assert [
        c["customer_id"]
        for c in (await client.get("/admin/api/customers", params={"query": "shop.kr"}, headers=bearer())).json()[
            "customers"
        ]
    ] == [ALICE + 7]
    # and the tier filter keeps those whose spend puts them there (Silver: 200 up to 500)
    silver = (
        await client.get("/admin/api/customers", params={"tier": "Silver", "sort": "spend"}, headers=bearer())
    ).json()
    assert [c["customer_id"] for c in silver["customers"]] == [ALICE + n for n in range(29, 18, -1)]
    assert {c["tier"]["name"] for c in silver["customers"]} == {"Silver"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"tier": "Bronze"}, "unknown_tier"),
        ({"after": "not-a-cursor"}, "invalid_cursor"),
        ({"after": "WyJwb2ludHMiLCIxIiwxXQ", "sort": "spend"}, "invalid_cursor"),
        ({"query": "%"}, None),
    ],
    ids=["_case=unknown_tier", "_case=garbage_cursor", "_case=cursor_of_another_sort", "_case=wildcard_is_literal"],
)
async def test_the_list_refuses_what_it_cannot_honour(client, shop, drainer, params, code):
    await _spend(client, drainer, ALICE, "20.00")
    response = await client.get("/admin/api/customers", params=params, headers=bearer())
    if code is None:
        assert response.status_code == 200
        assert response.json()["customers"] == []  # a literal %, which no name holds
    else:
        assert response.status_code == 400
        assert response.json()["error"] == code


async def test_the_customers_page_lists_and_links_each_member(client, shop, drainer, db):
    await _spend(client, drainer, ALICE, "120.00")
    await _name(db, ALICE, "Jiwoo", "jiwoo@example.com")
    response = await client.get(_document("/admin/customers", query="jiwoo"))
    assert response.status_code == 200
    assert "Jiwoo Kim" in response.text
    assert "jiwoo@example.com" in response.text
    link = next(link for link in Page(response.text).links if link.startswith(f"/admin/customers/{ALICE}"))
    member = await client.get(link)
    assert member.status_code == 200
    assert Page(member.text).h1 == "Jiwoo Kim"


async def _adjust_form(client, customer_id: int) -> tuple[str, dict[str, str]]:
    page = await client.get(_document(f"/admin/customers/{customer_id}"))
    assert page.status_code == 200, page.text
    action = next(f["action"] for f in Page(page.text).forms if "/adjust" in f.get("action", ""))
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
    return action, {"key": key}


async def test_an_adjustment_from_the_page_is_applied_once_and_shown(client, shop, drainer, db):
    # given a member with 120 points, and the adjustment form
    await _spend(client, drainer, ALICE, "120.00")
    action, form = await _adjust_form(client, ALICE)
    # when the merchant adds 30 points, and the form is sent twice (a double click)
    first = await client.post(action, data=form | {"points": "30", "reason": "Sorry for the late parcel"})
    again = await client.post(action, data=form | {"points": "30", "reason": "Sorry for the late parcel"})
    # then they count once, and the history shows the reason
    assert (first.status_code, again.status_code) == (303, 303)
    assert await points(db, ALICE) == 150
    shown = await client.get(first.headers["location"])
    assert "Sorry for the late parcel" in shown.text
    assert "Points adjusted." in shown.text


@pytest.mark.parametrize(
    ("points_text", "reason", "field"),
    [
        ("abc", "x", "points"),
        ("0", "x", "points"),
        ("10", "", "reason"),
        ("10", "r" * 501, "reason"),
        ("-500", "x", "points"),
        ("99999999999999999999", "x", "points"),
        ("1e3", "x", "points"),
        ("+ 5", "x", "points"),
    ],
    ids=[
        "_case=words",
        "_case=zero",
        "_case=no_reason",
        "_case=long_reason",
        "_case=overdraw",
        "_case=huge",
        "_case=exponent",
        "_case=spaced_sign",
    ],
)
async def test_a_bad_adjustment_is_refused_on_its_field_and_changes_nothing(
    client, shop, drainer, db, points_text, reason, field
):
    await _spend(client, drainer, ALICE, "120.00")
    action, form = await _adjust_form(client, ALICE)
    response = await client.post(action, data=form | {"points": points_text, "reason": reason})
    assert response.status_code == 422, response.text
    assert field in Page(response.text).errors
    assert await points(db, ALICE) == 120


async def test_an_adjustment_may_be_typed_with_a_plus_and_a_limit_says_what_it_is(client, shop, drainer, db):
    await _spend(client, drainer, ALICE, "120.00")
    action, form = await _adjust_form(client, ALICE)
    assert (await client.post(action, data=form | {"points": "+5", "reason": "Welcome gift"})).status_code == 303
    assert await points(db, ALICE) == 125
    action, form = await _adjust_form(client, ALICE)
    refused = await client.post(action, data=form | {"points": "2000000000", "reason": "x"})
    assert Page(refused.text).errors["points"] == "Adjust by at most 1,000,000,000 points at a time."


async def test_the_history_names_each_order_rather_than_repeating_the_ledgers_reason(client, shop, drainer):
    await _spend(client, drainer, ALICE, "120.00")
    english = await client.get(_document(f"/admin/customers/{ALICE}"))
    korean = await client.get(_document(f"/admin/customers/{ALICE}", locale="ko"))
    assert re.search(r"<td>Earned · #\d+</td>", english.text), english.text
    assert re.search(r"<td>적립 · #\d+</td>", korean.text)


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"tier": "Bronze"}, "There is no tier named Bronze any more: showing every tier."),
        ({"after": "not-a-cursor"}, None),
        ({"sort": "bogus"}, None),
    ],
    ids=["_case=renamed_tier", "_case=old_cursor", "_case=unknown_sort"],
)
async def test_an_old_link_to_the_list_shows_what_it_still_can(client, shop, drainer, params, shown):
    # given a member, and a link kept from before (a tier since renamed, a page of an older list)
    await _spend(client, drainer, ALICE, "120.00")
    # when the merchant follows it
    response = await client.get(_document("/admin/customers", **params))
    # then the list shows from its start, saying why where the merchant would wonder
    assert response.status_code == 200, response.text
    assert str(ALICE) in response.text
    if shown:
        assert shown in response.text


# --- one shop never sees another's ----------------------------------------------------------------


async def test_a_shop_never_sees_or_changes_another_shops_customers(client, store_client, drainer, db):
    # given two shops, Alice a member of the first only
    await install_shop(client, store_client)
    await install_shop(client, store_client, domain=OTHER)
    await _spend(client, drainer, ALICE, "120.00")
    # when the second shop's admin asks for her, lists, and tries to adjust her points
    page = await client.get(_document(f"/admin/customers/{ALICE}", shop=OTHER))
    listed = (await client.get("/admin/api/customers", headers=bearer(OTHER))).json()
    other_links = Page((await client.get(_document("/admin", shop=OTHER))).text).links
    other_token = _token_of(next(link for link in other_links if page_tokens.FIELD in link))
    adjust = await client.post(
        f"/admin/customers/{ALICE}/adjust?{urlencode({page_tokens.FIELD: other_token})}",
        data={"points": "-100", "reason": "steal", "key": "k"},
    )
    # then it sees nothing of hers, and her points in the first shop are untouched
    assert page.status_code == 404
    assert listed["customers"] == []
    assert adjust.status_code == 404
    assert await points(db, ALICE) == 120


async def test_the_admin_speaks_korean(client, shop):
    response = await client.get(_document("/admin", locale="ko"))
    assert "시작하기" in response.text
    assert 'lang="ko"' in response.text


async def test_money_is_in_the_shops_currency_once_known(client, shop, drainer, db):
    async with db.unit_of_work() as session:
        await session.execute(update(Shop).values(currency="KRW"))
    await _spend(client, drainer, ALICE, "12000")
    response = await client.get(_document(f"/admin/customers/{ALICE}"))
    assert "₩12,000" in response.text
