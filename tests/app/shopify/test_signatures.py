"""Shopify's signature schemes against its test vectors (secret "hush"): webhook bodies, the OAuth
callback query, the app proxy query; plus a wrong secret and a secret rotation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import time_machine

from app.core.config import Settings
from app.devstore.signing import app_proxy_signature, oauth_query_hmac, webhook_hmac
from app.shopify.oauth import ShopifyAuth
from app.shopify.verify import ShopifyVerifier
from tests.shopify import hmac_vectors, load_payload_bytes
from webhooks.verify import signature_matches

VECTOR_SECRET = "hush"


def _settings(secret: str = VECTOR_SECRET, previous: str | None = None) -> Settings:
    return Settings(
        shopify_api_key="vector-client-id",
        shopify_api_secret=secret,
        shopify_api_secret_previous=previous,
        database_url="sqlite://",
        redis_url="redis://unused",
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _auth(http: httpx.AsyncClient, secret: str = VECTOR_SECRET, previous: str | None = None) -> ShopifyAuth:
    settings = _settings(secret, previous)
    return ShopifyAuth(settings, http, ShopifyVerifier(settings).app)


def _webhook_vector(index: int) -> tuple[bytes, str]:
    vector = hmac_vectors()["webhook_body_hmac"][index]
    assert vector["secret"] == VECTOR_SECRET
    if "body_file" in vector:
        assert vector["body_file"].startswith("payloads/2026-04/orders__create.json")
        body = load_payload_bytes("orders/create")
    else:
        body = vector["body_utf8"].encode()
    return body, vector["expected_x_shopify_hmac_sha256"]


def _oauth_vector(index: int) -> tuple[dict[str, str], int]:
    vector = hmac_vectors()["oauth_query_hmac"][index]
    assert vector["secret"] == VECTOR_SECRET
    params = dict(parse_qsl(vector["query_string"], keep_blank_values=True))
    assert params["hmac"] == vector["expected_hmac"]
    return params, int(params["timestamp"])


def _proxy_vector() -> tuple[str, int, dict[str, Any]]:
    vector = hmac_vectors()["app_proxy_signature"][0]
    assert vector["secret"] == VECTOR_SECRET
    query = vector["forwarded_query"]
    params = parse_qsl(query, keep_blank_values=True)
    return f"https://app.test/proxy?{query}", int(dict(params)["timestamp"]), vector


def _flip(text: str, position: int) -> str:
    """The same text with one character changed to another of the same kind."""
    char = text[position]
    replacement = ("0" if char != "0" else "1") if char.isdigit() else ("a" if char != "a" else "b")
    return text[:position] + replacement + text[position + 1 :]


# --- webhook bodies (intake's check: webhooks.verify.signature_matches) -------------------------


def _webhook_ok(body: bytes, signature: str, settings: Settings | None = None) -> bool:
    return signature_matches(body, signature, (settings or _settings()).webhook_secrets)


@pytest.mark.parametrize("index", [0, 1], ids=["_case=orders_create_file", "_case=shop_redact_line"])
async def test_webhook_body_vector_verifies(index):
    # given
    body, signature = _webhook_vector(index)

    # when / then
    assert _webhook_ok(body, signature)


@pytest.mark.parametrize("index", [0, 1], ids=["_case=orders_create_file", "_case=shop_redact_line"])
async def test_webhook_vector_agrees_with_the_dev_store_signer(index):
    # given
    body, signature = _webhook_vector(index)

    # when
    computed = webhook_hmac(body, VECTOR_SECRET)

    # then
    assert computed == signature


@pytest.mark.parametrize("position", [0, 1, 17, -2, -1], ids=lambda p: f"_case=byte_{p}")
async def test_webhook_body_with_one_changed_byte_fails(position):
    # given
    body, signature = _webhook_vector(0)
    tampered = bytearray(body)
    tampered[position] ^= 0x01

    # when / then
    assert not _webhook_ok(bytes(tampered), signature)


async def test_webhook_signature_with_one_changed_character_fails():
    # given
    body, signature = _webhook_vector(1)

    # when / then
    assert not _webhook_ok(body, _flip(signature, 5))


async def test_webhook_body_vector_fails_under_a_wrong_secret():
    # given
    body, signature = _webhook_vector(0)

    # when / then
    assert not _webhook_ok(body, signature, _settings(secret="not-hush"))


async def test_webhook_signed_with_the_previous_secret_verifies_during_a_rotation():
    # given
    body, signature = _webhook_vector(0)

    # when / then
    assert _webhook_ok(body, signature, _settings(secret="the-new-secret", previous=VECTOR_SECRET))


async def test_webhook_signed_with_an_unrelated_secret_fails_during_a_rotation():
    # given
    body, _ = _webhook_vector(0)
    rotating = _settings(secret="the-new-secret", previous=VECTOR_SECRET)

    # when / then
    assert not _webhook_ok(body, webhook_hmac(body, "some-other-secret"), rotating)


# --- OAuth callback query -----------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1], ids=["_case=with_state", "_case=without_state"])
async def test_oauth_vector_is_authentic_when_fresh(index, http):
    # given
    params, timestamp = _oauth_vector(index)
    auth = _auth(http)

    # when
    with time_machine.travel(timestamp + 60, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert authentic


@pytest.mark.parametrize("index", [0, 1], ids=["_case=with_state", "_case=without_state"])
async def test_oauth_vector_agrees_with_the_dev_store_signer(index):
    # given
    params, _ = _oauth_vector(index)

    # when
    computed = oauth_query_hmac(params, VECTOR_SECRET)

    # then
    assert computed == params["hmac"]


@pytest.mark.parametrize(
    ("index", "name", "position"),
    [
        (0, "code", 0),
        (0, "shop", 0),
        (0, "state", 2),
        (0, "timestamp", -1),
        (0, "hmac", 0),
        (0, "hmac", -1),
        (1, "code", -1),
        (1, "hmac", 10),
    ],
    ids=lambda v: str(v),
)
async def test_oauth_vector_with_one_changed_byte_is_not_authentic(index, name, position, http):
    # given
    params, timestamp = _oauth_vector(index)
    params[name] = _flip(params[name], position)
    auth = _auth(http)

    # when
    with time_machine.travel(timestamp + 60, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert not authentic


@pytest.mark.parametrize(
    ("name", "value"),
    [("host", "c29tZS1zaG9w"), ("timestamp", "yesterday")],
    ids=["_case=an_added_parameter", "_case=a_non_numeric_timestamp"],
)
async def test_oauth_vector_with_a_parameter_added_or_changed_is_not_authentic(name, value, http):
    # given
    params, timestamp = _oauth_vector(0)
    params[name] = value
    auth = _auth(http)

    # when
    with time_machine.travel(timestamp + 60, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert not authentic


@pytest.mark.parametrize(
    "age_seconds", [24 * 3600 + 60, 365 * 24 * 3600], ids=["_case=a_day_and_a_minute", "_case=a_year"]
)
async def test_oauth_vector_older_than_a_day_is_not_authentic(age_seconds, http):
    # given
    params, timestamp = _oauth_vector(0)
    auth = _auth(http)

    # when
    with time_machine.travel(timestamp + age_seconds, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert not authentic


async def test_oauth_vector_fails_under_a_wrong_secret(http):
    # given
    params, timestamp = _oauth_vector(0)
    auth = _auth(http, secret="not-hush")

    # when
    with time_machine.travel(timestamp + 60, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert not authentic


async def test_oauth_vector_signed_with_the_previous_secret_is_authentic_during_a_rotation(http):
    # given
    params, timestamp = _oauth_vector(0)
    auth = _auth(http, secret="the-new-secret", previous=VECTOR_SECRET)

    # when
    with time_machine.travel(timestamp + 60, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert authentic


async def test_oauth_vector_is_not_authentic_when_neither_rotation_secret_signed_it(http):
    # given
    params, timestamp = _oauth_vector(0)
    auth = _auth(http, secret="the-new-secret", previous="the-old-secret")

    # when
    with time_machine.travel(timestamp + 60, tick=False):
        authentic = auth.callback_is_authentic(params)

    # then
    assert not authentic


# --- app proxy ----------------------------------------------------------------------------------


async def test_app_proxy_vector_verifies_and_names_shop_and_customer():
    # given
    url, timestamp, _ = _proxy_vector()
    verifier = ShopifyVerifier(_settings())

    # when
    with time_machine.travel(timestamp + 30, tick=False):
        verdict = verifier.app_proxy(url)

    # then
    assert verdict.ok, verdict.code
    assert verdict.shop_domain == "shop-name.myshopify.com"
    assert verdict.customer_id == 1


async def test_app_proxy_vector_agrees_with_the_dev_store_signer():
    # given
    _, _, vector = _proxy_vector()
    pairs = parse_qsl(vector["forwarded_query"], keep_blank_values=True)
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)

    # when
    computed = app_proxy_signature({k: v[0] if len(v) == 1 else v for k, v in params.items()}, VECTOR_SECRET)

    # then
    assert computed == vector["expected_signature"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("logged_in_customer_id=1", "logged_in_customer_id=2"),
        ("extra=2", "extra=3"),
        ("shop=shop-name", "shop=shop-nbme"),
        ("signature=4c68", "signature=5c68"),
    ],
    ids=["_case=customer", "_case=extra", "_case=shop", "_case=signature"],
)
async def test_app_proxy_vector_with_one_changed_byte_fails(old, new):
    # given
    url, timestamp, _ = _proxy_vector()
    assert old in url
    verifier = ShopifyVerifier(_settings())

    # when
    with time_machine.travel(timestamp + 30, tick=False):
        verdict = verifier.app_proxy(url.replace(old, new))

    # then
    assert not verdict.ok


async def test_app_proxy_vector_is_refused_once_stale():
    # given
    url, timestamp, _ = _proxy_vector()
    verifier = ShopifyVerifier(_settings())

    # when
    with time_machine.travel(timestamp + 600, tick=False):
        verdict = verifier.app_proxy(url)

    # then
    assert not verdict.ok
    assert verdict.code == "timestamp_too_old"


async def test_app_proxy_vector_fails_under_a_wrong_secret():
    # given
    url, timestamp, _ = _proxy_vector()
    verifier = ShopifyVerifier(_settings(secret="not-hush"))

    # when
    with time_machine.travel(timestamp + 30, tick=False):
        verdict = verifier.app_proxy(url)

    # then
    assert not verdict.ok
    assert verdict.code == "invalid_signature"


async def test_app_proxy_vector_signed_with_the_previous_secret_verifies_during_a_rotation():
    # given
    url, timestamp, _ = _proxy_vector()
    rotated = ShopifyVerifier(_settings(secret="the-new-secret", previous=VECTOR_SECRET))
    unrelated = ShopifyVerifier(_settings(secret="the-new-secret", previous="the-old-secret"))

    # when
    with time_machine.travel(timestamp + 30, tick=False):
        accepted = rotated.app_proxy(url)
        refused = unrelated.app_proxy(url)

    # then
    assert accepted.ok, accepted.code
    assert not refused.ok
