"""The dev store mounted in the app at /devstore, as `dangol dev` runs it: its page's relative links
and form posts, and its redirects, stay under /devstore whatever routes the app itself has."""

from __future__ import annotations

import re

from starlette.routing import Mount

from tests.conftest import APP_URL, running_app
from tests.factories import SHOP


async def test_the_mounted_dev_store_links_and_redirects_under_devstore(settings, devstore):
    # given the app with the dev store mounted (the app has a page named "home" of its own)
    async with running_app(settings.model_copy(update={"dangol_dev_store": True}), devstore) as live:
        [mounted] = [r.app for r in live.app.routes if isinstance(r, Mount) and r.path == "/devstore"]
        mounted.state.store.ensure_shop(SHOP)

        # when its page is opened and a customer is added through its form
        page = await live.client.get("/devstore/")
        added = await live.client.post(
            f"/devstore/shops/{SHOP}/customers", data={"first_name": "Jiwoo", "email": "jiwoo@example.com"}
        )

    # then the page's relative links start at /devstore/, and the form comes back to that page
    assert page.status_code == 200, page.text
    assert re.search(r'<base href="/devstore/">', page.text)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{APP_URL}/devstore/"


async def test_the_mounted_dev_store_account_pages_link_under_devstore(settings, devstore):
    # given the app with the dev store mounted, and a shop with a customer
    async with running_app(settings.model_copy(update={"dangol_dev_store": True}), devstore) as live:
        [mounted] = [r.app for r in live.app.routes if isinstance(r, Mount) and r.path == "/devstore"]
        mounted.state.store.ensure_shop(SHOP)
        customer = mounted.state.store.add_customer(SHOP, "Jiwoo", "Kim", "jiwoo@example.com")

        # when the shop's sign-in page is opened where the storefront's "Sign in" leads
        page = await live.client.get(f"/devstore/shops/{SHOP}/account/login")

    # then it opens the loyalty page as the customer, and goes back to the store, under /devstore
    assert page.status_code == 200, page.text
    assert f'href="/devstore/shops/{SHOP}/apps/loyalty/?customer_id={customer.id}"' in page.text
    assert 'href="/devstore/"' in page.text
