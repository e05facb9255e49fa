"""token refresh lease

Revision ID: c41d7e2a9f10
Revises: b5375b3aef1b
Create Date: 2026-11-23 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "c41d7e2a9f10"
down_revision: str | None = "b5375b3aef1b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shop_tokens") as batch:
        batch.add_column(sa.Column("refresh_lease_until", app.core.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shop_tokens") as batch:
        batch.drop_column("refresh_lease_until")
