"""When processing goes wrong: a bad payload fails alone, a failing row is retried with back-off and
given up after its attempts, a batch that cannot commit does not stall the inbox, and a store that
cannot commit answers 503 so Shopify retries. And on the happy path, the web process wakes a worker."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest
from arq.constants import default_queue_name
from sqlalchemy import select, update

from app.core.clock import utcnow
from loyalty.models import LedgerEntry
from tests.conftest import API_SECRET
from tests.factories import install_shop, make_order, order_json, post_webhook, signed
from tests.webhooks.support import refuse_to_write_processed
from webhooks import dispatch
from webhooks.endpoint import accept_webhook
from webhooks.intake import InboxWriter
from webhooks.models import InboxStatus, WebhookInbox
from webhooks.payloads import loose_subject
from webhooks.tasks import Drainer


@pytest.fixture
async def installed(client, store_client) -> None:
    await install_shop(client, store_client)


async def _rows(db) -> dict[int, WebhookInbox]:
    async with db.sessions() as session:
        rows = (await session.execute(select(WebhookInbox).order_by(WebhookInbox.id))).scalars()
        return {row.id: row for row in rows}


async def _earned_orders(db) -> set[int]:
    async with db.sessions() as session:
        return set((await session.execute(select(LedgerEntry.order_id))).scalars())


async def _make_due(db) -> None:
    """Skip the back-off wait, as time passing would."""
    async with db.unit_of_work() as session:
        await session.execute(update(WebhookInbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def test_a_signed_payload_of_the_wrong_shape_fails_alone(client, installed, drainer, db):
    # given a good order and, in the same batch, an orders/paid body without an order id
    good = make_order(subtotal="30.00")
    await post_webhook(client, "orders/paid", order_json(good))
    await post_webhook(client, "orders/paid", {"name": "#1001", "financial_status": "paid"})
    # when the worker drains
    await drainer.wake()
    # then the good order earned and the bad body is failed for good, with the reason kept
    rows = list((await _rows(db)).values())
    assert [row.status for row in rows] == [InboxStatus.PROCESSED.value, InboxStatus.FAILED.value]
    assert "OrderPayload" in (rows[1].last_error or "")
    assert rows[1].body  # kept for a person to look at
    assert await _earned_orders(db) == {good.id}


@pytest.mark.parametrize("customer_id", [2**63, -5, 0], ids=["past_64_bits", "negative", "zero"])
async def test_an_id_that_cannot_be_stored_fails_its_row_not_the_batch(client, installed, drainer, db, customer_id):
    # given a good order and a data request naming a customer id no column can hold
    good = make_order(subtotal="30.00")
    await post_webhook(client, "orders/paid", order_json(good))
    body = {"customer": {"id": customer_id}, "orders_requested": [], "data_request": {"id": 1}}
    await post_webhook(client, "customers/data_request", body)
    # when the worker drains
    await drainer.wake()
    # then the good order earned, and the request failed as a bad payload
    statuses = [row.status for row in (await _rows(db)).values()]
    assert statuses == [InboxStatus.PROCESSED.value, InboxStatus.FAILED.value]
    assert await _earned_orders(db) == {good.id}


async def test_a_failing_row_is_retried_with_back_off_and_then_given_up(client, installed, services, db, monkeypatch):
    # given an order whose processing fails every time, as a bug would
    async def broken(*_args, **_kwargs):
        raise ValueError("a bug in the ledger")

    monkeypatch.setattr(dispatch.loyalty_service, "apply_order_events", broken)
    await post_webhook(client, "orders/paid", order_json(make_order()))
    drainer = Drainer(services.db, batch_size=200, max_attempts=3, budget_seconds=60)
    # when the worker tries it
    await drainer.wake()
    # then it waits its turn again, with the error and one attempt counted
    (row,) = (await _rows(db)).values()
    assert (row.status, row.attempts) == (InboxStatus.PENDING.value, 1)
    assert "a bug in the ledger" in (row.last_error or "")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=3)
    # and a wake-up before the back-off is over does not touch it
    assert await drainer.wake() == 0
    # when the attempts run out
    for _ in range(2):
        await _make_due(db)
        await drainer.wake()
    # then it is failed for good, its body kept
    (row,) = (await _rows(db)).values()
    assert (row.status, row.attempts) == (InboxStatus.FAILED.value, 3)
    assert row.body


async def test_a_batch_whose_outcomes_cannot_be_written_does_not_stall_the_inbox(
    client, installed, drainer, db, monkeypatch
):
    # given three orders, the second of which breaks the batch's final write (as an unstorable value would)
    orders = [make_order(subtotal="10.00") for _ in range(3)]
    for order in orders:
        await post_webhook(client, "orders/paid", order_json(order))
    poisoned = list(await _rows(db))[1]
    refuse_to_write_processed(monkeypatch, poisoned)
    # when the worker drains
    await drainer.wake()
    # then the other two are processed and earned; the poisoned one alone waits for a retry
    rows = await _rows(db)
    assert [rows[i].status for i in rows] == ["processed", "pending", "processed"]
    assert rows[poisoned].attempts == 1
    assert "value out of range" in (rows[poisoned].last_error or "")
    assert await _earned_orders(db) == {orders[0].id, orders[2].id}


class RefusingSink:
    slots = 1

    async def write(self, rows):
        raise ConnectionError("the database went away")

    async def close(self) -> None:
        return None


async def test_a_delivery_the_inbox_cannot_commit_is_answered_503_for_shopify_to_retry():
    # given an inbox whose database refuses the commit
    writer = InboxWriter(RefusingSink(), linger_seconds=0.001, max_batch=10)
    body = orjson.dumps(order_json(make_order()))
    headers = {name.lower(): value for name, value in signed(body, "orders/paid").items()}
    # when a delivery comes
    status, answer = await accept_webhook(body, headers, [API_SECRET], writer)
    # then it is not acknowledged: a 5xx makes Shopify deliver it again
    assert status == 503
    assert orjson.loads(answer)["error"] == "unavailable"


async def test_an_accepted_webhook_wakes_a_worker_with_a_job_named_after_its_row(client, installed, services, db):
    # given a quiet queue
    pool = await services.queue._connected()
    await pool.delete(default_queue_name)
    # when a webhook is accepted
    await post_webhook(client, "orders/paid", order_json(make_order()))
    (row,) = (await _rows(db)).values()
    # then, after the commit, a job for the worker is queued, its id derived from the row
    expected = f"inbox:{row.id}".encode()
    for _ in range(100):
        if expected in await pool.zrange(default_queue_name, 0, -1):
            break
        await asyncio.sleep(0.02)
    assert await pool.zrange(default_queue_name, 0, -1) == [expected]


@pytest.mark.parametrize(
    ("topic", "body", "subject"),
    [
        ("orders/paid", b'{"id": 12, "customer": {"id": 34}, "processed_at": "soon"}', (34, 12)),
        ("refunds/create", b'{"id": 5, "order_id": "12", "refund_line_items": 3}', (None, 12)),
        ("customers/redact", b'{"customer": {"id": 34}, "orders_to_redact": "all"}', (34, None)),
        ("orders/paid", b'{"id": 18446744073709551616, "customer": {"id": -3}}', (None, None)),
        ("orders/paid", b'{"id": true, "customer": [34]}', (None, None)),
        ("orders/paid", b"[1, 2]", (None, None)),
        ("orders/paid", b"not json", (None, None)),
    ],
)
def test_a_failed_body_is_linked_to_whom_it_names_where_that_can_be_read(topic, body, subject):
    assert loose_subject(topic, body) == subject
