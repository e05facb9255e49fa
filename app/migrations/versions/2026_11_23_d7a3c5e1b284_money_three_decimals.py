"""money to three decimals

Kuwaiti dinar, Bahraini dinar, Jordanian dinar, Omani rial and Tunisian dinar shops are priced in
thousandths; two decimals rounded their subtotals and refunds. On PostgreSQL a change of scale
rewrites the three tables under an exclusive lock: run it while the worker is stopped. A downgrade
rounds thousandths back to cents.

Revision ID: d7a3c5e1b284
Revises: c41d7e2a9f10
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7a3c5e1b284"
down_revision: str | None = "c41d7e2a9f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS = {
    "loyalty_orders": ("subtotal", "refunded_subtotal"),
    "loyalty_refunds": ("subtotal",),
    "loyalty_tier_changes": ("spend",),
}


def _retype(old: sa.Numeric, new: sa.Numeric) -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=new, existing_type=old)


def upgrade() -> None:
    _retype(sa.Numeric(14, 2), sa.Numeric(15, 3))


def downgrade() -> None:
    _retype(sa.Numeric(15, 3), sa.Numeric(14, 2))
