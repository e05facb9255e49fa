"""Failures talking to Shopify, split by what the caller should do about them."""

from __future__ import annotations


class ShopifyError(Exception):
    """A call to Shopify failed and retrying will not help (bad query, user error, missing scope)."""


class ShopifyUnavailable(ShopifyError):
    """Network trouble, a 5xx or throttling: retry later. `retry_after` in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ShopifyUnauthorized(ShopifyError):
    """The token was refused: refresh it, or the shop has uninstalled us."""


class TokenGrantError(ShopifyError):
    """Shopify would not grant or refresh a token (`invalid_grant`, `invalid_subject_token`…)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
