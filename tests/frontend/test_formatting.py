"""Numbers, money and moments as a reader of each language expects them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from frontend.formatting import day, money, number, when

MOMENT = datetime(2026, 11, 29, 15, 47, 34, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1234.5", "USD", "en", "$1,234.50"),
        ("12000", "KRW", "ko", "₩12,000"),
        ("12.345", "KWD", "en", "KWD12.345"),  # CLDR: a code as symbol, three decimals
        ("1234.5", None, "en", "1,234.5"),
    ],
)
def test_money_is_written_in_its_currencys_digits_and_the_readers_way(amount, currency, language, expected):
    assert money(Decimal(amount), currency, language).replace("\xa0", " ") == expected


def test_numbers_are_grouped_for_the_reader():
    assert (number(1_000_000_000, "en"), number(1_000_000_000, "ko")) == ("1,000,000,000", "1,000,000,000")


@pytest.mark.parametrize(
    ("time_zone", "language", "expected"),
    [
        (None, "en", "Nov 29, 2026, 3:47 PM"),
        (None, "ko", "2026. 11. 29. 오후 3:47"),
        ("Asia/Seoul", "ko", "2026. 11. 30. 오전 12:47"),
        ("America/New_York", "en", "Nov 29, 2026, 10:47 AM"),
    ],
)
def test_a_moment_is_shown_in_the_shops_time_zone_to_the_minute(time_zone, language, expected):
    assert when(MOMENT, time_zone, language).replace("\u202f", " ") == expected


def test_a_day_is_the_shops_day():
    assert day(MOMENT, "Asia/Seoul", "ko") == "2026. 11. 30."
    assert when(None, None, "en") == day(None, None, "ko") == ""
