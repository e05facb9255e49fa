"""The shopper's loyalty page through the app proxy: Liquid for Shopify to render inside the theme,
in the shop's currency and the shopper's language, with nothing from a request, a shopper or a
merchant able to run as Liquid (the dev store renders it with a real Liquid engine, as Shopify would),
and a storefront read that never writes."""

from __future__ import annotations

import asyncio
import copy
import re

import pytest
from sqlalchemy import text

from app.devstore.liquid import render_proxy_body
from app.worker import sync_unsynced_shops
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT
from referrals.models import ReferralCode
from tests.app.support import count_rows
from tests.factories import SHOP, bearer, install_shop, make_order, order_json, post_webhook, proxy_query

CUSTOMER = 7_000_000_000_001
HOSTILE = ["{{ customer.email }}", "{% endraw %}{{ shop.name }}{% raw %}", "{% if true %}RAN{% endif %}"]


async def _shopper_with_points(client, store_client, drainer, services, subtotal="80.00"):
    """An installed shop (synced, so its currency is known) where the shopper earned on an order."""
    await install_shop(client, store_client)
    await sync_unsynced_shops({"services": services})
    await post_webhook(client, "orders/paid", order_json(make_order(customer_id=CUSTOMER, subtotal=subtotal)))
    await drainer.wake()


async def test_the_page_is_liquid_in_the_shops_currency(client, store_client, drainer, services):
    # given a shopper who spent 150.50 in a USD shop
    await _shopper_with_points(client, store_client, drainer, services, subtotal="150.50")
    # when
    response = await client.get(f"/proxy?{proxy_query(customer_id=CUSTOMER)}")
    # then Shopify is asked to render it in the theme, and money is written as the shop's currency
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/liquid")
    assert 'class="dangol-loyalty"' in response.text
    assert ">150<" in response.text  # the points
    assert "Spend $49.50 more to reach Silver." in response.text
    assert "5 off your order" in response.text


async def test_the_history_names_each_order_and_a_paused_rate_is_not_offered(client, store_client, drainer, services):
    # given a shopper's paid order, and a merchant who pauses earning (a rate of 0)
    await _shopper_with_points(client, store_client, drainer, services)
    program = copy.deepcopy(DEFAULT_PROGRAM_DOCUMENT) | {"earn": {"points_per_unit": 0}}
    assert (await client.put("/admin/api/program", json=program, headers=bearer())).status_code == 200
    # when
    english = (await client.get(f"/proxy?{proxy_query(customer_id=CUSTOMER)}")).text
    korean = (await client.get(f"/proxy?{proxy_query(customer_id=CUSTOMER, locale='ko')}")).text
    # then the earning is shown by its order's name in either language, and no "0 points per $1"
    assert re.search(r"Earned · #\d+<br>", english), english
    assert re.search(r"적립 · #\d+<br>", korean)
    assert "for every" not in english


async def test_a_name_of_spaces_greets_no_one(client, store_client, drainer, services):
    await _shopper_with_points(client, store_client, drainer, services)
    customer = {"id": CUSTOMER, "first_name": "   ", "last_name": "Kim", "email": "kim@example.com"}
    await post_webhook(client, "customers/update", customer | {"updated_at": "2026-11-29T10:00:00Z"})
    await drainer.wake()
    page = (await client.get(f"/proxy?{proxy_query(customer_id=CUSTOMER)}")).text
    assert "<h1>Your rewards</h1>" in page


async def test_a_visitor_is_asked_to_join_through_the_themes_own_routes(client, store_client):
    await install_shop(client, store_client)
    response = await client.get(f"/proxy?{proxy_query(customer_id=None)}")
    assert response.status_code == 200, response.text
    # Liquid meant for Shopify: the shop's own login and sign-up addresses, whichever accounts it uses
    assert 'href="{{ routes.account_register_url }}"' in response.text
    assert 'href="{{ routes.account_login_url }}"' in response.text


async def test_the_page_speaks_korean(client, store_client, drainer, services):
    await _shopper_with_points(client, store_client, drainer, services)
    response = await client.get(f"/proxy?{proxy_query(customer_id=CUSTOMER, locale='ko')}")
    assert "나의 포인트" in response.text
    assert "구매하면 Silver 등급이 됩니다" in response.text


