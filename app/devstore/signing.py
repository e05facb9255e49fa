"""What Shopify signs, computed the way Shopify does, for the dev store (the app side verifies
with Shopify's own packages, so the two are independent implementations that must agree)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping, Sequence

import jwt


def webhook_hmac(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def oauth_query_hmac(params: Mapping[str, str], secret: str) -> str:
    """hex HMAC-SHA256 of the sorted `key=value` pairs joined by `&`, without `hmac` and `signature`."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def app_proxy_signature(params: Mapping[str, str | Sequence[str]], secret: str) -> str:
    """hex HMAC-SHA256 of sorted `key=value` pairs with no separator; repeated values joined by `,`."""
    parts = []
    for key in sorted(k for k in params if k != "signature"):
        value = params[key]
        parts.append(f"{key}={value if isinstance(value, str) else ','.join(value)}")
    return hmac.new(secret.encode(), "".join(parts).encode(), hashlib.sha256).hexdigest()


def session_token(
    shop: str,
    api_key: str,
    secret: str,
    *,
    user_id: str = "1",
    lifetime_seconds: int = 60,
    now: float | None = None,
    issuer: str | None = None,
) -> str:
    """An App Bridge ID token (HS256 JWT) as the Shopify admin issues one."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": issuer or f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": api_key,
        "sub": user_id,
        "exp": issued + lifetime_seconds,
        "nbf": issued - 1,
        "iat": issued,
        "jti": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
