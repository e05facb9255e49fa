"""Pure calculations of the points program: no I/O, no clock, no database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from loyalty.program import Program, Tier, TierWindow

LATEST = datetime.max.replace(tzinfo=UTC)


def floor_points(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def points_for_order(subtotal: Decimal, points_per_unit: Decimal, multiplier: Decimal) -> int:
    """floor(points_per_unit × multiplier × subtotal): a shopper never gets a fraction rounded up."""
    if subtotal <= 0:
        return 0
    return max(0, floor_points(points_per_unit * multiplier * subtotal))


def reversal_target(earned: int, refunded: Decimal, subtotal: Decimal | None) -> int:
    """Points an order should have given back once `refunded` of its `subtotal` is refunded.
    Proportional and floored, so partial refunds never take back more than their share, and a
    full refund takes back exactly what was earned."""
    if earned <= 0 or refunded <= 0:
        return 0
    if subtotal is None or subtotal <= 0 or refunded >= subtotal:
        return earned
    return min(earned, floor_points(Decimal(earned) * refunded / subtotal))


def counts_toward_tier(
    *,
    paid: bool,
    cancelled: bool,
    test: bool,
    subtotal: Decimal | None,
    processed_at: datetime | None,
    since: datetime | None,
) -> bool:
    """Whether an order's (unrefunded) subtotal is tier spend: paid, live, real, and in the window."""
    if not paid or cancelled or test or subtotal is None:
        return False
    return since is None or (processed_at is not None and processed_at >= since)


def placement_key(processed_at: datetime | None, order_id: int) -> tuple[datetime, int]:
    """Orders in the order they were placed; an order whose time we don't know yet goes last."""
    return (processed_at or LATEST, order_id)


def tier_for_spend(tiers: Sequence[Tier], spend: Decimal) -> Tier:
    """The highest tier whose threshold the spend reaches (tiers are sorted, the first starts at 0)."""
    reached = tiers[0]
    for tier in tiers:
        if spend >= tier.threshold:
            reached = tier
    return reached


def spend_band(tiers: Sequence[Tier], name: str) -> tuple[Decimal, Decimal | None] | None:
    """The spend that puts a member in the tier named: [its threshold, the next one's), or None if
    no tier has that name."""
    for index, tier in enumerate(tiers):
        if tier.name == name:
            upper = tiers[index + 1].threshold if index + 1 < len(tiers) else None
            return tier.threshold, upper
    return None


def next_tier(tiers: Sequence[Tier], spend: Decimal) -> tuple[Tier, Decimal] | None:
    """The next tier up and what is still to spend to reach it; None at the top."""
    for tier in tiers:
        if spend < tier.threshold:
            return tier, tier.threshold - spend
    return None


def tier_basis(program: Program) -> tuple[str, tuple[tuple[str, Decimal], ...]]:
    """What decides a member's stored tier: the window and each tier's name and threshold
    (multipliers change what orders earn, not who is in which tier)."""
    return program.tier_window, tuple((tier.name, tier.threshold.normalize()) for tier in program.tiers)


def window_start(window: TierWindow, now: datetime, time_zone: str | None) -> datetime | None:
    """Start of the spend window that decides the tier, as an aware instant; None for `lifetime`.
    `calendar_year` starts on 1 January at midnight in the shop's time zone."""
    if window == "lifetime":
        return None
    if window == "rolling_12_months":
        try:
            return now.replace(year=now.year - 1)
        except ValueError:  # 29 February
            return now.replace(year=now.year - 1, day=28)
    zone = ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    local_now = now.astimezone(zone)
    start_local = datetime.combine(local_now.date().replace(month=1, day=1), time(0), tzinfo=zone)
    return start_local.astimezone(now.tzinfo) if now.tzinfo else start_local
