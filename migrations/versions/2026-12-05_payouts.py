"""Payout runs, payouts and the ledger entries each pays; a ledger transaction names its
invoice; a group's payout currency and when its destination last changed.

Revision ID: d47648f82945
Revises: 17b150dd100f
Create Date: 2026-12-05 21:57:44.794680
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import marketplace.models.base


revision: str = 'd47648f82945'
down_revision: str | None = '17b150dd100f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payout_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('khr_per_usd', sa.Integer(), nullable=True),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exported_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_payout_run_approved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_payout_run_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_run'))
    )
    with op.batch_alter_table('payout_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_run_status'), ['status'], unique=False)

    op.create_table('payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('rounding_cents', sa.Integer(), nullable=False),
    sa.Column('rail', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('destination', sa.JSON(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payout_amount_positive')),
    sa.ForeignKeyConstraint(['group_id'], ['producer_group.id'], name=op.f('fk_payout_group_id_producer_group'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['payout_run.id'], name=op.f('fk_payout_run_id_payout_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transaction.id'], name=op.f('fk_payout_transaction_id_ledger_transaction'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout')),
    sa.UniqueConstraint('run_id', 'group_id', name=op.f('uq_payout_run_id_group_id'))
    )
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_status'), ['status'], unique=False)
        batch_op.create_index('uq_payout_reference', ['reference'], unique=True, sqlite_where=sa.text('reference IS NOT NULL'), postgresql_where=sa.text('reference IS NOT NULL'))

    op.create_table('payout_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('released', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entry.id'], name=op.f('fk_payout_item_entry_id_ledger_entry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payout_id'], ['payout.id'], name=op.f('fk_payout_item_payout_id_payout'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_item'))
    )
    with op.batch_alter_table('payout_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_item_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_item_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index('uq_payout_item_entry_held', ['entry_id'], unique=True, sqlite_where=sa.text('released = 0'), postgresql_where=sa.text('released = false'))

    with op.batch_alter_table('ledger_transaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ledger_transaction_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ledger_transaction_invoice_id_invoice'), 'invoice', ['invoice_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('producer_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payout_changed_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('payout_currency', sqlmodel.sql.sqltypes.AutoString(length=3), server_default='USD', nullable=False))

    # Invoices and credit notes posted before this revision name their invoice only in
    # the description ("Invoice INV-...", "Credit note CN-... for INV-...").
    op.execute("UPDATE ledger_transaction SET invoice_id = (SELECT invoice.id FROM invoice "
               "WHERE ledger_transaction.description = 'Invoice ' || invoice.number) "
               "WHERE kind = 'invoice'")
    op.execute("UPDATE ledger_transaction SET invoice_id = (SELECT invoice.id FROM invoice "
               "WHERE ledger_transaction.description LIKE '% for ' || invoice.number) "
               "WHERE kind = 'credit_note'")



def downgrade() -> None:
    with op.batch_alter_table('producer_group', schema=None) as batch_op:
        batch_op.drop_column('payout_currency')
        batch_op.drop_column('payout_changed_at')

    with op.batch_alter_table('ledger_transaction', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_transaction_invoice_id_invoice'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ledger_transaction_invoice_id'))
        batch_op.drop_column('invoice_id')

    with op.batch_alter_table('payout_item', schema=None) as batch_op:
        batch_op.drop_index('uq_payout_item_entry_held', sqlite_where=sa.text('released = 0'), postgresql_where=sa.text('released = false'))
        batch_op.drop_index(batch_op.f('ix_payout_item_payout_id'))
        batch_op.drop_index(batch_op.f('ix_payout_item_entry_id'))

    op.drop_table('payout_item')
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_index('uq_payout_reference', sqlite_where=sa.text('reference IS NOT NULL'), postgresql_where=sa.text('reference IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_payout_status'))
        batch_op.drop_index(batch_op.f('ix_payout_run_id'))
        batch_op.drop_index(batch_op.f('ix_payout_group_id'))

    op.drop_table('payout')
    with op.batch_alter_table('payout_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_run_status'))

    op.drop_table('payout_run')
