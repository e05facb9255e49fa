"""The dev store's order page as a newcomer clicks through it: an unpaid order stays unpaid until
"Mark paid", a refund it cannot make is a message on the page that changes nothing, the orders
table names its customers, and each order offers only the actions that still apply."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from app.devstore.state import DevOrder, DevStore
from tests.app.devstore.support import Refusal, refusal, typed
from tests.factories import SHOP, install_shop
from tests.loyalty.ledger import points
from webhooks.models import WebhookInbox

ORDER_TOPICS = ("orders/create", "orders/paid", "orders/updated", "orders/cancelled", "refunds/create")


async def _order_topics(db) -> list[str]:
    async with db.sessions() as session:
        rows = await session.execute(select(WebhookInbox.topic).order_by(WebhookInbox.id))  # type: ignore[arg-type]
        return [topic for topic in rows.scalars() if topic in ORDER_TOPICS]


async def _customer(store_client: httpx.AsyncClient, devstore: DevStore, first: str, last: str) -> int:
    added = await store_client.post(
        f"/shops/{SHOP}/customers", data={"first_name": first, "last_name": last, "email": f"{first}@example.com"}
    )
    assert added.status_code == 303, added.text
    return max(devstore.shop(SHOP).customers)


async def _place(store_client: httpx.AsyncClient, devstore: DevStore, **form: str) -> DevOrder:
    placed = await store_client.post(f"/shops/{SHOP}/orders", data=form)
    assert placed.status_code == 303, placed.text
    return list(devstore.shop(SHOP).orders.values())[-1]


def _row(page: str, order: DevOrder) -> str:
    """The orders table's row for `order`."""
    [row] = [row for row in page.split("<tr>") if f"<td>{order.name}</td>" in row]
    return row


def _actions(page: str, order: DevOrder) -> set[str]:
    return set(re.findall(rf"orders/{order.id}/(\w+)\"", _row(page, order)))


async def test_an_order_placed_with_paid_unticked_is_unpaid_until_marked_paid(
    client, store_client, devstore, drainer, db
):
    # given an installed shop and a customer
    await install_shop(client, store_client)
    customer = await _customer(store_client, devstore, "Jiwoo", "Kim")

    # when an order is placed with the "paid" box unticked (a browser then sends no `paid` field)
    order = await _place(store_client, devstore, customer_id=str(customer), amount="42.00")
    await drainer.wake()

    # then it is pending, only its creation was announced, it earned nothing, and it can be paid
    assert devstore.order(SHOP, order.id).financial_status == "pending"
    assert await _order_topics(db) == ["orders/create"]
    assert await points(db, customer) == 0
    assert "pay" in _actions((await store_client.get("/")).text, order)

    # when the merchant marks it paid
    paid = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/pay")
    await drainer.wake()

    # then Shopify's orders/paid goes out and the points arrive
    assert paid.status_code == 303
    assert devstore.order(SHOP, order.id).financial_status == "paid"
    assert await _order_topics(db) == ["orders/create", "orders/paid"]
    assert await points(db, customer) == 42


async def test_an_order_placed_with_paid_ticked_is_paid_at_once(client, store_client, devstore, db):
    # given
    await install_shop(client, store_client)
    # when
    order = await _place(store_client, devstore, amount="10.00", paid="true")
    # then
    assert order.financial_status == "paid"
    assert await _order_topics(db) == ["orders/create", "orders/paid"]


EMPTY = "Enter an amount."
NOT_A_NUMBER = "Enter the amount as a number, such as 10.00."
ABOVE_ZERO = "Enter an amount above zero."
CENTS = "Enter at most 2 decimal places: the smallest amount in USD is 0.01."
# What an amount field refuses wherever it is, with the message the page shows next to it.
AMOUNTS_REFUSED = [
    ("empty", "", EMPTY),
    ("only spaces", "   ", EMPTY),
    ("not a number", "abc", NOT_A_NUMBER),
    ("a decimal comma", "12,50", NOT_A_NUMBER),
    ("not finite", "Infinity", NOT_A_NUMBER),
    ("negative", "-5", ABOVE_ZERO),
    ("zero", "0", ABOVE_ZERO),
    ("zero with cents", "0.00", ABOVE_ZERO),
    ("more decimals than cents", "12.345", CENTS),
    ("a fraction of a cent", "0.001", CENTS),
    ("beyond any order", "1000000000.01", "Enter an amount of at most 1,000,000,000."),
]


