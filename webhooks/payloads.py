"""Shopify's payloads, read for only the fields we use, and turned into the domain's facts.

Two shapes say the same things: REST-style webhook bodies and Admin GraphQL order nodes (from
reconciliation). Both become `OrderSnapshot` / `RefundFacts`; webhook bodies also become the CRM's
`OrderRecord` and `CustomerSnapshot`, kept after the body itself is emptied.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from crm.schemas import CustomerSnapshot, EmailConsent, LineRecord, OrderRecord
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


def _storable(value: str) -> str:
    """Text as it can be kept: PostgreSQL text holds no NUL, and nothing we keep needs more than this.
    Clipped, not refused: a customer's odd name must not cost an order its points."""
    return value.replace("\x00", "")[:MAX_TEXT]


MAX_TEXT = 2000
Text = Annotated[str, AfterValidator(_storable)]


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


class EmailConsentPayload(_Payload):
    state: Text | None = None
    opt_in_level: Text | None = None
    consent_updated_at: datetime | None = None


class AddressPayload(_Payload):
    name: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    company: Text | None = None
    address1: Text | None = None
    address2: Text | None = None
    city: Text | None = None
    province: Text | None = None
    province_code: Text | None = None
    zip: Text | None = None
    country: Text | None = None
    country_code: Text | None = None
    phone: Text | None = None
    default: bool = False


class CustomerPayload(CustomerRef):
    """A customer as customers/create and customers/update send it, and as it appears inside an order."""

    email: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    phone: Text | None = None
    state: Text | None = None
    locale: Text | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    addresses: list[AddressPayload] = []
    default_address: AddressPayload | None = None
    email_marketing_consent: EmailConsentPayload | None = None

    def snapshot(self) -> CustomerSnapshot:
        addresses = self.addresses or ([self.default_address] if self.default_address else [])
        consent = self.email_marketing_consent
        return CustomerSnapshot(
            customer_id=self.id,
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            phone=self.phone,
            state=self.state,
            locale=self.locale,
            addresses=tuple(a.model_dump(exclude_none=True) for a in addresses),
            created_at=self.created_at,
            updated_at=self.updated_at,
            consent=None
            if consent is None
            else EmailConsent(self.id, consent.state, consent.opt_in_level, consent.consent_updated_at),
        )


class EmailConsentUpdate(_Payload):
    """customers_email_marketing_consent/update."""

    customer_id: ShopifyId
    email_marketing_consent: EmailConsentPayload

    def consent(self) -> EmailConsent:
        statement = self.email_marketing_consent
        return EmailConsent(self.customer_id, statement.state, statement.opt_in_level, statement.consent_updated_at)


class LineItemPayload(_Payload):
    id: ShopifyId
    product_id: ShopifyId | None = None
    variant_id: ShopifyId | None = None
    title: Text = ""
    variant_title: Text | None = None
    vendor: Text | None = None
    sku: Text | None = None
    quantity: int = Field(default=0, ge=0, le=10**9)
    price_set: MoneySet | None = None
    price: Decimal = Field(default=Decimal(0), allow_inf_nan=False)
    gift_card: bool = False

    def record(self) -> LineRecord:
        return LineRecord(
            line_id=self.id,
            product_id=self.product_id,
            variant_id=self.variant_id,
            title=self.title,
            variant_title=self.variant_title,
            vendor=self.vendor,
            sku=self.sku,
            quantity=self.quantity,
            price=self.price_set.shop_money.amount if self.price_set else self.price,
            gift_card=self.gift_card,
        )


class DiscountCodePayload(_Payload):
    code: Text
    amount: Text | None = None
    type: Text | None = None


class NoteAttributePayload(_Payload):
    name: Text
    value: Text | None = None


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
    name: Text | None = None
    financial_status: Text | None = None
    cancelled_at: datetime | None = None
    test: bool = False
    current_subtotal_price_set: MoneySet | None = None
    current_subtotal_price: Decimal | None = Field(default=None, allow_inf_nan=False)
    currency: str | None = None
    processed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    customer: CustomerPayload | None = None
    refunds: list[RefundPayload] = []
    # Names the shop (its domain and id): checked against the delivery's headers.
    order_status_url: str | None = None
    # What the CRM keeps of the order (crm/models.py).
    email: Text | None = None
    total_price_set: MoneySet | None = None
    line_items: list[LineItemPayload] = []
    discount_codes: list[DiscountCodePayload] = []
    landing_site: Text | None = None
    referring_site: Text | None = None
    note_attributes: list[NoteAttributePayload] = []
    source_name: Text | None = None
    customer_locale: Text | None = None

    def record(self, snapshot: OrderSnapshot) -> OrderRecord:
        """The order as the CRM keeps it, beside the loyalty facts `snapshot` already read."""
        return OrderRecord(
            order_id=self.id,
            name=self.name,
            customer_id=snapshot.customer_id,
            email=self.email,
            currency=snapshot.currency,
            subtotal=snapshot.subtotal,
            total=self.total_price_set.shop_money.amount if self.total_price_set else None,
            financial_status=self.financial_status,
            cancelled=snapshot.cancelled,
            test=snapshot.test,
            processed_at=snapshot.processed_at,
            updated_at=snapshot.updated_at,
            discount_codes=tuple(code.model_dump() for code in self.discount_codes),
            landing_site=self.landing_site,
            referring_site=self.referring_site,
            note_attributes=tuple(note.model_dump() for note in self.note_attributes),
            source_name=self.source_name,
            customer_locale=self.customer_locale,
            lines=tuple(line.record() for line in self.line_items),
        )

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
    return datetime.fromisoformat(value) if value else None


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
    if customer_id is None:
        customer_id = _loose_id(document.get("customer_id"))
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
