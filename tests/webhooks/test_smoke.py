from sqlalchemy import select

from loyalty.models import LedgerEntry, Member
from tests.factories import install_shop, make_order, order_json, post_webhook


async def test_order_paid_earns_points(client, store_client, drainer, db):
    await install_shop(client, store_client)
    order = make_order(subtotal="42.50")
    response = await post_webhook(client, "orders/paid", order_json(order))
    assert response.status_code == 200, response.text
    assert await drainer.wake() >= 1
    async with db.sessions() as session:
        entries = (await session.execute(select(LedgerEntry))).scalars().all()
        members = (await session.execute(select(Member))).scalars().all()
    assert [e.delta for e in entries] == [42]
    assert members[0].points_balance == 42
