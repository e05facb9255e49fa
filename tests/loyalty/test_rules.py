"""Pure rules: no database."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from loyalty import rules
from loyalty.program import default_program


@pytest.mark.parametrize(
    ("_case", "subtotal", "rate", "multiplier", "points"),
    [
        ("whole units", "42.00", "1", "1", 42),
        ("cents floor down", "42.99", "1", "1", 42),
        ("multiplier applies", "10.50", "1", "1.5", 15),
        ("rate applies", "10.00", "2.5", "1", 25),
        ("zero subtotal", "0", "1", "1", 0),
        ("negative never gives points", "-5", "1", "1", 0),
        ("tiny order", "0.99", "1", "1", 0),
    ],
)
def test_points_for_order_floors(_case, subtotal, rate, multiplier, points):
    assert rules.points_for_order(Decimal(subtotal), Decimal(rate), Decimal(multiplier)) == points


@pytest.mark.parametrize(
    ("_case", "earned", "refunded", "subtotal", "target"),
    [
        ("nothing refunded", 100, "0", "100", 0),
        ("half refunded", 100, "50", "100", 50),
        ("share floors", 37, "50", "100", 18),
        ("full refund takes all", 37, "100", "100", 37),
        ("over-refund capped", 37, "150", "100", 37),
        ("nothing earned", 0, "50", "100", 0),
        ("unknown subtotal takes all", 10, "5", None, 10),
    ],
)
def test_reversal_target_is_proportional(_case, earned, refunded, subtotal, target):
    total = None if subtotal is None else Decimal(subtotal)
    assert rules.reversal_target(earned, Decimal(refunded), total) == target


def test_partial_refunds_never_take_back_more_than_a_full_refund():
    # given an order that earned 37 points on 100.00
    earned, subtotal = 37, Decimal("100")
    # when it is refunded in three parts
    cumulative, taken = Decimal(0), 0
    for part in ("33.33", "33.33", "33.34"):
        cumulative += Decimal(part)
        taken += rules.reversal_target(earned, cumulative, subtotal) - taken
    # then exactly what it earned came back
    assert taken == 37


@pytest.mark.parametrize(
    ("spend", "tier", "next_name", "remaining"),
    [
        ("0", "Member", "Silver", "200"),
        ("199.99", "Member", "Silver", "0.01"),
        ("200", "Silver", "Gold", "300"),
        ("500", "Gold", None, None),
        ("10000", "Gold", None, None),
    ],
)
def test_tier_and_next_tier_follow_thresholds(spend, tier, next_name, remaining):
    tiers = default_program().tiers
    assert rules.tier_for_spend(tiers, Decimal(spend)).name == tier
    upcoming = rules.next_tier(tiers, Decimal(spend))
    if next_name is None:
        assert upcoming is None
    else:
        assert upcoming is not None
        assert (upcoming[0].name, upcoming[1]) == (next_name, Decimal(remaining))


def test_window_start_lifetime_is_open():
    assert rules.window_start("lifetime", datetime(2026, 6, 1, tzinfo=UTC), "Asia/Seoul") is None


def test_window_start_rolling_twelve_months():
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert rules.window_start("rolling_12_months", now, None) == datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    assert rules.window_start("rolling_12_months", leap, None) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)


def test_calendar_year_starts_at_local_midnight_on_first_january():
    # given a shop in Seoul (UTC+9): 1 January 00:00 there is 31 December 15:00 UTC
    just_after = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    just_before = datetime(2026, 12, 31, 14, 30, tzinfo=UTC)
    # then the window has already moved on in Seoul but not yet a minute earlier
    assert rules.window_start("calendar_year", just_after, "Asia/Seoul") == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    assert rules.window_start("calendar_year", just_before, "Asia/Seoul") == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)
    # and in New York the year turns five hours after UTC midnight
    ny = rules.window_start("calendar_year", datetime(2027, 1, 1, 4, 0, tzinfo=UTC), "America/New_York")
    assert ny == datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
