"""`POST /webhooks`: verify, keep, acknowledge; a plain ASGI handler in front of FastAPI.

Every webhook waits for the commit that holds its row. A request that suspends inside FastAPI's
middleware stack pays, on resuming, a walk back through every middleware frame: measured with
bench/webhook_ack.py, that alone held intake to a third of a bare endpoint's throughput; served
here, in front of the stack, it reaches over half. The contract's behaviour is the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from starlette.types import Receive, Scope, Send

from webhooks.envelope import Envelope, EnvelopeError
from webhooks.intake import InboxWriter
from webhooks.verify import signature_matches

log = structlog.get_logger(__name__)

PATH = "/webhooks"
# Shopify's largest order payloads are a few hundred kilobytes.
MAX_BODY_BYTES = 10 * 1024 * 1024


def _error(status: int, code: str, detail: str) -> tuple[int, bytes]:
    return status, orjson.dumps({"error": code, "detail": detail})


async def accept_webhook(
    raw: bytes, headers: Mapping[str, str], secrets: list[str], writer: InboxWriter
) -> tuple[int, bytes]:
    """The contract's answer to one delivery: 200 once durably kept (or a duplicate, or a shop we do
    not know), 401 for a missing or wrong HMAC, 400 for a missing header or a body that is not a
    JSON object, 503 if the inbox could not commit (Shopify retries)."""
    signature = headers.get("x-shopify-hmac-sha256", "")
    if not signature:
        return _error(401, "invalid_hmac", "X-Shopify-Hmac-Sha256 is missing")
    if not signature_matches(raw, signature, secrets):
        return _error(401, "invalid_hmac", "X-Shopify-Hmac-Sha256 does not match the body")
    try:
        envelope = Envelope.from_headers(headers)
    except EnvelopeError as exc:
        return _error(400, "missing_header", str(exc))
    try:
        if not isinstance(orjson.loads(raw), dict):
            return _error(400, "invalid_body", "the body is not a JSON object")
    except orjson.JSONDecodeError:
        return _error(400, "invalid_body", "the body is not JSON")
    try:
        await writer.submit(envelope, raw)
    except Exception:  # the inbox could not commit: Shopify must retry, so answer with a 5xx
        return _error(503, "unavailable", "the webhook could not be stored; Shopify will retry")
    return 200, b""


class WebhookIntake:
    """The ASGI handler of `/webhooks`; the app routes the path here before its own machinery."""

    def __init__(self, state: Any) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _respond(send, *_error(405, "method_not_allowed", "POST only"), allow=True)
            return
        raw = await _read_body(receive)
        if raw is None:
            await _respond(send, *_error(413, "body_too_large", f"over {MAX_BODY_BYTES} bytes"))
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        try:
            status, body = await accept_webhook(raw, headers, self.state.webhook_secrets, self.state.inbox_writer)
        except Exception:
            log.exception("webhooks.intake.crashed")
            status, body = _error(500, "internal_error", "something went wrong on our side")
        await _respond(send, status, body)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, *, allow: bool = False) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", b"application/json"))
    if allow:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


OPENAPI_PATH: dict[str, Any] = {
    "post": {
        "tags": ["webhooks"],
        "summary": "Receive a Shopify webhook",
        "description": "Every topic, told by X-Shopify-Topic. Answered after the delivery is durably kept.",
        "operationId": "receive_webhook",
        "parameters": [
            {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}
            for name, required in (
                ("X-Shopify-Hmac-Sha256", True),
                ("X-Shopify-Topic", True),
                ("X-Shopify-Shop-Domain", True),
                ("X-Shopify-API-Version", True),
                ("X-Shopify-Webhook-Id", True),
                ("X-Shopify-Event-Id", False),
                ("X-Shopify-Triggered-At", False),
            )
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "200": {"description": "accepted, a duplicate, or a shop that is not installed"},
            **{
                str(status): {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                }
                for status, text in (
                    (400, "body not a JSON object, or a required header missing"),
                    (401, "X-Shopify-Hmac-Sha256 missing or wrong"),
                    (413, "body too large"),
                    (503, "could not be stored; Shopify retries"),
                )
            },
        },
    }
}
