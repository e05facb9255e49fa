"""Compliance exports: what `customers/data_request` prepared for the merchant, kept until the
customer is erased or the shop is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_ignoring_conflicts
from app.core.db import dialect_of
from app.shops.models import ComplianceExport

EXPORTS: Table = ComplianceExport.__table__  # type: ignore[attr-defined]


async def record_export(
    session: AsyncSession, *, shop_id: int, customer_id: int, data_request_id: int, document: dict[str, Any]
) -> None:
    """Once per data request: a repeated delivery keeps the first export."""
    await session.execute(
        insert_ignoring_conflicts(EXPORTS, dialect_of(session)).values(
            shop_id=shop_id, customer_id=customer_id, data_request_id=data_request_id, document=document
        )
    )


async def exports_of(session: AsyncSession, shop_id: int) -> list[ComplianceExport]:
    """Newest first."""
    result = await session.execute(
        select(ComplianceExport)
        .where(ComplianceExport.shop_id == shop_id)  # type: ignore[arg-type]
        .order_by(ComplianceExport.id.desc())  # type: ignore[union-attr]
    )
    return list(result.scalars())


async def delete_customer_exports(session: AsyncSession, *, shop_id: int, customer_id: int) -> None:
    await session.execute(delete(EXPORTS).where(EXPORTS.c.shop_id == shop_id, EXPORTS.c.customer_id == customer_id))


async def delete_exports_prepared_before(session: AsyncSession, before: datetime) -> int:
    """Exports are for the merchant to hand on; they are not kept for ever."""
    result = await session.execute(delete(EXPORTS).where(EXPORTS.c.requested_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_shop_exports(session: AsyncSession, *, shop_id: int) -> None:
    await session.execute(delete(EXPORTS).where(EXPORTS.c.shop_id == shop_id))
