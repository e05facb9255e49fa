"""Charts drawn on the server: axes a person reads at a glance, bars in proportion, and text that
stays text."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontend.charts import Series, axis_ticks, bars, share


@pytest.mark.parametrize(
    ("maximum", "whole", "expected"),
    [
        (0, True, [0, 1]),
        (1, True, [0, 1]),
        (2, True, [0, 1, 2]),
        (7, True, [0, 2, 4, 6, 8]),
        (12, True, [0, 5, 10, 15]),
        (100, True, [0, 25, 50, 75, 100]),
        (1234, True, [0, 500, 1000, 1500]),
        (1, False, [0, 0.25, 0.5, 0.75, 1]),
        (0.3, False, [0, 0.1, 0.2, 0.3]),
    ],
)
def test_ticks_are_round_numbers_from_zero_past_the_highest_value(maximum, whole, expected):
    assert axis_ticks(maximum, whole=whole) == expected


@given(st.floats(min_value=0.001, max_value=1e12), st.booleans())
def test_every_axis_reaches_its_maximum_in_at_most_five_even_steps(maximum, whole):
    ticks = axis_ticks(maximum, whole=whole)
    assert ticks[0] == 0
    assert ticks[-1] >= maximum
    assert 2 <= len(ticks) <= 5
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    if whole:
        assert all(tick == int(tick) for tick in ticks)


def _bar_heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill', svg)]


def test_bars_stand_in_proportion_and_the_table_holds_the_same_numbers():
    figure = bars(
        "orders",
        "Orders",
        ["9/7", "9/14"],
        [Series("Members", [2, 4]), Series("Guests", [1, 0])],
        label_heading="Week of",
    )
    members_first, guests_first, members_second, guests_second = _bar_heights(str(figure.svg))
    assert members_second == pytest.approx(2 * members_first)
    assert members_first == pytest.approx(2 * guests_first)
    assert guests_second == 0
    assert figure.headings == ["Week of", "Members", "Guests"]
    assert figure.rows == [["9/7", "2", "1"], ["9/14", "4", "0"]]
    # the axis is in whole orders
    assert re.findall(r'class="tick">([\d.,]+)</text>', str(figure.svg))[:3] == ["0", "1", "2"]


def test_a_share_splits_one_bar_by_amount():
    figure = share(
        "revenue",
        "Revenue",
        [("Members", Decimal("75"), "$75.00"), ("Guests", Decimal("25"), "$25.00")],
        label_heading="Buyers",
        value_heading="Revenue",
    )
    widths = [float(w) for w in re.findall(r'<rect x="[^"]+" y="40" width="([^"]+)"', str(figure.svg))]
    assert widths[0] == pytest.approx(3 * widths[1])
    assert ">75%<" in str(figure.svg)
    assert figure.rows == [["Members", "$75.00"], ["Guests", "$25.00"]]


def test_names_in_a_chart_are_text_not_markup():
    figure = bars("x", "X", ['<script>alert("l")</script>'], [Series("<b>Gold</b>", [1])], label_heading="L")
    svg = str(figure.svg)
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&lt;b&gt;Gold&lt;/b&gt;" in svg
