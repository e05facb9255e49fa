"""The mandatory compliance topics and `app/uninstalled`, end to end: delivered, drained, and the data
that stays (or goes) checked in the database and through the admin API. Each is replayed (a new
delivery of the same request) and must leave the same end state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.core.clock import utcnow
from app.core.db import metadata
from app.shops.models import ComplianceExport, Shop, ShopToken
from loyalty.models import LedgerEntry, LoyaltyOrder, Member
from referrals import service as referrals_service
from referrals.models import ReferralCode
from tests.factories import SHOP, bearer, install_shop, make_order, order_json, post_webhook, refund_json
from webhooks import dispatch
from webhooks.models import InboxStatus, WebhookInbox

ALICE = 7_000_000_000_101
BOB = 7_000_000_000_202
OTHER_SHOP = "other-shop.myshopify.com"
DATA_REQUEST_ID = 4242


async def _deliver(client, topic: str, payload: dict[str, Any], *, shop: str = SHOP) -> None:
    response = await post_webhook(client, topic, payload, shop=shop)
    assert response.status_code == 200, response.text


def _data_request(customer_id: int, orders: list[int], request_id: int = DATA_REQUEST_ID) -> dict[str, Any]:
    return {
        "shop_domain": SHOP,
        "customer": {"id": customer_id, "email": "alice@example.com", "phone": "555-625-1199"},
        "orders_requested": orders,
        "data_request": {"id": request_id},
    }


def _redact(customer_id: int, orders: list[int]) -> dict[str, Any]:
    return {
        "shop_domain": SHOP,
        "customer": {"id": customer_id, "email": "alice@example.com", "phone": "555-625-1199"},
        "orders_to_redact": orders,
    }


async def _shop(db, domain: str = SHOP) -> Shop | None:
    async with db.sessions() as session:
        return (await session.execute(select(Shop).where(Shop.domain == domain))).scalar_one_or_none()


async def _shop_id(db, domain: str = SHOP) -> int:
    shop = await _shop(db, domain)
    assert shop is not None
    assert shop.id is not None
    return shop.id


async def _give_referral_code(db, customer_id: int, domain: str = SHOP) -> str:
    shop_id = await _shop_id(db, domain)
    async with db.unit_of_work() as session:
        code = referrals_service.derived_code("k" * 64, customer_id)
        return await referrals_service.record_code(session, shop_id=shop_id, customer_id=customer_id, code=code)


async def _rows(db, model) -> list[Any]:
    async with db.sessions() as session:
        return list((await session.execute(select(model))).scalars())


async def _inbox(db) -> list[WebhookInbox]:
    async with db.sessions() as session:
        return list((await session.execute(select(WebhookInbox).order_by(WebhookInbox.id))).scalars())


async def _assert_balances_equal_ledger_sums(db) -> None:
    async with db.sessions() as session:
        members = (await session.execute(select(Member))).scalars().all()
        sums = dict(
            (
                await session.execute(
                    select(LedgerEntry.member_id, func.sum(LedgerEntry.delta)).group_by(LedgerEntry.member_id)
                )
            ).all()
        )
    assert members
    assert {m.id: m.points_balance for m in members} == {m.id: sums.get(m.id, 0) for m in members}


async def _state(db, *, inbox_ids: set[int]) -> dict[str, list[str]]:
    """Every row of every table; of the inbox only the rows named (a replay adds its own row)."""
    tables = {table.name: table for table in metadata.sorted_tables}
    assert {"shops", "shop_tokens", "loyalty_members", "loyalty_ledger_entries", "referral_codes"} <= set(tables)
    state: dict[str, list[str]] = {}
    async with db.sessions() as session:
        for name, table in tables.items():
            rows = [dict(row) for row in (await session.execute(select(table))).mappings()]
            if name == "webhook_inbox":
                rows = [row for row in rows if row["id"] in inbox_ids]
            state[name] = sorted(repr(sorted(row.items())) for row in rows)
    return state


async def _alice_and_bob_shop(client, store_client, drainer, db) -> dict[str, int]:
    """An installed shop where Alice has two paid orders (one partly refunded) and a referral
    code, and Bob has one paid order and a code. Returns the order ids."""
    await install_shop(client, store_client)
    first = make_order(customer_id=ALICE, subtotal="120.00")
    second = make_order(customer_id=ALICE, subtotal="30.00")
    bobs = make_order(customer_id=BOB, subtotal="50.00")
    for order in (first, second, bobs):
        await _deliver(client, "orders/paid", order_json(order))
    await _deliver(client, "refunds/create", refund_json(second, refund_id=second.id + 1, amount="10.00"))
    await drainer.wake()
    await _give_referral_code(db, ALICE)
    await _give_referral_code(db, BOB)
    assert {row.status for row in await _inbox(db)} == {InboxStatus.PROCESSED}
    return {"alice_first": first.id, "alice_second": second.id, "bob": bobs.id}


# --- customers/data_request ---------------------------------------------------------------------


async def test_data_request_prepares_an_export_of_points_ledger_and_orders(client, store_client, drainer, db):
    # given
    orders = await _alice_and_bob_shop(client, store_client, drainer, db)
    [alices_code] = [c.code for c in await _rows(db, ReferralCode) if c.customer_id == ALICE]

    # when
    await _deliver(client, "customers/data_request", _data_request(ALICE, [orders["alice_first"]]))
    await drainer.wake()
    response = await client.get("/admin/api/compliance/exports", headers=bearer())

    # then
    assert response.status_code == 200, response.text
    [export] = response.json()
    assert (export["customer_id"], export["data_request_id"]) == (ALICE, DATA_REQUEST_ID)
    loyalty = export["document"]["loyalty"]
    assert loyalty["member"]["customer_id"] == ALICE
    assert loyalty["member"]["points"] == 140
    assert sorted(line["delta"] for line in loyalty["ledger"]) == [-10, 30, 120]
    assert {o["order_id"] for o in loyalty["orders"]} == {orders["alice_first"], orders["alice_second"]}
    assert [c["code"] for c in export["document"]["referrals"]["codes"]] == [alices_code]
    assert {d["order_id"] for d in export["document"]["webhooks_received"]} >= {
        orders["alice_first"],
        orders["alice_second"],
    }
    assert orders["bob"] not in {d["order_id"] for d in export["document"]["webhooks_received"]}


async def test_data_request_export_is_visible_only_to_its_shop(client, store_client, drainer, db):
    # given
    await _alice_and_bob_shop(client, store_client, drainer, db)
    await install_shop(client, store_client, domain=OTHER_SHOP)
    await _deliver(client, "customers/data_request", _data_request(ALICE, []))
    await drainer.wake()

    # when
    mine = await client.get("/admin/api/compliance/exports", headers=bearer())
    theirs = await client.get("/admin/api/compliance/exports", headers=bearer(OTHER_SHOP))

    # then
    assert [e["customer_id"] for e in mine.json()] == [ALICE]
    assert theirs.status_code == 200
    assert theirs.json() == []


async def test_data_request_in_the_same_batch_as_the_orders_lists_them(client, store_client, drainer, db):
    # given
    await install_shop(client, store_client)
    order = make_order(customer_id=ALICE, subtotal="20.00")
    await _deliver(client, "orders/paid", order_json(order))
    await _deliver(client, "customers/data_request", _data_request(ALICE, [order.id]))

    # when
    await drainer.wake()

    # then
    [export] = await _rows(db, ComplianceExport)
    assert export.document["loyalty"]["member"]["points"] == 20
    assert [d["topic"] for d in export.document["webhooks_received"]] == ["orders/paid"]


async def test_data_request_replayed_has_the_same_end_state(client, store_client, drainer, db):
    # given
    orders = await _alice_and_bob_shop(client, store_client, drainer, db)
    request = _data_request(ALICE, [orders["alice_first"]])
    await _deliver(client, "customers/data_request", request)
    await drainer.wake()
    earlier = {row.id for row in await _inbox(db)}
    before = await _state(db, inbox_ids=earlier)

    # when
    await _deliver(client, "customers/data_request", request)
    await drainer.wake()

    # then
    assert await _state(db, inbox_ids=earlier) == before
    assert len(await _rows(db, ComplianceExport)) == 1


# --- customers/redact ---------------------------------------------------------------------------


async def test_customer_redact_unlinks_the_customer_and_keeps_the_amounts(client, store_client, drainer, db):
    # given
    orders = await _alice_and_bob_shop(client, store_client, drainer, db)
    await _deliver(client, "customers/data_request", _data_request(ALICE, []))
    await drainer.wake()
    [alice] = [m for m in await _rows(db, Member) if m.customer_id == ALICE]
    alices_entries = sorted((e.id, e.delta) for e in await _rows(db, LedgerEntry) if e.member_id == alice.id)
    bobs_bodies = {row.id: row.body for row in await _inbox(db) if row.customer_id == BOB}

    # when
    await _deliver(client, "customers/redact", _redact(ALICE, [orders["alice_first"], orders["alice_second"]]))
    await drainer.wake()

    # then
    members = {m.id: m for m in await _rows(db, Member)}
    assert ALICE not in {m.customer_id for m in members.values()}
    assert members[alice.id].redacted_at is not None
    assert members[alice.id].points_balance == 140
    assert sorted((e.id, e.delta) for e in await _rows(db, LedgerEntry) if e.member_id == alice.id) == alices_entries
    assert ALICE not in {o.customer_id for o in await _rows(db, LoyaltyOrder)}
    assert len(await _rows(db, LoyaltyOrder)) == 3
    assert [c.customer_id for c in await _rows(db, ReferralCode)] == [BOB]
    assert await _rows(db, ComplianceExport) == []
    await _assert_balances_equal_ledger_sums(db)
    inbox = await _inbox(db)
    assert all(row.status == InboxStatus.PROCESSED for row in inbox)
    assert {row.id: row.body for row in inbox if row.customer_id == BOB} == bobs_bodies
    assert all(body is not None for body in bobs_bodies.values())
    assert [row.topic for row in inbox if row.body is not None and b"alice@example.com" in row.body] == []
    assert [row.topic for row in inbox if row.customer_id == ALICE] == []
    assert [row.topic for row in inbox if row.order_id in (orders["alice_first"], orders["alice_second"])] == [
        "orders/paid",
        "orders/paid",
        "refunds/create",
    ]
    assert all(row.body is None for row in inbox if row.order_id in (orders["alice_first"], orders["alice_second"]))


async def test_customer_redact_in_the_same_batch_as_their_orders_leaves_no_body(client, store_client, drainer, db):
    # given
    await install_shop(client, store_client)
    order = make_order(customer_id=ALICE, subtotal="20.00")
    await _deliver(client, "orders/paid", order_json(order))
    await _deliver(client, "customers/data_request", _data_request(ALICE, [order.id]))
    await _deliver(client, "customers/redact", _redact(ALICE, [order.id]))

    # when
    await drainer.wake()

    # then
    inbox = await _inbox(db)
    assert [(row.topic, row.status) for row in inbox] == [
        ("orders/paid", InboxStatus.PROCESSED),
        ("customers/data_request", InboxStatus.PROCESSED),
        ("customers/redact", InboxStatus.PROCESSED),
    ]
    assert [row.topic for row in inbox if row.body is not None] == []
    assert [row.topic for row in inbox if row.customer_id == ALICE] == []
    assert ALICE not in {m.customer_id for m in await _rows(db, Member)}
    await _assert_balances_equal_ledger_sums(db)


async def test_customer_redact_erases_bodies_kept_unprocessed(client, store_client, drainer, db):
    # given an order of Alice's delivered before the app was installed (ignored, body kept), then an
    # order of Alice's and one of Bob's whose bodies fail validation (kept, as failed rows are)
    early = order_json(make_order(customer_id=ALICE, subtotal="15.00"))
    await _deliver(client, "orders/paid", early)
    await drainer.wake()
    await install_shop(client, store_client)
    broken = {}
    for customer in (ALICE, BOB):
        payload = order_json(make_order(customer_id=customer, subtotal="20.00"))
        payload["processed_at"] = "the day before yesterday"
        broken[customer] = payload["id"]
        await _deliver(client, "orders/paid", payload)
    await drainer.wake()
    assert [row.status for row in await _inbox(db)] == [InboxStatus.IGNORED, InboxStatus.FAILED, InboxStatus.FAILED]
    # when Alice asks to be forgotten, naming none of her orders
    await _deliver(client, "customers/redact", _redact(ALICE, []))
    await drainer.wake()
    # then her failed delivery's body is gone and Bob's is kept for the merchant to retry
    bodies = {row.order_id: row.body for row in await _inbox(db) if row.topic == "orders/paid"}
    assert bodies[broken[ALICE]] is None
    assert bodies[early["id"]] is None
    assert bodies[broken[BOB]] is not None
    assert b"the day before yesterday" in bodies[broken[BOB]]


async def test_customer_redact_waits_for_their_order_webhooks_still_being_retried(
    client, store_client, drainer, db, monkeypatch
):
    # given an order of Alice's whose processing failed once and waits for its retry
    await install_shop(client, store_client)
    order = make_order(customer_id=ALICE, subtotal="20.00")
    real_apply = dispatch.loyalty_service.apply_order_events

    async def failing_once(*_args, **_kwargs):
        raise ConnectionError("the database blinked")

    monkeypatch.setattr(dispatch.loyalty_service, "apply_order_events", failing_once)
    await _deliver(client, "orders/paid", order_json(order))
    await drainer.wake()
    monkeypatch.setattr(dispatch.loyalty_service, "apply_order_events", real_apply)

    # when her redaction arrives before that retry
    await _deliver(client, "customers/redact", _redact(ALICE, []))
    await _make_due(db, "customers/redact")
    await drainer.wake()
    # then the redaction waits, without spending an attempt
    redact = next(row for row in await _inbox(db) if row.topic == "customers/redact")
    assert (redact.status, redact.attempts) == (InboxStatus.PENDING, 0)

    # when the order's retry and then the redaction run
    await _make_due(db, "orders/paid")
    await drainer.wake()
    await _make_due(db, "customers/redact")
    await drainer.wake()
    # then Alice's order was counted and then unlinked from her, and no body names her
    inbox = await _inbox(db)
    assert [(row.topic, row.status) for row in inbox] == [
        ("orders/paid", InboxStatus.PROCESSED),
        ("customers/redact", InboxStatus.PROCESSED),
    ]
    assert [row.topic for row in inbox if row.body is not None] == []
    members = await _rows(db, Member)
    assert ALICE not in {m.customer_id for m in members}
    assert [m.points_balance for m in members] == [20]


async def _make_due(db, topic: str) -> None:
    async with db.unit_of_work() as session:
        await session.execute(
            update(WebhookInbox)
            .where(WebhookInbox.topic == topic)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def test_customer_redact_replayed_has_the_same_end_state(client, store_client, drainer, db):
    # given
    orders = await _alice_and_bob_shop(client, store_client, drainer, db)
    request = _redact(ALICE, [orders["alice_first"], orders["alice_second"]])
    await _deliver(client, "customers/redact", request)
    await drainer.wake()
    earlier = {row.id for row in await _inbox(db)}
    before = await _state(db, inbox_ids=earlier)

    # when
    await _deliver(client, "customers/redact", request)
    await drainer.wake()

    # then
    assert await _state(db, inbox_ids=earlier) == before
    await _assert_balances_equal_ledger_sums(db)


async def test_customer_redact_runs_after_the_app_was_uninstalled(client, store_client, drainer, db):
    # given
    orders = await _alice_and_bob_shop(client, store_client, drainer, db)
    await _deliver(client, "app/uninstalled", {"id": 1, "name": "Test"})
    await drainer.wake()

    # when
    await _deliver(client, "customers/data_request", _data_request(BOB, [orders["bob"]]))
    await _deliver(client, "customers/redact", _redact(ALICE, [orders["alice_first"]]))
    await drainer.wake()

    # then
    assert [row.status for row in await _inbox(db)][-2:] == [InboxStatus.PROCESSED, InboxStatus.PROCESSED]
    assert [e.customer_id for e in await _rows(db, ComplianceExport)] == [BOB]
    assert ALICE not in {m.customer_id for m in await _rows(db, Member)}


# --- shop/redact --------------------------------------------------------------------------------


async def _two_shops_then_redact_the_first(client, store_client, drainer, db) -> tuple[int, int]:
    await _alice_and_bob_shop(client, store_client, drainer, db)
    await _deliver(client, "customers/data_request", _data_request(ALICE, []))
    await install_shop(client, store_client, domain=OTHER_SHOP)
    await _deliver(client, "orders/paid", order_json(make_order(customer_id=ALICE), shop=OTHER_SHOP), shop=OTHER_SHOP)
    await drainer.wake()
    await _give_referral_code(db, ALICE, OTHER_SHOP)
    await _deliver(client, "app/uninstalled", {"id": 1, "name": "Test"})
    await drainer.wake()
    return await _shop_id(db), await _shop_id(db, OTHER_SHOP)


async def _rows_per_shop(db, shop_id: int) -> dict[str, int]:
    """How many rows each table holds for the shop (by `shop_id`, or by `id` for `shops`)."""
    counts: dict[str, int] = {}
    async with db.sessions() as session:
        for table in metadata.sorted_tables:
            if table.name == "webhook_inbox":
                continue
            column = table.c.id if table.name == "shops" else table.c.get("shop_id")
            if column is None:
                continue
            counts[table.name] = (
                await session.execute(select(func.count()).select_from(table).where(column == shop_id))
            ).scalar_one()
    return counts


async def test_shop_redact_removes_every_row_of_the_shop(client, store_client, drainer, db):
    # given
    gone_id, kept_id = await _two_shops_then_redact_the_first(client, store_client, drainer, db)
    before = await _rows_per_shop(db, gone_id)
    kept_before = await _rows_per_shop(db, kept_id)
    kept_inbox = [row.id for row in await _inbox(db) if row.shop_domain == OTHER_SHOP]
    assert all(before[name] > 0 for name in ("shops", "loyalty_members", "loyalty_ledger_entries", "referral_codes"))
    assert before["compliance_exports"] == 1

    # when
    await _deliver(client, "shop/redact", {"shop_domain": SHOP})
    await drainer.wake()

    # then
    assert await _rows_per_shop(db, gone_id) == dict.fromkeys(before, 0)
    assert await _rows_per_shop(db, kept_id) == kept_before
    inbox = await _inbox(db)
    assert [(row.topic, row.status, row.body) for row in inbox if row.shop_domain == SHOP] == [
        ("shop/redact", InboxStatus.PROCESSED, None)
    ]
    assert [row.id for row in inbox if row.shop_domain == OTHER_SHOP] == kept_inbox


async def test_shop_redact_replayed_has_the_same_end_state(client, store_client, drainer, db):
    # given
    await _two_shops_then_redact_the_first(client, store_client, drainer, db)
    redact = {"shop_domain": SHOP}
    await _deliver(client, "shop/redact", redact)
    await drainer.wake()
    earlier = {row.id for row in await _inbox(db)}
    before = await _state(db, inbox_ids=earlier)

    # when
    await _deliver(client, "shop/redact", redact)
    await drainer.wake()

    # then
    assert await _state(db, inbox_ids=earlier) == before
    assert await _shop(db) is None


# --- app/uninstalled ----------------------------------------------------------------------------


async def test_app_uninstalled_marks_the_shop_and_deletes_its_token(client, store_client, drainer, db):
    # given
    await install_shop(client, store_client)
    shop_id = await _shop_id(db)
    assert [t.shop_id for t in await _rows(db, ShopToken)] == [shop_id]

    # when
    await _deliver(client, "app/uninstalled", {"id": 1, "name": "Test"})
    await drainer.wake()

    # then
    shop = await _shop(db)
    assert shop is not None
    assert shop.uninstalled_at is not None
    assert await _rows(db, ShopToken) == []
    assert [row.status for row in await _inbox(db)] == [InboxStatus.PROCESSED]


@pytest.mark.parametrize("topic", ["orders/paid", "orders/create", "orders/updated"], ids=lambda t: f"_case={t}")
async def test_order_webhooks_after_uninstall_are_ignored(client, store_client, drainer, db, topic):
    # given
    await _alice_and_bob_shop(client, store_client, drainer, db)
    balances = {m.customer_id: m.points_balance for m in await _rows(db, Member)}
    await _deliver(client, "app/uninstalled", {"id": 1, "name": "Test"})
    await drainer.wake()

    # when
    response = await post_webhook(
        client, topic, order_json(make_order(customer_id=ALICE, subtotal="500.00")), webhook_id="late"
    )
    await drainer.wake()

    # then
    assert response.status_code == 200, response.text
    [late] = [row for row in await _inbox(db) if row.webhook_id == "late"]
    assert late.status == InboxStatus.IGNORED
    assert {m.customer_id: m.points_balance for m in await _rows(db, Member)} == balances
    assert len(await _rows(db, LoyaltyOrder)) == 3


async def test_app_uninstalled_replayed_has_the_same_end_state(client, store_client, drainer, db):
    # given
    await _alice_and_bob_shop(client, store_client, drainer, db)
    await _deliver(client, "app/uninstalled", {"id": 1, "name": "Test"})
    await drainer.wake()
    earlier = {row.id for row in await _inbox(db)}
    before = await _state(db, inbox_ids=earlier)

    # when
    await _deliver(client, "app/uninstalled", {"id": 1, "name": "Test"})
    await drainer.wake()

    # then
    assert await _state(db, inbox_ids=earlier) == before
