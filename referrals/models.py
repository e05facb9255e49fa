"""Referral codes: one per advocate, the seam the referral programme grows from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import UTCDateTime


class ReferralCode(SQLModel, table=True):
    __tablename__ = "referral_codes"
    __table_args__ = (UniqueConstraint("shop_id", "customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(sa_column=Column(Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False))
    customer_id: int = Field(sa_type=BigInteger)
    # Links carry no shop, so a code is unique across every shop.
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
