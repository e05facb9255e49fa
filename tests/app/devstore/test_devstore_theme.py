"""The dev store's own pages around the app: they wrap long words rather than widen, and its plain
theme answers a logged-out shopper's "Join" and "Sign in" with pages that explain the dev store has
no customer accounts and open the loyalty page as each of the shop's customers."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import API_KEY
from tests.factories import SHOP, install_shop

# What a theme's CSS needs so that a word longer than the page (a name of 300 letters) breaks instead
# of making the page wider; `anywhere`, unlike `break-word`, also lets tables and flex items shrink.
WRAPS_LONG_WORDS = re.compile(r"(?:^|[\s,}])body\s*(?:,[^{]*)?\{[^}]*overflow-wrap:\s*anywhere", re.MULTILINE)


def _styles(page: str) -> str:
    return "\n".join(re.findall(r"<style>(.*?)</style>", page, re.DOTALL))


def _links(page: str) -> dict[str, str]:
    """Each link's text (tags stripped, unescaped) and its address."""
    found = re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', page, re.DOTALL)
    return {html.unescape(re.sub(r"<[^>]+>", "", text)).strip(): html.unescape(href) for href, text in found}


@pytest.mark.parametrize(
    ("_case", "path"),
    [
        ("the store's home", "/"),
        ("the storefront, logged out", f"/shops/{SHOP}/apps/loyalty/"),
        ("the admin frame", f"/admin/apps/{API_KEY}?shop={SHOP}"),
        ("the sign-in page", f"/shops/{SHOP}/account/login"),
        ("the join page", f"/shops/{SHOP}/account/register"),
        ("the kept mail", "/mail"),
    ],
)
async def test_each_dev_store_page_wraps_long_words(client, store_client, _case, path):
    # given a shop with a customer whose name is one word wider than any screen
    await install_shop(client, store_client)
    added = await store_client.post(
        f"/shops/{SHOP}/customers", data={"first_name": "A" * 300, "last_name": "B", "email": "long@example.com"}
    )
    assert added.status_code == 303, added.text
    # when
    page = await store_client.get(path)
    # then the page's own style breaks long words wherever they show (a browser test sees the effect)
    assert page.status_code == 200, page.text
    assert WRAPS_LONG_WORDS.search(_styles(page.text)), _styles(page.text)


async def test_a_logged_out_shoppers_join_and_sign_in_open_the_dev_store_account_pages(client, store_client):
    # given an installed shop, and its loyalty page as a logged-out shopper sees it in the dev store
    await install_shop(client, store_client)
    storefront = await store_client.get(f"/shops/{SHOP}/apps/loyalty/")
    assert storefront.status_code == 200, storefront.text
    links = _links(storefront.text)

    # when the shopper follows "Join" and "Sign in"
    join = await store_client.get(links["Join"])
    sign_in = await store_client.get(links["Sign in"])

    # then both are pages of the shop's plain theme, under the shop's own path as the storefront is
    assert (links["Join"], links["Sign in"]) == (f"/shops/{SHOP}/account/register", f"/shops/{SHOP}/account/login")
    for page in (join, sign_in):
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert '<header class="theme-header">' in page.text
        assert "no customer accounts" in page.text
    assert "<h1>Create an account</h1>" in join.text
    assert "<h1>Sign in</h1>" in sign_in.text


@pytest.mark.parametrize("page", ["login", "register"])
async def test_the_account_pages_open_the_loyalty_page_as_each_customer(client, store_client, devstore, drainer, page):
    # given two customers, their webhooks processed
    await install_shop(client, store_client)
    for first, last in (("Jiwoo", "Kim"), ("Alex", "Rivera")):
        added = await store_client.post(
            f"/shops/{SHOP}/customers", data={"first_name": first, "last_name": last, "email": f"{first}@example.com"}
        )
        assert added.status_code == 303, added.text
    await drainer.wake()
    customers = {f"{c.first_name} {c.last_name}": c.id for c in devstore.shop(SHOP).customers.values()}

    # when the account page is opened
    links = _links((await store_client.get(f"/shops/{SHOP}/account/{page}")).text)

    # then it links each customer to the loyalty page logged in as them
    for name, customer_id in customers.items():
        assert links[name] == f"/shops/{SHOP}/apps/loyalty/?customer_id={customer_id}"
    # and following a link shows that customer's own page
    opened = await store_client.get(links["Jiwoo Kim"])
    assert opened.status_code == 200, opened.text
    assert "<h1>Jiwoo, your rewards</h1>" in opened.text


async def test_the_account_pages_say_when_the_shop_has_no_customers_and_where_to_add_one(client, store_client):
    # given a shop without customers
    await install_shop(client, store_client)
    # when
    page = await store_client.get(f"/shops/{SHOP}/account/login")
    # then
    assert page.status_code == 200, page.text
    assert "has no customers yet" in page.text
    assert _links(page.text)["the dev store"] == "/"


async def test_the_account_pages_show_what_was_typed_as_text(store_client, devstore):
    # given a shop and a customer whose names and email are markup
    devstore.ensure_shop(SHOP, name="Leaf & <i>Co</i>")
    devstore.add_customer(SHOP, "<script>alert(1)</script>", '"><img src=x>', "a&b@example.com")
    # when
    page = (await store_client.get(f"/shops/{SHOP}/account/login")).text
    # then every one of them is text on the page
    for markup in ("<script>", "<img", "<i>"):
        assert markup not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x&gt;" in page
    assert "Leaf &amp; &lt;i&gt;Co&lt;/i&gt;" in page
    assert "a&amp;b@example.com" in page


async def test_an_account_page_of_a_shop_the_store_does_not_have_is_404(store_client):
    assert (await store_client.get("/shops/nowhere.myshopify.com/account/login")).status_code == 404
