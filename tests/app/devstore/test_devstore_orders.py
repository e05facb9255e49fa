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


@pytest.mark.parametrize(
    ("_case", "amount", "message"),
    [
        ("not a number", "abc", "is not an amount"),
        ("negative", "-5", "above zero"),
        ("zero", "0", "above zero"),
        ("rounds to zero cents", "0.001", "above zero"),
        ("more than is left", "30.01", "left to refund"),
        ("not finite", "Infinity", "Enter an amount"),
    ],
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

    # then the page comes back with the message by the form, and nothing moved
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    alert = re.search(r'<p class="error" role="alert" id="error-refund-\d+">([^<]*)</p>', response.text)
    assert alert is not None, response.text
    assert message in alert.group(1)
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


async def test_an_order_amount_that_is_not_a_number_is_a_form_error(client, store_client, devstore, db):
    # given
    await install_shop(client, store_client)
    # when
    response = await store_client.post(f"/shops/{SHOP}/orders", data={"amount": "12,50", "paid": "true"})
    # then
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "is not an amount" in response.text
    assert 'value="12,50"' in response.text
    assert devstore.shop(SHOP).orders == {}
    assert await _order_topics(db) == []


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
