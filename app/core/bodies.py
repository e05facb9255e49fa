"""Reading an HTTP request body with a size limit and a deadline, before anything parses it.

A client decides how big its body is and how slowly it arrives; without both bounds one request
can hold memory (a 200 MB upload was read and parsed before its 401) or a connection (an upload
that stalls) for as long as it likes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class BodyRefused(Exception):
    """The body may not be read: too large (413) or too slow (408)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def too_large(limit: int) -> BodyRefused:
    return BodyRefused(413, "body_too_large", f"the request body is over {limit} bytes")


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """Content-Length as the client declared it; None if absent or not a plain number."""
    for name, value in headers:
        if name.lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else None
    return None


async def read_body(receive: Receive, *, limit: int, deadline_seconds: float) -> bytes:
    """The whole body, or BodyRefused as soon as it passes `limit` bytes or `deadline_seconds`."""
    chunks: list[bytes] = []
    size = 0
    loop = asyncio.get_running_loop()
    try:
        # One deadline around the whole read (no task per chunk, as wait_for would make).
        async with asyncio.timeout_at(loop.time() + deadline_seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
    except TimeoutError as exc:
        detail = f"the request body did not arrive within {deadline_seconds:g} s"
        raise BodyRefused(408, "body_timeout", detail) from exc
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then defers to the client's (disconnects)."""
    sent = False

    async def replay() -> MutableMapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
