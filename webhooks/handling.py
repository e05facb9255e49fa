"""What a topic handler is and what it may answer: the types the handlers and the dispatcher share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.shops.models import Shop
from crm.schemas import CustomerSnapshot, OrderRecord
from loyalty.schemas import OrderEvent
from webhooks.inbox import InboxEvent


@dataclass(frozen=True)
class Translated:
    events: list[OrderEvent]
    customer_id: int | None
    order_id: int | None
    # What the CRM keeps of the order and its customer (reconciled GraphQL nodes carry neither).
    order: OrderRecord | None = None
    customer: CustomerSnapshot | None = None


@dataclass(frozen=True)
class LedgerTopic:
    """Pure translation to loyalty facts; the dispatcher applies a whole batch in one go."""

    translate: Callable[[InboxEvent, Shop], Translated]


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


class Ignored(Exception):
    """A well-formed delivery that asks for nothing to be done (say, erasing a shop that is installed)."""
