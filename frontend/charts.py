"""Charts drawn on the server: pure functions from numbers to an inline SVG and the table of the same
numbers (no chart library in the browser, nothing to load). Text in the SVG is escaped here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 48, 28, 26
COLOURS = ("#6c4de6", "#b5a6f5", "#29845a", "#e3e3e3")
Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    svg: Markup
    headings: list[str]
    rows: list[list[str]]


def axis_ticks(maximum: float, *, whole: bool = True, most: int = 5) -> list[float]:
    """Ticks from 0 to at least `maximum`, at most `most` of them, a step of 1, 2, 2.5 or 5 times a
    power of ten; counts (`whole`) get whole steps only, so an axis never reads 0.5 orders."""
    if maximum <= 0:
        return [0.0, 1.0]
    for power in (10.0**exponent for exponent in range(-2, 16)):
        for multiple in (1, 2, 2.5, 5):
            step = multiple * power
            if whole and step != int(step):
                continue
            count = math.ceil(maximum / step)
            if count + 1 <= most:
                return [round(step * index, 6) for index in range(count + 1)]
    raise ValueError(f"no axis for {maximum}")


def bars(
    figure_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label_heading: str,
    formatted: Sequence[Sequence[str]] | None = None,
    whole: bool = True,
) -> Figure:
    """Grouped vertical bars, one group per label and one bar per series, with a legend.
    `formatted` gives each value's text for the table (rows by label, columns by series); `whole`
    says the values are counts."""
    ticks = axis_ticks(max((float(v) for s in series for v in s.values), default=0.0), whole=whole)
    top = ticks[-1]
    plot_width = WIDTH - MARGIN_LEFT - 8
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    group = plot_width / max(1, len(labels))
    bar = min(28.0, group * 0.8 / max(1, len(series)))
    parts = [_axis(ticks, plot_height)]
    for index, label in enumerate(labels):
        left = MARGIN_LEFT + index * group + (group - bar * len(series)) / 2
        for s_index, one in enumerate(series):
            value = float(one.values[index])
            height = plot_height * value / top
            parts.append(
                f'<rect x="{left + s_index * bar:.1f}" y="{MARGIN_TOP + plot_height - height:.1f}" '
                f'width="{bar - 2:.1f}" height="{height:.1f}" fill="{COLOURS[s_index % len(COLOURS)]}"/>'
            )
        parts.append(
            f'<text x="{MARGIN_LEFT + index * group + group / 2:.1f}" y="{HEIGHT - 10}" '
            f'text-anchor="middle" class="tick">{escape(label)}</text>'
        )
    parts.append(_legend(series))
    rows = [
        [label, *(formatted[i] if formatted else [str(s.values[i]) for s in series])] for i, label in enumerate(labels)
    ]
    return Figure(figure_id, title, _svg(figure_id, parts), [label_heading, *(s.name for s in series)], rows)


def share(
    figure_id: str, title: str, parts: Sequence[tuple[str, Number, str]], *, label_heading: str, value_heading: str
) -> Figure:
    """One horizontal bar split by share (name, amount, the amount's text); the table gives each
    part's amount."""
    total = sum(float(amount) for _, amount, _ in parts) or 1.0
    x = float(MARGIN_LEFT)
    width = WIDTH - MARGIN_LEFT - 8
    shapes = []
    for index, (_name, amount, _text) in enumerate(parts):
        length = width * float(amount) / total
        shapes.append(
            f'<rect x="{x:.1f}" y="40" width="{length:.1f}" height="36" fill="{COLOURS[index % len(COLOURS)]}"/>'
        )
        if length > 48:
            shapes.append(
                f'<text x="{x + length / 2:.1f}" y="63" text-anchor="middle" class="inside">'
                f"{round(100 * float(amount) / total)}%</text>"
            )
        x += length
    # The legend carries each share too, so a part too thin to label is still read.
    shares = [round(100 * float(amount) / total) for _, amount, _ in parts]
    shapes.append(
        _legend([Series(f"{name} {share}%", []) for (name, _, _), share in zip(parts, shares, strict=True)], y=100)
    )
    rows = [[name, text] for name, _, text in parts]
    return Figure(figure_id, title, _svg(figure_id, shapes, height=120), [label_heading, value_heading], rows)


def _axis(ticks: Sequence[float], plot_height: float) -> str:
    lines = []
    top = ticks[-1]
    for value in ticks:
        y = MARGIN_TOP + plot_height - plot_height * value / top
        lines.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0")
        lines.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{text}</text>')
    return "".join(lines)


def _legend(series: Sequence[Series], y: int = 4) -> str:
    items = []
    x = MARGIN_LEFT
    for index, one in enumerate(series):
        items.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" rx="2" fill="{COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{y + 9}" class="tick">{escape(one.name)}</text>'
        )
        x += 24 + 7 * len(one.name)
    return f'<g class="legend">{"".join(items)}</g>'


def _svg(figure_id: str, parts: Sequence[str], height: int = HEIGHT) -> Markup:
    # The table beside the chart carries the numbers for screen readers; the drawing is named by
    # the figure's caption.
    return Markup(
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{figure_id}-caption" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="inherit">'
        "<style>.grid{stroke:#e3e3e3}.tick{fill:#616161}.inside{fill:#fff;font-weight:600}</style>"
        f"{''.join(parts)}</svg>"
    )
