"""The local dev store: a stand-in for a Shopify shop, so the whole product runs without an account."""
