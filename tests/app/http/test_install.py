"""Install: the authorization-code grant through /auth, Shopify-managed install by token exchange,
and the sync job that reads the shop and makes sure our webhook subscriptions exist."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
from pydantic import SecretStr

from app.core.clock import utcnow
from app.shopify.subscriptions import graphql_topic, subscribed_topics
from app.shops.models import Shop, ShopToken
from app.shops.sync import sync_shop
from app.worker import sync_shop_job, sync_unsynced_shops
from loyalty import service as loyalty_service
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT
from tests.app.support import (
    assert_error,
    call_back,
    count_rows,
    find_shop,
    token_requests,
    token_row,
)
from tests.conftest import API_KEY, API_SECRET, APP_URL, running_app
from tests.factories import SHOP, approved_callback, bearer, install_shop

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


async def test_auth_redirects_to_shopify_authorize_with_exactly_the_grant_parameters(client, settings):
    # given a merchant starting the install for a valid shop
    # when
    response = await client.get("/auth", params={"shop": SHOP})

    # then
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", SHOP, "/admin/oauth/authorize")
    query = parse_qs(location.query, keep_blank_values=True, strict_parsing=True)
    assert set(query) == {"client_id", "scope", "redirect_uri", "state"}
    assert all(len(values) == 1 for values in query.values())
    assert query["client_id"] == [API_KEY]
    assert query["scope"][0].split(",") == settings.scopes
    assert query["redirect_uri"] == [f"{APP_URL}/auth/callback"]
    assert len(query["state"][0]) >= 16


async def test_auth_sets_an_http_only_state_cookie_that_differs_per_install(client):
    # given two installs started one after the other
    # when
    first = await client.get("/auth", params={"shop": SHOP})
    second = await client.get("/auth", params={"shop": SHOP})

    # then each sets an HttpOnly cookie, and each asks Shopify with its own state
    cookies = [SimpleCookie(r.headers["set-cookie"]) for r in (first, second)]
    for cookie in cookies:
        morsel = cookie["dangol_oauth_state"]
        assert morsel.value
        assert morsel["httponly"]
        assert morsel["samesite"].lower() == "lax"
    states = [parse_qs(urlsplit(r.headers["location"]).query)["state"][0] for r in (first, second)]
    assert states[0] != states[1]
    assert cookies[0]["dangol_oauth_state"].value != cookies[1]["dangol_oauth_state"].value


@pytest.mark.parametrize(
    "shop",
    [
        pytest.param("evil.com", id="other_domain"),
        pytest.param("a.myshopify.com.evil.com", id="myshopify_as_subdomain"),
        pytest.param("foo.myshopify.com/x", id="trailing_path"),
        pytest.param("", id="empty"),
        pytest.param("https://foo.myshopify.com", id="url_not_domain"),
        pytest.param("foo", id="bare_name"),
        pytest.param("foo..myshopify.com", id="empty_label"),
        pytest.param("-foo.myshopify.com", id="leading_hyphen"),
        pytest.param("foo.myshopify.com\r\nSet-Cookie: x=1", id="header_injection"),
    ],
)
async def test_auth_refuses_a_shop_that_is_not_a_myshopify_domain(client, shop):
    # given a shop parameter that is not exactly {name}.myshopify.com
    # when
    response = await client.get("/auth", params={"shop": shop})

    # then
    assert_error(response, 400, "invalid_shop")
    assert "location" not in response.headers
    assert "set-cookie" not in response.headers


async def test_install_stores_an_encrypted_expiring_token_the_store_accepts(
    client, store_client, services, db, devstore, shopify_requests
):
    # given a merchant who approved the install
    params = await approved_callback(client, store_client)

    # when Shopify calls back
    response = await call_back(client, params)

    # then the merchant lands in the admin
    assert response.status_code == 302, response.text
    assert response.headers["location"].endswith(f"/admin/apps/{API_KEY}?shop={SHOP}")
    # and the code was traded for an expiring offline token
    [token_request] = token_requests(shopify_requests)
    assert token_request.url == f"https://{SHOP}/admin/oauth/access_token"
    assert token_request.body["code"] == params["code"]
    assert str(token_request.body["expiring"]) == "1"
    # and it is stored encrypted, with its expiry and refresh token
    shop = await find_shop(db)
    assert shop is not None
    assert shop.installed
    row = await token_row(db, shop.id)
    assert row is not None
    access_token = services.cipher.decrypt(row.access_token_encrypted)
    assert access_token not in row.access_token_encrypted
    assert devstore.shop_for_token(access_token) == SHOP
    assert row.expires_at is not None
    assert row.expires_at > utcnow()
    assert row.refresh_token_encrypted is not None
    assert row.refresh_token_expires_at is not None
    refresh_token = services.cipher.decrypt(row.refresh_token_encrypted)
    assert refresh_token not in row.refresh_token_encrypted
    assert refresh_token in devstore.state.refresh_tokens
    # and the shop starts with the default program
    async with db.sessions() as session:
        program = await loyalty_service.get_program(session, shop.id)
    assert program.document() == DEFAULT_PROGRAM_DOCUMENT


async def test_install_token_works_for_admin_graphql(client, store_client, services, db):
    # given an installed shop
    await install_shop(client, store_client)
    shop = await find_shop(db)

    # when the app asks Shopify about the shop with the stored token
    token = await services.tokens.access_token(shop.id, SHOP)
    data = await services.admin.execute(SHOP, token, "ShopDetails")

    # then
    assert data["shop"]["myshopifyDomain"] == SHOP


@pytest.mark.parametrize(
    ("_case", "tamper"),
    [
        pytest.param("wrong_hmac", lambda p: p | {"hmac": "0" * 64}, id="wrong_hmac"),
        pytest.param("hmac_of_other_params", lambda p: p | {"code": "f" * 32}, id="changed_code"),
        pytest.param("changed_shop", lambda p: p | {"shop": "other-shop.myshopify.com"}, id="changed_shop"),
        pytest.param("stale", lambda p: p | {"timestamp": "1000000000"}, id="stale_timestamp"),
    ],
)
async def test_callback_with_a_bad_hmac_answers_401_and_stores_nothing(client, store_client, db, _case, tamper):
    # given a callback whose signature does not cover what it carries
    params = tamper(await approved_callback(client, store_client))

    # when
    response = await call_back(client, params)

    # then
    assert_error(response, 401, "invalid_hmac")
    assert await count_rows(db, Shop) == 0
    assert await count_rows(db, ShopToken) == 0


async def test_callback_without_the_state_cookie_answers_400_and_stores_nothing(client, store_client, db):
    # given an approved install whose browser lost the state cookie
    params = await approved_callback(client, store_client)
    client.cookies.clear()

    # when
    response = await call_back(client, params)

    # then
    assert_error(response, 400, "invalid_state")
    assert await count_rows(db, Shop) == 0
    assert await count_rows(db, ShopToken) == 0


async def test_callback_with_a_forged_state_cookie_answers_400_and_stores_nothing(client, store_client, db):
    # given an approved install whose state cookie was not made by us
    params = await approved_callback(client, store_client)
    client.cookies.set("dangol_oauth_state", "forged.value.here", domain="app.test", path="/auth")

    # when
    response = await call_back(client, params)

    # then
    assert_error(response, 400, "invalid_state")
    assert await count_rows(db, Shop) == 0


async def test_callback_whose_state_belongs_to_another_install_answers_400(client, store_client, db):
    # given an approval for one install, while the browser's cookie is from a later /auth
    params = await approved_callback(client, store_client)
    later = await client.get("/auth", params={"shop": SHOP})
    assert later.status_code == 302

    # when the first approval comes back (its hmac is valid, its state is not ours)
    response = await call_back(client, params)

    # then
    assert_error(response, 400, "invalid_state")
    assert await count_rows(db, Shop) == 0
    assert await count_rows(db, ShopToken) == 0


async def test_callback_for_another_shop_than_the_state_was_issued_for_answers_400(client, store_client, db):
    # given a state issued for one shop, carried back by a genuine approval from another shop
    begin = await client.get("/auth", params={"shop": SHOP})
    query = dict(parse_qsl(urlsplit(begin.headers["location"]).query)) | {"shop": "other-shop.myshopify.com"}
    approved = await store_client.get(f"/admin/oauth/authorize?{urlencode(query)}")
    params = dict(parse_qsl(urlsplit(approved.headers["location"]).query))
    assert params["shop"] == "other-shop.myshopify.com"

    # when
    response = await call_back(client, params)

    # then
    assert_error(response, 400, "invalid_state")
    assert await count_rows(db, Shop) == 0
    assert await count_rows(db, ShopToken) == 0


async def test_a_reused_authorization_code_is_refused(client, store_client, services, db):
    # given a completed install, and a copy of its callback and state cookie
    params = await approved_callback(client, store_client)
    cookie = client.cookies.get("dangol_oauth_state")
    first = await call_back(client, params)
    assert first.status_code == 302, first.text
    shop = await find_shop(db)
    before = await token_row(db, shop.id)

    # when the same callback is replayed with the same cookie
    client.cookies.set("dangol_oauth_state", cookie, domain="app.test", path="/auth")
    replay = await call_back(client, params)

    # then Shopify refuses the code and the stored token is untouched
    assert_error(replay, 400, "code_rejected")
    after = await token_row(db, shop.id)
    assert after.generation == before.generation
    assert after.access_token_encrypted == before.access_token_encrypted


async def test_sync_job_stores_currency_and_time_zone_and_subscribes_to_every_topic(
    client, store_client, services, devstore, db
):
    # given a shop in Seoul that sells in won, just installed
    devstore.ensure_shop(SHOP, name="Seoul Goods", currency="KRW", timezone="Asia/Seoul")
    await install_shop(client, store_client)
    shop = await find_shop(db)
    assert shop.currency is None
    assert shop.iana_timezone is None

    # when the sync job runs
    await sync_shop_job({"services": services, "job_try": 1}, shop.id)

    # then the shop's money and clock come from GraphQL
    synced = await find_shop(db)
    assert (synced.currency, synced.iana_timezone, synced.name) == ("KRW", "Asia/Seoul", "Seoul Goods")
    assert synced.shopify_shop_gid == devstore.shop(SHOP).gid
    assert synced.synced_at is not None
    # and there is one subscription per TOML topic, to our webhook address
    subscriptions = devstore.shop(SHOP).subscriptions
    expected = sorted(graphql_topic(t) for t in subscribed_topics())
    assert sorted(s.topic for s in subscriptions) == expected
    assert len(expected) == len(set(expected)) > 0
    assert {s.callback_url for s in subscriptions} == {f"{APP_URL}/webhooks"}


async def test_sync_run_twice_creates_no_duplicate_subscriptions(client, store_client, services, devstore, db):
    # given a shop synced once
    await install_shop(client, store_client)
    shop = await find_shop(db)
    await sync_shop(services.db, services.tokens, services.admin, shop.id, services.settings.app_url)
    first = [(s.id, s.topic) for s in devstore.shop(SHOP).subscriptions]
    received = services.devstore_app.state.received
    answered_before = len(received)

    # when it runs again
    await sync_shop(services.db, services.tokens, services.admin, shop.id, services.settings.app_url)

    # then nothing new was created, and it did not even try
    assert [(s.id, s.topic) for s in devstore.shop(SHOP).subscriptions] == first
    second_run = received[answered_before:]
    assert second_run, "the second run should still read the shop and its subscriptions"
    assert not [r for r in second_run if "webhookSubscriptionCreate" in r["query"]]
    assert all(r["errors"] is None for r in received)


async def test_sync_adds_only_the_missing_subscriptions(client, store_client, services, devstore, db):
    # given a shop where one of our subscriptions was deleted
    await install_shop(client, store_client)
    shop = await find_shop(db)
    await sync_shop(services.db, services.tokens, services.admin, shop.id, services.settings.app_url)
    dev_shop = devstore.shop(SHOP)
    removed = dev_shop.subscriptions.pop(0)

    # when it syncs again
    await sync_shop(services.db, services.tokens, services.admin, shop.id, services.settings.app_url)

    # then exactly that one is back
    topics = [s.topic for s in dev_shop.subscriptions]
    assert topics.count(removed.topic) == 1
    assert sorted(topics) == sorted(graphql_topic(t) for t in subscribed_topics())


async def test_first_admin_page_load_installs_the_shop_by_token_exchange(
    client, services, devstore, db, shopify_requests
):
    # given a shop Shopify installed for us (managed install): we have never heard of it
    assert await find_shop(db) is None
    id_token = bearer(SHOP)["Authorization"].removeprefix("Bearer ")

    # when the admin opens the app with an ID token
    response = await client.get("/admin", params={"shop": SHOP, "host": "x", "embedded": "1", "id_token": id_token})

    # then the page renders, and the ID token was exchanged for an expiring offline token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f"https://{SHOP}" in response.headers["content-security-policy"]
    [exchange] = token_requests(shopify_requests)
    assert exchange.body["grant_type"] == TOKEN_EXCHANGE
    assert exchange.body["subject_token"] == id_token
    assert exchange.body["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    assert str(exchange.body["expiring"]) == "1"
    # and the shop exists with a working expiring token and the default program
    shop = await find_shop(db)
    assert shop is not None
    assert shop.installed
    row = await token_row(db, shop.id)
    assert row.expires_at is not None
    assert row.refresh_token_encrypted is not None
    assert devstore.shop_for_token(services.cipher.decrypt(row.access_token_encrypted)) == SHOP
    async with db.sessions() as session:
        assert (await loyalty_service.get_program(session, shop.id)).document() == DEFAULT_PROGRAM_DOCUMENT


async def test_first_admin_api_call_installs_the_shop_by_token_exchange(
    client, services, devstore, db, shopify_requests
):
    # given a managed install we have not heard of
    # when the embedded admin's first fetch arrives
    response = await client.get("/admin/api/program", headers=bearer(SHOP))

    # then it is answered with the default program, after one token exchange
    assert response.status_code == 200, response.text
    assert response.json() == DEFAULT_PROGRAM_DOCUMENT
    [exchange] = token_requests(shopify_requests)
    assert exchange.body["grant_type"] == TOKEN_EXCHANGE
    assert str(exchange.body["expiring"]) == "1"
    shop = await find_shop(db)
    row = await token_row(db, shop.id)
    assert row.expires_at is not None
    assert row.refresh_token_encrypted is not None

    # and later calls reuse the stored token instead of exchanging again
    again = await client.get("/admin/api/program", headers=bearer(SHOP))
    assert again.status_code == 200
    assert len(token_requests(shopify_requests)) == 1


async def test_token_exchange_refused_answers_401_and_stores_nothing(settings, devstore):
    # given a secret rotation: the app still accepts ID tokens signed with the previous secret,
    # but Shopify (the dev store, which knows only the new one) will not exchange such a token
    rotated = settings.model_copy(
        update={
            "shopify_api_secret": SecretStr("rotated-secret-of-thirty-two-bytes-x"),
            "shopify_api_secret_previous": SecretStr(API_SECRET),
        }
    )
    async with running_app(rotated, devstore) as live:
        services = live.services
        # when a shop we do not know arrives with such a token
        response = await live.client.get("/admin/api/program", headers=bearer(SHOP, secret=API_SECRET))

        # then App Bridge is told to retry with a fresh token, and nothing is stored
        assert_error(response, 401, "token_exchange_refused")
        assert response.headers["x-shopify-retry-invalid-session-request"] == "1"
        assert await count_rows(services.db, Shop) == 0
        assert await count_rows(services.db, ShopToken) == 0


async def test_a_shop_whose_sync_never_ran_is_synced_by_the_cron(client, store_client, db, services):
    # given an installed shop whose install-time sync job never ran (Redis was down, say)
    await install_shop(client, store_client)
    assert (await find_shop(db)).synced_at is None
    # when the sync cron runs
    synced = await sync_unsynced_shops({"services": services})
    # then the shop has its currency, time zone and subscriptions, and a second run has nothing to do
    shop = await find_shop(db)
    assert synced == 1
    assert (shop.currency, shop.iana_timezone) == ("USD", "America/New_York")
    assert shop.synced_at is not None
    assert await sync_unsynced_shops({"services": services}) == 0
