"""`dangol migrate`: bring the database to the newest revision, from code (no alembic.ini needed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.db import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = sync_url(database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


@contextmanager
def scratch_database(server_url: str | None, directory: Path, label: str) -> Iterator[str]:
    """A new database migrated to head, dropped afterwards: on the PostgreSQL server given, else a
    SQLite file in `directory`. For test runs and benchmarks, never for a shop's data."""
    suffix = uuid.uuid4().hex[:8]
    if server_url is None:
        url = f"sqlite:///{directory / f'{label}-{suffix}.db'}"
        upgrade(url)
        yield url
        return
    name = f"dangol_{label}_{suffix}"
    admin = create_engine(sync_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sync_url(server_url)).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
