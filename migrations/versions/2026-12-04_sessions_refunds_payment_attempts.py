"""Server-side sessions, refunds recorded before the processor is called, payment attempts,
idempotency fingerprints and the client address of orders.

Existing refunds were made inside the request that recorded them: they are ``succeeded``.

Revision ID: a7f4559a9865
Revises: c447f0cc6f9a
Create Date: 2026-12-04 17:33:37.290071
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import marketplace.models.base


revision: str = 'a7f4559a9865'
down_revision: str | None = 'c447f0cc6f9a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('payment_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('payment_method', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('intent_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('intent_status', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_payment_attempt_order_id_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempt')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_attempt_idempotency_key'))
    )
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempt_intent_id'), ['intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempt_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempt_status'), ['status'], unique=False)
        batch_op.create_index('uq_payment_attempt_in_progress', ['order_id'], unique=True,
                              sqlite_where=sa.text("status IN ('creating', 'created')"),
                              postgresql_where=sa.text("status IN ('creating', 'created')"))

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_client_ip'), ['client_ip'], unique=False)

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default='succeeded'))
        batch_op.add_column(sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column('plan', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('settled_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retry_at', marketplace.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_refund_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_retry_at'), ['retry_at'], unique=False)
        batch_op.create_index('uq_refund_pending_order', ['order_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))
        batch_op.create_unique_constraint(batch_op.f('uq_refund_idempotency_key'), ['idempotency_key'])



def downgrade() -> None:
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_refund_idempotency_key'), type_='unique')
        batch_op.drop_index('uq_refund_pending_order')
        batch_op.drop_index(batch_op.f('ix_refund_retry_at'))
        batch_op.drop_index(batch_op.f('ix_refund_status'))
        batch_op.drop_column('retry_at')
        batch_op.drop_column('settled_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('failure')
        batch_op.drop_column('plan')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('status')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_client_ip'))
        batch_op.drop_column('client_ip')
        batch_op.drop_column('idempotency_fingerprint')

    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.drop_index('uq_payment_attempt_in_progress')
        batch_op.drop_index(batch_op.f('ix_payment_attempt_status'))
        batch_op.drop_index(batch_op.f('ix_payment_attempt_order_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempt_intent_id'))

    op.drop_table('payment_attempt')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
