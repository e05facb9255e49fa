"""Customer topics keep the CRM's copy of each customer current: profile and email consent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.shops.models import Shop
from crm import service as crm_service
from webhooks.inbox import InboxEvent
from webhooks.payloads import CustomerPayload, EmailConsentUpdate, parse


async def on_customer_changed(session: AsyncSession, event: InboxEvent, shop: Shop) -> int:
    """customers/create and customers/update: each carries the whole customer as it stands."""
    customer = parse(CustomerPayload, event.body)
    assert shop.id is not None
    await crm_service.record_customer(session, shop_id=shop.id, customer=customer.snapshot())
    return customer.id


async def on_email_consent_update(session: AsyncSession, event: InboxEvent, shop: Shop) -> int:
    """customers_email_marketing_consent/update (SMS consent is another topic, for a later channel)."""
    update = parse(EmailConsentUpdate, event.body)
    assert shop.id is not None
    await crm_service.record_consent(session, shop_id=shop.id, consent=update.consent())
    return update.customer_id
