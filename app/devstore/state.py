"""The dev store's world: shops, customers, orders, subscriptions and the tokens it has granted.

Kept in memory, saved as JSON under `var/` when given a path, so `dangol dev` survives a restart.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from babel.numbers import get_currency_precision
from pydantic import BaseModel, Field

from app.core import clock


def in_currency(amount: Decimal, currency: str) -> Decimal:
    """Rounded to the currency's smallest unit (cents, fils, whole won), as Shopify shows amounts."""
    return amount.quantize(Decimal(1).scaleb(-get_currency_precision(currency)))


# Far above any order a developer types, and well inside the app's Numeric(15, 3) money columns.
MAX_AMOUNT = Decimal(1_000_000_000)


class Refused(ValueError):
    """What Shopify would not do either (refund more than was paid, pay a cancelled order); the dev
    store's pages show the message next to the form that asked, by `field` when the form has several."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def parse_amount(text: str, currency: str) -> Decimal:
    """An amount typed into a form; `Refused` unless it is a number above zero that the currency's
    smallest unit can pay exactly (12.345 is no amount of US dollars; 12.340 is 12.34)."""
    text = text.strip()
    if not text:
        raise Refused("Enter an amount.")
    try:
        amount = Decimal(text)
    except ArithmeticError:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise Refused("Enter the amount as a number, such as 10.00.")
    if amount <= 0:
        raise Refused("Enter an amount above zero.")
    if amount > MAX_AMOUNT:
        raise Refused(f"Enter an amount of at most {MAX_AMOUNT:,}.")
    exact = in_currency(amount, currency)
    if exact != amount:
        raise Refused(_finer_than_the_currency(currency))
    return exact


def _finer_than_the_currency(currency: str) -> str:
    places = get_currency_precision(currency)
    if places == 0:
        return f"Enter a whole amount: the smallest amount in {currency} is 1."
    unit = Decimal(1).scaleb(-places)
    plural = "s" if places > 1 else ""
    return f"Enter at most {places} decimal place{plural}: the smallest amount in {currency} is {unit}."


def utcnow() -> datetime:
    """Shopify's timestamps have whole seconds, in webhooks and in GraphQL alike."""
    return clock.utcnow().replace(microsecond=0)


# Above 2**53: a JavaScript number cannot hold these ids exactly, like real Shopify ids.
FIRST_ID = 2**53 + 1


class DevCustomer(BaseModel):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    # Shopify's account state: "enabled" once the customer has an account, "disabled" for a guest.
    state: str = "enabled"
    # Email marketing consent: subscribed, not_subscribed, unsubscribed, pending.
    email_consent: str = "not_subscribed"
    locale: str = "en"
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/Customer/{self.id}"

    @property
    def name(self) -> str:
        """As Shopify's displayName: the names there are, with one space between."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class DevLine(BaseModel):
    title: str
    price: Decimal
    quantity: int = 1
    product_id: int | None = None
    variant_id: int | None = None
    vendor: str = "Dangol Dev Goods"
    product_type: str = "General"
    sku: str | None = None
    gift_card: bool = False


class DevRefund(BaseModel):
    id: int
    created_at: datetime
    line_subtotals: list[Decimal]

    @property
    def subtotal(self) -> Decimal:
        return sum(self.line_subtotals, Decimal(0))


class DevOrder(BaseModel):
    id: int
    number: int
    customer_id: int | None
    lines: list[DevLine]
    currency: str
    # A shopper paying in another currency: amounts the shopper saw are the shop's times this rate.
    presentment_currency: str | None = None
    presentment_rate: Decimal = Decimal(1)
    financial_status: str = "pending"
    cancelled_at: datetime | None = None
    test: bool = False
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    refunds: list[DevRefund] = []

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.id}"

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def subtotal(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))

    def presented(self, amount: Decimal) -> tuple[Decimal, str]:
        """`amount` (shop money) as the shopper saw it: converted and rounded to the currency's unit."""
        currency = self.presentment_currency or self.currency
        return in_currency(amount * self.presentment_rate, currency), currency

    @property
    def current_subtotal(self) -> Decimal:
        return self.subtotal - sum((refund.subtotal for refund in self.refunds), Decimal(0))

    # What the merchant may still do with the order; the page offers only these, the store refuses the rest.

    @property
    def can_pay(self) -> bool:
        return self.financial_status == "pending" and self.cancelled_at is None

    @property
    def can_refund(self) -> bool:
        """Money that was taken and is not yet given back. A cancelled order takes its points back
        whole (docs/architecture.md), so it is not refunded piece by piece afterwards."""
        paid = self.financial_status in ("paid", "partially_refunded")
        return paid and self.cancelled_at is None and self.current_subtotal > 0

    @property
    def can_cancel(self) -> bool:
        return self.cancelled_at is None


