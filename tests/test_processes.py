"""The durability promises with real processes: `dangol worker` subprocesses, a Redis that goes away,
and a worker SIGKILLed in the middle of a batch."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

import orjson
import pytest
from sqlalchemy import func, select

from app.core.clock import utcnow
from tests.conftest import running_app, stack_services
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook
from tests.loyalty.ledger import accounts
from tests.processes import RedisServer, free_port, spawn_worker, stop, wait_until, worker_env
from webhooks.envelope import Envelope
from webhooks.inbox import insert_rows, row_values
from webhooks.models import WebhookInbox

pytestmark = pytest.mark.slow


async def _statuses(db) -> Counter[str]:
    async with db.sessions() as session:
        rows = (await session.execute(select(WebhookInbox.status, func.count()).group_by(WebhookInbox.status))).all()
    return Counter({status: count for status, count in rows})


async def _accept_directly(db, bodies: list[bytes]) -> None:
    """Rows as the web's group commit writes them, but with no wake-up sent to any worker."""
    now = utcnow()
    rows = [
        row_values(
            Envelope(
                shop_domain=SHOP,
                topic="orders/paid",
                webhook_id=f"direct-{i}",
                api_version="2026-04",
                event_id=None,
                triggered_at=None,
            ),
            body,
            now,
        )
        for i, body in enumerate(bodies)
    ]
    for start in range(0, len(rows), 500):
        async with db.engine.begin() as conn:
            await insert_rows(conn, rows[start : start + 500])


async def test_webhooks_accepted_while_redis_is_down_are_processed_when_it_returns(settings, devstore, tmp_path):
    # given the app and a worker on a Redis of their own
    redis = RedisServer(free_port(), tmp_path)
    redis.start()
    private = settings.model_copy(update={"redis_url": redis.url})
    services = stack_services(private, devstore)
    worker = spawn_worker(worker_env(private), tmp_path / "worker.log")
    try:
        async with running_app(private, devstore, services) as live:
            client, store = live.client, live.store
            await install_shop(client, store)
            # when Redis stops and 30 orders arrive
            redis.stop()
            orders = [make_order(customer_id=9_200_000_000_000_000 + i % 3, subtotal="20.00") for i in range(30)]
            statuses = [(await post_webhook(client, "orders/paid", order_json(o))).status_code for o in orders]
            # then every one was acknowledged
            assert statuses == [200] * 30
            # and when Redis comes back, the same worker process reconnects and processes all of them
            await asyncio.sleep(1)
            redis.start()

            async def all_processed() -> bool:
                return (await _statuses(services.db))["processed"] == 30

            await wait_until(all_processed, 60, "the worker to process the inbox after Redis returned")
            assert worker.poll() is None, "the worker should have restarted itself, not exited"
            held = await accounts(services.db)
            assert sum(account.points for account in held.values()) == 30 * 20
    finally:
        stop(worker)
        redis.stop()
        await services.close()


async def test_rows_that_never_woke_a_worker_are_found_by_the_sweeper(
    settings, services, client, store_client, tmp_path
):
    # given a running, idle worker
    await install_shop(client, store_client)
    worker = spawn_worker(worker_env(settings), tmp_path / "worker.log")
    try:
        await asyncio.sleep(2)
        # when rows land in the inbox with no job sent for them (a crash between commit and enqueue)
        bodies = [
            orjson.dumps(order_json(make_order(customer_id=9_200_000_000_000_100, subtotal="5.00"))) for _ in range(12)
        ]
        await _accept_directly(services.db, bodies)

        # then the sweeper cron (every 2 s here) finds and processes them
        async def swept() -> bool:
            return (await _statuses(services.db))["processed"] == 12

        await wait_until(swept, 30, "the sweeper to process rows nobody enqueued")
        assert (await accounts(services.db))[9_200_000_000_000_100].points == 60
    finally:
        stop(worker)


async def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(
    settings, services, client, store_client, tmp_path
):
    # given 8,000 accepted orders for 40 customers (enough that a worker needs a few seconds)
    await install_shop(client, store_client)
    total = 8000
    orders = [make_order(customer_id=9_200_000_000_001_000 + i % 40, subtotal=f"{1 + i % 50}.00") for i in range(total)]
    await _accept_directly(services.db, [orjson.dumps(order_json(order)) for order in orders])
    env = worker_env(settings, INBOX_CLAIM_BATCH="25")
    log = tmp_path / "worker.log"

    # when a worker is SIGKILLed part-way through
    first = spawn_worker(env, log)

    async def under_way() -> bool:
        return (await _statuses(services.db))["processed"] >= 100

    await wait_until(under_way, 60, "the first worker to get going", every=0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    done_at_kill = (await _statuses(services.db))["processed"]
    assert 0 < done_at_kill < total

    # and a new worker is started
    second = spawn_worker(env, log)
    try:

        async def finished() -> bool:
            return (await _statuses(services.db))["processed"] == total

        await wait_until(finished, 120, "the second worker to finish the inbox")
    finally:
        stop(second)

    # then every row was processed exactly once (its one committed attempt) and every order earned once
    async with services.db.sessions() as session:
        attempts = Counter((await session.execute(select(WebhookInbox.attempts))).scalars())
    assert attempts == Counter({1: total})
    held = await accounts(services.db)
    assert sum(len(account.entries) for account in held.values()) == total
    assert sum(account.points for account in held.values()) == sum(1 + i % 50 for i in range(total))
