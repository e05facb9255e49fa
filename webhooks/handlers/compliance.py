"""The three mandatory compliance topics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import dialect_of, insert_ignoring_conflicts
from app.shops import service as shops_service
from app.shops.models import ComplianceExport, Shop
from loyalty import service as loyalty_service
from referrals import service as referrals_service
from webhooks.inbox import INBOX, InboxEvent
from webhooks.models import InboxStatus
from webhooks.payloads import CustomersDataRequest, CustomersRedact, parse
from webhooks.topics import Postponed, ledger_topic_names

EXPORTS = ComplianceExport.__table__  # type: ignore[attr-defined]
REDACT_WAIT = timedelta(seconds=30)


async def on_customers_data_request(session: AsyncSession, event: InboxEvent, shop: Shop) -> int:
    """Prepare, for the merchant, everything we hold on the customer (shown in the admin). The row is
    about the customer (its body names them), so a later `customers/redact` empties it too."""
    request = parse(CustomersDataRequest, event.body)
    assert shop.id is not None
    customer_id = request.customer.id
    document: dict[str, Any] = {
        "customer_id": customer_id,
        "orders_requested": request.orders_requested,
        "loyalty": await loyalty_service.export_customer(session, shop_id=shop.id, customer_id=customer_id),
        "referrals": await referrals_service.export_customer(session, shop_id=shop.id, customer_id=customer_id),
        "webhooks_received": await _deliveries_about(session, shop.domain, customer_id, request.orders_requested),
    }
    await session.execute(
        insert_ignoring_conflicts(EXPORTS, dialect_of(session)).values(
            shop_id=shop.id, customer_id=customer_id, data_request_id=request.data_request.id, document=document
        )
    )
    return customer_id


async def on_customers_redact(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    """Erase the customer's personal data; ledger amounts stay, unlinked from them. The request's own
    body (it names the customer) goes too; its row stays, unlinked, as the record that we complied."""
    request = parse(CustomersRedact, event.body)
    assert shop.id is not None
    customer_id = request.customer.id
    if await _order_rows_still_pending(session, event):
        # One of them may be this customer's: processed after the erasure, it would bring their
        # name back in its body and link a new member to them. Erase once they are done.
        raise Postponed("order webhooks received before this redaction are still being processed", REDACT_WAIT)
    await loyalty_service.redact_customer(session, shop_id=shop.id, customer_id=customer_id)
    await referrals_service.redact_customer(session, shop_id=shop.id, customer_id=customer_id)
    await session.execute(delete(EXPORTS).where(EXPORTS.c.shop_id == shop.id, EXPORTS.c.customer_id == customer_id))
    # Processed webhook bodies carry names, emails and addresses: drop them, keep the bookkeeping.
    # Rows are the shop's by domain: one ignored before the install, or failed before its shop was
    # known, has no shop id but names the customer all the same.
    await session.execute(
        update(INBOX)
        .where(
            INBOX.c.shop_domain == shop.domain,
            INBOX.c.status != InboxStatus.PENDING.value,
            (INBOX.c.customer_id == customer_id) | INBOX.c.order_id.in_(request.orders_to_redact or [-1]),
        )
        .values(body=None, customer_id=None)
    )
    await session.execute(update(INBOX).where(INBOX.c.id == event.id).values(body=None))


async def on_shop_redact(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    """Erase the shop: its rows in every domain, its token, its other inbox rows. A redaction asked
    for before the shop's latest install is history (Shopify retries for hours; the merchant may have
    come back meanwhile): erasing would wipe a live shop."""
    if event.happened_at < shop.installed_at:
        await session.execute(update(INBOX).where(INBOX.c.id == event.id).values(body=None))
        return
    await shops_service.erase_shop(session, shop)
    await session.execute(delete(INBOX).where(INBOX.c.shop_domain == event.shop_domain, INBOX.c.id != event.id))
    await session.execute(update(INBOX).where(INBOX.c.id == event.id).values(body=None))


async def _order_rows_still_pending(session: AsyncSession, event: InboxEvent) -> bool:
    result = await session.execute(
        select(INBOX.c.id)
        .where(
            INBOX.c.shop_domain == event.shop_domain,
            INBOX.c.id < event.id,
            INBOX.c.status == InboxStatus.PENDING.value,
            INBOX.c.topic.in_(ledger_topic_names()),
        )
        .limit(1)
    )
    return result.first() is not None


async def _deliveries_about(
    session: AsyncSession, shop_domain: str, customer_id: int, order_ids: list[int]
) -> list[dict[str, Any]]:
    result = await session.execute(
        select(INBOX.c.topic, INBOX.c.received_at, INBOX.c.order_id)
        .where(
            INBOX.c.shop_domain == shop_domain,
            (INBOX.c.customer_id == customer_id) | INBOX.c.order_id.in_(order_ids or [-1]),
        )
        .order_by(INBOX.c.id)
    )
    return [
        {"topic": row.topic, "received_at": row.received_at.isoformat(), "order_id": row.order_id} for row in result
    ]
