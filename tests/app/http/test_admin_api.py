"""The embedded admin's JSON API: the program, a customer's points, manual adjustments, compliance
exports. Errors are the contract's `{"error", "detail"}` with a 4xx, never a 500."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from app.core import jobs
from app.worker import recompute_shop_tiers
from loyalty import service as loyalty_service
from loyalty.models import LedgerEntry, LoyaltyProgram, Member, TierChange
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT
from tests.app.support import assert_error, count_rows
from tests.factories import SHOP, bearer, install_shop, make_order, order_json, post_webhook

CUSTOMER = 7_000_000_000_001  # above 2**32, like Shopify's ids
PROGRAM = "/admin/api/program"


def _customer(customer_id: int | str = CUSTOMER) -> str:
    return f"/admin/api/customers/{customer_id}"


def _adjust(customer_id: int | str = CUSTOMER) -> str:
    return f"/admin/api/customers/{customer_id}/adjust"


def _program(**changes: Any) -> dict[str, Any]:
    program = copy.deepcopy(DEFAULT_PROGRAM_DOCUMENT)
    program.update(changes)
    return program


@pytest.fixture
async def installed(client, store_client) -> None:
    await install_shop(client, store_client)


async def test_a_new_shop_has_exactly_the_contracts_default_program(client, installed):
    # given a shop that just installed
    # when
    response = await client.get(PROGRAM, headers=bearer())

    # then
    assert response.status_code == 200, response.text
    assert response.json() == DEFAULT_PROGRAM_DOCUMENT


async def test_installing_stores_the_default_program_rather_than_falling_back_to_it(client, installed, db):
    # given a shop that just installed
    # then its program is a row of its own, so a later change to the built-in default moves nobody
    async with db.sessions() as session:
        stored = (await session.execute(select(LoyaltyProgram.document))).scalars().all()
    assert stored == [DEFAULT_PROGRAM_DOCUMENT]


async def test_a_valid_program_is_stored_and_read_back(client, installed):
    # given a merchant's changes: a richer earn rate, a fourth tier with a multiplier, a rolling window
    program = _program(
        earn={"points_per_unit": 2},
        tiers=[
            {"name": "Member", "threshold": "0", "multiplier": 1},
            {"name": "Silver", "threshold": "150.50", "multiplier": 1.25},
            {"name": "Gold", "threshold": "500", "multiplier": 1.5},
            {"name": "Platinum", "threshold": "2000", "multiplier": 2},
        ],
        tier_window="rolling_12_months",
        rewards=[
            {"id": "20-off", "name": "20 off", "points_cost": 400, "type": "fixed_amount", "value": "20.00"},
            {"id": "free-shipping", "name": "Free shipping", "points_cost": 120, "type": "free_shipping"},
        ],
        referrals={"friend_discount_percent": "15", "advocate_points": 250, "hold_days": 30},
        emails={"care_delay_hours": 24},
    )

    # when
    response = await client.put(PROGRAM, json=program, headers=bearer())

    # then the answer and every later read are the program as sent
    assert response.status_code == 200, response.text
    assert response.json() == program
    assert (await client.get(PROGRAM, headers=bearer())).json() == program


async def test_a_new_program_changes_what_a_customer_sees(client, installed):
    # given a program whose first tier has another name
    program = _program(tiers=[{"name": "Friend", "threshold": "0", "multiplier": 1}])
    assert (await client.put(PROGRAM, json=program, headers=bearer())).status_code == 200

    # when an unseen customer is looked up
    response = await client.get(_customer(), headers=bearer())

    # then they are in the new base tier, with no tier above
    assert response.json()["tier"] == {"name": "Friend"}
    assert response.json()["next_tier"] is None


async def test_a_renamed_tier_shows_at_once_and_the_stored_tiers_follow_in_a_job(
    client, installed, db, services, drainer, monkeypatch
):
    # given a Silver customer (250.00 spent)
    await post_webhook(client, "orders/paid", order_json(make_order(customer_id=CUSTOMER, subtotal="250.00")))
    await drainer.wake()
    assert (await client.get(_customer(), headers=bearer())).json()["tier"] == {"name": "Silver"}
    sent: list[jobs.DeferredJob] = []

    async def keep(batch):
        sent.extend(batch)

    monkeypatch.setattr(jobs, "_sender", keep)
    # when the merchant renames Silver to Argent
    tiers = copy.deepcopy(DEFAULT_PROGRAM_DOCUMENT["tiers"])
    tiers[1]["name"] = "Argent"
    assert (await client.put(PROGRAM, json=_program(tiers=tiers), headers=bearer())).status_code == 200

    # then the customer is shown in Argent straight away, not dropped to the base tier
    assert (await client.get(_customer(), headers=bearer())).json()["tier"] == {"name": "Argent"}
    # and a job was asked to bring the stored tiers along, which records the move
    assert [job.name for job in sent] == [loyalty_service.RECOMPUTE_SHOP_TIERS_JOB]
    await recompute_shop_tiers({"services": services}, *sent[0].args)
    async with db.sessions() as session:
        member = (await session.execute(select(Member))).scalar_one()
        moves = (await session.execute(select(TierChange.from_tier, TierChange.to_tier))).all()
    assert member.tier_name == "Argent"
    assert [tuple(m) for m in moves] == [("Member", "Silver"), ("Silver", "Argent")]


def _tiers(*thresholds: str) -> list[dict[str, Any]]:
    return [{"name": f"T{i}", "threshold": t, "multiplier": 1} for i, t in enumerate(thresholds)]


def _reward(**changes: Any) -> dict[str, Any]:
    return {"id": "r", "name": "R", "points_cost": 10, "type": "percentage", "value": "10"} | changes


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_program(tiers=_tiers("0", "500", "200")), id="thresholds_not_rising"),
        pytest.param(_program(tiers=_tiers("0", "200", "200")), id="thresholds_equal"),
        pytest.param(_program(tiers=_tiers("10", "200")), id="first_tier_not_0"),
        pytest.param(_program(tiers=[]), id="no_tiers"),
        pytest.param(_program(tiers=_tiers("0", "-5")), id="negative_threshold"),
        pytest.param(_program(tiers=_tiers("0", "abc")), id="threshold_not_a_number"),
        pytest.param(_program(tiers=_tiers("0", "NaN")), id="threshold_nan"),
        pytest.param(_program(tiers=_tiers("0", "1e400")), id="threshold_huge"),
        pytest.param(
            _program(tiers=[{"name": "A", "threshold": "0"}, {"name": "a", "threshold": "5"}]),
            id="duplicate_tier_names",
        ),
        pytest.param(_program(tiers=[{"name": "A", "threshold": "0", "multiplier": 0}]), id="zero_multiplier"),
        pytest.param(_program(rewards=[_reward(), _reward(name="Other")]), id="duplicate_reward_ids"),
        pytest.param(_program(rewards=[_reward(value="101")]), id="percentage_over_100"),
        pytest.param(_program(rewards=[_reward(value="0")]), id="percentage_zero"),
        pytest.param(_program(rewards=[_reward(type="free_shipping", value="5")]), id="free_shipping_with_value"),
        pytest.param(_program(rewards=[_reward(type="fixed_amount", value=None)]), id="fixed_amount_without_value"),
        pytest.param(_program(rewards=[_reward(type="store_credit")]), id="unknown_reward_type"),
        pytest.param(_program(rewards=[_reward(points_cost=0)]), id="free_reward"),
        pytest.param(_program(rewards=[_reward(id="Has Spaces")]), id="bad_reward_id"),
        pytest.param(_program(bonus=True), id="unknown_top_level_field"),
        pytest.param(_program(earn={"points_per_unit": 1, "pointz": 2}), id="unknown_nested_field"),
        pytest.param(_program(earn={"points_per_unit": -1}), id="negative_points_per_unit"),
        pytest.param(_program(earn={"points_per_unit": "lots"}), id="points_per_unit_not_a_number"),
        pytest.param(_program(earn={"points_per_unit": 10**30}), id="points_per_unit_huge"),
        pytest.param(_program(tier_window="weekly"), id="wrong_tier_window"),
        pytest.param(_program(tier_window=None), id="null_tier_window"),
        pytest.param(
            _program(referrals={"friend_discount_percent": "150", "advocate_points": 1, "hold_days": 1}),
            id="friend_discount_over_100",
        ),
        pytest.param(_program(emails={"care_delay_hours": -1}), id="negative_care_delay"),
        pytest.param({k: v for k, v in DEFAULT_PROGRAM_DOCUMENT.items() if k != "earn"}, id="missing_earn"),
        pytest.param([DEFAULT_PROGRAM_DOCUMENT], id="array_not_object"),
        pytest.param(None, id="null"),
    ],
)
async def test_an_invalid_program_is_refused_with_422_and_changes_nothing(client, installed, body):
    # given a shop whose program was changed once
    stored = _program(earn={"points_per_unit": 3})
    assert (await client.put(PROGRAM, json=stored, headers=bearer())).status_code == 200

    # when an invalid program is sent
    response = await client.put(PROGRAM, json=body, headers=bearer())

    # then
    assert_error(response, 422)
    assert (await client.get(PROGRAM, headers=bearer())).json() == stored


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        pytest.param(b"{not json", "application/json", 422, id="broken_json"),
        pytest.param(b"", "application/json", 422, id="empty_body"),
        pytest.param(b"earn=1", "application/x-www-form-urlencoded", 422, id="form"),
        pytest.param(b'{"earn": {"points_per_unit": 1}', "application/json", 422, id="truncated"),
        # FastAPI cannot even decode this body: a 400, still in the contract's error shape.
        pytest.param(b"\xff\xfe\x00", "application/json", 400, id="not_utf8"),
    ],
)
async def test_a_program_that_is_not_json_is_refused(client, installed, content, content_type, status):
    # given
    headers = bearer() | {"Content-Type": content_type}

    # when
    response = await client.put(PROGRAM, content=content, headers=headers)

    # then
    assert_error(response, status)
    assert (await client.get(PROGRAM, headers=bearer())).json() == DEFAULT_PROGRAM_DOCUMENT


async def test_an_unseen_customer_has_no_points_in_the_base_tier(client, installed, db):
    # given a customer the shop has never told us about
    # when
    response = await client.get(_customer(), headers=bearer())

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == CUSTOMER
    assert body["points"] == 0
    assert body["tier"] == {"name": "Member"}
    assert body["ledger"] == []
    assert body["next_tier"] == {"name": "Silver", "remaining": "200.00"}
    # and looking did not create a member
    assert await count_rows(db, Member) == 0


async def test_adjustments_move_the_balance_and_show_in_the_ledger(client, installed, db):
    # given an unseen customer
    # when the merchant credits 50 and then debits 20
    credit = await client.post(_adjust(), json={"points": 50, "reason": "welcome gift"}, headers=bearer())
    debit = await client.post(_adjust(), json={"points": -20, "reason": "correction"}, headers=bearer())

    # then
    assert credit.status_code == 200, credit.text
    assert credit.json()["points"] == 50
    assert debit.status_code == 200, debit.text
    view = (await client.get(_customer(), headers=bearer())).json()
    assert view["points"] == 30
    assert [(line["delta"], line["kind"], line["reason"]) for line in view["ledger"]] == [
        (-20, "adjust", "correction"),
        (50, "adjust", "welcome gift"),
    ]
    assert all(line["created_at"] for line in view["ledger"])
    # and the cached balance agrees with the ledger
    async with db.sessions() as session:
        member = (await session.execute(select(Member))).scalar_one()
        deltas = (await session.execute(select(LedgerEntry.delta))).scalars().all()
    assert member.points_balance == sum(deltas) == 30


async def test_an_adjustment_below_zero_is_refused_with_409_and_writes_nothing(client, installed, db):
    # given a customer holding 30 points
    assert (await client.post(_adjust(), json={"points": 30, "reason": "gift"}, headers=bearer())).status_code == 200

    # when the merchant tries to take 31
    response = await client.post(_adjust(), json={"points": -31, "reason": "oops"}, headers=bearer())

    # then
    assert_error(response, 409, "insufficient_points")
    view = (await client.get(_customer(), headers=bearer())).json()
    assert view["points"] == 30
    assert len(view["ledger"]) == 1
    assert await count_rows(db, LedgerEntry) == 1


async def test_a_debit_for_an_unseen_customer_is_refused_with_409(client, installed, db):
    # given a customer with no points
    # when
    response = await client.post(_adjust(), json={"points": -1, "reason": "oops"}, headers=bearer())

    # then
    assert_error(response, 409, "insufficient_points")
    assert await count_rows(db, LedgerEntry) == 0


async def test_the_same_idempotency_key_applies_once(client, installed, db):
    # given an adjustment sent with a key
    headers = bearer() | {"Idempotency-Key": "adj-123"}
    first = await client.post(_adjust(), json={"points": 50, "reason": "gift"}, headers=headers)

    # when it is retried with the same key
    retry = await client.post(_adjust(), json={"points": 50, "reason": "gift"}, headers=headers)

    # then it applied once, and both answers say so
    assert first.status_code == retry.status_code == 200
    assert first.json()["points"] == retry.json()["points"] == 50
    assert await count_rows(db, LedgerEntry) == 1
    # and a different key is a different adjustment
    other = await client.post(
        _adjust(), json={"points": 50, "reason": "gift"}, headers=bearer() | {"Idempotency-Key": "adj-124"}
    )
    assert other.json()["points"] == 100


@pytest.mark.parametrize(
    ("customer_id", "body"),
    [
        pytest.param(CUSTOMER + 1, {"points": 50, "reason": "gift"}, id="another_customer"),
        pytest.param(CUSTOMER, {"points": 60, "reason": "gift"}, id="another_amount"),
        pytest.param(CUSTOMER, {"points": 50, "reason": "apology"}, id="another_reason"),
    ],
)
async def test_a_key_reused_for_a_different_adjustment_is_a_409_not_a_silent_no_op(
    client, installed, db, customer_id, body
):
    # given an adjustment sent with a key
    headers = bearer() | {"Idempotency-Key": "adj-777"}
    assert (await client.post(_adjust(), json={"points": 50, "reason": "gift"}, headers=headers)).status_code == 200

    # when the same key comes with a different adjustment
    response = await client.post(_adjust(customer_id), json=body, headers=headers)

    # then it is refused, and nothing more is written
    assert_error(response, 409, "idempotency_key_reused")
    assert await count_rows(db, LedgerEntry) == 1


async def test_adjustments_without_a_key_each_apply(client, installed, db):
    # given
    body = {"points": 5, "reason": "gift"}

    # when the same adjustment is sent twice without a key
    await client.post(_adjust(), json=body, headers=bearer())
    second = await client.post(_adjust(), json=body, headers=bearer())

    # then both apply
    assert second.json()["points"] == 10


async def test_one_shops_key_does_not_swallow_anothers_adjustment(client, store_client, installed, db):
    # given the same key used by two shops
    other = "other-shop.myshopify.com"
    await install_shop(client, store_client, domain=other)
    body = {"points": 5, "reason": "gift"}

    # when
    mine = await client.post(_adjust(), json=body, headers=bearer() | {"Idempotency-Key": "k"})
    theirs = await client.post(_adjust(), json=body, headers=bearer(other) | {"Idempotency-Key": "k"})

    # then
    assert mine.json()["points"] == theirs.json()["points"] == 5
    assert await count_rows(db, LedgerEntry) == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"points": 0, "reason": "nothing"}, id="zero_points"),
        pytest.param({"points": 5}, id="missing_reason"),
        pytest.param({"points": 5, "reason": ""}, id="empty_reason"),
        pytest.param({"points": 5, "reason": "   "}, id="blank_reason"),
        pytest.param({"points": 5, "reason": "x" * 501}, id="reason_too_long"),
        pytest.param({"points": 5, "reason": None}, id="null_reason"),
        pytest.param({"reason": "gift"}, id="missing_points"),
        pytest.param({"points": 10**20, "reason": "huge"}, id="huge_points"),
        pytest.param({"points": -(10**20), "reason": "huge"}, id="huge_negative_points"),
        pytest.param({"points": 10**400, "reason": "enormous"}, id="enormous_points"),
        pytest.param({"points": 1_000_000_001, "reason": "just over"}, id="just_over_the_limit"),
        pytest.param({"points": "abc", "reason": "gift"}, id="points_not_a_number"),
        pytest.param({"points": 1.5, "reason": "gift"}, id="fractional_points"),
        pytest.param({"points": True, "reason": "gift"}, id="boolean_points"),
        pytest.param({"points": 5, "reason": "gift", "extra": 1}, id="unknown_field"),
        pytest.param([{"points": 5, "reason": "gift"}], id="array"),
        pytest.param(None, id="null"),
    ],
)
async def test_a_bad_adjustment_body_is_a_422_never_a_500(client, installed, db, body):
    # given
    # when
    response = await client.post(_adjust(), json=body, headers=bearer())

    # then
    assert_error(response, 422)
    assert await count_rows(db, LedgerEntry) == 0


async def test_a_body_that_is_not_json_is_a_422(client, installed, db):
    # given
    headers = bearer() | {"Content-Type": "application/json"}

    # when
    response = await client.post(_adjust(), content=b'{"points": 5, "reason": ', headers=headers)

    # then
    assert_error(response, 422)
    assert await count_rows(db, LedgerEntry) == 0


@pytest.mark.parametrize(
    "customer_id",
    [
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param(str(2**63), id="beyond_bigint"),
        pytest.param("1" * 40, id="enormous"),
        pytest.param("abc", id="not_a_number"),
        pytest.param("1.5", id="fraction"),
        pytest.param("1e3", id="exponent"),
    ],
)
async def test_a_bad_customer_id_is_a_422_never_a_500(client, installed, db, customer_id):
    # given
    # when
    looked_up = await client.get(_customer(customer_id), headers=bearer())
    adjusted = await client.post(_adjust(customer_id), json={"points": 5, "reason": "gift"}, headers=bearer())

    # then
    assert_error(looked_up, 422)
    assert_error(adjusted, 422)
    assert await count_rows(db, LedgerEntry) == 0


async def test_the_largest_customer_id_works(client, installed):
    # given the largest id a BIGINT holds
    customer_id = 2**63 - 1

    # when
    response = await client.post(_adjust(customer_id), json={"points": 5, "reason": "gift"}, headers=bearer())

    # then
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] == customer_id


async def test_adjust_requires_a_session_token(client, installed, db):
    # given
    # when
    response = await client.post(_adjust(), json={"points": 5, "reason": "gift"})

    # then
    assert_error(response, 401)
    assert await count_rows(db, LedgerEntry) == 0


async def test_compliance_exports_list_what_data_requests_prepared(client, installed, drainer):
    # given a customer with points, and Shopify asking for their data
    await client.post(_adjust(), json={"points": 40, "reason": "gift"}, headers=bearer())
    assert (await client.get("/admin/api/compliance/exports", headers=bearer())).json() == []
    request = {
        "shop_id": 1,
        "shop_domain": SHOP,
        "orders_requested": [],
        "customer": {"id": CUSTOMER, "email": "shopper@example.com", "phone": None},
        "data_request": {"id": 9999},
    }
    assert (await post_webhook(client, "customers/data_request", request)).status_code == 200
    assert await drainer.wake() == 1

    # when the merchant looks
    response = await client.get("/admin/api/compliance/exports", headers=bearer())

    # then the export is there, with the customer's points
    assert response.status_code == 200, response.text
    [export] = response.json()
    assert export["customer_id"] == CUSTOMER
    assert export["data_request_id"] == 9999
    assert export["document"]["customer_id"] == CUSTOMER
    assert "40" in str(export["document"]["loyalty"])


async def test_compliance_exports_are_only_the_shops_own(client, store_client, installed, drainer):
    # given another shop's customer data request
    other = "other-shop.myshopify.com"
    await install_shop(client, store_client, domain=other)
    request = {"shop_domain": other, "customer": {"id": CUSTOMER}, "orders_requested": [], "data_request": {"id": 1}}
    assert (await post_webhook(client, "customers/data_request", request, shop=other)).status_code == 200
    await drainer.wake()

    # when this shop looks
    response = await client.get("/admin/api/compliance/exports", headers=bearer())

    # then it sees none of it
    assert response.json() == []
    assert len((await client.get("/admin/api/compliance/exports", headers=bearer(other))).json()) == 1


async def test_a_reason_with_a_nul_character_is_a_422(client, installed, db):
    # given a reason PostgreSQL text could not hold
    body = {"points": 5, "reason": "gift\x00"}

    # when
    response = await client.post(_adjust(), json=body, headers=bearer())

    # then
    assert_error(response, 422)
    assert await count_rows(db, LedgerEntry) == 0


async def test_the_longest_idempotency_key_is_stored_and_a_longer_one_is_a_422(client, installed, db):
    # given keys at and just over the limit
    body = {"points": 5, "reason": "gift"}

    # when
    longest = await client.post(_adjust(), json=body, headers=bearer() | {"Idempotency-Key": "k" * 128})
    too_long = await client.post(_adjust(), json=body, headers=bearer() | {"Idempotency-Key": "k" * 129})

    # then
    assert longest.status_code == 200, longest.text
    assert_error(too_long, 422)
    assert await count_rows(db, LedgerEntry) == 1


async def test_a_program_with_a_nul_character_in_a_name_is_not_a_500(client, installed):
    # given a tier name carrying a NUL character
    program = _program(tiers=[{"name": "Mem\x00ber", "threshold": "0", "multiplier": 1}])

    # when
    response = await client.put(PROGRAM, json=program, headers=bearer())

    # then it is stored as sent, or refused in the contract's shape
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_error(response, 422)


async def test_credits_past_a_32_bit_balance_are_not_a_500(client, installed):
    # given a customer credited the largest adjustment twice (2,000,000,000 points)
    body = {"points": 1_000_000_000, "reason": "big"}
    for _ in range(2):
        assert (await client.post(_adjust(), json=body, headers=bearer())).status_code == 200

    # when a third credit takes the balance past 2**31 - 1
    response = await client.post(_adjust(), json=body, headers=bearer())

    # then it is applied, or refused in the contract's shape, but never a server error
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert response.json()["points"] == 3_000_000_000
    else:
        assert_error(response, response.status_code)
