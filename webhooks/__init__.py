"""Shopify's inbound events: verify, keep in the durable inbox, translate, dispatch."""
