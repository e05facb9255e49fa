"""The storefront through Shopify's app proxy: `/proxy/me.json`, verified by its `signature`, for the
shopper in `logged_in_customer_id`."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from app.http.schemas import amount_text
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT
from tests.app.support import assert_error
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook, proxy_query

CUSTOMER = 7_000_000_000_001
ME = "/proxy/me.json"
DECIMAL = re.compile(r"^\d+(\.\d+)?$")


@pytest.fixture
async def installed(client, store_client) -> None:
    await install_shop(client, store_client)


async def _earn(client, drainer, *, subtotal: str, customer_id: int = CUSTOMER) -> None:
    order = make_order(customer_id=customer_id, subtotal=subtotal)
    response = await post_webhook(client, "orders/paid", order_json(order))
    assert response.status_code == 200, response.text
    assert await drainer.wake() == 1


def _resigned(query: str, **changes: str) -> str:
    """The query with some values changed after Shopify signed it."""
    params = dict(parse_qsl(query, keep_blank_values=True)) | changes
    return urlencode(params)


async def test_me_has_exactly_the_contracts_shape_and_values_after_an_order(client, installed, drainer):
    # given a shopper whose paid order of 123.45 earned points
    await _earn(client, drainer, subtotal="123.45")

    # when the storefront asks for their loyalty status
    response = await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"customer_id", "points", "tier", "next_tier", "referral_url", "rewards"}
    assert body["customer_id"] == CUSTOMER
    assert body["points"] == 123
    assert body["tier"] == {"name": "Member"}
    assert set(body["next_tier"]) == {"name", "remaining"}
    assert body["next_tier"]["name"] == "Silver"
    remaining = body["next_tier"]["remaining"]
    assert isinstance(remaining, str)
    assert DECIMAL.match(remaining), remaining
    assert Decimal(remaining) == Decimal("200") - Decimal("123.45")
    assert body["rewards"] == [
        {"id": r["id"], "name": r["name"], "points_cost": r["points_cost"]} for r in DEFAULT_PROGRAM_DOCUMENT["rewards"]
    ]
    referral = urlsplit(body["referral_url"])
    assert (referral.scheme, referral.netloc) == ("https", SHOP)
    assert re.fullmatch(r"/apps/loyalty/r/[A-Za-z0-9_-]+", referral.path), referral.path


async def test_remaining_is_the_next_threshold_minus_spend_across_orders(client, installed, drainer):
    # given two orders that together pass Silver
    await _earn(client, drainer, subtotal="150.00")
    await _earn(client, drainer, subtotal="100.50")

    # when
    body = (await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")).json()

    # then the shopper is Silver, with Gold 249.50 away
    assert body["points"] == 250
    assert body["tier"] == {"name": "Silver"}
    assert body["next_tier"]["name"] == "Gold"
    assert body["next_tier"]["remaining"] == "249.50"


async def test_the_top_tier_has_no_next_tier(client, installed, drainer):
    # given a shopper who spent past Gold
    await _earn(client, drainer, subtotal="600.00")

    # when
    body = (await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")).json()

    # then
    assert body["tier"] == {"name": "Gold"}
    assert body["next_tier"] is None


async def test_an_unseen_shopper_has_no_points_and_the_whole_way_to_go(client, installed):
    # given a logged-in shopper who never ordered
    # when
    body = (await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")).json()

    # then
    assert body["points"] == 0
    assert body["tier"] == {"name": "Member"}
    assert body["next_tier"]["name"] == "Silver"
    assert Decimal(body["next_tier"]["remaining"]) == Decimal("200")


async def test_the_referral_url_is_stable_and_personal(client, installed):
    # given two shoppers
    # when each asks twice
    first = (await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")).json()["referral_url"]
    again = (await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")).json()["referral_url"]
    other = (await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER + 1)}")).json()["referral_url"]

    # then each keeps one link, and the links differ
    assert first == again
    assert other != first


@pytest.mark.parametrize(
    ("_case", "query"),
    [
        pytest.param("wrong_signature", lambda q: _resigned(q, signature="0" * 64), id="wrong_signature"),
        pytest.param("tampered_customer", lambda q: _resigned(q, logged_in_customer_id="42"), id="tampered_customer"),
        pytest.param("tampered_shop", lambda q: _resigned(q, shop="other-shop.myshopify.com"), id="tampered_shop"),
        pytest.param("added_param", lambda q: q + "&extra=1", id="added_param"),
        pytest.param(
            "no_signature",
            lambda q: urlencode([(k, v) for k, v in parse_qsl(q, keep_blank_values=True) if k != "signature"]),
            id="no_signature",
        ),
        pytest.param("duplicated_shop", lambda q: q + f"&shop={SHOP}", id="duplicated_shop"),
        # Shopify signs each of these once; a second copy could make us read an unsigned value.
        pytest.param("duplicated_customer", lambda q: q + "&logged_in_customer_id=42", id="duplicated_customer"),
        pytest.param("duplicated_timestamp", lambda q: q + "&timestamp=1", id="duplicated_timestamp"),
        pytest.param("duplicated_prefix", lambda q: q + "&path_prefix=/x", id="duplicated_prefix"),
        pytest.param("duplicated_signature", lambda q: q + "&signature=" + "0" * 64, id="duplicated_signature"),
        # A signature that is not hex once made the verifier raise: a 500 that logged the secret.
        pytest.param("non_hex_signature", lambda q: _resigned(q, signature="é"), id="non_hex_signature"),
        pytest.param("short_signature", lambda q: _resigned(q, signature="abc"), id="short_signature"),
        pytest.param("upper_hex_signature", lambda q: _resigned(q, signature="A" * 64), id="upper_hex_signature"),
        pytest.param("empty", lambda q: "", id="no_query"),
    ],
)
async def test_a_bad_signature_is_refused_with_401(client, installed, _case, query):
    # given a signed storefront request, changed after signing
    signed = proxy_query(customer_id=CUSTOMER)

    # when
    response = await client.get(f"{ME}?{query(signed)}")

    # then
    assert_error(response, 401, "invalid_signature")


async def test_a_request_signed_with_another_secret_is_refused(client, installed):
    # given
    query = proxy_query(customer_id=CUSTOMER, secret="another-apps-secret")

    # when
    response = await client.get(f"{ME}?{query}")

    # then
    assert_error(response, 401, "invalid_signature")


@pytest.mark.parametrize(
    "age_seconds",
    [pytest.param(91, id="just_stale"), pytest.param(3600, id="an_hour_old"), pytest.param(-120, id="future")],
)
async def test_a_stale_timestamp_is_refused_with_401(client, installed, age_seconds):
    # given a correctly signed request from too long ago (a replay) or too far ahead
    query = proxy_query(customer_id=CUSTOMER, timestamp=int(time.time()) - age_seconds)

    # when
    response = await client.get(f"{ME}?{query}")

    # then
    assert_error(response, 401, "invalid_signature")


async def test_a_recent_timestamp_is_accepted(client, installed):
    # given a request signed a minute ago
    query = proxy_query(customer_id=CUSTOMER, timestamp=int(time.time()) - 60)

    # when
    response = await client.get(f"{ME}?{query}")

    # then
    assert response.status_code == 200, response.text


async def test_a_shopper_not_logged_in_gets_403(client, installed):
    # given a storefront visitor who is not logged in (Shopify sends the parameter empty)
    query = proxy_query(customer_id=None)

    # when
    response = await client.get(f"{ME}?{query}")

    # then
    assert_error(response, 403, "not_logged_in")


async def test_a_shop_that_has_not_installed_us_gets_404(client):
    # given a correctly signed request for a shop we do not know
    query = proxy_query(shop="stranger.myshopify.com", customer_id=CUSTOMER)

    # when
    response = await client.get(f"{ME}?{query}")

    # then
    assert_error(response, 404, "shop_not_installed")


async def test_a_shop_that_uninstalled_us_gets_404(client, installed, devstore, drainer):
    # given a shop that uninstalled the app
    payload = {"id": devstore.shop(SHOP).id, "domain": SHOP, "myshopify_domain": SHOP}
    assert (await post_webhook(client, "app/uninstalled", payload)).status_code == 200
    await drainer.wake()

    # when its storefront still calls
    response = await client.get(f"{ME}?{proxy_query(customer_id=CUSTOMER)}")

    # then
    assert_error(response, 404, "shop_not_installed")


async def test_the_loyalty_page_renders_for_shoppers_and_visitors(client, installed, drainer):
    # given a shopper with points
    await _earn(client, drainer, subtotal="80.00")

    # when the page is requested logged in and logged out
    mine = await client.get(f"/proxy?{proxy_query(customer_id=CUSTOMER)}")
    visitor = await client.get(f"/proxy?{proxy_query(customer_id=None)}")
    forged = await client.get(f"/proxy?{_resigned(proxy_query(customer_id=None), logged_in_customer_id='1')}")

    # then
    assert mine.status_code == 200, mine.text
    assert "80" in mine.text
    assert visitor.status_code == 200, visitor.text
    assert_error(forged, 401)


@pytest.mark.parametrize(
    ("amount", "text"),
    [("249.500", "249.50"), ("0.001", "0.001"), ("199.999", "199.999"), ("200", "200.00"), ("12000", "12000.00")],
)
def test_money_is_written_in_cents_unless_it_has_thousandths(amount, text):
    # One shape whatever the program was typed with: a threshold of "200" and a spend of "80.00" alike.
    assert amount_text(Decimal(amount)) == text
