"""initial schema

Revision ID: b5375b3aef1b
Revises: 
Create Date: 2026-11-23 11:49:36.200329
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import app.core.types


revision: str = 'b5375b3aef1b'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('shopify_shop_gid', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('iana_timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('installed_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uninstalled_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('synced_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('orders_reconciled_until', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('domain', name=op.f('uq_shops_domain'))
    )
    op.create_table('webhook_inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_domain', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('webhook_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('triggered_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('api_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('received_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.BigInteger(), nullable=True),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox')),
    sa.UniqueConstraint('shop_domain', 'topic', 'event_id', name=op.f('uq_webhook_inbox_shop_domain_topic_event_id')),
    sa.UniqueConstraint('shop_domain', 'webhook_id', name=op.f('uq_webhook_inbox_shop_domain_webhook_id'))
    )
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_inbox_due', ['status', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index('ix_webhook_inbox_subject', ['shop_id', 'customer_id'], unique=False)

    op.create_table('compliance_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('data_request_id', sa.BigInteger(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('requested_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_compliance_exports_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_exports')),
    sa.UniqueConstraint('shop_id', 'data_request_id', name=op.f('uq_compliance_exports_shop_id_data_request_id'))
    )
    op.create_table('loyalty_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('points_balance', sa.BigInteger(), nullable=False),
    sa.Column('tier_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('redacted_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_loyalty_members_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_members')),
    sa.UniqueConstraint('shop_id', 'customer_id', name=op.f('uq_loyalty_members_shop_id_customer_id'))
    )
    op.create_table('loyalty_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('order_gid', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('customer_id', sa.BigInteger(), nullable=True),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('processed_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shopify_updated_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('test', sa.Boolean(), nullable=False),
    sa.Column('refunded_subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('points_earned', sa.BigInteger(), nullable=False),
    sa.Column('points_reversed', sa.BigInteger(), nullable=False),
    sa.Column('earned_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_loyalty_orders_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_orders')),
    sa.UniqueConstraint('shop_id', 'order_id', name=op.f('uq_loyalty_orders_shop_id_order_id'))
    )
    with op.batch_alter_table('loyalty_orders', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_orders_customer', ['shop_id', 'customer_id', 'processed_at'], unique=False)

    op.create_table('loyalty_programs',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_loyalty_programs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_loyalty_programs'))
    )
    op.create_table('loyalty_refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_loyalty_refunds_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_refunds')),
    sa.UniqueConstraint('shop_id', 'refund_id', name=op.f('uq_loyalty_refunds_shop_id_refund_id'))
    )
    with op.batch_alter_table('loyalty_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_refunds_order', ['shop_id', 'order_id'], unique=False)

    op.create_table('referral_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_referral_codes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_referral_codes_code')),
    sa.UniqueConstraint('shop_id', 'customer_id', name=op.f('uq_referral_codes_shop_id_customer_id'))
    )
    op.create_table('shop_tokens',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('access_token_encrypted', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('expires_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refresh_token_encrypted', sa.Text(), nullable=True),
    sa.Column('refresh_token_expires_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_tokens_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shop_tokens'))
    )
    op.create_table('loyalty_ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.BigInteger(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('rate', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('multiplier', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_ledger_entries_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_loyalty_ledger_entries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_ledger_entries')),
    sa.UniqueConstraint('shop_id', 'idempotency_key', name=op.f('uq_loyalty_ledger_entries_shop_id_idempotency_key'))
    )
    with op.batch_alter_table('loyalty_ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_ledger_entries_member', ['member_id', 'id'], unique=False)

    op.create_table('loyalty_tier_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_tier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('to_tier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('spend', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_tier_changes_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_loyalty_tier_changes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_tier_changes'))
    )
    with op.batch_alter_table('loyalty_tier_changes', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_tier_changes_member', ['member_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('loyalty_tier_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_tier_changes_member')

    op.drop_table('loyalty_tier_changes')
    with op.batch_alter_table('loyalty_ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_ledger_entries_member')

    op.drop_table('loyalty_ledger_entries')
    op.drop_table('shop_tokens')
    op.drop_table('referral_codes')
    with op.batch_alter_table('loyalty_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_refunds_order')

    op.drop_table('loyalty_refunds')
    op.drop_table('loyalty_programs')
    with op.batch_alter_table('loyalty_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_orders_customer')

    op.drop_table('loyalty_orders')
    op.drop_table('loyalty_members')
    op.drop_table('compliance_exports')
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_inbox_subject')
        batch_op.drop_index('ix_webhook_inbox_due')

    op.drop_table('webhook_inbox')
    op.drop_table('shops')
