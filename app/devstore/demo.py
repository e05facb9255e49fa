"""What `dangol dev` and the dev store agree on: the demo shop, its customers, and the app's dev
credentials (never for production: they are in the repository)."""

from __future__ import annotations

DEMO_SHOP = "dangol-demo.myshopify.com"
DEMO_CUSTOMERS = [("Jiwoo", "Kim", "jiwoo@example.com"), ("Alex", "Rivera", "alex@example.com")]
DEV_API_KEY = "dangol-dev-client-id"
DEV_API_SECRET = "dangol-dev-client-secret-not-for-production"
