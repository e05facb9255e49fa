"""The worker's log says what happened to orders and nothing while there is nothing to do: one line
per drained batch with its counts by outcome, one per failure with its row, topic and reason; arq's
line per job start and finish is off, its warnings are not."""

from __future__ import annotations

import logging

import pytest
import structlog
from sqlalchemy import select
from structlog.testing import capture_logs

from app.core.logging import configure_logging
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook
from tests.webhooks.support import refuse_to_write_processed
from webhooks import dispatch
from webhooks.models import WebhookInbox
from webhooks.tasks import process_inbox, sweep_inbox

ALICE = 7_000_000_000_001


def _said(logs: list[dict], level: str = "info") -> list[dict]:
    """Entries at `level` or above."""
    order = ["debug", "info", "warning", "error", "critical"]
    return [entry for entry in logs if order.index(entry["log_level"]) >= order.index(level)]


async def test_an_idle_worker_says_nothing(client, store_client, drainer):
    # given an installed shop whose inbox has been drained
    await install_shop(client, store_client)
    await drainer.wake()
    # when the sweeper and a wake-up find nothing to do
    with capture_logs() as logs:
        assert await sweep_inbox({"drainer": drainer}) == 0
        assert await process_inbox({"drainer": drainer}) == 0
    # then
    assert _said(logs) == []


async def test_a_drained_batch_is_one_line_with_its_counts_and_a_line_per_failure(
    client, store_client, drainer, monkeypatch
):
    # given, in one batch: an order that earns; a body of the wrong shape; an order whose processing
    # fails (as a bug would) and will be tried again; a redaction of that customer, which waits for
    # the order first; and an order of a shop that is not installed
    await install_shop(client, store_client)
    broken = make_order(customer_id=ALICE, subtotal="20.00")
    real_apply = dispatch.loyalty_service.apply_order_events

    async def failing_for_the_broken_order(session, *, events, **kwargs):
        if any(event.order_id == broken.id for event in events):
            raise ValueError("a bug in the ledger")
        return await real_apply(session, events=events, **kwargs)

    monkeypatch.setattr(dispatch.loyalty_service, "apply_order_events", failing_for_the_broken_order)
    await post_webhook(client, "orders/paid", order_json(make_order(subtotal="30.00")))
    await post_webhook(client, "orders/paid", {"name": "#1001", "financial_status": "paid"})
    await post_webhook(client, "orders/paid", order_json(broken))
    redaction = {"shop_domain": SHOP, "customer": {"id": ALICE}, "orders_to_redact": []}
    await post_webhook(client, "customers/redact", redaction)
    elsewhere = "not-installed.myshopify.com"
    await post_webhook(client, "orders/paid", order_json(make_order(), shop=elsewhere), shop=elsewhere)

    # when the worker drains them
    with capture_logs() as logs:
        assert await drainer.wake() == 5

    # then one line sums the batch up
    summaries = [entry for entry in logs if entry["event"] == "webhooks.batch.drained"]
    assert len(summaries) == 1, logs
    [summary] = summaries
    assert summary["log_level"] == "info"
    counts = {k: summary[k] for k in ("rows", "processed", "failed", "ignored", "postponed")}
    assert counts == {"rows": 5, "processed": 1, "failed": 2, "ignored": 1, "postponed": 1}
    # and each failure has its own line: which row, which topic, why, and whether it is tried again
    failures = [entry for entry in logs if entry["event"] == "webhooks.inbox.failed"]
    assert [(f["log_level"], f["topic"], f["retry"]) for f in failures] == [
        ("warning", "orders/paid", False),
        ("warning", "orders/paid", True),
    ]
    assert "OrderPayload" in failures[0]["reason"]
    assert "a bug in the ledger" in failures[1]["reason"]
    assert failures[0]["inbox_id"] < failures[1]["inbox_id"]
    # and besides them only that the shop's rows were tried one by one after the bug, at info or above
    said = {entry["event"] for entry in _said(logs)}
    assert said == {"webhooks.batch.drained", "webhooks.inbox.failed", "webhooks.batch.split"}


@pytest.fixture
def configured_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    arq_level = logging.getLogger("arq").level
    configure_logging("console")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("arq").setLevel(arq_level)
    structlog.reset_defaults()


def test_arqs_line_per_job_is_off_and_its_warnings_are_on(configured_logging):
    worker_log = logging.getLogger("arq.worker")
    assert not worker_log.isEnabledFor(logging.INFO)
    assert worker_log.isEnabledFor(logging.WARNING)
    assert not logging.getLogger("arq.connections").isEnabledFor(logging.INFO)
    assert logging.getLogger("arq.jobs").isEnabledFor(logging.WARNING)


async def test_a_batch_processed_row_by_row_after_its_commit_failed_is_reported_once(
    client, store_client, drainer, db, monkeypatch
):
    # given three orders, the second of which breaks the batch's final write (as an unstorable value would)
    await install_shop(client, store_client)
    for _ in range(3):
        await post_webhook(client, "orders/paid", order_json(make_order(subtotal="10.00")))
    async with db.sessions() as session:
        poisoned = sorted((await session.execute(select(WebhookInbox.id))).scalars())[1]
    refuse_to_write_processed(monkeypatch, poisoned)
    # when the worker drains
    with capture_logs() as logs:
        await drainer.wake()
    # then what was committed in the end is summed up once, not what was rolled back
    [summary] = [entry for entry in logs if entry["event"] == "webhooks.batch.drained"]
    assert (summary["rows"], summary["processed"], summary["failed"]) == (3, 2, 1)
    [failure] = [entry for entry in logs if entry["event"] == "webhooks.inbox.failed"]
    assert (failure["inbox_id"], failure["retry"]) == (poisoned, True)
    assert "value out of range" in failure["reason"]
