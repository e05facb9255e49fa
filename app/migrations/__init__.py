"""Alembic migrations of the one database schema."""
