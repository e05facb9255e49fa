"""The intake layer's own edges: methods, body size, and its place in the OpenAPI document."""

from tests.factories import signed
from webhooks.endpoint import MAX_BODY_BYTES


async def test_other_methods_are_refused_with_allow(client):
    response = await client.get("/webhooks")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"


async def test_a_body_over_the_limit_is_refused_before_anything_else(client):
    # given a body one byte over the limit, correctly signed
    body = b'{"x":"' + b"a" * (MAX_BODY_BYTES - 7) + b'"}'
    # when it is posted
    response = await client.post("/webhooks", content=body, headers=signed(body, "orders/paid"))
    # then it is refused as too large, in the contract's error shape
    assert response.status_code == 413
    assert set(response.json()) == {"error", "detail"}


async def test_the_openapi_document_describes_the_webhook_endpoint(client):
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/webhooks"]["post"]
    assert {"200", "400", "401"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"] if p["required"]} >= {
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
    }
