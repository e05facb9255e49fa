"""Adding a customer on the dev store's page: names and email are kept without the spaces around them,
and a customer without a name, or with an email another customer of the shop has, is a message next
to the field that adds nobody and announces nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.devstore.state import DevStore
from tests.app.devstore.support import Refusal, refusal, typed
from tests.factories import SHOP, install_shop
from webhooks.models import WebhookInbox

NO_EMAIL = "Enter an email."
NOT_AN_EMAIL = "Enter an email such as name@example.com."
NAME = Refusal("Enter a first or last name.", "first_name")
TAKEN = Refusal("Another customer of this shop has this email.", "email")


async def _customer_topics(db) -> list[str]:
    async with db.sessions() as session:
        rows = await session.execute(select(WebhookInbox.topic).order_by(WebhookInbox.id))  # type: ignore[arg-type]
        return [topic for topic in rows.scalars() if topic.startswith("customers/")]


async def _add(store_client, domain: str = SHOP, **form: str):  # type: ignore[no-untyped-def]
    return await store_client.post(f"/shops/{domain}/customers", data=form)


async def test_names_and_email_are_kept_without_the_spaces_around_them(client, store_client, devstore, db):
    # given
    await install_shop(client, store_client)
    # when
    added = await _add(store_client, first_name="  Jiwoo ", last_name="\tKim  ", email=" jiwoo@example.com ")
    # then
    assert added.status_code == 303, added.text
    [customer] = devstore.shop(SHOP).customers.values()
    assert (customer.first_name, customer.last_name, customer.email) == ("Jiwoo", "Kim", "jiwoo@example.com")
    assert await _customer_topics(db) == ["customers/create"]


async def test_a_first_name_of_spaces_leaves_a_customer_with_a_last_name_only(client, store_client, devstore, drainer):
    # given a customer added with a first name of spaces and a last name
    await install_shop(client, store_client)
    added = await _add(store_client, first_name="   ", last_name="Kim", email="kim@example.com")
    assert added.status_code == 303, added.text
    await drainer.wake()
    [customer] = devstore.shop(SHOP).customers.values()

    # when they open their loyalty page
    page = await store_client.get(f"/shops/{SHOP}/apps/loyalty/?customer_id={customer.id}")

    # then they have no first name, so the page greets them without one (not " , your rewards")
    assert customer.first_name == ""
    assert page.status_code == 200, page.text
    assert "<h1>Your rewards</h1>" in page.text


@pytest.mark.parametrize(
    ("_case", "form", "refused"),
    [
        ("no name", {"first_name": "", "last_name": "", "email": "a@example.com"}, NAME),
        ("names of spaces", {"first_name": "  ", "last_name": "\t", "email": "a@example.com"}, NAME),
        ("names left out", {"email": "a@example.com"}, NAME),
        ("no email", {"first_name": "Ada", "email": ""}, Refusal(NO_EMAIL, "email")),
        ("an email of spaces", {"first_name": "Ada", "email": "   "}, Refusal(NO_EMAIL, "email")),
        ("not an email", {"first_name": "Ada", "email": "ada.example.com"}, Refusal(NOT_AN_EMAIL, "email")),
        ("another customer's email", {"first_name": "Ada", "email": "jiwoo@example.com"}, TAKEN),
        ("the same in capitals, spaced", {"first_name": "Ada", "email": " JIWOO@Example.com "}, TAKEN),
    ],
)
async def test_a_customer_the_store_cannot_add_is_a_message_next_to_the_field_that_adds_nobody(
    client, store_client, devstore, db, _case, form, refused
):
    # given a shop with one customer
    await install_shop(client, store_client)
    assert (await _add(store_client, first_name="Jiwoo", last_name="Kim", email="jiwoo@example.com")).status_code == 303
    before, topics_before = devstore.shop(SHOP).model_dump(), await _customer_topics(db)

    # when
    response = await _add(store_client, **form)

    # then the page says why next to the field, keeps what was typed, and nothing was added or announced
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert refusal(response.text) == refused
    for field in ("first_name", "last_name", "email"):
        assert typed(response.text, field) == form.get(field, "")
    assert devstore.shop(SHOP).model_dump() == before
    assert await _customer_topics(db) == topics_before


@pytest.mark.usefixtures("client")  # the app, to receive customers/create
async def test_an_email_another_shop_has_is_free_in_this_one(store_client, devstore: DevStore):
    # given a customer of another shop
    devstore.ensure_shop(SHOP)
    devstore.ensure_shop("other.myshopify.com")
    devstore.add_customer("other.myshopify.com", "Jiwoo", "Kim", "jiwoo@example.com")
    # when a customer of this shop has the same email
    added = await _add(store_client, first_name="Jiwoo", last_name="Han", email="jiwoo@example.com")
    # then both shops have theirs
    assert added.status_code == 303, added.text
    assert [c.email for c in devstore.shop(SHOP).customers.values()] == ["jiwoo@example.com"]
