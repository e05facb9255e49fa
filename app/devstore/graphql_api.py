"""The dev store's Admin GraphQL: every document is validated against `schema.graphql` (a subset of
Shopify's Admin schema) before it runs, and answers carry Shopify's shapes."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql

from app.core.clock import utcnow
from app.devstore.state import DevOrder, DevShop, DevStore, DevSubscription

SCHEMA_FILE = Path(__file__).parent / "schema.graphql"
PAGE_LIMIT = 250


@cache
def dev_schema() -> GraphQLSchema:
    schema = build_schema(SCHEMA_FILE.read_text())
    schema.type_map["WebhookSubscriptionEndpoint"].resolve_type = lambda *_: "WebhookHttpEndpoint"  # type: ignore[attr-defined]
    query = schema.type_map["QueryRoot"].fields  # type: ignore[attr-defined]
    query["shop"].resolve = lambda root, info: shop_node(root["shop"])
    query["order"].resolve = _order
    query["refund"].resolve = _refund
    query["orders"].resolve = _orders
    query["webhookSubscriptions"].resolve = _subscriptions
    schema.type_map["Mutation"].fields["webhookSubscriptionCreate"].resolve = _subscribe  # type: ignore[attr-defined]
    schema.type_map["Order"].fields["refunds"].resolve = lambda order, info, first=None: order["refunds"][:first]  # type: ignore[attr-defined]
    schema.type_map["Refund"].fields["refundLineItems"].resolve = (  # type: ignore[attr-defined]
        lambda refund, info, **kwargs: connection(refund["lines"], kwargs)
    )
    return schema


async def execute(
    store: DevStore, shop: DevShop, query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> dict[str, Any]:
    result = await graphql(
        dev_schema(),
        query,
        root_value={"store": store, "shop": shop},
        variable_values=variables,
        operation_name=operation_name,
    )
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [_error(e) for e in result.errors]
    if result.data is not None:
        body["data"] = result.data
    body["extensions"] = {
        "cost": {
            "requestedQueryCost": 1,
            "actualQueryCost": 1,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1999, "restoreRate": 100.0},
        }
    }
    return body


def _error(error: GraphQLError) -> dict[str, Any]:
    formatted = error.formatted
    formatted.setdefault("extensions", {})["code"] = "GRAPHQL_VALIDATION_FAILED" if error.path is None else "INTERNAL"
    return dict(formatted)


# --- connections -------------------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"i:{index}".encode()).decode()


def _index(cursor: str | None) -> int:
    if not cursor:
        return -1
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("i:"))
    except ValueError as exc:
        raise GraphQLError("Invalid cursor") from exc


def connection(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    first = args.get("first")
    if first is None and args.get("last") is None:
        raise GraphQLError("you must provide one of first or last")
    if first is not None and not 0 <= first <= PAGE_LIMIT:
        raise GraphQLError(f"first must be between 0 and {PAGE_LIMIT}")
    start = _index(args.get("after")) + 1
    window = items[start : start + first] if first is not None else items[start:][-int(args["last"]) :]
    offset = start if first is not None else len(items) - len(window)
    edges = [{"cursor": _cursor(offset + i), "node": node} for i, node in enumerate(window)]
    return {
        "edges": edges,
        "nodes": window,
        "pageInfo": {
            "hasNextPage": offset + len(window) < len(items),
            "hasPreviousPage": offset > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# --- nodes -------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def shop_node(shop: DevShop) -> dict[str, Any]:
    return {
        "id": shop.gid,
        "name": shop.name,
        "currencyCode": shop.currency,
        "ianaTimezone": shop.timezone,
        "myshopifyDomain": shop.domain,
        "email": shop.email,
    }


def _money(amount: Decimal, order: DevOrder) -> dict[str, Any]:
    presented, presentment_currency = order.presented(amount)
    return {
        "shopMoney": {"amount": str(amount), "currencyCode": order.currency},
        "presentmentMoney": {"amount": str(presented), "currencyCode": presentment_currency},
    }


def order_node(shop: DevShop, order: DevOrder) -> dict[str, Any]:
    customer = shop.customers.get(order.customer_id) if order.customer_id else None
    return {
        "id": order.gid,
        "legacyResourceId": str(order.id),
        "name": order.name,
        "test": order.test,
        "displayFinancialStatus": order.financial_status.upper(),
        "cancelledAt": _iso(order.cancelled_at),
        "createdAt": _iso(order.created_at),
        "processedAt": _iso(order.processed_at),
        "updatedAt": _iso(order.updated_at),
        "currencyCode": order.currency,
        "currentSubtotalPriceSet": _money(order.current_subtotal, order),
        "customer": None
        if customer is None
        else {
            "id": customer.gid,
            "legacyResourceId": str(customer.id),
            "displayName": customer.name,
        },
        "refunds": [
            {
                "id": f"gid://shopify/Refund/{refund.id}",
                "legacyResourceId": str(refund.id),
                "createdAt": _iso(refund.created_at),
                "lines": [{"quantity": 1, "subtotalSet": _money(amount, order)} for amount in refund.line_subtotals],
            }
            for refund in order.refunds
        ],
    }


def _order(root: dict[str, Any], info: Any, id: str) -> dict[str, Any] | None:
    shop: DevShop = root["shop"]
    order = next((o for o in shop.orders.values() if o.gid == id), None)
    return order_node(shop, order) if order else None


def _refund(root: dict[str, Any], info: Any, id: str) -> dict[str, Any] | None:
    shop: DevShop = root["shop"]
    for order in shop.orders.values():
        for refund in order_node(shop, order)["refunds"]:
            if refund["id"] == id:
                return refund  # type: ignore[no-any-return]
    return None


# --- orders(query: …) ----------------------------------------------------------------------------

_TERM = re.compile(r"(?P<field>updated_at|created_at|processed_at):(?P<op>>=|<=|>|<)?'?(?P<value>[^'\s]+)'?")
_SORT = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "PROCESSED_AT": "processed_at", "ID": "id"}


def _matches(order: DevOrder, search: str | None) -> bool:
    for term in _TERM.finditer(search or ""):
        try:
            bound = datetime.fromisoformat(term["value"])
        except ValueError as exc:
            raise GraphQLError(f"invalid date in query: {term['value']}") from exc
        value: datetime = getattr(order, term["field"])
        op = term["op"] or ">="
        ok = {">": value > bound, ">=": value >= bound, "<": value < bound, "<=": value <= bound}[op]
        if not ok:
            return False
    return True


def _orders(root: dict[str, Any], info: Any, **args: Any) -> dict[str, Any]:
    shop: DevShop = root["shop"]
    key = _SORT.get(args.get("sortKey") or "PROCESSED_AT", "processed_at")
    orders = sorted(
        (o for o in shop.orders.values() if _matches(o, args.get("query"))),
        key=lambda o: (getattr(o, key), o.id),
        reverse=bool(args.get("reverse")),
    )
    return connection([order_node(shop, o) for o in orders], args)


def _subscription_node(subscription: DevSubscription) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/WebhookSubscription/{subscription.id}",
        "topic": subscription.topic,
        "format": "JSON",
        "endpoint": {"callbackUrl": subscription.callback_url},
        "createdAt": _iso(subscription.created_at),
    }


def _subscriptions(root: dict[str, Any], info: Any, **args: Any) -> dict[str, Any]:
    shop: DevShop = root["shop"]
    return connection([_subscription_node(s) for s in shop.subscriptions], args)


def _subscribe(root: dict[str, Any], info: Any, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    store: DevStore = root["store"]
    shop: DevShop = root["shop"]
    url = webhookSubscription.get("callbackUrl")
    if not url or not str(url).startswith(("http://", "https://")):
        return {
            "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}],
            "webhookSubscription": None,
        }
    if any(s.topic == topic and s.callback_url == url for s in shop.subscriptions):
        return {
            "userErrors": [
                {
                    "field": ["webhookSubscription", "callbackUrl"],
                    "message": "Address for this topic has already been taken",
                }
            ],
            "webhookSubscription": None,
        }
    with store.lock:
        subscription = DevSubscription(id=store.state.new_id(), topic=topic, callback_url=str(url), created_at=utcnow())
        shop.subscriptions.append(subscription)
        store.save()
    return {"userErrors": [], "webhookSubscription": _subscription_node(subscription)}
