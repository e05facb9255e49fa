"""Many rows in one statement (arrays spread by `unnest` on PostgreSQL, executemany or IN on SQLite): the
rows written or read are exactly those asked for, whichever backend runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from app.core.bulk import insert_rows_ignoring_conflicts, restrict_to, update_rows, upsert_rows
from app.core.db import Database
from app.shops.models import Shop
from crm.repository import CUSTOMERS
from loyalty.models import Member
from loyalty.repository import ENTRIES, MEMBERS, ORDERS

WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


async def _shop_with_member(db: Database) -> int:
    async with db.unit_of_work() as session:
        session.add(Shop(id=7, domain="bulk.myshopify.com", name="Bulk", currency="USD", iana_timezone="UTC"))
        await session.flush()
        session.add(Member(shop_id=7, customer_id=70, points_balance=10, tier_name="Member"))
        await session.flush()
        member = (await session.execute(select(MEMBERS.c.id))).scalar_one()
    return int(member)


def _entry(member_id: int, key: str, delta: int) -> dict[str, object]:
    return {
        "shop_id": 7,
        "member_id": member_id,
        "delta": delta,
        "kind": "earn",
        "reason": "Order",
        "idempotency_key": key,
        "order_id": None,
        "rate": Decimal("1.2500"),
        "multiplier": None,
        "created_at": WHEN,
    }


async def test_insert_returns_only_the_rows_written_and_keeps_every_value(db: Database) -> None:
    member_id = await _shop_with_member(db)
    async with db.unit_of_work() as session:
        first = await insert_rows_ignoring_conflicts(
            session, ENTRIES, [_entry(member_id, "a", 5), _entry(member_id, "b", 7)], ENTRIES.c.idempotency_key
        )
    async with db.unit_of_work() as session:
        again = await insert_rows_ignoring_conflicts(
            session,
            ENTRIES,
            [_entry(member_id, "b", 700), _entry(member_id, "c", 9), _entry(member_id, "c", 900)],
            ENTRIES.c.idempotency_key,
        )
        rows = (await session.execute(select(ENTRIES).order_by(ENTRIES.c.idempotency_key))).all()
    assert sorted(first) == ["a", "b"]
    assert again == ["c"]
    assert [(r.idempotency_key, r.delta) for r in rows] == [("a", 5), ("b", 7), ("c", 9)]
    assert {(r.rate, r.multiplier, r.order_id, r.created_at) for r in rows} == {(Decimal("1.2500"), None, None, WHEN)}


async def test_insert_without_returning_fills_column_defaults(db: Database) -> None:
    await _shop_with_member(db)
    async with db.unit_of_work() as session:
        written = await insert_rows_ignoring_conflicts(
            session,
            ORDERS,
            [{"shop_id": 7, "order_id": 1}, {"shop_id": 7, "order_id": 2}, {"shop_id": 7, "order_id": 1}],
        )
        rows = (await session.execute(select(ORDERS).order_by(ORDERS.c.order_id))).all()
    assert written == []
    assert [(r.order_id, r.paid, r.refunded_subtotal, r.points_earned) for r in rows] == [
        (1, False, Decimal("0.00"), 0),
        (2, False, Decimal("0.00"), 0),
    ]


async def test_update_sets_adds_and_clears_per_row(db: Database) -> None:
    member_id = await _shop_with_member(db)
    async with db.unit_of_work() as session:
        await insert_rows_ignoring_conflicts(
            session,
            ORDERS,
            [{"shop_id": 7, "order_id": 1, "name": "#1"}, {"shop_id": 7, "order_id": 2, "name": "#2"}],
        )
    async with db.unit_of_work() as session:
        ids = {row.order_id: row.id for row in await session.execute(select(ORDERS.c.order_id, ORDERS.c.id))}
        await update_rows(
            session,
            ORDERS,
            [
                {"id": ids[1], "name": None, "subtotal": Decimal("12.34"), "processed_at": WHEN},
                {"id": ids[2], "name": "#2b", "subtotal": None, "processed_at": None},
            ],
        )
        await update_rows(
            session,
            MEMBERS,
            [{"id": member_id, "points_balance": -3, "updated_at": WHEN}],
            increments={"points_balance"},
        )
        orders = (await session.execute(select(ORDERS).order_by(ORDERS.c.order_id))).all()
        balance = (await session.execute(select(MEMBERS.c.points_balance))).scalar_one()
    assert [(o.name, o.subtotal, o.processed_at) for o in orders] == [
        (None, Decimal("12.34"), WHEN),
        ("#2b", None, None),
    ]
    assert balance == 7


async def test_update_refuses_a_target_named_twice(db: Database) -> None:
    member_id = await _shop_with_member(db)
    async with db.unit_of_work() as session:
        with pytest.raises(ValueError, match="repeats"):
            await update_rows(
                session,
                MEMBERS,
                [{"id": member_id, "points_balance": 1}, {"id": member_id, "points_balance": 2}],
                increments={"points_balance"},
            )


async def test_text_longer_than_its_column_is_refused_or_kept_whole_never_cut(db: Database, dialect: str) -> None:
    # given an order row, and a name longer than the column's 100 characters
    await _shop_with_member(db)
    async with db.unit_of_work() as session:
        await insert_rows_ignoring_conflicts(session, ORDERS, [{"shop_id": 7, "order_id": 1}])
    long_name = "N" * 150
    # when it is written in bulk
    try:
        async with db.unit_of_work() as session:
            order_row = (await session.execute(select(ORDERS.c.id))).scalar_one()
            await update_rows(session, ORDERS, [{"id": order_row, "name": long_name}])
    except DBAPIError:
        # then PostgreSQL refuses it, as it refuses a plain UPDATE
        assert dialect == "postgresql"
        stored = None
    else:
        async with db.sessions() as session:
            stored = (await session.execute(select(ORDERS.c.name))).scalar_one()
    # and SQLite, which has no lengths, keeps it whole
    assert stored in (None, long_name)
    assert (stored is None) == (dialect == "postgresql")


async def test_rows_restricted_to_a_list_of_keys_come_once_each(db: Database, dialect: str) -> None:
    # given three orders
    await _shop_with_member(db)
    async with db.unit_of_work() as session:
        await insert_rows_ignoring_conflicts(
            session, ORDERS, [{"shop_id": 7, "order_id": oid, "subtotal": Decimal("10.000")} for oid in (1, 2, 3)]
        )
    # when a statement is restricted to keys named more than once, and to one that does not exist
    async with db.sessions() as session:
        statement = restrict_to(select(func.sum(ORDERS.c.subtotal)), ORDERS.c.order_id, [3, 1, 3, 1, 99], dialect)
        total = (await session.execute(statement)).scalar_one()
    # then each matching row counts once
    assert Decimal(total) == Decimal("20.000")


def _profile(customer_id: int, last_name: str, at: datetime | None, addresses: list[dict[str, str]]) -> dict:
    return {
        "shop_id": 7,
        "customer_id": customer_id,
        "last_name": last_name,
        "addresses": addresses,
        "shopify_updated_at": at,
        "recorded_at": WHEN,
    }


async def test_upsert_takes_newer_rows_keeps_newer_stored_ones_and_carries_json(db: Database) -> None:
    # given a stored profile
    await _shop_with_member(db)
    seoul = [{"city": "Seoul", "note": '{"quoted"}'}]
    async with db.unit_of_work() as session:
        await upsert_rows(
            session,
            CUSTOMERS,
            [_profile(1, "Kim", WHEN, seoul)],
            key=("shop_id", "customer_id"),
            newer="shopify_updated_at",
        )
    # when a batch brings an older snapshot of it, a newer snapshot of it repeated, and a new customer
    later = WHEN.replace(hour=13)
    busan = [{"city": "Busan"}]
    async with db.unit_of_work() as session:
        await upsert_rows(
            session,
            CUSTOMERS,
            [
                _profile(1, "Old", WHEN.replace(hour=1), []),
                _profile(1, "Park", later, busan),
                _profile(1, "Lee", WHEN.replace(hour=12, minute=45), []),
                _profile(2, "Choi", None, []),
            ],
            key=("shop_id", "customer_id"),
            newer="shopify_updated_at",
        )
        # and a batch where the stored row is newer than the incoming one
        await upsert_rows(
            session,
            CUSTOMERS,
            [_profile(1, "Stale", WHEN, [])],
            key=("shop_id", "customer_id"),
            newer="shopify_updated_at",
        )
        rows = (await session.execute(select(CUSTOMERS).order_by(CUSTOMERS.c.customer_id))).mappings().all()
    # then the newest snapshot won, JSON came back as documents, and the new customer was added
    assert [(r["customer_id"], r["last_name"], r["addresses"]) for r in rows] == [(1, "Park", busan), (2, "Choi", [])]


async def test_upsert_changes_only_the_columns_named(db: Database) -> None:
    await _shop_with_member(db)
    seoul = [{"city": "Seoul"}]
    async with db.unit_of_work() as session:
        await upsert_rows(session, CUSTOMERS, [_profile(1, "Kim", WHEN, seoul)], key=("shop_id", "customer_id"))
        await upsert_rows(
            session,
            CUSTOMERS,
            [_profile(1, "Changed", WHEN, []) | {"email_consent_state": "subscribed"}],
            key=("shop_id", "customer_id"),
            changing={"email_consent_state"},
        )
        row = (await session.execute(select(CUSTOMERS))).mappings().one()
    assert (row["last_name"], row["addresses"], row["email_consent_state"]) == ("Kim", seoul, "subscribed")
