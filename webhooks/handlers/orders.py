"""Order topics become loyalty facts. They only translate; the dispatcher applies them in batches."""

from __future__ import annotations

import orjson

from webhooks.inbox import InboxEvent
from webhooks.payloads import OrderPayload, PayloadError, RefundPayload, graphql_order_snapshot, parse
from webhooks.topics import Translated


def on_order_announced(event: InboxEvent) -> Translated:
    """orders/create, orders/updated, orders/paid, orders/cancelled: each is a snapshot of the order."""
    snapshot = parse(OrderPayload, event.body).snapshot()
    return Translated(events=[snapshot], customer_id=snapshot.customer_id, order_id=snapshot.order_id)


def on_refunds_create(event: InboxEvent) -> Translated:
    facts = parse(RefundPayload, event.body).facts()
    return Translated(events=[facts], customer_id=None, order_id=facts.order_id)


def on_orders_reconciled(event: InboxEvent) -> Translated:
    """An order reconciliation found through GraphQL that the inbox never held in this version."""
    try:
        node = orjson.loads(event.body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("reconciled order is not JSON") from exc
    snapshot = graphql_order_snapshot(node)
    return Translated(events=[snapshot], customer_id=snapshot.customer_id, order_id=snapshot.order_id)
