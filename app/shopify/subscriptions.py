"""The webhook topics we subscribe to, read from `shopify.app.toml` so there is one list."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

APP_TOML = Path(__file__).resolve().parents[2] / "shopify.app.toml"


@cache
def app_config() -> dict[str, object]:
    with APP_TOML.open("rb") as handle:
        return tomllib.load(handle)


def _subscriptions() -> list[dict[str, object]]:
    webhooks = app_config().get("webhooks")
    subscriptions = webhooks.get("subscriptions", []) if isinstance(webhooks, dict) else []
    return [s for s in subscriptions if isinstance(s, dict)]


def subscribed_topics() -> list[str]:
    """Topics an Admin API subscription can carry (compliance topics are TOML-only)."""
    return [str(t) for s in _subscriptions() for t in s.get("topics", [])]  # type: ignore[attr-defined]


def compliance_topics() -> list[str]:
    return [str(t) for s in _subscriptions() for t in s.get("compliance_topics", [])]  # type: ignore[attr-defined]


def graphql_topic(topic: str) -> str:
    """`orders/paid` → `ORDERS_PAID`, the WebhookSubscriptionTopic enum value."""
    return topic.upper().replace("/", "_").replace(".", "_")