@pytest.mark.parametrize(
    ("_case", "amount", "message"),
    [*AMOUNTS_REFUSED, ("more than is left", "30.01", "Only 30.00 USD is left to refund on order #1001.")],
)
async def test_a_refund_the_store_cannot_make_is_a_form_error_that_changes_nothing(
    client, store_client, devstore, db, _case, amount, message
):
    # given a 50.00 order with 20.00 already refunded
    await install_shop(client, store_client)
    order = await _place(store_client, devstore, amount="50.00", paid="true")
    first = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/refund", data={"amount": "20.00"})
    assert first.status_code == 303
    before = devstore.order(SHOP, order.id).model_dump()
    topics_before = await _order_topics(db)

    # when
    response = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/refund", data={"amount": amount})

    # then the page comes back with the message by the order's amount, and nothing moved
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert refusal(response.text) == Refusal(message=message, field="amount")
    assert 'aria-invalid="true"' in _row(response.text, order)
    assert devstore.order(SHOP, order.id).model_dump() == before
    assert await _order_topics(db) == topics_before


async def test_a_refund_of_exactly_what_is_left_refunds_the_order(client, store_client, devstore, db):
    # given a 50.00 order with 20.00 refunded
    await install_shop(client, store_client)
    order = await _place(store_client, devstore, amount="50.00", paid="true")
    await store_client.post(f"/shops/{SHOP}/orders/{order.id}/refund", data={"amount": "20.00"})
    # when
    response = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/refund", data={"amount": " 30 "})
    # then
    assert response.status_code == 303
    refunded = devstore.order(SHOP, order.id)
    assert (refunded.financial_status, refunded.current_subtotal) == ("refunded", Decimal("0.00"))
    assert (await _order_topics(db)).count("refunds/create") == 2


async def test_an_amount_with_zeros_beyond_the_cents_is_the_amount_it_says(client, store_client, devstore):
    # given
    await install_shop(client, store_client)
    # when an order and a refund are typed with a third decimal that is zero
    order = await _place(store_client, devstore, amount="20.500", paid="true")
    refunded = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/refund", data={"amount": "5.250"})
    # then both are taken as the cents they amount to
    assert refunded.status_code == 303
    assert (order.subtotal, devstore.order(SHOP, order.id).current_subtotal) == (Decimal("20.50"), Decimal("15.25"))


@pytest.mark.parametrize(("_case", "amount", "message"), AMOUNTS_REFUSED)
async def test_an_order_subtotal_the_store_cannot_take_is_a_form_error_that_places_nothing(
    client, store_client, devstore, db, _case, amount, message
):
    # given
    await install_shop(client, store_client)
    # when
    response = await store_client.post(f"/shops/{SHOP}/orders", data={"amount": amount, "paid": "true"})
    # then the page says why next to the subtotal, which keeps what was typed, and no order exists
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert refusal(response.text) == Refusal(message=message, field="amount")
    assert typed(response.text, "amount") == amount
    assert devstore.shop(SHOP).orders == {}
    assert await _order_topics(db) == []


async def test_a_subtotal_left_out_of_the_form_places_nothing(client, store_client, devstore, db):
    # given
    await install_shop(client, store_client)
    # when a post carries no subtotal at all (a script, or a form without the field)
    response = await store_client.post(f"/shops/{SHOP}/orders", data={"paid": "true"})
    # then it is refused like an empty one, not placed for some amount of the store's choosing
    assert response.status_code == 422
    assert refusal(response.text).message == EMPTY
    assert devstore.shop(SHOP).orders == {}
    assert await _order_topics(db) == []


@pytest.mark.parametrize(
    ("_case", "currency", "amount", "message"),
    [
        ("yen has no smaller unit", "JPY", "1200.5", "Enter a whole amount: the smallest amount in JPY is 1."),
        ("dinar has fils", "KWD", "3.2505", "Enter at most 3 decimal places: the smallest amount in KWD is 0.001."),
    ],
)
async def test_the_decimals_an_amount_may_have_are_the_shop_currencys(
    store_client, devstore, _case, currency, amount, message
):
    # given a shop in a currency whose smallest unit is not the cent
    domain = f"{currency.lower()}-shop.myshopify.com"
    devstore.ensure_shop(domain, currency=currency)
    # when an order is placed with more decimals than that unit has
    response = await store_client.post(f"/shops/{domain}/orders", data={"amount": amount, "paid": "true"})
    # then it is refused in the currency's terms
    assert response.status_code == 422
    assert refusal(response.text).message == message
    assert devstore.shop(domain).orders == {}


