"""Imports every table module, so SQLModel.metadata (and Alembic) sees the whole schema."""

from __future__ import annotations

import importlib

MODEL_MODULES = ("app.shops.models", "loyalty.models", "referrals.models", "crm.models", "webhooks.models")


def import_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