class DevSubscription(BaseModel):
    id: int
    topic: str
    callback_url: str
    created_at: datetime


class DevShop(BaseModel):
    domain: str
    id: int
    name: str
    currency: str = "USD"
    timezone: str = "America/New_York"
    email: str = "owner@example.com"
    customers: dict[int, DevCustomer] = {}
    orders: dict[int, DevOrder] = {}
    subscriptions: list[DevSubscription] = []
    next_order_number: int = 1001

    @property
    def gid(self) -> str:
        return f"gid://shopify/Shop/{self.id}"


class Grant(BaseModel):
    shop: str
    expires_at: datetime | None
    scope: str = ""


class DevStoreState(BaseModel):
    shops: dict[str, DevShop] = {}
    access_tokens: dict[str, Grant] = {}
    refresh_tokens: dict[str, Grant] = {}
    codes: dict[str, Grant] = {}
    next_id: int = FIRST_ID
    # How long granted tokens last: tests shorten it to watch refreshes happen.
    token_lifetime_seconds: int = 3600
    refresh_lifetime_seconds: int = 90 * 24 * 3600
    refreshes: dict[str, int] = Field(default_factory=dict)

    def new_id(self) -> int:
        value = self.next_id
        self.next_id += 7919  # a prime stride, so ids look unrelated
        return value


