"""Loyalty tables. The ledger is append-only; a member's cached balance moves only beside an entry."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import BigId, Money, UTCDateTime


def _shop_fk(primary_key: bool = False) -> Any:
    return Field(
        sa_column=Column(Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key)
    )


class EntryKind(enum.StrEnum):
    EARN = "earn"
    REFUND = "refund"
    CANCEL = "cancel"
    ADJUST = "adjust"


class LoyaltyProgram(SQLModel, table=True):
    __tablename__ = "loyalty_programs"

    shop_id: int = _shop_fk(primary_key=True)
    document: dict[str, Any] = Field(sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the merchant last saved the program, or kept the default, in the admin (onboarding).
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    __tablename__ = "loyalty_members"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id"),
        # The admin's member list, by points or by spend, page after page (keyset on id).
        Index("ix_loyalty_members_points", "shop_id", "points_balance", "id"),
        Index("ix_loyalty_members_spend", "shop_id", "spend", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = _shop_fk()
    customer_id: int = Field(sa_type=BigInteger)
    points_balance: int = Field(default=0, sa_type=BigInteger)
    tier_name: str | None = Field(default=None, max_length=100)
    # Counted spend in the program's tier window, kept beside the tier it decides (loyalty/tiers.py):
    # lists sort and filter by it without summing orders.
    spend: Decimal = Field(default=Decimal(0), sa_type=Money)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    redacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LedgerEntry(SQLModel, table=True):
    """Append-only. No cascade reaches it: deleting a member or a shop that still has entries is an
    error, and erasing a shop deletes its ledger explicitly, first (loyalty/repository.py)."""

    __tablename__ = "loyalty_ledger_entries"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key"),
        Index("ix_loyalty_ledger_entries_member", "member_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = Field(sa_column=Column(Integer, ForeignKey("shops.id", ondelete="RESTRICT"), nullable=False))
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("loyalty_members.id", ondelete="RESTRICT"), nullable=False)
    )
    delta: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=20)
    reason: str = Field(default="", sa_type=Text)
    # Derived from the business fact (`earn:order:{id}`), never from a delivery.
    idempotency_key: str = Field(max_length=200)
    order_id: int | None = Field(default=None, sa_type=BigInteger)
    # The earn rule as it stood when the entry was written.
    rate: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 4)))
    multiplier: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 4)))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoyaltyOrder(SQLModel, table=True):
    """What we know of an order: facts only grow (paid, cancelled, refunds), whatever the delivery order."""

    __tablename__ = "loyalty_orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id"),
        Index("ix_loyalty_orders_customer", "shop_id", "customer_id", "processed_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = _shop_fk()
    order_id: int = Field(sa_type=BigInteger)
    order_gid: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=100)
    customer_id: int | None = Field(default=None, sa_type=BigInteger)
    subtotal: Decimal | None = Field(default=None, sa_type=Money)
    currency: str | None = Field(default=None, max_length=3)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shopify_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid: bool = False
    cancelled: bool = False
    test: bool = False
    refunded_subtotal: Decimal = Field(default=Decimal("0"), sa_type=Money)
    points_earned: int = Field(default=0, sa_type=BigInteger)
    points_reversed: int = Field(default=0, sa_type=BigInteger)
    earned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoyaltyRefund(SQLModel, table=True):
    __tablename__ = "loyalty_refunds"
    __table_args__ = (
        UniqueConstraint("shop_id", "refund_id"),
        Index("ix_loyalty_refunds_order", "shop_id", "order_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = _shop_fk()
    refund_id: int = Field(sa_type=BigInteger)
    order_id: int = Field(sa_type=BigInteger)
    subtotal: Decimal = Field(sa_type=Money)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Reversed against the order's earn; stays false until the order has earned.
    applied: bool = False


class TierChange(SQLModel, table=True):
    __tablename__ = "loyalty_tier_changes"
    __table_args__ = (Index("ix_loyalty_tier_changes_member", "member_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = _shop_fk()
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("loyalty_members.id", ondelete="CASCADE"), nullable=False)
    )
    from_tier: str | None = Field(default=None, max_length=100)
    to_tier: str = Field(max_length=100)
    spend: Decimal = Field(sa_type=Money)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
