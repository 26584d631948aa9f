"""Wholesale card charges (made-to-order deposits and invoice balances paid by card), the
deposit a group asks for, and what kind of money paid an invoice (transfer, card, credit).

Revision ID: 17b150dd100f
Revises: 93e47242d0b5
Create Date: 2026-12-05 21:13:45.756119
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import marketplace.models.base


revision: str = '17b150dd100f'
down_revision: str | None = '93e47242d0b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wholesale_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('card_fee_cents', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('payment_method', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=False),
    sa.Column('intent_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('intent_status', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('succeeded_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_wholesale_charge_amount_positive')),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], name=op.f('fk_wholesale_charge_business_id_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_wholesale_charge_invoice_id_invoice'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['paid_by_id'], ['user.id'], name=op.f('fk_wholesale_charge_paid_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['part_id'], ['purchase_order_part.id'], name=op.f('fk_wholesale_charge_part_id_purchase_order_part'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_wholesale_charge_purchase_order_id_purchase_order'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wholesale_charge')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_wholesale_charge_idempotency_key')),
    sa.UniqueConstraint('intent_id', name=op.f('uq_wholesale_charge_intent_id'))
    )
    with op.batch_alter_table('wholesale_charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wholesale_charge_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wholesale_charge_purchase_order_id'), ['purchase_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wholesale_charge_status'), ['status'], unique=False)
        batch_op.create_index('uq_wholesale_charge_in_progress', ['purchase_order_id'], unique=True, sqlite_where=sa.text("status IN ('creating', 'created')"), postgresql_where=sa.text("status IN ('creating', 'created')"))

    with op.batch_alter_table('group_wholesale_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_percent', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_group_wholesale_terms_deposit_percent_range'),
                                         'deposit_percent BETWEEN 0 AND 100')

    with op.batch_alter_table('invoice_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), server_default='transfer', nullable=False))

    with op.batch_alter_table('purchase_order_part', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_cents', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('purchase_order_part', schema=None) as batch_op:
        batch_op.drop_column('deposit_cents')

    with op.batch_alter_table('invoice_payment', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('group_wholesale_terms', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_group_wholesale_terms_deposit_percent_range'),
                                 type_='check')
        batch_op.drop_column('deposit_percent')

    with op.batch_alter_table('wholesale_charge', schema=None) as batch_op:
        batch_op.drop_index('uq_wholesale_charge_in_progress', sqlite_where=sa.text("status IN ('creating', 'created')"), postgresql_where=sa.text("status IN ('creating', 'created')"))
        batch_op.drop_index(batch_op.f('ix_wholesale_charge_status'))
        batch_op.drop_index(batch_op.f('ix_wholesale_charge_purchase_order_id'))
        batch_op.drop_index(batch_op.f('ix_wholesale_charge_business_id'))

    op.drop_table('wholesale_charge')