class DevStore:
    """The state plus its lock and its file. Every change goes through `save()`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        if path is not None and path.exists():
            self.state = DevStoreState.model_validate_json(path.read_text())
        else:
            self.state = DevStoreState()

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(self.state.model_dump_json(indent=1))
            tmp.replace(self.path)

    # --- shops, customers, orders ------------------------------------------------------------

    def ensure_shop(
        self, domain: str, *, name: str | None = None, currency: str = "USD", timezone: str = "America/New_York"
    ) -> DevShop:
        with self.lock:
            shop = self.state.shops.get(domain)
            if shop is None:
                shop = DevShop(
                    domain=domain,
                    id=self.state.new_id(),
                    name=name or domain.split(".")[0].title(),
                    currency=currency,
                    timezone=timezone,
                )
                self.state.shops[domain] = shop
                self.save()
            return shop

    def shop(self, domain: str) -> DevShop:
        shop = self.state.shops.get(domain)
        if shop is None:
            raise KeyError(domain)
        return shop

    def add_customer(self, domain: str, first_name: str, last_name: str, email: str) -> DevCustomer:
        """Names and email are kept without the spaces around them. `Refused`, by field, for a customer
        with no name left, without an email, or with an email another customer of the shop has
        (compared regardless of case, as Shopify does)."""
        first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip()
        _check_customer(first_name, last_name, email)
        with self.lock:
            shop = self.shop(domain)
            if any(other.email.casefold() == email.casefold() for other in shop.customers.values()):
                raise Refused("Another customer of this shop has this email.", field="email")
            now = utcnow()
            customer = DevCustomer(
                id=self.state.new_id(),
                first_name=first_name,
                last_name=last_name,
                email=email,
                created_at=now,
                updated_at=now,
            )
            shop.customers[customer.id] = customer
            self.save()
            return customer

    def place_order(
        self,
        domain: str,
        *,
        customer_id: int | None,
        lines: list[DevLine],
        paid: bool = True,
        test: bool = False,
        processed_at: datetime | None = None,
    ) -> DevOrder:
        with self.lock:
            shop = self.shop(domain)
            now = utcnow()
            order = DevOrder(
                id=self.state.new_id(),
                number=shop.next_order_number,
                customer_id=customer_id,
                lines=lines,
                currency=shop.currency,
                financial_status="paid" if paid else "pending",
                test=test,
                created_at=now,
                processed_at=processed_at or now,
                updated_at=now,
            )
            shop.next_order_number += 1
            shop.orders[order.id] = order
            self.save()
            return order

    def order(self, domain: str, order_id: int) -> DevOrder:
        order = self.shop(domain).orders.get(order_id)
        if order is None:
            raise KeyError(order_id)
        return order

    def mark_paid(self, domain: str, order_id: int) -> DevOrder:
        with self.lock:
            order = self.order(domain, order_id)
            if not order.can_pay:
                raise Refused(f"Order {order.name} is {_status(order)}; only a pending order can be paid.")
            order.financial_status = "paid"
            order.updated_at = utcnow()
            self.save()
            return order

    def refund(self, domain: str, order_id: int, amount: Decimal) -> tuple[DevOrder, DevRefund]:
        """Gives back `amount` of what is left; `Refused` for nothing, for more than is left, or when
        the order was never paid or is cancelled."""
        with self.lock:
            order = self.order(domain, order_id)
            if not order.can_refund:
                raise Refused(f"Order {order.name} is {_status(order)}; there is nothing to refund.")
            left = order.current_subtotal
            if amount <= 0:
                raise Refused("Enter an amount above zero.")
            if amount > left:
                raise Refused(f"Only {left} {order.currency} is left to refund on order {order.name}.")
            refund = DevRefund(id=self.state.new_id(), created_at=utcnow(), line_subtotals=[amount])
            order.refunds.append(refund)
            order.financial_status = "refunded" if order.current_subtotal <= 0 else "partially_refunded"
            order.updated_at = utcnow()
            self.save()
            return order, refund

    def cancel(self, domain: str, order_id: int) -> DevOrder:
        with self.lock:
            order = self.order(domain, order_id)
            if not order.can_cancel:
                raise Refused(f"Order {order.name} is already cancelled.")
            order.cancelled_at = order.updated_at = utcnow()
            if order.financial_status == "pending":
                order.financial_status = "voided"
            self.save()
            return order

    # --- OAuth ---------------------------------------------------------------------------------

    def issue_code(self, domain: str, scope: str) -> str:
        with self.lock:
            code = secrets.token_hex(16)
            self.state.codes[code] = Grant(shop=domain, expires_at=utcnow() + timedelta(minutes=10), scope=scope)
            self.save()
            return code

    def redeem_code(self, code: str) -> Grant | None:
        with self.lock:
            grant = self.state.codes.pop(code, None)
            self.save()
            if grant is None or (grant.expires_at is not None and grant.expires_at < utcnow()):
                return None
            return grant

    def grant_tokens(self, domain: str, scope: str, *, expiring: bool) -> dict[str, object]:
        """What Shopify's token endpoint answers: with `expiring`, an expiring pair."""
        with self.lock:
            access = f"shpat_{secrets.token_hex(16)}"
            lifetime = self.state.token_lifetime_seconds
            self.state.access_tokens[access] = Grant(
                shop=domain, scope=scope, expires_at=utcnow() + timedelta(seconds=lifetime) if expiring else None
            )
            body: dict[str, object] = {"access_token": access, "scope": scope}
            if expiring:
                refresh = f"shprt_{secrets.token_hex(16)}"
                self.state.refresh_tokens[refresh] = Grant(
                    shop=domain,
                    scope=scope,
                    expires_at=utcnow() + timedelta(seconds=self.state.refresh_lifetime_seconds),
                )
                body |= {
                    "expires_in": lifetime,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": self.state.refresh_lifetime_seconds,
                }
            self.save()
            return body

    def rotate(self, refresh_token: str) -> dict[str, object] | None:
        """Refresh grant. Strict rotation: a refresh token works once, so a second refresh racing
        the first with the same token is refused, as it can be by Shopify."""
        with self.lock:
            grant = self.state.refresh_tokens.pop(refresh_token, None)
            if grant is None or (grant.expires_at is not None and grant.expires_at < utcnow()):
                self.save()
                return None
            self.state.refreshes[grant.shop] = self.state.refreshes.get(grant.shop, 0) + 1
            return self.grant_tokens(grant.shop, grant.scope, expiring=True)

    def shop_for_token(self, token: str) -> str | None:
        grant = self.state.access_tokens.get(token)
        if grant is None or (grant.expires_at is not None and grant.expires_at < utcnow()):
            return None
        return grant.shop

    def revoke_shop(self, domain: str) -> None:
        """The merchant uninstalled the app: every token it held stops working."""
        with self.lock:
            for table in (self.state.access_tokens, self.state.refresh_tokens):
                for token in [t for t, g in table.items() if g.shop == domain]:
                    del table[token]
            self.save()


def _status(order: DevOrder) -> str:
    return "cancelled" if order.cancelled_at else order.financial_status.replace("_", " ")


def _check_customer(first_name: str, last_name: str, email: str) -> None:
    if not (first_name or last_name):
        raise Refused("Enter a first or last name.", field="first_name")
    if not email:
        raise Refused("Enter an email.", field="email")
    local, _, host = email.rpartition("@")
    if not local or not host:
        raise Refused("Enter an email such as name@example.com.", field="email")
