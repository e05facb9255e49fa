"""The ledger is guarded beyond its own code: no cascade deletes it, and a nightly audit finds any
cached balance that disagrees with the sum of its entries, loudly."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from structlog.testing import capture_logs

from app.worker import audit_balances
from loyalty.models import Member
from tests.factories import install_shop, make_order, order_json, post_webhook
from tests.loyalty.ledger import points

CUSTOMER = 7_000_000_000_001


async def _member_with_points(client, store_client, drainer) -> None:
    await install_shop(client, store_client)
    await post_webhook(client, "orders/paid", order_json(make_order(customer_id=CUSTOMER, subtotal="42.00")))
    await drainer.wake()


async def test_a_member_with_entries_cannot_be_deleted_by_accident(client, store_client, drainer, db):
    # given a member whose ledger has an entry
    await _member_with_points(client, store_client, drainer)
    # when something tries to delete the member outright
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as session:
            await session.execute(delete(Member).where(Member.customer_id == CUSTOMER))
    # then the ledger is still there
    assert await points(db, CUSTOMER) == 42


async def test_the_audit_finds_nothing_in_a_ledger_kept_by_its_rules(client, store_client, drainer, services):
    await _member_with_points(client, store_client, drainer)
    with capture_logs() as logs:
        assert await audit_balances({"services": services}) == 0
    assert not [entry for entry in logs if entry["log_level"] == "error"]


async def test_the_audit_reports_a_balance_moved_around_the_ledger(client, store_client, drainer, db, services):
    # given a balance changed without an entry (what the ledger's rules never do)
    await _member_with_points(client, store_client, drainer)
    async with db.unit_of_work() as session:
        await session.execute(update(Member).where(Member.customer_id == CUSTOMER).values(points_balance=1000))
    # when the nightly audit runs
    with capture_logs() as logs:
        wrong = await audit_balances({"services": services})
    # then it reports that member as an error
    assert wrong == 1
    [error] = [entry for entry in logs if entry["log_level"] == "error"]
    assert error["event"] == "loyalty.audit.balances_disagree"
    assert error["first"][0]["customer_id"] == CUSTOMER
    assert (error["first"][0]["cached"], error["first"][0]["summed"]) == (1000, 42)
