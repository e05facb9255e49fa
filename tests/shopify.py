"""One entry point to Shopify's shared test data (../shared/shopify), read in place, never copied."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "shopify"
PAYLOADS = SHARED / "payloads" / "2026-04"


def require_shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"Shopify's shared test data is not beside this checkout ({SHARED})")
    return SHARED


def payload_topics() -> list[str]:
    """Topics with an example body; empty when the shared data is absent (the test then skips)."""
    if not PAYLOADS.is_dir():
        return []
    return sorted(path.stem.replace("__", "/") for path in PAYLOADS.glob("*.json"))


def load_payload_bytes(topic: str) -> bytes:
    require_shared()
    return (PAYLOADS / f"{topic.replace('/', '__')}.json").read_bytes()


def load_payload(topic: str) -> dict[str, Any]:
    return json.loads(load_payload_bytes(topic))  # type: ignore[no-any-return]


def hmac_vectors() -> dict[str, Any]:
    return json.loads((require_shared() / "payloads" / "vectors" / "hmac-vectors.json").read_text())  # type: ignore[no-any-return]


@cache
def admin_schema_introspection() -> dict[str, Any]:
    path = require_shared() / "schema" / "admin_2025-01.introspection.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))  # type: ignore[no-any-return]