async def test_nothing_a_shopper_or_merchant_typed_runs_as_liquid(client, store_client, drainer, devstore):
    # given a shopper whose name is Liquid, a merchant whose tier and reward names are Liquid
    await install_shop(client, store_client)
    program = copy.deepcopy(DEFAULT_PROGRAM_DOCUMENT)
    program["tiers"][1]["name"] = HOSTILE[0]
    program["rewards"][0]["name"] = HOSTILE[1]
    assert (await client.put("/admin/api/program", json=program, headers=bearer())).status_code == 200
    response = await store_client.post(
        f"/shops/{SHOP}/customers", data={"first_name": HOSTILE[2], "last_name": "X", "email": "secret@example.com"}
    )
    assert response.status_code == 303
    customer = next(iter(devstore.shop(SHOP).customers.values()))
    await post_webhook(client, "orders/paid", order_json(make_order(customer_id=customer.id, subtotal="10.00")))
    await drainer.wake()
    # when the shopper opens the page in the dev store, which renders the app's Liquid as Shopify would
    page = await store_client.get(f"/shops/{SHOP}/apps/loyalty/?customer_id={customer.id}")
    # then every one of them is shown as the text it is, and none ran
    assert page.status_code == 200, page.text
    shown = re.sub(r"&#123;", "{", re.sub(r"&#125;", "}", page.text))
    for hostile in HOSTILE:
        assert hostile.replace("{", "{").replace("}", "}") in shown.replace("&#39;", "'").replace("&quot;", '"')
    assert "secret@example.com" not in page.text
    assert "RAN" not in page.text.replace(HOSTILE[2], "").replace("&#123;% if true %&#125;RAN&#123;% endif %&#125;", "")


def test_the_dev_store_theme_runs_real_liquid():
    # the Liquid engine itself: what is Liquid in the template runs, what is text stays text
    from app.devstore.state import DevShop

    shop = DevShop(domain=SHOP, id=1, name="Leaf & Co")
    html = render_proxy_body(
        "{{ shop.name }} | &#123;&#123; shop.name &#125;&#125;", shop=shop, customer=None, locale="en"
    )
    assert html == "Leaf & Co | &#123;&#123; shop.name &#125;&#125;"


async def test_a_storefront_read_writes_nothing_even_for_a_new_shopper(client, store_client, db, dialect):
    # given an installed shop, and every table a read might write to locked against writers
    await install_shop(client, store_client)
    tables = "shops, loyalty_programs, loyalty_members, referral_codes, crm_customers"
    async with db.engine.connect() as blocker:
        # On SQLite a transaction begins IMMEDIATE (app/core/db.py): it holds the one write lock.
        await blocker.begin()
        if dialect == "postgresql":
            await blocker.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
        try:
            # when a shopper we have never seen opens their page, twice
            for path in ("/proxy/me.json", "/proxy"):
                response = await asyncio.wait_for(
                    client.get(f"{path}?{proxy_query(customer_id=CUSTOMER + 5)}"), timeout=5
                )
                # then it answers without waiting for the lock: it wrote nothing
                assert response.status_code == 200, response.text
        finally:
            await blocker.rollback()
    # and their code is recorded later, by a job, not by the read
    assert await count_rows(db, ReferralCode) == 0


async def test_the_code_recorded_by_the_job_is_the_one_the_shopper_was_shown(client, store_client, db, services):
    from app.worker import record_referral_code
    from referrals.service import ENSURE_CODE_JOB
    from tests.processes import wait_until  # noqa: F401

    await install_shop(client, store_client)
    shown = (await client.get(f"/proxy/me.json?{proxy_query(customer_id=CUSTOMER)}")).json()["referral_url"]
    code = shown.rsplit("/", 1)[-1]
    # when the job the read asked for runs
    shop_id = await _shop_id(db)
    await record_referral_code({"services": services}, shop_id, CUSTOMER, code)
    # then the same code is recorded, and the next read shows it from the record
    again = (await client.get(f"/proxy/me.json?{proxy_query(customer_id=CUSTOMER)}")).json()["referral_url"]
    assert again == shown
    assert await count_rows(db, ReferralCode) == 1
    assert ENSURE_CODE_JOB


async def _shop_id(db) -> int:
    from tests.app.support import find_shop

    return (await find_shop(db)).id


@pytest.mark.parametrize("customer_id", [None, CUSTOMER])
async def test_the_page_answers_for_visitors_and_shoppers_of_an_unknown_shop_with_404(client, customer_id):
    response = await client.get(f"/proxy?{proxy_query(customer_id=customer_id)}")
    assert response.status_code == 404
