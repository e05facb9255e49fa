"""Concurrency: two workers on the same orders, and debits racing each other.

Two workers are two `Database` objects (two connection pools), as two processes would have."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.shops.models import Shop
from loyalty import service as loyalty_service
from loyalty.errors import InsufficientPoints
from loyalty.models import LedgerEntry
from loyalty.schemas import OrderSnapshot
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook
from tests.loyalty.ledger import accounts
from webhooks.tasks import Drainer

CUSTOMER = 9_100_000_000_000_021


@pytest.fixture
def postgres(dialect: str) -> None:
    if dialect != "postgresql":
        pytest.skip("row locks and SKIP LOCKED between workers need PostgreSQL (runs in the PostgreSQL pass)")


@pytest.fixture
async def shop_id(client, store_client, db) -> int:
    await install_shop(client, store_client)
    async with db.sessions() as session:
        return (await session.execute(select(Shop.id).where(Shop.domain == SHOP))).scalar_one()


def _snapshot(order_id: int, subtotal: str = "40.00") -> OrderSnapshot:
    return OrderSnapshot(
        order_id=order_id,
        order_gid=None,
        name=None,
        customer_id=CUSTOMER,
        subtotal=Decimal(subtotal),
        currency="USD",
        paid=True,
        cancelled=False,
        test=False,
        processed_at=None,
        updated_at=None,
    )


async def test_two_workers_applying_the_same_order_at_once_write_one_entry(postgres, settings, db, shop_id):
    # given two workers with their own connections, both holding the same paid orders
    other = Database(settings.database_url)
    start = asyncio.Event()

    async def apply(database: Database, order_id: int) -> None:
        async with database.unit_of_work() as session:
            await start.wait()
            await loyalty_service.apply_order_events(
                session, shop_id=shop_id, events=[_snapshot(order_id)], shop_timezone=None
            )

    try:
        # when both apply each order at the same instant
        order_ids = [8_000_000_000_000_000 + i for i in range(20)]
        tasks = [asyncio.create_task(apply(database, oid)) for oid in order_ids for database in (db, other)]
        await asyncio.sleep(0.05)
        start.set()
        await asyncio.gather(*tasks)
    finally:
        await other.dispose()
    # then every order earned exactly once
    async with db.sessions() as session:
        per_order = (
            await session.execute(select(LedgerEntry.order_id, func.count()).group_by(LedgerEntry.order_id))
        ).all()
    assert sorted(count for _, count in per_order) == [1] * 20
    assert (await accounts(db))[CUSTOMER].points == 20 * 40


async def test_two_drainers_working_one_inbox_process_every_row_once(postgres, settings, client, db, shop_id):
    # given 60 orders, each announced by three topics
    orders = [make_order(customer_id=CUSTOMER + (i % 3), subtotal=f"{10 + i}.00") for i in range(60)]
    for order in orders:
        for topic in ("orders/create", "orders/paid", "orders/updated"):
            await post_webhook(client, topic, order_json(order))
    # when two workers drain the inbox at once, in small batches
    other = Database(settings.database_url)
    first = Drainer(db, batch_size=7, max_attempts=8, budget_seconds=60)
    second = Drainer(other, batch_size=7, max_attempts=8, budget_seconds=60)
    try:
        done = await asyncio.gather(first.wake(), second.wake())
    finally:
        await other.dispose()
    # then both did part of the work, all 180 rows were taken once, and each order earned once
    assert sum(done) == 180
    assert min(done) > 0
    held = await accounts(db)
    assert sum(account.points for account in held.values()) == sum(10 + i for i in range(60))
    assert sum(len(account.entries) for account in held.values()) == 60


async def test_concurrent_debits_never_overdraw(settings, db, shop_id):
    # given a member with 100 points
    async with db.unit_of_work() as session:
        await loyalty_service.adjust_points(
            session, shop_id=shop_id, customer_id=CUSTOMER, points=100, reason="welcome", request_key="seed"
        )
    databases = [Database(settings.database_url) for _ in range(4)]

    async def debit(index: int) -> bool:
        try:
            async with databases[index % 4].unit_of_work() as session:
                await loyalty_service.adjust_points(
                    session,
                    shop_id=shop_id,
                    customer_id=CUSTOMER,
                    points=-30,
                    reason="redeem",
                    request_key=f"debit-{index}",
                )
        except InsufficientPoints:
            return False
        return True

    try:
        # when ten debits of 30 race each other
        results = await asyncio.gather(*(debit(i) for i in range(10)))
    finally:
        for database in databases:
            await database.dispose()
    # then exactly three went through and the balance never went below zero
    assert results.count(True) == 3
    assert (await accounts(db))[CUSTOMER].points == 10