async def test_the_orders_table_names_customers_and_guests(client, store_client, devstore):
    # given a customer's order and a guest's
    await install_shop(client, store_client)
    customer = await _customer(store_client, devstore, "Alex", "Rivera")
    theirs = await _place(store_client, devstore, customer_id=str(customer), amount="5.00", paid="true")
    guests = await _place(store_client, devstore, amount="5.00", paid="true")
    # when
    page = (await store_client.get("/")).text
    # then
    assert "<td>Alex Rivera</td>" in _row(page, theirs)
    assert "<td>Guest</td>" in _row(page, guests)
    assert str(customer) not in _row(page, theirs)


async def test_each_order_offers_only_the_actions_that_still_apply(client, store_client, devstore):
    # given a pending order, a paid one, a fully refunded one and a cancelled one
    await install_shop(client, store_client)
    pending = await _place(store_client, devstore, amount="8.00")
    paid = await _place(store_client, devstore, amount="8.00", paid="true")
    refunded = await _place(store_client, devstore, amount="8.00", paid="true")
    await store_client.post(f"/shops/{SHOP}/orders/{refunded.id}/refund", data={"amount": "8.00"})
    cancelled = await _place(store_client, devstore, amount="8.00", paid="true")
    await store_client.post(f"/shops/{SHOP}/orders/{cancelled.id}/cancel")
    # when
    page = (await store_client.get("/")).text
    # then
    assert _actions(page, pending) == {"pay", "cancel"}
    assert _actions(page, paid) == {"refund", "cancel"}
    assert _actions(page, refunded) == {"cancel"}
    assert _actions(page, cancelled) == set()


@pytest.mark.parametrize(
    ("_case", "paid", "first", "then", "message"),
    [
        ("refund a pending order", "", None, "refund", "nothing to refund"),
        ("refund a cancelled order", "true", "cancel", "refund", "nothing to refund"),
        ("cancel twice", "true", "cancel", "cancel", "already cancelled"),
        ("pay a paid order", "true", None, "pay", "only a pending order"),
        ("pay a voided order", "", "cancel", "pay", "only a pending order"),
    ],
)
async def test_an_action_that_no_longer_applies_is_refused_on_the_page(
    client, store_client, devstore, db, _case, paid, first, then, message
):
    # given
    await install_shop(client, store_client)
    order = await _place(store_client, devstore, amount="8.00", **({"paid": paid} if paid else {}))
    if first:
        assert (await store_client.post(f"/shops/{SHOP}/orders/{order.id}/{first}")).status_code == 303
    before, topics_before = devstore.order(SHOP, order.id).model_dump(), await _order_topics(db)
    # when
    response = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/{then}", data={"amount": "1.00"})
    # then
    assert response.status_code == 422
    assert message in response.text
    assert devstore.order(SHOP, order.id).model_dump() == before
    assert await _order_topics(db) == topics_before


async def test_an_unknown_order_or_action_is_404(client, store_client, devstore):
    # given
    await install_shop(client, store_client)
    order = await _place(store_client, devstore, amount="8.00", paid="true")
    # when / then
    assert (await store_client.post(f"/shops/{SHOP}/orders/12345/cancel")).status_code == 404
    assert (await store_client.post(f"/shops/{SHOP}/orders/{order.id}/ship")).status_code == 404
    assert (await store_client.post("/shops/nowhere.myshopify.com/orders", data={"amount": "1"})).status_code == 404


async def test_the_page_shown_after_a_form_error_links_from_the_store_home(client, store_client, devstore):
    # given an error page answered at a deeper path than the store's home
    await install_shop(client, store_client)
    order = await _place(store_client, devstore, amount="8.00", paid="true")
    response = await store_client.post(f"/shops/{SHOP}/orders/{order.id}/refund", data={"amount": "abc"})
    # then its relative links and forms resolve from the home, not from the form's address
    assert '<base href="/">' in response.text
