"""Processing claimed inbox rows: one transaction per batch, every outcome written beside its effects.

Ledger topics of a batch are applied together, one domain call per shop. If that call fails, the
rows are retried one by one, each in a savepoint, so one poisoned payload cannot hold back the
rest. Effect topics (uninstall, compliance) each run in their own savepoint.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.shops import service as shops_service
from app.shops.models import Shop
from crm import service as crm_service
from loyalty import service as loyalty_service
from webhooks.handling import EffectTopic, Ignored, LedgerTopic, Postponed, Topic, Translated
from webhooks.inbox import InboxEvent, Outcome, retry_delay, write_outcomes
from webhooks.models import InboxStatus
from webhooks.payloads import PayloadError, loose_subject
from webhooks.topics import registry

log = structlog.get_logger(__name__)

_TOPICS: dict[str, Topic] = {}


def topics() -> dict[str, Topic]:
    if not _TOPICS:
        _TOPICS.update(registry())
    return _TOPICS


# Deadlock detected, serialization failure: the same work succeeds when tried again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient(exc: Exception) -> bool:
    """A lost connection, a locked SQLite or a deadlock cures itself; a bad value or a broken
    constraint fails the same way every time, so it counts toward the attempt limit."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


class BatchProcessor:
    def __init__(self, session: AsyncSession, *, max_attempts: int, now: datetime | None = None) -> None:
        self.session = session
        self.max_attempts = max_attempts
        self.now = now or utcnow()
        self.outcomes: dict[int, tuple[InboxEvent, Outcome]] = {}
        self._written: set[int] = set()

    async def run(self, events: list[InboxEvent]) -> dict[int, tuple[InboxEvent, Outcome]]:
        shops = await shops_service.shops_by_domain(self.session, sorted({e.shop_domain for e in events}))
        ledger: dict[int, list[tuple[InboxEvent, Translated]]] = defaultdict(list)
        effects: list[tuple[InboxEvent, EffectTopic, Shop]] = []
        for event in events:
            topic = topics().get(event.topic)
            shop = shops.get(event.shop_domain)
            if topic is None:
                self._done(event, Outcome(InboxStatus.IGNORED, error="topic not handled"))
            elif shop is None or shop.id is None:
                self._done(event, Outcome(InboxStatus.IGNORED, error="shop not installed"))
            elif not shop.installed and not (isinstance(topic, EffectTopic) and topic.after_uninstall):
                self._done(event, Outcome(InboxStatus.IGNORED, error="shop uninstalled", shop_id=shop.id))
            elif isinstance(topic, LedgerTopic):
                try:
                    ledger[shop.id].append((event, topic.translate(event, shop)))
                except PayloadError as exc:
                    self._done(event, Outcome(InboxStatus.FAILED, error=str(exc), shop_id=shop.id))
            else:
                effects.append((event, topic, shop))
        by_id = {shop.id: shop for shop in shops.values()}
        for shop_id in sorted(ledger):
            await self._apply_ledger(by_id[shop_id], ledger[shop_id])
        # Effects read and redact inbox rows by what processing learnt (shop, customer, order), so
        # every outcome of this batch is written before the next effect runs, not only at the end.
        await self.write_outcomes()
        for event, effect, shop in sorted(effects, key=lambda item: item[0].id):
            await self._run_effect(event, effect, shop)
            await self.write_outcomes()
        return self.outcomes

    def record_failure(self, event: InboxEvent, exc: Exception) -> None:
        """A row whose processing failed outside any savepoint: it counts an attempt like any other."""
        self._failed(event, exc, None)

    async def write_outcomes(self) -> None:
        unwritten = {inbox_id: item for inbox_id, item in self.outcomes.items() if inbox_id not in self._written}
        await write_outcomes(self.session, unwritten, self.now)
        self._written.update(unwritten)

    async def _apply_ledger(self, shop: Shop, items: list[tuple[InboxEvent, Translated]]) -> None:
        assert shop.id is not None
        try:
            async with self.session.begin_nested():
                await loyalty_service.apply_order_events(
                    self.session,
                    shop_id=shop.id,
                    events=[e for _, t in items for e in t.events],
                    shop_timezone=shop.iana_timezone,
                    now=self.now,
                )
                await crm_service.record_orders(
                    self.session,
                    shop_id=shop.id,
                    orders=[t.order for _, t in items if t.order is not None],
                    customers=[t.customer for _, t in items if t.customer is not None],
                    now=self.now,
                )
        except Exception as exc:
            if len(items) == 1:
                self._failed(items[0][0], exc, shop.id)
                return
            log.warning("webhooks.batch.split", shop=shop.domain, rows=len(items), error=type(exc).__name__)
            for item in items:
                await self._apply_ledger(shop, [item])
            return
        for event, translated in items:
            self._done(
                event,
                Outcome(
                    InboxStatus.PROCESSED,
                    shop_id=shop.id,
                    customer_id=translated.customer_id,
                    order_id=translated.order_id,
                ),
            )

    async def _run_effect(self, event: InboxEvent, effect: EffectTopic, shop: Shop) -> None:
        try:
            async with self.session.begin_nested():
                customer_id = await effect.run(self.session, event, shop)
        except PayloadError as exc:
            self._done(event, Outcome(InboxStatus.FAILED, error=str(exc), shop_id=shop.id))
        except Ignored as reason:
            self._done(event, Outcome(InboxStatus.IGNORED, error=str(reason), shop_id=shop.id))
        except Postponed as wait:
            outcome = Outcome(
                InboxStatus.PENDING, error=str(wait), shop_id=shop.id, retry_in=wait.retry_in, uses_attempt=False
            )
            self._done(event, outcome)
        except Exception as exc:
            self._failed(event, exc, shop.id)
        else:
            self._done(event, Outcome(InboxStatus.PROCESSED, shop_id=shop.id, customer_id=customer_id))

    def _failed(self, event: InboxEvent, exc: Exception, shop_id: int | None) -> None:
        """Retry with backoff while attempts last; a deadlock or lost connection is always retried."""
        attempts = event.attempts + 1
        transient = is_transient(exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempts >= self.max_attempts and not transient:
            self._done(event, Outcome(InboxStatus.FAILED, error=error, shop_id=shop_id))
        else:
            self._done(
                event, Outcome(InboxStatus.PENDING, error=error, shop_id=shop_id, retry_in=retry_delay(attempts))
            )

    def _done(self, event: InboxEvent, outcome: Outcome) -> None:
        unread = outcome.status in (InboxStatus.FAILED, InboxStatus.IGNORED)
        if unread and outcome.customer_id is None and outcome.order_id is None:
            # A body kept unprocessed still names its customer: link it, so a redaction finds it.
            outcome.customer_id, outcome.order_id = loose_subject(event.topic, event.body)
        self.outcomes[event.id] = (event, outcome)
