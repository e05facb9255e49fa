"""ledger entries restrict deletes: no cascade from a member or a shop reaches the ledger

Revision ID: f3a9c7d2b615
Revises: e8b4f2a6c913
Create Date: 2026-11-29 18:58:55.749225
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'f3a9c7d2b615'
down_revision: str | None = 'e8b4f2a6c913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('loyalty_ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loyalty_ledger_entries_shop_id_shops'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_loyalty_ledger_entries_member_id_loyalty_members'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_loyalty_ledger_entries_shop_id_shops'), 'shops', ['shop_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_loyalty_ledger_entries_member_id_loyalty_members'), 'loyalty_members', ['member_id'], ['id'], ondelete='RESTRICT')



def downgrade() -> None:
    with op.batch_alter_table('loyalty_ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loyalty_ledger_entries_member_id_loyalty_members'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_loyalty_ledger_entries_shop_id_shops'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_loyalty_ledger_entries_member_id_loyalty_members'), 'loyalty_members', ['member_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_loyalty_ledger_entries_shop_id_shops'), 'shops', ['shop_id'], ['id'], ondelete='CASCADE')

