"""Expiring offline tokens: refreshed before they expire, one refresh at a time per shop, dropped when
Shopify refuses them or the shop uninstalls us."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from app.core.clock import utcnow
from app.core.db import Database
from app.services import Services
from app.shopify.oauth import TokenGrant
from app.shops.models import ShopToken
from app.shops.tokens import ShopNotConnected, drop_token, save_grant
from app.worker import refresh_tokens
from tests.app.support import count_rows, find_shop, token_requests, token_row
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook

SHORT_LIFETIME = 300  # inside the default 600 s refresh margin: due for refresh at once
LONG_LIFETIME = 3600


async def _install_with_short_lived_token(client, store_client, devstore, db) -> tuple[int, str]:
    devstore.state.token_lifetime_seconds = SHORT_LIFETIME
    await install_shop(client, store_client)
    # Tokens granted from now on live long, so a refreshed token is not due again at once.
    devstore.state.token_lifetime_seconds = LONG_LIFETIME
    shop = await find_shop(db)
    return shop.id, (await token_row(db, shop.id)).access_token_encrypted


def slow_down_refresh_grants(services: Services) -> None:
    """Shopify takes a while to answer a refresh: long enough for a racing caller to read the row."""

    async def slow(request: httpx.Request) -> None:
        if b'"refresh_token"' in request.content:
            await asyncio.sleep(0.2)

    services.http.event_hooks["request"].append(slow)


async def test_a_fresh_token_is_handed_out_without_refreshing(client, store_client, services, devstore, db):
    # given a shop whose token lives an hour
    await install_shop(client, store_client)
    shop = await find_shop(db)
    stored = await token_row(db, shop.id)

    # when the app asks for its token
    token = await services.tokens.access_token(shop.id, SHOP)

    # then it is the stored one, and Shopify was not asked
    assert token == services.cipher.decrypt(stored.access_token_encrypted)
    assert devstore.state.refreshes.get(SHOP, 0) == 0


async def test_a_token_inside_the_margin_is_refreshed_before_use(
    client, store_client, services, devstore, db, shopify_requests
):
    # given a shop whose token expires within the refresh margin
    shop_id, encrypted_before = await _install_with_short_lived_token(client, store_client, devstore, db)
    old_token = services.cipher.decrypt(encrypted_before)
    before = await token_row(db, shop_id)

    # when the app asks for its token
    token = await services.tokens.access_token(shop_id, SHOP)

    # then it was refreshed once, with the stored refresh token, and the new pair is stored
    assert devstore.state.refreshes[SHOP] == 1
    refresh = [r for r in token_requests(shopify_requests) if r.body.get("grant_type") == "refresh_token"]
    assert len(refresh) == 1
    assert refresh[0].body["refresh_token"] == services.cipher.decrypt(before.refresh_token_encrypted)
    after = await token_row(db, shop_id)
    assert token != old_token
    assert services.cipher.decrypt(after.access_token_encrypted) == token
    assert after.generation == before.generation + 1
    assert after.expires_at > before.expires_at
    assert after.refresh_token_encrypted != before.refresh_token_encrypted
    # and the new token works for GraphQL
    data = await services.admin.execute(SHOP, token, "ShopDetails")
    assert data["shop"]["myshopifyDomain"] == SHOP
    # and the next ask uses it without refreshing again
    assert await services.tokens.access_token(shop_id, SHOP) == token
    assert devstore.state.refreshes[SHOP] == 1


async def test_the_refresh_cron_rotates_only_tokens_that_are_due(client, store_client, services, devstore, db):
    # given one shop whose token is due and one whose token is fresh
    shop_id, encrypted_before = await _install_with_short_lived_token(client, store_client, devstore, db)
    await install_shop(client, store_client, domain="fresh-shop.myshopify.com")
    fresh = await find_shop(db, "fresh-shop.myshopify.com")
    fresh_before = await token_row(db, fresh.id)

    # when the cron runs
    refreshed = await refresh_tokens({"services": services})

    # then only the due one was rotated, and its new token works
    assert refreshed == 1
    assert devstore.state.refreshes == {SHOP: 1}
    after = await token_row(db, shop_id)
    assert after.access_token_encrypted != encrypted_before
    token = services.cipher.decrypt(after.access_token_encrypted)
    assert (await services.admin.execute(SHOP, token, "ShopDetails"))["shop"]["myshopifyDomain"] == SHOP
    assert (await token_row(db, fresh.id)).generation == fresh_before.generation
    # and running it again finds nothing due
    assert await refresh_tokens({"services": services}) == 0
    assert devstore.state.refreshes == {SHOP: 1}


async def test_two_racing_refreshes_make_one_grant_and_share_the_token(
    client, store_client, services, devstore, db, dialect
):
    # given a token due for refresh, and a dev store that, like Shopify, lets a refresh token work once
    shop_id, encrypted_before = await _install_with_short_lived_token(client, store_client, devstore, db)
    slow_down_refresh_grants(services)

    # when two refreshes for the same shop run at the same time
    first, second = await asyncio.gather(
        services.tokens.refresh(shop_id, SHOP),
        services.tokens.refresh(shop_id, SHOP),
    )

    # then Shopify saw one refresh grant, and both callers hold the one new, working token
    assert devstore.state.refreshes[SHOP] == 1, dialect
    assert first == second
    assert first != services.cipher.decrypt(encrypted_before)
    row = await token_row(db, shop_id)
    assert services.cipher.decrypt(row.access_token_encrypted) == first
    assert (await services.admin.execute(SHOP, first, "ShopDetails"))["shop"]["myshopifyDomain"] == SHOP
    # and the stored refresh token is the live one, so the next rotation works too
    assert services.cipher.decrypt(row.refresh_token_encrypted) in devstore.state.refresh_tokens


async def test_the_database_takes_writes_while_shopify_answers_a_refresh(client, store_client, services, devstore, db):
    # given a token due for refresh, and a Shopify that holds the refresh call until we let it go
    shop_id, _ = await _install_with_short_lived_token(client, store_client, devstore, db)
    in_flight, release = asyncio.Event(), asyncio.Event()

    async def hold(request: httpx.Request) -> None:
        if b'"refresh_token"' in request.content:
            in_flight.set()
            await release.wait()

    services.http.event_hooks["request"].append(hold)
    refreshing = asyncio.create_task(services.tokens.refresh(shop_id, SHOP))
    await in_flight.wait()
    # when a webhook comes in while the refresh waits on Shopify
    # (with a row lock held across the call, SQLite's single writer would wait for Shopify too)
    accepted = await asyncio.wait_for(post_webhook(client, "orders/paid", order_json(make_order())), timeout=10)
    # then it is stored at once, and the refresh then completes
    assert accepted.status_code == 200
    assert not refreshing.done()
    release.set()
    token = await refreshing
    assert services.cipher.decrypt((await token_row(db, shop_id)).access_token_encrypted) == token
    assert (await token_row(db, shop_id)).refresh_lease_until is None


async def test_a_lease_left_by_a_crashed_refresher_runs_out(client, store_client, services, devstore, db):
    # given a token due for refresh whose lease a refresher took and then died holding
    shop_id, encrypted_before = await _install_with_short_lived_token(client, store_client, devstore, db)
    async with db.unit_of_work() as session:
        row = await session.get(ShopToken, shop_id)
        row.refresh_lease_until = utcnow() - timedelta(seconds=1)
    # when the app next needs the token
    token = await services.tokens.access_token(shop_id, SHOP)
    # then it refreshes as usual
    assert token != services.cipher.decrypt(encrypted_before)
    assert devstore.state.refreshes[SHOP] == 1


async def test_racing_access_token_calls_refresh_once(client, store_client, services, devstore, db):
    # given a token due for refresh
    shop_id, _ = await _install_with_short_lived_token(client, store_client, devstore, db)
    slow_down_refresh_grants(services)

    # when five requests need the token at once
    tokens = await asyncio.gather(*(services.tokens.access_token(shop_id, SHOP) for _ in range(5)))

    # then one refresh served them all
    assert devstore.state.refreshes[SHOP] == 1
    assert len(set(tokens)) == 1
    assert await count_rows(db, ShopToken) == 1


async def test_a_refused_refresh_drops_the_token_and_says_the_shop_is_not_connected(
    client, store_client, services, devstore, db
):
    # given a shop whose tokens Shopify has revoked
    shop_id, _ = await _install_with_short_lived_token(client, store_client, devstore, db)
    devstore.revoke_shop(SHOP)

    # when the app tries to refresh
    with pytest.raises(ShopNotConnected):
        await services.tokens.access_token(shop_id, SHOP)

    # then the dead pair is gone, and asking again fails the same way without calling Shopify
    assert await token_row(db, shop_id) is None
    with pytest.raises(ShopNotConnected):
        await services.tokens.access_token(shop_id, SHOP)
    assert devstore.state.refreshes.get(SHOP, 0) == 0


async def test_the_refresh_cron_survives_a_refused_refresh(client, store_client, services, devstore, db):
    # given two shops due for refresh, one of them revoked
    revoked_id, _ = await _install_with_short_lived_token(client, store_client, devstore, db)
    devstore.state.token_lifetime_seconds = SHORT_LIFETIME
    await install_shop(client, store_client, domain="other-shop.myshopify.com")
    devstore.state.token_lifetime_seconds = LONG_LIFETIME
    other = await find_shop(db, "other-shop.myshopify.com")
    devstore.revoke_shop(SHOP)

    # when the cron runs
    refreshed = await refresh_tokens({"services": services})

    # then the healthy shop was refreshed and the revoked one lost its token
    assert refreshed == 1
    assert devstore.state.refreshes == {"other-shop.myshopify.com": 1}
    assert await token_row(db, revoked_id) is None
    assert await token_row(db, other.id) is not None


async def test_app_uninstalled_deletes_the_token(client, store_client, services, devstore, db, drainer):
    # given an installed shop
    await install_shop(client, store_client)
    shop = await find_shop(db)
    assert await token_row(db, shop.id) is not None

    # when Shopify announces the uninstall and the worker processes it
    response = await post_webhook(
        client, "app/uninstalled", {"id": devstore.shop(SHOP).id, "domain": SHOP, "myshopify_domain": SHOP}
    )
    assert response.status_code == 200, response.text
    assert await drainer.wake() == 1

    # then the token is gone and the shop is marked uninstalled
    assert await token_row(db, shop.id) is None
    uninstalled = await find_shop(db)
    assert uninstalled.uninstalled_at is not None
    with pytest.raises(ShopNotConnected):
        await services.tokens.access_token(shop.id, SHOP)


async def test_two_grants_recorded_at_once_for_a_shop_without_a_token_both_succeed(
    client, store_client, db, settings, services, dialect
):
    # given an installed shop whose token was dropped (a refused refresh), as App Bridge's first
    # page load then sends several requests that each exchange and record a grant
    if dialect != "postgresql":
        pytest.skip("two transactions at once need PostgreSQL (SQLite takes writers one at a time)")
    await install_shop(client, store_client)
    shop = await find_shop(db)
    async with db.unit_of_work() as session:
        await drop_token(session, shop.id)
    other = Database(settings.database_url)
    gate = asyncio.Event()

    async def record(database: Database, token: str) -> str:
        grant = TokenGrant(token, shop.scopes, utcnow() + timedelta(hours=1), "shprt_" + token, None)
        async with database.unit_of_work() as session:
            await gate.wait()
            await save_grant(session, shop.id, grant, services.cipher)
            await asyncio.sleep(0.05)  # hold the transaction open while the other reaches its insert
        return token

    # when both record their grant at the same instant
    try:
        tasks = [asyncio.create_task(record(database, f"shpat_{n}")) for n, database in enumerate((db, other))]
        await asyncio.sleep(0.05)
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await other.dispose()
    # then neither failed, and one token row holds one of the two grants
    assert sorted(map(str, results)) == ["shpat_0", "shpat_1"]
    row = await token_row(db, shop.id)
    assert services.cipher.decrypt(row.access_token_encrypted) in ("shpat_0", "shpat_1")
    assert row.generation == 2


async def test_dropping_a_dead_token_spares_a_grant_stored_since(client, store_client, db, services):
    # given the token a refresh found dead (generation 1), and a new grant stored meanwhile (generation 2)
    await install_shop(client, store_client)
    shop = await find_shop(db)
    async with db.unit_of_work() as session:
        grant = TokenGrant("shpat_new", shop.scopes, utcnow() + timedelta(hours=1), "shprt_new", None)
        await save_grant(session, shop.id, grant, services.cipher)
    # when the refresh's clean-up drops the generation it saw
    async with db.unit_of_work() as session:
        await drop_token(session, shop.id, generation=1)
    # then the newer grant is still there
    row = await token_row(db, shop.id)
    assert row is not None
    assert services.cipher.decrypt(row.access_token_encrypted) == "shpat_new"
