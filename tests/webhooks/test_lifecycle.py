"""app/uninstalled against re-installs: a late or retried uninstall must not undo a newer install."""

from datetime import timedelta

import orjson
import time_machine
from sqlalchemy import select

from app.core.clock import utcnow
from app.shops.models import Shop, ShopToken
from tests.factories import SHOP, install_shop, make_order, order_json, post_webhook, signed
from tests.loyalty.ledger import points


async def _shop(db):
    async with db.sessions() as session:
        shop = (await session.execute(select(Shop).where(Shop.domain == SHOP))).scalar_one()
        token = await session.get(ShopToken, shop.id)
    return shop, token


async def _triggered(client, topic: str, payload: dict, triggered_at):
    """A delivery that says when Shopify triggered it (a late or retried one says it was long ago)."""
    body = orjson.dumps(payload)
    headers = signed(body, topic) | {"X-Shopify-Triggered-At": triggered_at.isoformat()}
    return await client.post("/webhooks", content=body, headers=headers)


async def _uninstall(client, triggered_at):
    return await _triggered(client, "app/uninstalled", {"id": 548380009, "myshopify_domain": SHOP}, triggered_at)


async def test_an_uninstall_from_before_the_latest_install_changes_nothing(client, store_client, drainer, db):
    # given a shop installed now
    await install_shop(client, store_client)
    # when an uninstall triggered an hour earlier is delivered late
    assert (await _uninstall(client, utcnow() - timedelta(hours=1))).status_code == 200
    await drainer.wake()
    # then the shop is still installed and keeps its token
    shop, token = await _shop(db)
    assert shop.uninstalled_at is None
    assert token is not None


async def test_a_current_uninstall_forgets_the_token(client, store_client, drainer, db):
    # given an installed shop
    await install_shop(client, store_client)
    # when the merchant uninstalls now
    await _uninstall(client, utcnow() + timedelta(seconds=1))
    await drainer.wake()
    # then it is marked uninstalled and its token is gone
    shop, token = await _shop(db)
    assert shop.uninstalled_at is not None
    assert token is None


async def test_a_retried_uninstall_after_a_reinstall_keeps_the_new_install(client, store_client, drainer, db):
    # given a shop that uninstalled and, a minute later, came back
    await install_shop(client, store_client)
    uninstalled_at = utcnow() + timedelta(seconds=1)
    await _uninstall(client, uninstalled_at)
    await drainer.wake()
    with time_machine.travel(uninstalled_at + timedelta(minutes=1)):
        await install_shop(client, store_client)
    # when Shopify retries the old uninstall delivery (a new delivery id, the original trigger time)
    await _uninstall(client, uninstalled_at)
    await drainer.wake()
    # then the re-install stands
    shop, token = await _shop(db)
    assert shop.uninstalled_at is None
    assert token is not None


async def test_an_uninstall_processed_after_a_quick_reinstall_keeps_the_new_install(client, store_client, drainer, db):
    # given an installed shop whose uninstall is accepted but not yet processed
    await install_shop(client, store_client)
    uninstalled_at = utcnow() + timedelta(seconds=1)
    assert (await _uninstall(client, uninstalled_at)).status_code == 200
    # when the merchant installs again a minute later, and only then the worker catches up
    with time_machine.travel(uninstalled_at + timedelta(minutes=1)):
        await install_shop(client, store_client)
        await drainer.wake()
    # then the newer install stands
    shop, token = await _shop(db)
    assert shop.uninstalled_at is None
    assert token is not None


async def _shop_redact(client, triggered_at):
    return await _triggered(client, "shop/redact", {"shop_id": 548380009, "shop_domain": SHOP}, triggered_at)


async def _uninstalled_shop_with_points(client, store_client, drainer):
    """A shop whose customer earned 100 points, then uninstalled; returns when it uninstalled."""
    await install_shop(client, store_client)
    await post_webhook(client, "orders/paid", order_json(make_order(customer_id=7_000_000_000_001)))
    await drainer.wake()
    uninstalled_at = utcnow() + timedelta(seconds=1)
    await _uninstall(client, uninstalled_at)
    await drainer.wake()
    return uninstalled_at


async def test_a_shop_redact_from_before_a_reinstall_does_not_erase_the_live_shop(client, store_client, drainer, db):
    # given a shop that uninstalled, was asked to be redacted 48 hours later, and then came back
    # before that redaction was processed (Shopify retries deliveries for hours)
    uninstalled_at = await _uninstalled_shop_with_points(client, store_client, drainer)
    redact_at = uninstalled_at + timedelta(hours=48)
    with time_machine.travel(redact_at + timedelta(minutes=5)):
        await install_shop(client, store_client)
        # when the redaction is delivered after the re-install
        assert (await _shop_redact(client, redact_at)).status_code == 200
        await drainer.wake()
    # then the shop, its token and its customers' points are all still there
    shop, token = await _shop(db)
    assert shop.uninstalled_at is None
    assert token is not None
    assert await points(db, 7_000_000_000_001) == 100


async def test_a_shop_redact_after_the_uninstall_erases_the_shop(client, store_client, drainer, db):
    # given a shop that uninstalled
    uninstalled_at = await _uninstalled_shop_with_points(client, store_client, drainer)
    # when the redaction comes 48 hours later
    redact_at = uninstalled_at + timedelta(hours=48)
    with time_machine.travel(redact_at + timedelta(seconds=5)):
        assert (await _shop_redact(client, redact_at)).status_code == 200
        await drainer.wake()
    # then the shop is gone, with its customers' points
    async with db.sessions() as session:
        assert (await session.execute(select(Shop).where(Shop.domain == SHOP))).first() is None
    assert await points(db, 7_000_000_000_001) == 0
