"""shop referral keys

Each shop gets the key its customers' referral codes are derived from (referrals/service.py), so a
storefront read can show a code without writing one. Existing shops get a fresh random key; codes
already recorded stay as they are.

Revision ID: b7d2e4f8a913
Revises: a1c5e9d3f720
Create Date: 2026-11-29 19:40:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "b7d2e4f8a913"
down_revision: str | None = "a1c5e9d3f720"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("referral_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
    bind = op.get_bind()
    for (shop_id,) in bind.execute(sa.text("SELECT id FROM shops")).all():
        bind.execute(
            sa.text("UPDATE shops SET referral_key = :key WHERE id = :id"), {"key": secrets.token_hex(32), "id": shop_id}
        )
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.alter_column("referral_key", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("referral_key")
