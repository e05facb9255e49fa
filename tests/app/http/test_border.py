"""The border in front of FastAPI (app/http/border.py) and the start-up checks: a Host that is not
ours is refused, bodies are bounded in size and time and not read before authentication, redirects
are built from APP_URL, and an app without real credentials does not start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.core.config import Settings, UnusableSettings
from app.http import border
from app.http.main import create_app
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT
from tests.app.support import assert_error
from tests.conftest import API_KEY, API_SECRET, APP_URL
from tests.factories import SHOP, bearer, install_shop, proxy_query

PROGRAM = "/admin/api/program"


async def _stalling(first: bytes) -> AsyncIterator[bytes]:
    """A body that sends its first bytes and then nothing more."""
    yield first
    await asyncio.sleep(3600)
    yield b""


# --- Host ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "app.test.evil.example", "evil.example:80"])
async def test_a_request_for_another_host_is_refused(client, host):
    response = await client.get("/admin", headers={"Host": host})
    assert_error(response, 400, "unknown_host")


async def test_health_answers_whatever_the_host(client):
    # a load balancer's check may use an internal name
    response = await client.get("/healthz", headers={"Host": "10.0.0.7:8000"})
    assert response.status_code in (200, 503)


async def test_the_admin_bounce_redirect_is_built_from_app_url_not_the_host_header(client):
    # given a document request without an id token (App Bridge bounces it to refresh the token)
    response = await client.get("/admin", params={"shop": SHOP, "embedded": "1"}, headers={"Host": "app.test:80"})
    # then the redirect names APP_URL
    assert response.status_code in (302, 303, 307), response.text
    location = response.headers["location"]
    assert location.startswith(f"{APP_URL}/auth/patch-id-token?"), location


# --- bodies -------------------------------------------------------------------------------------


async def test_an_unauthenticated_body_is_refused_before_it_is_read(client):
    # given a body that would take an hour to arrive, sent without a session token
    request = client.put(PROGRAM, content=_stalling(b'{"earn": '), headers={"Content-Type": "application/json"})
    # when
    response = await asyncio.wait_for(request, timeout=5)
    # then the 401 came without waiting for the body
    assert_error(response, 401, "missing_session_token")


async def test_a_body_with_a_bad_session_token_is_refused_before_it_is_read(client):
    headers = {"Content-Type": "application/json"} | bearer(SHOP, secret="neither-secret-of-thirty-two-bytes-x")
    response = await asyncio.wait_for(client.put(PROGRAM, content=_stalling(b"{"), headers=headers), timeout=5)
    assert_error(response, 401, "invalid_session_token")
    assert response.headers["x-shopify-retry-invalid-session-request"] == "1"


async def test_a_storefront_body_with_a_bad_signature_is_refused_before_it_is_read(client):
    query = proxy_query(customer_id=1, secret="neither-secret-of-thirty-two-bytes-x")
    response = await asyncio.wait_for(client.post(f"/proxy/redeem?{query}", content=_stalling(b"{")), timeout=5)
    assert_error(response, 401, "invalid_signature")


async def test_a_declared_body_over_the_limit_is_refused_unread(client, store_client):
    # given an installed shop and an authenticated merchant
    await install_shop(client, store_client)
    headers = bearer(SHOP) | {"Content-Length": str(border.MAX_BODY_BYTES + 1)}
    # when the declared length is over the limit (the body itself never comes)
    response = await asyncio.wait_for(client.put(PROGRAM, content=_stalling(b"{"), headers=headers), timeout=5)
    # then
    assert_error(response, 413, "body_too_large")


async def test_a_body_growing_past_the_limit_is_refused_as_it_arrives(client, store_client):
    # given an authenticated merchant sending a chunked body with no declared length
    await install_shop(client, store_client)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(border.MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    # when
    response = await client.put(PROGRAM, content=chunks(), headers=bearer(SHOP))
    # then
    assert_error(response, 413, "body_too_large")


async def test_a_body_that_stalls_is_cut_off_at_the_deadline(client, store_client, monkeypatch):
    # given an authenticated merchant whose body stops arriving
    monkeypatch.setattr(border, "BODY_DEADLINE_SECONDS", 0.3)
    await install_shop(client, store_client)
    # when
    response = await asyncio.wait_for(client.put(PROGRAM, content=_stalling(b"{"), headers=bearer(SHOP)), timeout=5)
    # then
    assert_error(response, 408, "body_timeout")


async def test_a_body_within_the_limit_still_works(client, store_client):
    # given
    await install_shop(client, store_client)
    # when the default program is saved back
    response = await client.put(PROGRAM, json=DEFAULT_PROGRAM_DOCUMENT, headers=bearer(SHOP))
    # then
    assert response.status_code == 200, response.text


# --- the patch-id-token page ------------------------------------------------------------------


@pytest.mark.parametrize(
    "shop",
    ["evil.example *", "loyal-test.myshopify.com https://evil.example", "가게.myshopify.com", "evil.example"],
    ids=["_case=star", "_case=second_source", "_case=non_ascii", "_case=not_myshopify"],
)
async def test_the_patch_id_token_page_refuses_a_shop_that_is_not_one(client, shop):
    response = await client.get("/auth/patch-id-token", params={"shop": shop, "shopify-reload": "/admin"})
    assert_error(response, 400, "invalid_shop")


@pytest.mark.parametrize("reload", ["//evil.example/x", "https://evil.example/", "admin", "/\\evil.example"])
async def test_the_patch_id_token_page_reloads_only_paths_of_this_app(client, reload):
    response = await client.get("/auth/patch-id-token", params={"shop": SHOP, "shopify-reload": reload})
    assert_error(response, 400, "invalid_reload")


async def test_the_patch_id_token_page_lets_only_the_shop_and_shopify_frame_it(client):
    # when
    response = await client.get("/auth/patch-id-token", params={"shop": SHOP.upper(), "shopify-reload": "/admin?x=1"})
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-security-policy"] == f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    assert f'data-api-key="{API_KEY}"' in response.text


# --- credentials at start-up --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "secret", "previous"),
    [("", API_SECRET, None), (API_KEY, "", None), (API_KEY, "unset", None), (API_KEY, API_SECRET, "short")],
    ids=["_case=no_key", "_case=no_secret", "_case=placeholder_secret", "_case=short_previous_secret"],
)
def test_the_app_refuses_to_start_without_real_credentials(settings, key, secret, previous):
    # given settings without a usable key or secret
    bad = Settings.model_validate(
        settings.model_dump()
        | {"shopify_api_key": key, "shopify_api_secret": secret, "shopify_api_secret_previous": previous}
    )
    # when / then
    with pytest.raises(UnusableSettings):
        create_app(bad)


@pytest.mark.parametrize(
    ("database", "redis"),
    [("sqlite:///var/dangol.db", "redis://127.0.0.1:6379/0"), ("postgresql+psycopg://db/dangol", None)],
    ids=["_case=sqlite", "_case=embedded_redis"],
)
def test_production_refuses_the_development_backends(settings, database, redis):
    production = Settings.model_validate(
        settings.model_dump()
        | {"dangol_env": "production", "database_url": database, "redis_url": redis}
        | {"dangol_encryption_key": "x" * 44}
    )
    with pytest.raises(UnusableSettings, match="production"):
        create_app(production)


async def test_a_token_signed_with_a_placeholder_secret_is_refused(client, store_client):
    # an app built without config once accepted tokens signed with the literal "unset"
    await install_shop(client, store_client)
    response = await client.get(PROGRAM, headers=bearer(SHOP, secret="unset"))
    assert_error(response, 401, "invalid_session_token")
