"""What the shop's customers and orders are, kept in tables of our own: webhook bodies are emptied
after a short grace period (docs/privacy.md), and what later features read from them stays here.

Text columns are unbounded: what Shopify sends is clipped once, where payloads are read
(webhooks/payloads.py), and a value one character over a column's width must not fail an order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import BigId, Money, UTCDateTime


def _shop_fk() -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False))


class CrmCustomer(SQLModel, table=True):
    """A shop's customer as Shopify last told us: from customers/create and customers/update, from the
    customer inside each order, and from customers_email_marketing_consent/update."""

    __tablename__ = "crm_customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id"),
        Index("ix_crm_customers_email", "shop_id", "email"),
        # Substring search by name or email: a trigram index on PostgreSQL (pg_trgm).
        Index(
            "ix_crm_customers_search",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = _shop_fk()
    customer_id: int = Field(sa_type=BigInteger)
    email: str | None = Field(default=None, sa_type=Text)
    first_name: str | None = Field(default=None, sa_type=Text)
    last_name: str | None = Field(default=None, sa_type=Text)
    phone: str | None = Field(default=None, sa_type=Text)
    # Shopify's account state: disabled (no account), invited, enabled, declined.
    state: str | None = Field(default=None, sa_type=Text)
    locale: str | None = Field(default=None, sa_type=Text)
    addresses: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Lower-cased "email first last", what the admin's search matches (crm/directory.py).
    search_text: str = Field(default="", sa_type=Text)
    # The profile's version: Shopify's updated_at of the snapshot it came from.
    shopify_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_consent_state: str | None = Field(default=None, sa_type=Text)
    email_consent_opt_in_level: str | None = Field(default=None, sa_type=Text)
    # The consent's own version, since consent also arrives on its own topic.
    email_consent_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shopify_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrmOrder(SQLModel, table=True):
    """Every order of the shop, members' and guests', with what analytics and attribution read."""

    __tablename__ = "crm_orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id"),
        Index("ix_crm_orders_customer", "shop_id", "customer_id", "processed_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = _shop_fk()
    order_id: int = Field(sa_type=BigInteger)
    name: str | None = Field(default=None, sa_type=Text)
    customer_id: int | None = Field(default=None, sa_type=BigInteger)
    # A guest's orders are told apart by email.
    email: str | None = Field(default=None, sa_type=Text)
    currency: str | None = Field(default=None, sa_type=Text)
    subtotal: Decimal | None = Field(default=None, sa_type=Money)
    total: Decimal | None = Field(default=None, sa_type=Money)
    financial_status: str | None = Field(default=None, sa_type=Text)
    cancelled: bool = False
    test: bool = False
    discount_codes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    landing_site: str | None = Field(default=None, sa_type=Text)
    referring_site: str | None = Field(default=None, sa_type=Text)
    note_attributes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    source_name: str | None = Field(default=None, sa_type=Text)
    customer_locale: str | None = Field(default=None, sa_type=Text)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shopify_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CrmOrderLine(SQLModel, table=True):
    __tablename__ = "crm_order_lines"
    __table_args__ = (
        UniqueConstraint("shop_id", "line_id"),
        Index("ix_crm_order_lines_order", "shop_id", "order_id"),
        Index("ix_crm_order_lines_product", "shop_id", "product_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_id: int = _shop_fk()
    order_id: int = Field(sa_type=BigInteger)
    line_id: int = Field(sa_type=BigInteger)
    product_id: int | None = Field(default=None, sa_type=BigInteger)
    variant_id: int | None = Field(default=None, sa_type=BigInteger)
    title: str = Field(default="", sa_type=Text)
    variant_title: str | None = Field(default=None, sa_type=Text)
    # Not in webhook line items: filled from the Admin API where it is read (backfill).
    product_type: str | None = Field(default=None, sa_type=Text)
    vendor: str | None = Field(default=None, sa_type=Text)
    sku: str | None = Field(default=None, sa_type=Text)
    quantity: int = 0
    price: Decimal = Field(default=Decimal(0), sa_type=Money)
    gift_card: bool = False
