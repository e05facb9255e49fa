"""The embedded admin's authentication: App Bridge session tokens (ID tokens), HS256 JWTs signed with
the client secret, `aud` = the API key, `iss` = `https://{shop}/admin` for the shop in `dest`."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from pydantic import SecretStr

from app.shops.models import Shop
from tests.app.support import assert_error, count_rows, token_requests
from tests.conftest import API_KEY, API_SECRET, running_app
from tests.factories import SHOP, bearer, install_shop

RETRY = "x-shopify-retry-invalid-session-request"


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": f"https://{SHOP}/admin",
        "dest": f"https://{SHOP}",
        "aud": API_KEY,
        "sub": "1",
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now,
        "jti": "jti-1",
        "sid": "sid-1",
    }
    return {k: v for k, v in (claims | changes).items() if v is not None}


def _signed(claims: dict[str, object], secret: str = API_SECRET, algorithm: str = "HS256") -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm=algorithm)}"}


def _unsigned(claims: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, None, algorithm='none')}"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no_authorization"),
        pytest.param({"Authorization": ""}, id="empty_authorization"),
        pytest.param({"Authorization": "Bearer "}, id="empty_bearer"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic_scheme"),
        pytest.param({"Authorization": "Bearer not.a.jwt"}, id="garbage"),
        pytest.param(bearer(SHOP, secret="wrong-secret-wrong-secret-wrong-secret"), id="wrong_secret"),
        pytest.param(bearer(SHOP, now=time.time() - 3600), id="expired"),
        pytest.param(bearer(SHOP, now=time.time() - 60 - 11), id="expired_beyond_leeway"),
        pytest.param(bearer(SHOP, now=time.time() + 3600), id="not_yet_valid"),
        pytest.param(bearer(SHOP, api_key="another-app"), id="wrong_aud"),
        pytest.param(bearer(SHOP, issuer="https://other-shop.myshopify.com/admin"), id="iss_not_dest"),
        pytest.param(bearer(SHOP, issuer=f"https://{SHOP}"), id="iss_without_admin"),
        pytest.param(_signed(_claims(iss=None)), id="no_iss"),
        pytest.param(_signed(_claims(dest=None)), id="no_dest"),
        pytest.param(_signed(_claims(dest="https://evil.com", iss="https://evil.com/admin")), id="dest_not_myshopify"),
        pytest.param(_signed(_claims(), algorithm="HS512"), id="other_algorithm"),
        pytest.param(_unsigned(_claims()), id="alg_none"),
    ],
)
async def test_admin_api_refuses_a_bad_session_token_with_401_and_retry_header(
    client, store_client, db, shopify_requests, headers
):
    # given an installed shop
    await install_shop(client, store_client)
    asked_before = len(shopify_requests)

    # when its admin API is called without a valid session token
    response = await client.get("/admin/api/program", headers=headers)

    # then App Bridge is told to retry with a fresh token, in the contract's error shape
    assert_error(response, 401)
    assert response.headers[RETRY] == "1"
    # and Shopify was not asked to exchange anything
    assert len(shopify_requests) == asked_before


BAD_TOKENS = {
    "wrong_secret": bearer(SHOP, secret="wrong-secret-wrong-secret-wrong-secret"),
    "wrong_aud": bearer(SHOP, api_key="another-app"),
    "iss_not_dest": bearer(SHOP, issuer="https://other-shop.myshopify.com/admin"),
    "garbage": {"Authorization": "Bearer not.a.jwt"},
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_the_admin_page_fetched_with_a_bad_session_token_is_401_with_retry_header(client, store_client, case):
    # given an installed shop
    await install_shop(client, store_client)
    # when the admin page is fetched with a bad bearer token
    response = await client.get("/admin", params={"shop": SHOP}, headers=BAD_TOKENS[case])
    # then it is refused in the contract's shape, and App Bridge is told to retry with a fresh token
    assert_error(response, 401, "invalid_session_token")
    assert response.headers[RETRY] == "1"


@pytest.mark.parametrize(
    ("case", "answer"),
    [("wrong_secret", "bounce"), ("garbage", "bounce"), ("wrong_aud", "refuse"), ("iss_not_dest", "refuse")],
)
async def test_the_admin_document_with_a_bad_id_token_bounces_or_is_refused(client, store_client, case, answer):
    # given an installed shop
    await install_shop(client, store_client)
    token = BAD_TOKENS[case]["Authorization"].removeprefix("Bearer ")
    # when the admin document is loaded with a bad id_token
    response = await client.get("/admin", params={"shop": SHOP, "id_token": token})
    # then an unreadable token is swapped for a fresh one on the bounce page (Shopify's package does
    # this), and a readable token for another app or shop is refused, with the retry header
    if answer == "bounce":
        assert response.status_code == 302, response.text
        assert urlsplit(response.headers["location"]).path == "/auth/patch-id-token"
    else:
        assert_error(response, 401, "invalid_session_token")
        assert response.headers[RETRY] == "1"


async def test_a_bad_session_token_for_an_unknown_shop_creates_nothing(client, db, shopify_requests):
    # given a shop we do not know, and a token signed with someone else's secret
    headers = bearer("stranger.myshopify.com", secret="wrong-secret-wrong-secret-wrong-secret")

    # when
    response = await client.get("/admin/api/program", headers=headers)

    # then no token exchange was attempted and no shop exists
    assert_error(response, 401, "invalid_session_token")
    assert token_requests(shopify_requests) == []
    assert await count_rows(db, Shop) == 0


async def test_a_valid_session_token_is_accepted(client, store_client):
    # given an installed shop
    await install_shop(client, store_client)

    # when its admin calls with a fresh token
    response = await client.get("/admin/api/program", headers=bearer(SHOP))

    # then
    assert response.status_code == 200, response.text
    assert RETRY not in response.headers
    assert response.json()["tiers"][0]["name"] == "Member"


async def test_a_token_within_the_clock_leeway_is_accepted(client, store_client):
    # given an installed shop and a token that expired 5 s ago (admin and app clocks differ a little)
    await install_shop(client, store_client)

    # when
    response = await client.get("/admin/api/program", headers=bearer(SHOP, now=time.time() - 65))

    # then
    assert response.status_code == 200, response.text


async def test_one_shops_token_reads_only_that_shops_program(client, store_client):
    # given two installed shops, one of which changed its program
    other = "other-shop.myshopify.com"
    await install_shop(client, store_client)
    await install_shop(client, store_client, domain=other)
    program = (await client.get("/admin/api/program", headers=bearer(other))).json()
    program["earn"]["points_per_unit"] = 7
    assert (await client.put("/admin/api/program", json=program, headers=bearer(other))).status_code == 200

    # when the first shop reads its program
    mine = await client.get("/admin/api/program", headers=bearer(SHOP))

    # then it sees its own
    assert mine.json()["earn"]["points_per_unit"] == 1


async def test_during_a_secret_rotation_tokens_signed_with_either_secret_are_accepted(settings, devstore):
    # given the app's secret was rotated and the previous one is still configured
    rotated = settings.model_copy(
        update={
            "shopify_api_secret": SecretStr("rotated-secret-of-thirty-two-bytes-x"),
            "shopify_api_secret_previous": SecretStr(API_SECRET),
        }
    )
    async with running_app(rotated, devstore) as live:
        client = live.client
        headers = bearer(SHOP, secret="rotated-secret-of-thirty-two-bytes-x")
        assert (await client.get("/admin/api/program", headers=headers)).status_code == 200

        # when the admin still holds a token signed with the previous secret
        response = await client.get("/admin/api/program", headers=bearer(SHOP, secret=API_SECRET))

        # then it is accepted, while one signed with any other secret is not
        assert response.status_code == 200, response.text
        stranger = await client.get(
            "/admin/api/program", headers=bearer(SHOP, secret="neither-secret-of-thirty-two-bytes-x")
        )
        assert_error(stranger, 401)
        assert stranger.headers[RETRY] == "1"


async def test_admin_page_without_id_token_redirects_to_the_patch_id_token_page(client, store_client):
    # given an installed shop
    await install_shop(client, store_client)

    # when the admin page is requested as a document without an ID token
    response = await client.get("/admin", params={"shop": SHOP, "host": "aG9zdA", "embedded": "1"})

    # then it bounces to the page where App Bridge fetches one, and back to where it was
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/patch-id-token"
    query = parse_qs(location.query)
    assert query["shop"] == [SHOP]
    reload = urlsplit(query["shopify-reload"][0])
    assert reload.path == "/admin"
    assert parse_qs(reload.query)["shop"] == [SHOP]


async def test_admin_page_with_a_stale_id_token_redirects_to_the_patch_id_token_page(client, store_client):
    # given an installed shop and an ID token long expired
    await install_shop(client, store_client)
    stale = bearer(SHOP, now=time.time() - 3600)["Authorization"].removeprefix("Bearer ")

    # when
    response = await client.get("/admin", params={"shop": SHOP, "id_token": stale})

    # then the stale token is dropped from the reload address
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/patch-id-token"
    assert "id_token" not in parse_qs(parse_qs(location.query)["shopify-reload"][0])


async def test_patch_id_token_page_loads_app_bridge_with_our_api_key(client):
    # given the address the admin page bounced to
    # when
    response = await client.get("/auth/patch-id-token", params={"shop": SHOP, "shopify-reload": "/admin?shop=x"})

    # then
    assert response.status_code == 200, response.text
    assert f'data-api-key="{API_KEY}"' in response.text
    assert "app-bridge.js" in response.text


async def test_patch_id_token_page_without_its_parameters_answers_a_json_400(client):
    # given a request missing the reload address
    # when
    response = await client.get("/auth/patch-id-token", params={"shop": SHOP})

    # then
    assert_error(response, 400)


async def test_admin_page_with_a_valid_id_token_renders_the_admin(client, store_client):
    # given an installed shop
    await install_shop(client, store_client)
    id_token = bearer(SHOP)["Authorization"].removeprefix("Bearer ")

    # when
    response = await client.get("/admin", params={"shop": SHOP, "id_token": id_token})

    # then the page renders, framed only by the shop's admin
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com" in csp
    assert API_KEY in response.text


async def test_the_dev_store_hands_out_fresh_session_tokens_the_app_accepts(client, store_client):
    # given an installed shop
    await install_shop(client, store_client)

    # when a session token is asked of the dev store, as App Bridge asks the admin (and as the App
    # Bridge stand-in of tests/browser/app_bridge.js does)
    minted = await store_client.get(f"/admin/apps/{API_KEY}/session-token", params={"shop": SHOP})
    unknown = await store_client.get("/admin/apps/another-app/session-token", params={"shop": SHOP})

    # then the app accepts it; another app's key gets none
    assert minted.status_code == 200, minted.text
    program = await client.get("/admin/api/program", headers={"Authorization": f"Bearer {minted.json()['id_token']}"})
    assert program.status_code == 200, program.text
    assert unknown.status_code == 404
