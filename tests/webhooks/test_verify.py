"""The intake's own HMAC check agrees with Shopify's `shopifyapp` package, everywhere we can look."""

import base64
import hashlib
import hmac
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shopify_app import ShopifyApp

from tests.shopify import data_file, hmac_vectors
from webhooks.verify import signature_matches


def _package_says(body: bytes, signature: str, secret: str, previous: str | None = None) -> bool:
    app = ShopifyApp(client_id="id", client_secret=secret, old_client_secret=previous)
    request = {"method": "POST", "headers": {"X-Shopify-Hmac-Sha256": signature}, "url": "", "body": body.decode()}
    return app.verify_webhook_req(request).ok


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_shopifys_vectors_verify_both_ways():
    vectors = hmac_vectors()["webhook_body_hmac"]
    for vector in vectors:
        body = (
            data_file(vector["body_file"].split(" ")[0]).read_bytes()
            if "body_file" in vector
            else vector["body_utf8"].encode()
        )
        expected = vector["expected_x_shopify_hmac_sha256"]
        assert signature_matches(body, expected, [vector["secret"]])
        assert _package_says(body, expected, vector["secret"])
        tampered = body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]
        assert not signature_matches(tampered, expected, [vector["secret"]])


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(max_size=400).map(str.encode),
    secret=st.text(min_size=1, max_size=40),
    other=st.text(min_size=1, max_size=40),
    signed_with=st.sampled_from(["current", "previous", "neither", "garbage"]),
)
def test_our_check_and_shopifys_package_agree(body, secret, other, signed_with):
    # given a body signed with the current secret, the previous one, a third one, or not at all
    previous = other + "-old"
    signature = {
        "current": _sign(body, secret),
        "previous": _sign(body, previous),
        "neither": _sign(body, other + "-unrelated"),
        "garbage": base64.b64encode(os.urandom(32)).decode(),
    }[signed_with]
    # then both say the same, with and without a secret rotation under way
    assert signature_matches(body, signature, [secret, previous]) == _package_says(body, signature, secret, previous)
    assert signature_matches(body, signature, [secret]) == _package_says(body, signature, secret)


@pytest.mark.parametrize("signature", ["", "not base64 at all", "ü" * 44])
def test_malformed_signatures_are_refused(signature):
    assert not signature_matches(b"{}", signature, ["secret"])
