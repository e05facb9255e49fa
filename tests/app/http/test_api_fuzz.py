"""Property-based fuzzing of the app's OpenAPI schema with schemathesis: whatever a client sends, the
answer is never a 5xx, every 4xx is the contract's `{"error", "detail"}`, and every 2xx matches the
schema. The admin API is called with a valid session token, the storefront with a valid signature
over fuzzed parameters, so the fuzz reaches past authentication."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import negative_data_rejection, response_schema_conformance

from app.devstore.signing import app_proxy_signature
from tests.conftest import API_SECRET, APP_URL
from tests.factories import SHOP, bearer, install_shop
from tests.fuzzing import ANSWERS, fuzz, on_loop

MAX_EXAMPLES = 30
REQUEST_TIMEOUT_SECONDS = 30
# Owned and fuzzed elsewhere (tests/webhooks): its body is Shopify's, signed, and only read raw.
NOT_FUZZED_HERE = {"POST /webhooks"}
ADMIN = ["GET /admin/api/program", "PUT /admin/api/program", "GET /admin/api/customers/{customer_id}"]
ADMIN += ["POST /admin/api/customers/{customer_id}/adjust", "GET /admin/api/compliance/exports"]
ADMIN += ["GET /admin/api/customers"]
STOREFRONT = ["GET /proxy/me.json", "GET /proxy"]
PUBLIC = ["GET /auth", "GET /auth/callback", "GET /healthz"]
PROXY_PARAMS = {"shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature"}
# Negative data needs something to negate: a parameter or a body.
WITH_INPUTS = {
    "PUT /admin/api/program",
    "GET /admin/api/customers",
    "GET /admin/api/customers/{customer_id}",
    "POST /admin/api/customers/{customer_id}/adjust",
    "GET /auth",
}


def _modes(labels: list[str]) -> list[Any]:
    return [
        pytest.param(label, mode, id=f"{label}-{mode}")
        for label in labels
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if mode is GenerationMode.POSITIVE or label in WITH_INPUTS
    ]


Send = Callable[[dict[str, Any]], Coroutine[Any, Any, httpx.Response]]


@pytest.fixture
async def fuzz_schema(app, client, store_client):
    await install_shop(client, store_client)
    return schemathesis.openapi.from_dict(app.openapi())


def _httpx_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis serialises a case for `requests`; the same request for httpx."""
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": {k: str(v) for k, v in (kwargs.get("headers") or {}).items()},
        "params": kwargs.get("params") or {},
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif "data" in kwargs:
        data = kwargs["data"]
        request["content" if isinstance(data, bytes | str) else "data"] = data
    return request


def _assert_contract(case: Any, response: httpx.Response, mode: GenerationMode) -> None:
    ANSWERS[case.operation.label][f"{response.status_code // 100}xx"] += 1
    where = f"{case.operation.label} → {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type", "").startswith("application/json"), where
        body = response.json()
        assert isinstance(body, dict), where
        assert isinstance(body.get("error"), str), where
        assert body["error"], where
        assert isinstance(body.get("detail"), str), where
    checks: list[CheckFunction] = [response_schema_conformance]
    if mode is GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)
    case.validate_response(response, checks=checks)


async def _fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
    await fuzz(strategy, check, max_examples=MAX_EXAMPLES)


def _sender(client: httpx.AsyncClient) -> Callable[[dict[str, Any]], httpx.Response]:
    call = on_loop()

    def send(kwargs: dict[str, Any]) -> httpx.Response:
        return call(client.request(**_httpx_request(kwargs)))

    return send


def test_every_operation_is_fuzzed(app):
    # given the app's schema
    schema = schemathesis.openapi.from_dict(app.openapi())

    # when its operations are listed
    labels = {result.ok().label for result in schema.get_all_operations()}

    # then each one is fuzzed by a test below (or deliberately elsewhere)
    assert labels == set(ADMIN) | set(STOREFRONT) | set(PUBLIC) | NOT_FUZZED_HERE


