"""The database's session factories: what each promises about transactions."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.core.db import Database


async def _now_twice(factory) -> tuple[object, object]:  # type: ignore[no-untyped-def]
    async with factory() as session:
        first = (await session.execute(text("SELECT CURRENT_TIMESTAMP"))).scalar_one()
        await asyncio.sleep(0.05)
        second = (await session.execute(text("SELECT CURRENT_TIMESTAMP"))).scalar_one()
    return first, second


async def test_a_storefront_read_never_waits_for_an_open_writer(database_url: str, dialect: str) -> None:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as writer:
            # On SQLite the writer's BEGIN IMMEDIATE now holds the write lock until it commits.
            await writer.execute(text("UPDATE shops SET name = name WHERE id = -1"))
            async with asyncio.timeout(2):
                async with db.statement_reads() as reader:
                    assert (await reader.execute(text("SELECT count(*) FROM shops"))).scalar_one() == 0
        if dialect == "postgresql":
            # now() is its transaction's start: one transaction for sessions(), one per statement for
            # statement_reads(), which so spares the BEGIN and ROLLBACK round trips.
            first, second = await _now_twice(db.sessions)
            assert first == second
            first, second = await _now_twice(db.statement_reads)
            assert first != second
    finally:
        await db.dispose()
