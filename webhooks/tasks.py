"""Inbox jobs: thin shells around the drain. arq only wakes us; the inbox rows say what to do."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import structlog

from app.core import jobs
from app.core.clock import utcnow
from app.core.db import Database
from webhooks.dispatch import BatchProcessor, is_transient
from webhooks.inbox import InboxEvent, Outcome, claim_due
from webhooks.models import InboxStatus

log = structlog.get_logger(__name__)

PROCESS_JOB = "webhooks.process_inbox"

Outcomes = dict[int, tuple[InboxEvent, Outcome]]


class Drainer:
    """Works the inbox until no row is due. One drain per process at a time: a wake-up arriving
    mid-drain makes the running drain look again instead of starting a second one."""

    def __init__(self, db: Database, *, batch_size: int, max_attempts: int, budget_seconds: float) -> None:
        self.db = db
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.budget_seconds = budget_seconds
        self._lock = asyncio.Lock()
        self._look_again = False

    async def wake(self) -> int:
        if self._lock.locked():
            self._look_again = True
            return 0
        async with self._lock:
            total = 0
            deadline = time.monotonic() + self.budget_seconds
            while True:
                self._look_again = False
                drained, finished = await self._drain_until(deadline)
                total += drained
                if not finished:
                    # Out of time with rows left: hand over to a fresh job rather than hit the timeout.
                    await jobs.send([jobs.DeferredJob(PROCESS_JOB, job_id=f"inbox:more:{time.time_ns()}")])
                    return total
                if not self._look_again:
                    return total

    async def _drain_until(self, deadline: float) -> tuple[int, bool]:
        drained = 0
        while time.monotonic() < deadline:
            count = await self.drain_one_batch()
            if count == 0:
                return drained, True
            drained += count
        return drained, False

    async def drain_one_batch(self) -> int:
        """Claim a batch and process it in one transaction; the number of rows it held."""
        claimed: list[int] = []
        outcomes: Outcomes = {}
        try:
            async with self.db.unit_of_work() as session:
                now = utcnow()
                events = await claim_due(session, self.batch_size, now)
                claimed = [event.id for event in events]
                if events:
                    outcomes = await BatchProcessor(session, max_attempts=self.max_attempts, now=now).run(events)
        except Exception as exc:
            # Savepoints contain a row's own failure; this is the rest (an outcome that cannot be
            # written, a commit refused). Without this, the same rows would be claimed forever and
            # everything behind them would wait.
            if is_transient(exc) or not claimed:
                raise
            log.warning("webhooks.batch.failed_whole", rows=len(claimed), error=type(exc).__name__)
            outcomes = {}  # rolled back with the batch
            for inbox_id in claimed:
                outcomes |= await self._process_alone(inbox_id)
        if outcomes:
            report(outcomes)
        return len(claimed)

    async def _process_alone(self, inbox_id: int) -> Outcomes:
        try:
            async with self.db.unit_of_work() as session:
                now = utcnow()
                events = await claim_due(session, 1, now, only_id=inbox_id)
                return await BatchProcessor(session, max_attempts=self.max_attempts, now=now).run(events)
        except Exception as exc:
            if is_transient(exc):
                raise
            async with self.db.unit_of_work() as session:
                now = utcnow()
                processor = BatchProcessor(session, max_attempts=self.max_attempts, now=now)
                for event in await claim_due(session, 1, now, only_id=inbox_id):
                    processor.record_failure(event, exc)
                await processor.write_outcomes()
            return processor.outcomes


def outcome_kind(outcome: Outcome) -> str:
    """processed, ignored, failed (given up or to be tried again) or postponed (waiting, without
    spending an attempt, for something else to happen first)."""
    if outcome.status == InboxStatus.PENDING:
        return "failed" if outcome.uses_attempt else "postponed"
    return str(outcome.status)


def report(outcomes: Outcomes) -> None:
    """What a committed batch did: a line per failure, then one line with the counts. A worker with
    nothing to do says nothing; arq's own line per job is turned off (app/core/logging.py)."""
    counts = Counter(outcome_kind(outcome) for _, outcome in outcomes.values())
    for inbox_id, (event, outcome) in sorted(outcomes.items()):
        if outcome_kind(outcome) == "failed":
            log.warning(
                "webhooks.inbox.failed",
                inbox_id=inbox_id,
                topic=event.topic,
                reason=outcome.error,
                attempt=event.attempts + 1,
                retry=outcome.status == InboxStatus.PENDING,
            )
    log.info(
        "webhooks.batch.drained",
        rows=len(outcomes),
        **{kind: counts[kind] for kind in ("processed", "failed", "ignored", "postponed")},
    )


async def process_inbox(ctx: dict[str, Any], *_: Any) -> int:
    return await ctx["drainer"].wake()  # type: ignore[no-any-return]


async def sweep_inbox(ctx: dict[str, Any]) -> int:
    """Cron: rows whose wake-up never came (Redis down, a worker killed) are found here."""
    drained: int = await ctx["drainer"].wake()
    if drained:
        log.info("webhooks.inbox.swept", rows=drained)
    return drained
