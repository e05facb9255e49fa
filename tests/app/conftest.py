"""Fixtures for the app shell's tests."""

from __future__ import annotations

import pytest

from app.services import Services
from tests.app.support import SentRequest, recorder


@pytest.fixture
def shopify_requests(services: Services) -> list[SentRequest]:
    """Every request the app sent to Shopify (here, to the in-process dev store)."""
    return recorder(services.http)
