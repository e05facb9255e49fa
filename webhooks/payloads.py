"""Shopify's payloads, read for only the fields we use, and turned into the domain's facts.

Two shapes say the same things: REST-style webhook bodies and Admin GraphQL order nodes (from
reconciliation). Both become `OrderSnapshot` / `RefundFacts`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loyalty.schemas import OrderSnapshot, RefundFacts

# Money has been captured: the order earns. (`partially_paid` earns when it becomes `paid`.)
PAID_FINANCIAL_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})


class PayloadError(ValueError):
    """The body does not have the shape its topic promises: retrying cannot help."""


# Shopify's ids are positive and fit a signed 64-bit column; anything else is refused at the border,
# before it can fail a batch's write.
MAX_ID = 2**63 - 1
ShopifyId = Annotated[int, Field(gt=0, le=MAX_ID)]


def shopify_id(value: Any) -> int:
    number = int(str(value))
    if not 0 < number <= MAX_ID:
        raise ValueError(f"id {value} out of range")
    return number


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


PayloadT = TypeVar("PayloadT", bound=_Payload)


class ShopMoney(_Payload):
    amount: Decimal = Field(allow_inf_nan=False)
    currency_code: str | None = None


class MoneySet(_Payload):
    shop_money: ShopMoney


class CustomerRef(_Payload):
    id: ShopifyId


class RefundLinePayload(_Payload):
    subtotal_set: MoneySet | None = None
    subtotal: Decimal | None = Field(default=None, allow_inf_nan=False)

    @property
    def amount(self) -> Decimal:
        if self.subtotal_set is not None:
            return self.subtotal_set.shop_money.amount
        return self.subtotal or Decimal(0)


class RefundPayload(_Payload):
    id: ShopifyId
    order_id: ShopifyId
    created_at: datetime | None = None
    refund_line_items: list[RefundLinePayload] = []

    def facts(self) -> RefundFacts:
        return RefundFacts(
            refund_id=self.id,
            order_id=self.order_id,
            subtotal=sum((line.amount for line in self.refund_line_items), Decimal(0)),
            created_at=self.created_at,
        )


class OrderPayload(_Payload):
    id: ShopifyId
    admin_graphql_api_id: str | None = None
    name: str | None = None
    financial_status: str | None = None
    cancelled_at: datetime | None = None
    test: bool = False
    current_subtotal_price_set: MoneySet | None = None
    current_subtotal_price: Decimal | None = Field(default=None, allow_inf_nan=False)
    currency: str | None = None
    processed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    customer: CustomerRef | None = None
    refunds: list[RefundPayload] = []
    # Names the shop (its domain and id): checked against the delivery's headers.
    order_status_url: str | None = None

    def snapshot(self) -> OrderSnapshot:
        refunds = tuple(refund.facts() for refund in self.refunds)
        if self.current_subtotal_price_set is not None:
            current = self.current_subtotal_price_set.shop_money.amount
            currency = self.current_subtotal_price_set.shop_money.currency_code or self.currency
        else:
            current, currency = self.current_subtotal_price or Decimal(0), self.currency
        return OrderSnapshot(
            order_id=self.id,
            order_gid=self.admin_graphql_api_id,
            name=self.name,
            customer_id=self.customer.id if self.customer else None,
            # Shopify lowers the current subtotal by what was refunded; earning uses the subtotal
            # before refunds, and each refund takes back its own share.
            subtotal=current + sum((r.subtotal for r in refunds), Decimal(0)),
            currency=currency,
            paid=(self.financial_status or "").lower() in PAID_FINANCIAL_STATUSES,
            cancelled=self.cancelled_at is not None,
            test=self.test,
            processed_at=self.processed_at or self.created_at,
            updated_at=self.updated_at,
            refunds=refunds,
        )


# --- compliance and app topics -------------------------------------------------------------------


class DataRequestId(_Payload):
    id: ShopifyId


class ShopNamed(_Payload):
    """Compliance bodies name their shop; it must be the shop of the headers."""

    shop_domain: str
    shop_id: ShopifyId | None = None


class CustomersDataRequest(ShopNamed):
    customer: CustomerRef
    orders_requested: list[ShopifyId] = []
    data_request: DataRequestId


class CustomersRedact(ShopNamed):
    customer: CustomerRef
    orders_to_redact: list[ShopifyId] = []


class ShopRedact(ShopNamed):
    pass


class AppUninstalled(_Payload):
    """The shop object; its id and domain name the shop where the body gives them."""

    id: ShopifyId | None = None
    myshopify_domain: str | None = None


class ScopesUpdate(_Payload):
    shop_id: str | int | None = None
    current: list[str]


# --- GraphQL order nodes (reconciliation) --------------------------------------------------------


def graphql_order_snapshot(node: dict[str, Any]) -> OrderSnapshot:
    """An `Order` node of OrdersUpdatedSince.graphql as the same facts a webhook would give."""
    try:
        order_id = shopify_id(node["legacyResourceId"])
        refunds = tuple(
            RefundFacts(
                refund_id=shopify_id(refund["legacyResourceId"]),
                order_id=order_id,
                subtotal=sum(
                    (
                        Decimal(line["subtotalSet"]["shopMoney"]["amount"])
                        for line in refund["refundLineItems"]["nodes"]
                    ),
                    Decimal(0),
                ),
                created_at=_instant(refund.get("createdAt")),
            )
            for refund in node.get("refunds") or []
        )
        money = node["currentSubtotalPriceSet"]["shopMoney"]
        customer = node.get("customer")
        return OrderSnapshot(
            order_id=order_id,
            order_gid=node.get("id"),
            name=node.get("name"),
            customer_id=shopify_id(customer["legacyResourceId"]) if customer else None,
            subtotal=Decimal(money["amount"]) + sum((r.subtotal for r in refunds), Decimal(0)),
            currency=money.get("currencyCode"),
            paid=str(node.get("displayFinancialStatus") or "").lower() in PAID_FINANCIAL_STATUSES,
            cancelled=node.get("cancelledAt") is not None,
            test=bool(node.get("test")),
            processed_at=_instant(node.get("processedAt")),
            updated_at=_instant(node.get("updatedAt")),
            refunds=refunds,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise PayloadError(f"order node: {exc}") from exc


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def loose_subject(topic: str, raw: bytes) -> tuple[int | None, int | None]:
    """(customer id, order id) read from a body that failed its topic's shape, where they can be
    read: the body still names a person, and a customers/redact finds inbox rows by these two."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    customer = document.get("customer")
    customer_id = _loose_id(customer.get("id")) if isinstance(customer, dict) else None
    if topic.startswith("customers/") and customer_id is None:
        customer_id = _loose_id(document.get("id"))
    order_id = _loose_id(document.get("order_id"))
    if order_id is None and topic.startswith("orders/"):
        order_id = _loose_id(document.get("id"))
    return customer_id, order_id


def _loose_id(value: Any) -> int | None:
    try:
        return shopify_id(value)
    except (TypeError, ValueError):
        return None


def parse(model: type[PayloadT], raw: bytes) -> PayloadT:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise PayloadError(f"{model.__name__}: {exc.error_count()} invalid field(s)") from exc
