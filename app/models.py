"""Imports every table module, so SQLModel.metadata (and Alembic) sees the whole schema."""

from __future__ import annotations


def import_all_models() -> None:
    import webhooks.models  # noqa: F401
