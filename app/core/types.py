"""Column types shared by every model: UTC timestamps that survive SQLite, money as Numeric."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, Numeric, TypeDecorator
from sqlalchemy.engine import Dialect

from app.core.clock import as_utc

# 64-bit Shopify ids; SQLite only autoincrements INTEGER PRIMARY KEY, which is 64-bit there anyway.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Three decimals: KWD, BHD, JOD, OMR and TND shops price in thousandths.
Money = Numeric(15, 3)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware on the way in and out, on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value) if dialect.name != "sqlite" else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)
