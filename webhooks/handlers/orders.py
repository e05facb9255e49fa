"""Order topics become loyalty facts. They only translate; the dispatcher applies them in batches."""

from __future__ import annotations

import orjson

from app.shops.models import Shop
from webhooks.handling import Translated
from webhooks.inbox import InboxEvent
from webhooks.payloads import OrderPayload, PayloadError, RefundPayload, graphql_order_snapshot, parse
from webhooks.shop_claims import ensure_same_shop

# Each carries the whole order as it stands.
ANNOUNCING_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
RECONCILED_TOPIC = "orders/reconciled"
# Every topic that feeds the ledger: a customer's erasure waits until none of theirs is pending.
LEDGER_TOPICS = (*ANNOUNCING_TOPICS, "refunds/create", RECONCILED_TOPIC)


def on_order_announced(event: InboxEvent, shop: Shop) -> Translated:
    """orders/create, orders/updated, orders/paid, orders/cancelled: each is a snapshot of the order."""
    order = parse(OrderPayload, event.body)
    ensure_same_shop(shop, status_url=order.order_status_url)
    snapshot = order.snapshot()
    return Translated(
        events=[snapshot],
        customer_id=snapshot.customer_id,
        order_id=snapshot.order_id,
        order=order.record(snapshot),
        customer=order.customer.snapshot() if order.customer else None,
    )


def on_refunds_create(event: InboxEvent, shop: Shop) -> Translated:
    facts = parse(RefundPayload, event.body).facts()
    return Translated(events=[facts], customer_id=None, order_id=facts.order_id)


def on_orders_reconciled(event: InboxEvent, shop: Shop) -> Translated:
    """An order reconciliation found through GraphQL that the inbox never held in this version."""
    try:
        node = orjson.loads(event.body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("reconciled order is not JSON") from exc
    snapshot = graphql_order_snapshot(node)
    return Translated(events=[snapshot], customer_id=snapshot.customer_id, order_id=snapshot.order_id)
