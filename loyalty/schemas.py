"""What the loyalty domain takes in (order and refund facts) and gives back (a member's view)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class RefundFacts:
    refund_id: int
    order_id: int
    # Refunded line subtotals in shop currency (after discounts, before shipping and tax).
    subtotal: Decimal
    created_at: datetime | None = None


@dataclass(frozen=True)
class OrderSnapshot:
    """One announcement of an order, from any topic or from reconciliation. `paid`, `cancelled`
    and `refunds` only ever add to what is known; the rest follows the newest `updated_at`."""

    order_id: int
    order_gid: str | None
    name: str | None
    customer_id: int | None
    # The subtotal the order earns on: current subtotal plus whatever refunds already took off it.
    subtotal: Decimal
    currency: str | None
    paid: bool
    cancelled: bool
    test: bool
    processed_at: datetime | None
    updated_at: datetime | None
    refunds: tuple[RefundFacts, ...] = ()


OrderEvent = OrderSnapshot | RefundFacts


@dataclass(frozen=True)
class LedgerLine:
    delta: int
    kind: str
    reason: str
    created_at: datetime
    # The entry's position in the ledger: pages of history continue from it.
    id: int = 0
    # The order an earning, refund or cancellation belongs to, by its name in the shop (`#1001`).
    order_name: str | None = None


@dataclass(frozen=True)
class NextTier:
    name: str
    remaining: Decimal


@dataclass(frozen=True)
class MemberView:
    customer_id: int
    points: int
    tier: str
    spend: Decimal
    next_tier: NextTier | None
    ledger: list[LedgerLine] = field(default_factory=list)


@dataclass(frozen=True)
class Applied:
    """What a batch of order events changed."""

    entries_written: int = 0
    points_delta: int = 0
    tier_changes: int = 0
