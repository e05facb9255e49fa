"""Tables of the shop lifecycle: the shop, its offline token, and compliance exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import UTCDateTime


class Shop(SQLModel, table=True):
    __tablename__ = "shops"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=255, unique=True)
    shopify_shop_gid: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=255)
    currency: str | None = Field(default=None, max_length=3)
    iana_timezone: str | None = Field(default=None, max_length=64)
    scopes: str = Field(default="", sa_type=Text)
    installed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    uninstalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When currency, time zone and webhook subscriptions were last read and ensured.
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Derives the shop's customers' referral codes (referrals/service.py); made once, at install.
    referral_key: str = Field(default="", max_length=64)
    # Orders updated before this instant have been compared with Shopify.
    orders_reconciled_until: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def installed(self) -> bool:
        return self.uninstalled_at is None


class ShopToken(SQLModel, table=True):
    """The offline token, encrypted. `generation` grows with every refresh so a writer can tell
    whether someone else rotated the token while it waited."""

    __tablename__ = "shop_tokens"

    shop_id: int = Field(sa_column=Column(Integer, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True))
    access_token_encrypted: str = Field(sa_type=Text)
    scope: str = Field(default="", sa_type=Text)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_token_encrypted: str | None = Field(default=None, sa_type=Text)
    refresh_token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    generation: int = 1
    # Who refreshes holds this lease instead of a lock, so no transaction stays open across the call
    # to Shopify; a crashed holder's lease simply runs out.
    refresh_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ComplianceExport(SQLModel, table=True):
    """What we hold on a customer, prepared for the merchant after `customers/data_request`."""

    __tablename__ = "compliance_exports"
    __table_args__ = (UniqueConstraint("shop_id", "data_request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(sa_column=Column(Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False))
    customer_id: int = Field(sa_type=BigInteger)
    data_request_id: int = Field(sa_type=BigInteger)
    document: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
