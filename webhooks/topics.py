"""Which handler takes which topic. Topics not listed here are recorded and marked ignored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from loyalty.schemas import OrderEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.shops.models import Shop
    from webhooks.inbox import InboxEvent

RECONCILED_TOPIC = "orders/reconciled"


@dataclass(frozen=True)
class Translated:
    events: list[OrderEvent]
    customer_id: int | None
    order_id: int | None


@dataclass(frozen=True)
class LedgerTopic:
    """Pure translation to loyalty facts; the dispatcher applies a whole batch in one go."""

    translate: Callable[[InboxEvent], Translated]


@dataclass(frozen=True)
class EffectTopic:
    """Runs on its own, in a savepoint. `after_uninstall`: still runs once the shop uninstalled us.
    `run` answers the customer the row is about (kept on the row, so a later redaction finds it), or None."""

    run: Callable[[AsyncSession, InboxEvent, Shop], Awaitable[int | None]]
    after_uninstall: bool = False


Topic = LedgerTopic | EffectTopic


class Postponed(Exception):
    """An effect that must wait for other rows; the row is tried again later without using an attempt."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.retry_in = retry_in


def ledger_topic_names() -> list[str]:
    return sorted(name for name, topic in registry().items() if isinstance(topic, LedgerTopic))


def registry() -> dict[str, Topic]:
    from webhooks.handlers import app, compliance, orders

    announced = LedgerTopic(orders.on_order_announced)
    return {
        "orders/create": announced,
        "orders/updated": announced,
        "orders/paid": announced,
        "orders/cancelled": announced,
        "refunds/create": LedgerTopic(orders.on_refunds_create),
        RECONCILED_TOPIC: LedgerTopic(orders.on_orders_reconciled),
        "app/uninstalled": EffectTopic(app.on_app_uninstalled, after_uninstall=True),
        "app/scopes_update": EffectTopic(app.on_app_scopes_update),
        "customers/data_request": EffectTopic(compliance.on_customers_data_request, after_uninstall=True),
        "customers/redact": EffectTopic(compliance.on_customers_redact, after_uninstall=True),
        "shop/redact": EffectTopic(compliance.on_shop_redact, after_uninstall=True),
    }