@pytest.mark.parametrize(("label", "mode"), _modes(ADMIN))
async def test_admin_api_never_fails_with_a_valid_session_token(fuzz_schema, client, label, mode):
    # given an installed shop's admin, calling with a fresh session token and fuzzed inputs
    operation = fuzz_schema.find_operation_by_label(label)
    send = _sender(client)

    statuses: Counter[int] = Counter()

    def check(case: Any) -> None:
        # Tokens live a minute; one per request keeps a long run valid.
        kwargs = case.as_transport_kwargs(base_url=APP_URL, headers=bearer(SHOP))
        # when
        response = send(kwargs)
        statuses[response.status_code] += 1
        # then
        _assert_contract(case, response, mode)

    if mode is GenerationMode.POSITIVE:
        # The schema's own examples first: random documents that pass the schema are rarely a valid
        # program (tiers must climb), so they alone would answer 422 on a bad day.
        for from_examples in operation.get_strategies_from_examples():
            await fuzz(from_examples, check, max_examples=1)
    await _fuzz(operation.as_strategy(generation_mode=mode), check)
    # and the run got past authentication: valid inputs were answered on their merits
    assert statuses[401] == 0, statuses
    if mode is GenerationMode.POSITIVE:
        assert any(200 <= status < 300 for status in statuses), statuses


_proxy_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_customer_ids = st.one_of(
    st.integers(min_value=0, max_value=2**63 - 1).map(str),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.just(""),
    st.sampled_from(["²", "١٢", "１２", "12²"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
)
_extra_params = st.dictionaries(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_[]", min_size=1, max_size=12).filter(lambda k: k not in PROXY_PARAMS),
    _proxy_text,
    max_size=3,
)


@pytest.mark.parametrize("label", STOREFRONT)
async def test_storefront_never_fails_for_a_correctly_signed_request(fuzz_schema, client, label):
    # given the app proxy's signed parameters around a fuzzed shopper id and fuzzed extra parameters
    operation = fuzz_schema.find_operation_by_label(label)
    send = _sender(client)
    strategy = st.tuples(operation.as_strategy(), _customer_ids, _extra_params)

    def check(example: tuple[Any, str, dict[str, str]]) -> None:
        case, customer_id, extra = example
        params = extra | {
            "shop": SHOP,
            "logged_in_customer_id": customer_id,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(time.time())),
        }
        params["signature"] = app_proxy_signature(params, API_SECRET)
        kwargs = case.as_transport_kwargs(base_url=APP_URL)
        kwargs["params"] = params
        # when
        response = send(kwargs)
        # then
        assert response.status_code in (200, 400, 403), f"{label} → {response.status_code}: {response.text[:300]}"
        _assert_contract(case, response, GenerationMode.POSITIVE)

    await _fuzz(strategy, check)


@pytest.mark.parametrize(("label", "mode"), _modes(STOREFRONT + PUBLIC))
async def test_unauthenticated_calls_never_fail(fuzz_schema, client, label, mode):
    # given fuzzed calls without a session token or a valid signature
    operation = fuzz_schema.find_operation_by_label(label)
    send = _sender(client)

    def check(case: Any) -> None:
        # when
        response = send(case.as_transport_kwargs(base_url=APP_URL))
        # then
        _assert_contract(case, response, mode)
        if label in STOREFRONT:
            assert response.status_code == 401

    await _fuzz(operation.as_strategy(generation_mode=mode), check)


async def test_fuzzing_reaches_the_handlers(fuzz_schema, client):
    # given a positive fuzz of the adjust endpoint
    operation = fuzz_schema.find_operation_by_label("POST /admin/api/customers/{customer_id}/adjust")
    send = _sender(client)
    statuses: list[int] = []

    def check(case: Any) -> None:
        statuses.append(send(case.as_transport_kwargs(base_url=APP_URL, headers=bearer(SHOP))).status_code)

    # when
    await _fuzz(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), check)

    # then the fuzz is not all bounced at the door: some adjustments were applied or refused on their merits
    assert {200, 409} & set(statuses), statuses
