"""Which handler takes which topic. The door (webhooks/endpoint.py) accepts only subscribed topics;
`orders/reconciled` is internal: reconciliation writes it, no delivery may carry it."""

from __future__ import annotations

from webhooks.handlers import app, compliance, customers, orders
from webhooks.handling import EffectTopic, LedgerTopic, Topic

RECONCILED_TOPIC = orders.RECONCILED_TOPIC


def registry() -> dict[str, Topic]:
    announced = LedgerTopic(orders.on_order_announced)
    return {
        **dict.fromkeys(orders.ANNOUNCING_TOPICS, announced),
        "refunds/create": LedgerTopic(orders.on_refunds_create),
        RECONCILED_TOPIC: LedgerTopic(orders.on_orders_reconciled),
        "customers/create": EffectTopic(customers.on_customer_changed),
        "customers/update": EffectTopic(customers.on_customer_changed),
        "customers_email_marketing_consent/update": EffectTopic(customers.on_email_consent_update),
        "app/uninstalled": EffectTopic(app.on_app_uninstalled, after_uninstall=True),
        "app/scopes_update": EffectTopic(app.on_app_scopes_update),
        "customers/data_request": EffectTopic(compliance.on_customers_data_request, after_uninstall=True),
        "customers/redact": EffectTopic(compliance.on_customers_redact, after_uninstall=True),
        "shop/redact": EffectTopic(compliance.on_shop_redact, after_uninstall=True),
    }
