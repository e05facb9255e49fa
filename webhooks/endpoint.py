"""`POST /webhooks`: verify, keep, acknowledge; a plain ASGI handler in front of FastAPI.

Every webhook waits for the commit that holds its row. A request that suspends inside FastAPI's
middleware stack pays, on resuming, a walk back through every middleware frame: measured with
bench/webhook_ack.py, that alone held intake to a third of a bare endpoint's throughput; served
here, in front of the stack, it reaches over half. The contract's behaviour is the same either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

import orjson
import structlog
from starlette.types import Receive, Scope, Send

from app.core.bodies import BodyRefused, declared_length, read_body, too_large
from app.shopify.subscriptions import compliance_topics, subscribed_topics
from webhooks.envelope import Envelope, EnvelopeError
from webhooks.intake import InboxWriter
from webhooks.verify import signature_matches

log = structlog.get_logger(__name__)

PATH = "/webhooks"
# Shopify's example order is 10.7 KB, about 1 KB per line item; real lines with tax lines, discount
# allocations and properties run to 2-3 KB, and a line can appear again in fulfillments and refunds.
# An order of several hundred lines stays under 5 MB.
MAX_BODY_BYTES = 6 * 1024 * 1024
# Shopify gives up on a delivery after 5 s; a body still arriving after this is not Shopify's.
BODY_DEADLINE_SECONDS = 10.0
# Bodies being read at once, and how long a new one waits for a turn before a 503 (Shopify
# retries): with the size limit, this bounds the memory slow uploads can hold.
CONCURRENT_READS = 32
READ_TURN_WAIT_SECONDS = 2.0


@cache
def accepted_topics() -> frozenset[str]:
    """The topics this app subscribes to (shopify.app.toml); nothing else is taken from outside."""
    return frozenset(subscribed_topics()) | frozenset(compliance_topics())


def _error(status: int, code: str, detail: str) -> tuple[int, bytes]:
    return status, orjson.dumps({"error": code, "detail": detail})


async def accept_webhook(
    raw: bytes,
    headers: Mapping[str, str],
    secrets: list[str],
    writer: InboxWriter,
    topics: Collection[str] | None = None,
) -> tuple[int, bytes]:
    """The contract's answer to one delivery: 200 once durably kept (or a duplicate, or a shop we do
    not know), 401 for a missing or wrong HMAC, 400 for a header that is missing, malformed or names
    a topic we do not subscribe to, or a body that is not a JSON object, 503 if the inbox could not
    commit (Shopify retries)."""
    signature = headers.get("x-shopify-hmac-sha256", "")
    if not signature:
        return _error(401, "invalid_hmac", "X-Shopify-Hmac-Sha256 is missing")
    if not signature_matches(raw, signature, secrets):
        return _error(401, "invalid_hmac", "X-Shopify-Hmac-Sha256 does not match the body")
    try:
        envelope = Envelope.from_headers(headers, accepted_topics() if topics is None else topics)
    except EnvelopeError as exc:
        return _error(400, exc.code, str(exc))
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
        self.reading = asyncio.Semaphore(CONCURRENT_READS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _respond(send, *_error(405, "method_not_allowed", "POST only"), allow=True)
            return
        try:
            raw = await self._read(scope, receive)
        except BodyRefused as exc:
            await _respond(send, *_error(exc.status, exc.code, exc.detail))
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        try:
            status, body = await accept_webhook(raw, headers, self.state.webhook_secrets, self.state.inbox_writer)
        except Exception:
            log.exception("webhooks.intake.crashed")
            status, body = _error(500, "internal_error", "something went wrong on our side")
        await _respond(send, status, body)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        length = declared_length(scope["headers"])
        if length is not None and length > MAX_BODY_BYTES:
            raise too_large(MAX_BODY_BYTES)
        if self.reading.locked():
            try:
                async with asyncio.timeout(READ_TURN_WAIT_SECONDS):
                    await self.reading.acquire()
            except TimeoutError as exc:
                raise BodyRefused(503, "busy", "too many webhooks are arriving at once; retry shortly") from exc
        else:
            await self.reading.acquire()
        try:
            return await read_body(receive, limit=MAX_BODY_BYTES, deadline_seconds=BODY_DEADLINE_SECONDS)
        finally:
            self.reading.release()


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
                    (400, "body not a JSON object, a header missing or malformed, or a topic not subscribed"),
                    (401, "X-Shopify-Hmac-Sha256 missing or wrong"),
                    (408, "body not received in time"),
                    (413, "body too large"),
                    (503, "could not be stored now, or too many at once; Shopify retries"),
                )
            },
        },
    }
}
