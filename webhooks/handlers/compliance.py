"""The three mandatory compliance topics. Each body names its shop, which must be the shop of the
delivery's headers (webhooks/shop_claims.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.shops import compliance
from app.shops import service as shops_service
from app.shops.models import Shop
from crm import service as crm_service
from loyalty import service as loyalty_service
from referrals import service as referrals_service
from webhooks import inbox
from webhooks.handlers.orders import LEDGER_TOPICS
from webhooks.handling import Ignored, Postponed
from webhooks.inbox import InboxEvent
from webhooks.payloads import CustomersDataRequest, CustomersRedact, ShopNamed, ShopRedact, parse
from webhooks.shop_claims import ensure_same_shop

REDACT_WAIT = timedelta(seconds=30)


def _of_this_shop(request: ShopNamed, shop: Shop) -> int:
    ensure_same_shop(shop, domain=request.shop_domain, shop_id=request.shop_id)
    assert shop.id is not None
    return shop.id


async def on_customers_data_request(session: AsyncSession, event: InboxEvent, shop: Shop) -> int:
    """Prepare, for the merchant, everything we hold on the customer (shown in the admin). The row is
    about the customer (its body names them), so a later `customers/redact` empties it too."""
    request = parse(CustomersDataRequest, event.body)
    shop_id = _of_this_shop(request, shop)
    customer_id = request.customer.id
    document: dict[str, Any] = {
        "customer_id": customer_id,
        "orders_requested": request.orders_requested,
        "loyalty": await loyalty_service.export_customer(session, shop_id=shop_id, customer_id=customer_id),
        "customer": await crm_service.export_customer(
            session, shop_id=shop_id, customer_id=customer_id, order_ids=request.orders_requested
        ),
        "referrals": await referrals_service.export_customer(session, shop_id=shop_id, customer_id=customer_id),
        "webhooks_received": await inbox.deliveries_about(session, shop.domain, customer_id, request.orders_requested),
    }
    await compliance.record_export(
        session, shop_id=shop_id, customer_id=customer_id, data_request_id=request.data_request.id, document=document
    )
    return customer_id


async def on_customers_redact(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    """Erase the customer's personal data; ledger amounts stay, unlinked from them. The request's own
    body (it names the customer) goes too; its row stays, unlinked, as the record that we complied."""
    request = parse(CustomersRedact, event.body)
    shop_id = _of_this_shop(request, shop)
    customer_id = request.customer.id
    if await inbox.pending_before(session, event.shop_domain, event.id, LEDGER_TOPICS):
        # One of them may be this customer's: processed after the erasure, it would bring their
        # name back in its body and link a new member to them. Erase once they are done.
        raise Postponed("order webhooks received before this redaction are still being processed", REDACT_WAIT)
    # One id that leads nowhere for every domain, so the shop's numbers still see one customer.
    surrogate = -(secrets.randbits(62) + 1)
    await loyalty_service.redact_customer(session, shop_id=shop_id, customer_id=customer_id, surrogate=surrogate)
    await crm_service.redact_customer(
        session, shop_id=shop_id, customer_id=customer_id, order_ids=request.orders_to_redact, surrogate=surrogate
    )
    await referrals_service.redact_customer(session, shop_id=shop_id, customer_id=customer_id)
    await compliance.delete_customer_exports(session, shop_id=shop_id, customer_id=customer_id)
    await inbox.erase_bodies_about(session, shop.domain, customer_id, request.orders_to_redact)
    await inbox.empty_body(session, event.id)


async def on_shop_redact(session: AsyncSession, event: InboxEvent, shop: Shop) -> None:
    """Erase the shop: its rows in every domain, its token, its other inbox rows. Only an uninstalled
    shop is erased, and only by a redaction asked for after its latest install (Shopify retries for
    hours; the merchant may have come back meanwhile): erasing would wipe a live shop."""
    _of_this_shop(parse(ShopRedact, event.body), shop)
    if shop.installed or event.happened_at < shop.installed_at:
        raise Ignored("the shop is installed, or was installed again after this redaction was asked for")
    await shops_service.erase_shop(session, shop)
    await inbox.delete_shop_rows(session, event.shop_domain, keep_id=event.id)
    await inbox.empty_body(session, event.id)
