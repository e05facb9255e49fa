"""The shop's customers and orders, kept in the CRM's own tables from webhooks: what later features read
(lines, discount codes, landing and referring site, note attributes; name, email, phone, addresses,
account state, email consent) survives the emptying of webhook bodies, follows the newest snapshot
whatever the delivery order, is exported on a data request and erased on a redaction."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.core.clock import utcnow
from app.worker import forget_old_personal_data
from crm.models import CrmCustomer, CrmOrder, CrmOrderLine
from tests.factories import SHOP, bearer, install_shop, make_order, order_json, post_webhook
from tests.loyalty.ledger import points
from webhooks.models import InboxStatus, WebhookInbox

CUSTOMER = 7_000_000_000_001


async def _one(db, model, **where) -> Any:
    async with db.sessions() as session:
        statement = select(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return (await session.execute(statement)).scalar_one_or_none()


async def _all(db, model) -> list[Any]:
    async with db.sessions() as session:
        return list((await session.execute(select(model))).scalars())


def _rich_order(**overrides: Any) -> dict[str, Any]:
    order = make_order(customer_id=CUSTOMER, subtotal="80.00")
    body = order_json(order)
    body["line_items"] = [
        {
            "id": 11,
            "product_id": 501,
            "variant_id": 601,
            "title": "Green tea",
            "variant_title": "100 g",
            "vendor": "Jeju Leaf",
            "sku": "GT-100",
            "quantity": 2,
            "price": "30.00",
            "price_set": {"shop_money": {"amount": "30.00", "currency_code": "USD"}},
            "gift_card": False,
        },
        {"id": 12, "product_id": 502, "title": "Gift card", "quantity": 1, "price": "20.00", "gift_card": True},
    ]
    body["discount_codes"] = [{"code": "WELCOME10", "amount": "8.00", "type": "percentage"}]
    body["landing_site"] = "/apps/loyalty/r/ABCD2345?utm_source=kakao"
    body["referring_site"] = "https://instagram.com/"
    body["note_attributes"] = [{"name": "dangol_ref", "value": "ABCD2345"}]
    body["customer"] |= {
        "first_name": "Jiwoo",
        "last_name": "Kim",
        "email": "jiwoo@example.com",
        "phone": "+82 10-1234-5678",
        "state": "enabled",
        "updated_at": "2026-11-01T10:00:00+09:00",
        "default_address": {"address1": "1 Sejong-daero", "city": "Seoul", "country_code": "KR", "zip": "04524"},
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2026-10-01T00:00:00+09:00",
        },
    }
    return body | overrides


async def test_an_order_and_its_customer_are_kept_after_the_body_is_emptied(
    client, store_client, drainer, db, services
):
    # given an installed shop and a paid order with lines, a code, a landing page and a note
    await install_shop(client, store_client)
    body = _rich_order()
    assert (await post_webhook(client, "orders/paid", body)).status_code == 200
    await drainer.wake()
    # when the retention job runs after the grace period
    emptied, _ = await forget_old_personal_data({"services": services}, now=utcnow() + timedelta(days=8))
    # then the body is gone, and what features read from it is still there
    assert emptied == 1
    [row] = await _all(db, WebhookInbox)
    assert row.body is None
    order = await _one(db, CrmOrder, order_id=body["id"])
    assert order.customer_id == CUSTOMER
    assert order.discount_codes == [{"code": "WELCOME10", "amount": "8.00", "type": "percentage"}]
    assert (order.landing_site, order.referring_site) == (body["landing_site"], "https://instagram.com/")
    assert order.note_attributes == [{"name": "dangol_ref", "value": "ABCD2345"}]
    lines = sorted(await _all(db, CrmOrderLine), key=lambda line: line.line_id)
    assert [
        (ln.product_id, ln.variant_id, ln.title, ln.vendor, ln.quantity, ln.price, ln.gift_card) for ln in lines
    ] == [
        (501, 601, "Green tea", "Jeju Leaf", 2, Decimal("30.000"), False),
        (502, None, "Gift card", None, 1, Decimal("20.000"), True),
    ]
    customer = await _one(db, CrmCustomer, customer_id=CUSTOMER)
    assert (customer.first_name, customer.last_name, customer.email, customer.phone, customer.state) == (
        "Jiwoo",
        "Kim",
        "jiwoo@example.com",
        "+82 10-1234-5678",
        "enabled",
    )
    assert customer.addresses[0]["city"] == "Seoul"
    assert customer.email_consent_state == "subscribed"


async def test_the_body_stays_within_the_grace_period(client, store_client, drainer, services):
    await install_shop(client, store_client)
    await post_webhook(client, "orders/paid", _rich_order())
    await drainer.wake()
    emptied, _ = await forget_old_personal_data({"services": services}, now=utcnow() + timedelta(days=6))
    assert emptied == 0


async def test_an_ignored_body_is_emptied_at_once(client, drainer, db):
    # given a delivery for a shop we do not serve
    await post_webhook(client, "orders/paid", _rich_order(), shop="never-installed.myshopify.com")
    # when it is processed
    await drainer.wake()
    # then its body is gone already
    [row] = await _all(db, WebhookInbox)
    assert (row.status, row.body) == (InboxStatus.IGNORED, None)


async def test_a_failed_body_is_emptied_after_the_grace_period(client, store_client, drainer, db, services):
    # given a delivery whose body does not have its topic's shape
    await install_shop(client, store_client)
    await post_webhook(client, "orders/paid", {"id": "not a number", "email": "someone@example.com"})
    await drainer.wake()
    [row] = await _all(db, WebhookInbox)
    assert row.status == InboxStatus.FAILED
    # when the grace period has passed
    await forget_old_personal_data({"services": services}, now=utcnow() + timedelta(days=8))
    # then
    [row] = await _all(db, WebhookInbox)
    assert row.body is None


async def _customer_update(client, drainer, **fields: Any) -> None:
    body = {"id": CUSTOMER, "email": "jiwoo@example.com", "first_name": "Jiwoo", "state": "enabled"} | fields
    assert (await post_webhook(client, "customers/update", body)).status_code == 200
    await drainer.wake()


async def test_a_late_older_customer_snapshot_does_not_overwrite_a_newer_one(client, store_client, drainer, db):
    # given the newer snapshot processed first
    await install_shop(client, store_client)
    await _customer_update(client, drainer, last_name="Park", updated_at="2026-11-02T00:00:00Z")
    # when an older one arrives late
    await _customer_update(client, drainer, last_name="Kim", updated_at="2026-11-01T00:00:00Z")
    # then the newer one stands
    assert (await _one(db, CrmCustomer, customer_id=CUSTOMER)).last_name == "Park"


async def test_consent_follows_its_newest_statement_from_either_topic(client, store_client, drainer, db):
    # given the customer subscribed on its own topic
    await install_shop(client, store_client)
    consent = {"state": "subscribed", "opt_in_level": "confirmed_opt_in", "consent_updated_at": "2026-11-05T00:00:00Z"}
    body = {"customer_id": CUSTOMER, "email_address": "jiwoo@example.com", "email_marketing_consent": consent}
    assert (await post_webhook(client, "customers_email_marketing_consent/update", body)).status_code == 200
    await drainer.wake()
    # when a customers/update arrives carrying an older consent statement
    older = {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": "2026-10-01T00:00:00Z"}
    await _customer_update(client, drainer, updated_at="2026-11-06T00:00:00Z", email_marketing_consent=older)
    # then the profile is updated, and the consent is still the newer statement
    customer = await _one(db, CrmCustomer, customer_id=CUSTOMER)
    assert (customer.first_name, customer.email_consent_state) == ("Jiwoo", "subscribed")
    # and an unsubscribe stated later wins
    later = consent | {"state": "unsubscribed", "consent_updated_at": "2026-11-07T00:00:00Z"}
    await post_webhook(client, "customers_email_marketing_consent/update", body | {"email_marketing_consent": later})
    await drainer.wake()
    assert (await _one(db, CrmCustomer, customer_id=CUSTOMER)).email_consent_state == "unsubscribed"


async def test_a_guest_order_is_kept_with_its_email(client, store_client, drainer, db):
    await install_shop(client, store_client)
    body = order_json(make_order(customer_id=None, subtotal="15.00")) | {"email": "guest@example.com"}
    await post_webhook(client, "orders/paid", body)
    await drainer.wake()
    order = await _one(db, CrmOrder, order_id=body["id"])
    assert (order.customer_id, order.email, order.subtotal) == (None, "guest@example.com", Decimal("15.000"))


async def test_text_that_cannot_be_stored_as_is_is_clipped_and_the_order_still_earns(client, store_client, drainer, db):
    # given a customer whose name holds a NUL and runs to thousands of characters
    await install_shop(client, store_client)
    body = _rich_order()
    body["customer"] |= {"first_name": "Ji\x00woo", "last_name": "K" * 5000}
    # when
    await post_webhook(client, "orders/paid", body)
    await drainer.wake()
    # then the order earned, and the name is kept as well as it can be
    assert await points(db, CUSTOMER) == 80
    customer = await _one(db, CrmCustomer, customer_id=CUSTOMER)
    assert customer.first_name == "Jiwoo"
    assert len(customer.last_name) == 2000


async def test_a_data_request_exports_the_customer_and_their_orders_with_lines(client, store_client, drainer, db):
    # given
    await install_shop(client, store_client)
    body = _rich_order()
    await post_webhook(client, "orders/paid", body)
    await drainer.wake()
    request = {"shop_domain": SHOP, "customer": {"id": CUSTOMER}, "orders_requested": [], "data_request": {"id": 9}}
    # when
    await post_webhook(client, "customers/data_request", request)
    await drainer.wake()
    # then
    export = (await client.get("/admin/api/compliance/exports", headers=bearer(SHOP))).json()[0]["document"]
    assert export["customer"]["profile"]["email"] == "jiwoo@example.com"
    [order] = export["customer"]["orders"]
    assert order["order_id"] == body["id"]
    assert [line["title"] for line in order["lines"]] == ["Green tea", "Gift card"]


async def test_a_redaction_forgets_the_person_and_keeps_the_shops_numbers(client, store_client, drainer, db):
    # given
    await install_shop(client, store_client)
    body = _rich_order()
    await post_webhook(client, "orders/paid", body)
    await drainer.wake()
    # when
    redact = {"shop_domain": SHOP, "customer": {"id": CUSTOMER}, "orders_to_redact": [body["id"]]}
    await post_webhook(client, "customers/redact", redact)
    await drainer.wake()
    # then no profile is left, the order is unlinked under a surrogate, and its lines stay
    assert await _one(db, CrmCustomer, customer_id=CUSTOMER) is None
    order = await _one(db, CrmOrder, order_id=body["id"])
    assert order.customer_id < 0
    assert (order.email, order.note_attributes, order.landing_site, order.referring_site) == (None, [], None, None)
    assert len(await _all(db, CrmOrderLine)) == 2


async def test_the_retention_job_deletes_old_compliance_exports(client, store_client, drainer, db, services):
    await install_shop(client, store_client)
    request = {"shop_domain": SHOP, "customer": {"id": CUSTOMER}, "orders_requested": [], "data_request": {"id": 9}}
    await post_webhook(client, "customers/data_request", request)
    await drainer.wake()
    _, kept = await forget_old_personal_data({"services": services}, now=utcnow() + timedelta(days=89))
    _, deleted = await forget_old_personal_data({"services": services}, now=utcnow() + timedelta(days=91))
    assert (kept, deleted) == (0, 1)


async def test_a_customer_added_in_the_dev_store_reaches_the_crm(client, store_client, drainer, db):
    # given an installed shop in the dev store
    await install_shop(client, store_client)
    # when the merchant adds a customer there (Shopify sends customers/create)
    response = await store_client.post(
        f"/shops/{SHOP}/customers", data={"first_name": "Alex", "last_name": "Rivera", "email": "alex@example.com"}
    )
    assert response.status_code == 303
    await drainer.wake()
    # then
    [customer] = await _all(db, CrmCustomer)
    assert (customer.first_name, customer.email, customer.state) == ("Alex", "alex@example.com", "enabled")
