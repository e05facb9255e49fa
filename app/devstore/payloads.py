"""REST-shaped webhook bodies for the dev store's orders, and a sample for any topic we handle.

Written for Dangol from Shopify's published field names; values are the dev store's own.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from app.core.clock import utcnow
from app.devstore.state import DevCustomer, DevLine, DevOrder, DevRefund, DevShop, in_currency


def _amount(amount: Decimal, currency: str) -> str:
    """A REST money string: "86.40" in dollars, "199.999" in dinars, "12000" in won."""
    return format(in_currency(amount, currency), "f")


def _money(amount: Decimal, order: DevOrder) -> dict[str, Any]:
    presented, presentment_currency = order.presented(amount)
    return {
        "shop_money": {"amount": _amount(amount, order.currency), "currency_code": order.currency},
        "presentment_money": {
            "amount": _amount(presented, presentment_currency),
            "currency_code": presentment_currency,
        },
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def customer_payload(customer: DevCustomer) -> dict[str, Any]:
    """A customer as customers/create and customers/update carry it, and as it sits inside an order."""
    return {
        "id": customer.id,
        "admin_graphql_api_id": customer.gid,
        "email": customer.email,
        # Shopify sends null for a name the customer does not have.
        "first_name": customer.first_name or None,
        "last_name": customer.last_name or None,
        "phone": customer.phone,
        "state": customer.state,
        "locale": customer.locale,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "verified_email": True,
        "addresses": [],
        "email_marketing_consent": {
            "state": customer.email_consent,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": _iso(customer.updated_at),
        },
    }


def refund_payload(order: DevOrder, refund: DevRefund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund.id}",
        "order_id": order.id,
        "created_at": _iso(refund.created_at),
        "processed_at": _iso(refund.created_at),
        "note": None,
        "refund_line_items": [
            {
                "id": refund.id + i,
                "quantity": 1,
                "subtotal": float(amount),
                "subtotal_set": _money(amount, order),
                "total_tax": 0,
                "total_tax_set": _money(Decimal(0), order),
            }
            for i, amount in enumerate(refund.line_subtotals)
        ],
        "transactions": [],
        "order_adjustments": [],
    }


def order_payload(shop: DevShop, order: DevOrder) -> dict[str, Any]:
    customer = shop.customers.get(order.customer_id) if order.customer_id else None
    current = order.current_subtotal
    return {
        "id": order.id,
        "admin_graphql_api_id": order.gid,
        "name": order.name,
        "order_number": order.number,
        "email": customer.email if customer else None,
        "created_at": _iso(order.created_at),
        "updated_at": _iso(order.updated_at),
        "processed_at": _iso(order.processed_at),
        "cancelled_at": _iso(order.cancelled_at),
        "cancel_reason": "customer" if order.cancelled_at else None,
        "financial_status": order.financial_status,
        "fulfillment_status": None,
        "test": order.test,
        "currency": order.currency,
        "presentment_currency": order.presented(Decimal(0))[1],
        "subtotal_price": _amount(order.subtotal, order.currency),
        "subtotal_price_set": _money(order.subtotal, order),
        "current_subtotal_price": _amount(current, order.currency),
        "current_subtotal_price_set": _money(current, order),
        "total_price": _amount(order.subtotal, order.currency),
        "total_price_set": _money(order.subtotal, order),
        "total_tax": "0.00",
        "discount_codes": [],
        "source_name": "web",
        "order_status_url": f"https://{shop.domain}/{shop.id}/orders/{order.id:x}/authenticate?key=dev",
        "customer": customer_payload(customer) if customer else None,
        "line_items": [
            {
                "id": order.id + i + 1,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{order.id + i + 1}",
                "product_id": line.product_id,
                "variant_id": line.variant_id,
                "title": line.title,
                "name": line.title,
                "variant_title": None,
                "vendor": line.vendor,
                "sku": line.sku,
                "gift_card": line.gift_card,
                "quantity": line.quantity,
                "price": _amount(line.price, order.currency),
                "price_set": _money(line.price, order),
            }
            for i, line in enumerate(order.lines)
        ],
        "landing_site": "/",
        "referring_site": None,
        "note_attributes": [],
        "customer_locale": customer.locale if customer else "en",
        "refunds": [refund_payload(order, refund) for refund in order.refunds],
    }


def sample_payload(shop: DevShop, topic: str) -> dict[str, Any]:
    """A plausible body for `dangol webhook trigger` when no file is given."""
    customer = next(iter(shop.customers.values()), None) or DevCustomer(
        id=shop.id + 11, first_name="Sample", last_name="Shopper", email="sample@example.com"
    )
    now = utcnow()
    order = DevOrder(
        id=int(uuid.uuid4().int % 2**62),
        number=9999,
        customer_id=customer.id,
        lines=[DevLine(title="Sample tee", price=Decimal("42.00"))],
        currency=shop.currency,
        financial_status="paid",
        created_at=now,
        processed_at=now,
        updated_at=now,
    )
    shop = shop.model_copy(update={"customers": {**shop.customers, customer.id: customer}})
    if topic.startswith("orders/"):
        if topic == "orders/cancelled":
            order.cancelled_at = now
        return order_payload(shop, order)
    if topic == "refunds/create":
        return refund_payload(order, DevRefund(id=order.id + 100, created_at=now, line_subtotals=[Decimal("10.00")]))
    if topic == "customers/data_request":
        return {
            "shop_id": shop.id,
            "shop_domain": shop.domain,
            "customer": {"id": customer.id, "email": customer.email},
            "orders_requested": [order.id],
            "data_request": {"id": order.id % 100000},
        }
    if topic == "customers/redact":
        return {
            "shop_id": shop.id,
            "shop_domain": shop.domain,
            "customer": {"id": customer.id, "email": customer.email},
            "orders_to_redact": [order.id],
        }
    if topic == "shop/redact":
        return {"shop_id": shop.id, "shop_domain": shop.domain}
    if topic in ("app/uninstalled", "shop/update"):
        return {
            "id": shop.id,
            "name": shop.name,
            "myshopify_domain": shop.domain,
            "currency": shop.currency,
            "iana_timezone": shop.timezone,
            "email": shop.email,
        }
    if topic.startswith("customers/"):
        return customer_payload(customer)
    return {"id": order.id, "created_at": _iso(now)}
