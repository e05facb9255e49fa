"""The durable inbox: every accepted webhook (and every reconciled order) as a row until processed."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import BigId, UTCDateTime


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class InboxSource(enum.StrEnum):
    WEBHOOK = "webhook"
    RECONCILE = "reconcile"


class WebhookInbox(SQLModel, table=True):
    __tablename__ = "webhook_inbox"
    __table_args__ = (
        # One delivery id is one row; an event id repeated for a topic is the same event.
        UniqueConstraint("shop_domain", "webhook_id"),
        UniqueConstraint("shop_domain", "topic", "event_id"),
        Index("ix_webhook_inbox_due", "status", "next_attempt_at", "id"),
        Index("ix_webhook_inbox_subject", "shop_id", "customer_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    shop_domain: str = Field(max_length=255)
    topic: str = Field(max_length=100)
    webhook_id: str = Field(max_length=255)
    event_id: str | None = Field(default=None, max_length=255)
    triggered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    api_version: str | None = Field(default=None, max_length=20)
    source: str = Field(default=InboxSource.WEBHOOK, max_length=20)
    # The exact bytes Shopify signed; emptied only by a redaction, once processed.
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default=InboxStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    # Learnt while processing, so compliance requests can find what a row says about whom.
    shop_id: int | None = None
    customer_id: int | None = Field(default=None, sa_type=BigInteger)
    order_id: int | None = Field(default=None, sa_type=BigInteger)
