"""`shopify.app.toml`, what `shopify app deploy` pushes: it must agree with what the code handles."""

from __future__ import annotations

from app.core.config import DEFAULT_SCOPES
from app.shopify.subscriptions import app_config, compliance_topics, graphql_topic, subscribed_topics
from webhooks.topics import RECONCILED_TOPIC, registry

COMPLIANCE = {"customers/data_request", "customers/redact", "shop/redact"}


def test_every_topic_we_handle_is_subscribed_and_every_subscription_is_handled():
    handled = set(registry()) - {RECONCILED_TOPIC}  # ours, never sent by Shopify
    declared = set(subscribed_topics()) | set(compliance_topics())
    assert declared == handled


def test_the_three_compliance_topics_are_declared_as_compliance_topics():
    assert set(compliance_topics()) == COMPLIANCE
    assert not COMPLIANCE & set(subscribed_topics())


def test_every_subscription_goes_to_the_webhook_endpoint_on_the_pinned_version():
    webhooks = app_config()["webhooks"]
    assert isinstance(webhooks, dict)
    assert {s["uri"] for s in webhooks["subscriptions"]} == {"/webhooks"}
    assert webhooks["api_version"] == "2026-04"


def test_topics_map_to_the_admin_apis_enum_names():
    assert [graphql_topic(t) for t in ("orders/paid", "app/scopes_update")] == ["ORDERS_PAID", "APP_SCOPES_UPDATE"]


def test_the_scopes_are_the_ones_the_app_asks_for_at_install():
    scopes = app_config()["access_scopes"]
    assert isinstance(scopes, dict)
    assert scopes["scopes"] == DEFAULT_SCOPES


def test_the_app_proxy_serves_the_storefront_under_apps_loyalty():
    proxy = app_config()["app_proxy"]
    assert isinstance(proxy, dict)
    assert (proxy["prefix"], proxy["subpath"]) == ("apps", "loyalty")
    assert str(proxy["url"]).endswith("/proxy")
