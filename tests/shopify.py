"""One entry point to Shopify's data that the tests use, kept in the repository under tests/data/shopify
(where each file comes from: tests/data/shopify/PROVENANCE.md)."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent / "data" / "shopify"
PAYLOADS = DATA / "payloads" / "2026-04"


def data_file(relative: str) -> Path:
    """A file of tests/data/shopify. A missing one fails the test: a test that skips for want of its
    data would pass in CI while checking nothing."""
    path = DATA / relative
    if not path.is_file():
        pytest.fail(f"test data missing from the repository: {path}", pytrace=False)
    return path


def payload_topics() -> list[str]:
    """Topics with an example body. Called while tests are collected, so an empty or missing folder
    stops the run there instead of quietly parametrising nothing."""
    topics = sorted(path.stem.replace("__", "/") for path in PAYLOADS.glob("*.json"))
    if not topics:
        pytest.fail(f"no example payloads in {PAYLOADS}: the test data is incomplete", pytrace=False)
    return topics


def load_payload_bytes(topic: str) -> bytes:
    return data_file(f"payloads/2026-04/{topic.replace('/', '__')}.json").read_bytes()


def load_payload(topic: str) -> dict[str, Any]:
    return json.loads(load_payload_bytes(topic))  # type: ignore[no-any-return]


def hmac_vectors() -> dict[str, Any]:
    return json.loads(data_file("hmac-vectors.json").read_text())  # type: ignore[no-any-return]


@cache
def admin_schema_introspection() -> dict[str, Any]:
    """Shopify's Admin API 2025-01 as an introspection result."""
    packed = data_file("schema/admin_2025-01.introspection.json.gz").read_bytes()
    return json.loads(gzip.decompress(packed))  # type: ignore[no-any-return]


@cache
def admin_schema_unstable_sdl() -> str:
    """Shopify's unstable Admin API of 2024-12-18 as SDL: newer than 2025-01, but may hold fields no
    stable version has."""
    return gzip.decompress(data_file("schema/admin_unstable_2024-12-18.graphql.gz").read_bytes()).decode()
