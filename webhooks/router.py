"""`POST /webhooks`: verify, keep, acknowledge. Nothing else happens on the request's path."""

from __future__ import annotations

import orjson
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from webhooks.envelope import Envelope, EnvelopeError
from webhooks.inbox import InboxWriter
from webhooks.verify import signature_matches

log = structlog.get_logger(__name__)

router = APIRouter(tags=["webhooks"])

ACCEPTED = Response(status_code=200)


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


@router.post(
    "/webhooks",
    status_code=200,
    responses={400: {"description": "body not JSON or header missing"}, 401: {"description": "bad HMAC"}},
)
async def receive_webhook(request: Request) -> Response:
    raw = await request.body()
    headers = request.headers
    signature = headers.get("x-shopify-hmac-sha256", "")
    if not signature:
        return _error(401, "invalid_hmac", "X-Shopify-Hmac-Sha256 is missing")
    state = request.app.state
    if not signature_matches(raw, signature, state.webhook_secrets):
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
    writer: InboxWriter = state.inbox_writer
    try:
        await writer.submit(envelope, raw)
    except Exception:  # the inbox could not commit: Shopify must retry, so answer with a 5xx
        return _error(503, "unavailable", "the webhook could not be stored; Shopify will retry")
    return ACCEPTED
