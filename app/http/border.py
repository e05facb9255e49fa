"""The border every HTTP request crosses before FastAPI sees it (the webhook intake has its own).

In order: the Host must be ours (redirects are built from APP_URL, and a request for another host
is not for us); a declared body over the limit is refused unread; a request that carries a body to
an authenticated API is authenticated first; the body is read within its size limit and deadline.
Only then does FastAPI parse it. FastAPI reads and parses a body before it runs a route's
dependencies, which is why authentication cannot wait for them.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.bodies import BodyRefused, declared_length, read_body, replaying, too_large
from app.core.config import Settings
from app.http.errors import ApiError

# Admin forms and API documents and storefront requests are a few kilobytes; a program with every
# tier and reward at its maximum length is under 20 KB.
MAX_BODY_BYTES = 64 * 1024
BODY_DEADLINE_SECONDS = 10.0
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# A load balancer's health check may not know the public host name.
ANY_HOST_PATHS = frozenset({"/healthz"})

Authenticator = Callable[[Scope], ApiError | None]
# A refusal said as a page, where the request is a person's page load (app/http/errors.py); None
# keeps the JSON answer.
RefusalPage = Callable[[Scope, ApiError], Response | None]


def allowed_hosts(settings: Settings) -> frozenset[str]:
    hosts = {urlsplit(settings.app_url).hostname or ""}
    hosts |= {h.strip().lower() for h in settings.dangol_allowed_hosts.split(",") if h.strip()}
    if settings.dangol_env == "development":
        hosts |= LOOPBACK
    return frozenset(h for h in hosts if h)


def host_of(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return urlsplit(f"//{value.decode('latin-1')}").hostname or ""
    return ""


class Border:
    def __init__(
        self, app: ASGIApp, settings: Settings, authenticate: Authenticator, refusal_page: RefusalPage | None = None
    ) -> None:
        self.app = app
        self.hosts = allowed_hosts(settings)
        self.authenticate = authenticate
        self.refusal_page = refusal_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal_before_reading(scope)
        if refusal is not None:
            page = self.refusal_page(scope, refusal) if self.refusal_page and refusal.status != 413 else None
            if page is not None:
                await page(scope, receive, send)
            else:
                await _answer(send, refusal)
            return
        try:
            body = await read_body(receive, limit=MAX_BODY_BYTES, deadline_seconds=BODY_DEADLINE_SECONDS)
        except BodyRefused as exc:
            await _answer(send, ApiError(exc.status, exc.code, exc.detail))
            return
        await self.app(scope, replaying(body, receive), send)

    def _refusal_before_reading(self, scope: Scope) -> ApiError | None:
        if scope["path"] not in ANY_HOST_PATHS and host_of(scope) not in self.hosts:
            return ApiError(400, "unknown_host", "this server does not answer for that Host")
        length = declared_length(scope["headers"])
        if length is not None and length > MAX_BODY_BYTES:
            refused = too_large(MAX_BODY_BYTES)
            return ApiError(refused.status, refused.code, refused.detail)
        if scope["method"] in BODY_METHODS:
            return self.authenticate(scope)
        return None


async def _answer(send: Send, error: ApiError) -> None:
    body = orjson.dumps({"error": error.code, "detail": error.detail, **error.extra})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (error.headers or {}).items()]
    if error.status == 413:
        # The rest of an oversized body is not read, so the connection cannot be reused.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
