"""Who may frame the admin's documents: the shop's own admin domain and Shopify's admin, and, only
while the local dev store is mounted, the dev store's admin page (served from APP_URL's origin)."""

from __future__ import annotations

import pytest

from tests.conftest import APP_URL, running_app
from tests.factories import SHOP, bearer

SHOPIFY = [f"https://{SHOP}", "https://admin.shopify.com"]


def _frame_ancestors(csp: str) -> list[str]:
    [directive] = [d.split() for d in csp.split(";") if d.split()[:1] == ["frame-ancestors"]]
    return directive[1:]


@pytest.mark.parametrize(
    ("dev_store", "framers"),
    [(False, SHOPIFY), (True, [*SHOPIFY, APP_URL])],
    ids=["_case=production", "_case=dev_store_mounted"],
)
async def test_admin_documents_name_who_may_frame_them(settings, devstore, dev_store, framers):
    # given the app with or without the dev store mounted
    configured = settings.model_copy(update={"dangol_dev_store": dev_store})
    async with running_app(configured, devstore) as live:
        id_token = bearer(SHOP)["Authorization"].removeprefix("Bearer ")

        # when the admin page and App Bridge's bounce page are loaded as documents
        query = {"shop": SHOP, "host": "x", "embedded": "1", "id_token": id_token}
        admin = await live.client.get("/admin", params=query)
        bounce = await live.client.get("/auth/patch-id-token", params={"shop": SHOP, "shopify-reload": "/admin"})

    # then each lets exactly these origins frame it
    for response in (admin, bounce):
        assert response.status_code == 200, response.text
        assert _frame_ancestors(response.headers["content-security-policy"]) == framers
