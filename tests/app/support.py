"""Helpers shared by the app shell's tests: what the app sent to Shopify, and what it stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from sqlalchemy import func, select

from app.core.db import Database
from app.shops.models import Shop, ShopToken
from tests.factories import SHOP


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    body: dict[str, Any]


def recorder(http: httpx.AsyncClient) -> list[SentRequest]:
    """Record every request `http` sends, as it left the app (before the dev store redirect)."""
    sent: list[SentRequest] = []

    async def record(request: httpx.Request) -> None:
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = {}
        sent.append(SentRequest(request.method, str(request.url), body if isinstance(body, dict) else {}))

    http.event_hooks["request"].append(record)
    return sent


def token_requests(sent: list[SentRequest]) -> list[SentRequest]:
    return [r for r in sent if urlsplit(r.url).path == "/admin/oauth/access_token"]


async def call_back(client: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    return await client.get(f"/auth/callback?{urlencode(params)}")


async def find_shop(db: Database, domain: str = SHOP) -> Shop | None:
    async with db.sessions() as session:
        result = await session.execute(select(Shop).where(Shop.domain == domain))  # type: ignore[arg-type]
        return result.scalar_one_or_none()


async def token_row(db: Database, shop_id: int) -> ShopToken | None:
    async with db.sessions() as session:
        return await session.get(ShopToken, shop_id)


async def count_rows(db: Database, model: type[Any]) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error shape: JSON `{"error": code, "detail": text}` with the given 4xx status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("error"), str)
    assert body["error"]
    assert isinstance(body.get("detail"), str)
    assert body["detail"]
    if code is not None:
        assert body["error"] == code, body
    return body  # type: ignore[no-any-return]
