"""members spend, program review, customer search

Members keep their counted spend beside their tier (the admin's list sorts and filters by it);
the program records when the merchant reviewed it; customers get a search text with a trigram
index on PostgreSQL. Existing rows are filled in here: lifetime spend from the ledger's orders
(windowed programs are brought in line by the next hourly tier recompute) and search text from the
profiles.

Revision ID: a1c5e9d3f720
Revises: f3a9c7d2b615
Create Date: 2026-11-29 19:10:46.234614
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "a1c5e9d3f720"
down_revision: str | None = "f3a9c7d2b615"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIFETIME_SPEND = """
UPDATE loyalty_members SET spend = COALESCE((
    SELECT CASE WHEN SUM(o.subtotal - o.refunded_subtotal) > 0 THEN SUM(o.subtotal - o.refunded_subtotal) ELSE 0 END
    FROM loyalty_orders o
    WHERE o.shop_id = loyalty_members.shop_id AND o.customer_id = loyalty_members.customer_id
      AND o.paid AND NOT o.cancelled AND NOT o.test AND o.subtotal IS NOT NULL
), 0)
"""
SEARCH_TEXT = """
UPDATE crm_customers SET search_text = LOWER(
    COALESCE(email, '') || ' ' || COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')
)
"""


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("crm_customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.execute(SEARCH_TEXT)
    with op.batch_alter_table("crm_customers", schema=None) as batch_op:
        batch_op.alter_column("search_text", server_default=None)
        batch_op.create_index(
            "ix_crm_customers_search",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )

    with op.batch_alter_table("loyalty_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spend", sa.Numeric(precision=15, scale=3), nullable=False, server_default="0"))
    op.execute(LIFETIME_SPEND)
    with op.batch_alter_table("loyalty_members", schema=None) as batch_op:
        batch_op.alter_column("spend", server_default=None)
        batch_op.create_index("ix_loyalty_members_points", ["shop_id", "points_balance", "id"], unique=False)
        batch_op.create_index("ix_loyalty_members_spend", ["shop_id", "spend", "id"], unique=False)

    with op.batch_alter_table("loyalty_programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_at", app.core.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loyalty_programs", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")

    with op.batch_alter_table("loyalty_members", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_members_spend")
        batch_op.drop_index("ix_loyalty_members_points")
        batch_op.drop_column("spend")

    with op.batch_alter_table("crm_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_customers_search", postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"})
        batch_op.drop_column("search_text")
