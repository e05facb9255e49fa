"""crm customers and orders: what later features read from webhook bodies, kept before bodies are emptied

Revision ID: e8b4f2a6c913
Revises: d7a3c5e1b284
Create Date: 2026-11-29 18:46:13.624342
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types


revision: str = 'e8b4f2a6c913'
down_revision: str | None = 'd7a3c5e1b284'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_customers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('first_name', sa.Text(), nullable=True),
    sa.Column('last_name', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=True),
    sa.Column('locale', sa.Text(), nullable=True),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('shopify_updated_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_consent_state', sa.Text(), nullable=True),
    sa.Column('email_consent_opt_in_level', sa.Text(), nullable=True),
    sa.Column('email_consent_updated_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shopify_created_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_crm_customers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_customers')),
    sa.UniqueConstraint('shop_id', 'customer_id', name=op.f('uq_crm_customers_shop_id_customer_id'))
    )
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.create_index('ix_crm_customers_email', ['shop_id', 'email'], unique=False)

    op.create_table('crm_order_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('line_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=True),
    sa.Column('variant_id', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('variant_title', sa.Text(), nullable=True),
    sa.Column('product_type', sa.Text(), nullable=True),
    sa.Column('vendor', sa.Text(), nullable=True),
    sa.Column('sku', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=15, scale=3), nullable=False),
    sa.Column('gift_card', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_crm_order_lines_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_order_lines')),
    sa.UniqueConstraint('shop_id', 'line_id', name=op.f('uq_crm_order_lines_shop_id_line_id'))
    )
    with op.batch_alter_table('crm_order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_crm_order_lines_order', ['shop_id', 'order_id'], unique=False)
        batch_op.create_index('ix_crm_order_lines_product', ['shop_id', 'product_id'], unique=False)

    op.create_table('crm_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('customer_id', sa.BigInteger(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('currency', sa.Text(), nullable=True),
    sa.Column('subtotal', sa.Numeric(precision=15, scale=3), nullable=True),
    sa.Column('total', sa.Numeric(precision=15, scale=3), nullable=True),
    sa.Column('financial_status', sa.Text(), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('test', sa.Boolean(), nullable=False),
    sa.Column('discount_codes', sa.JSON(), nullable=False),
    sa.Column('landing_site', sa.Text(), nullable=True),
    sa.Column('referring_site', sa.Text(), nullable=True),
    sa.Column('note_attributes', sa.JSON(), nullable=False),
    sa.Column('source_name', sa.Text(), nullable=True),
    sa.Column('customer_locale', sa.Text(), nullable=True),
    sa.Column('processed_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shopify_updated_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_crm_orders_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_orders')),
    sa.UniqueConstraint('shop_id', 'order_id', name=op.f('uq_crm_orders_shop_id_order_id'))
    )
    with op.batch_alter_table('crm_orders', schema=None) as batch_op:
        batch_op.create_index('ix_crm_orders_customer', ['shop_id', 'customer_id', 'processed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crm_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_orders_customer')

    op.drop_table('crm_orders')
    with op.batch_alter_table('crm_order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_order_lines_product')
        batch_op.drop_index('ix_crm_order_lines_order')

    op.drop_table('crm_order_lines')
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_customers_email')

    op.drop_table('crm_customers')
