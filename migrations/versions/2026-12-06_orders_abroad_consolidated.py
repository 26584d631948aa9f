"""Orders abroad are consolidated at the packing point; the small-order fee.

An order going abroad now pays one international shipment by total weight; the groups are
paid their parcels to the packing point. An order whose card fee would exceed the
commission carries a small-order fee. Extras refunded are tracked on the order.

Revision ID: 06ade96fc46a
Revises: d47648f82945
Create Date: 2026-12-06 00:23:16.409684
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketplace.models.base


revision: str = '06ade96fc46a'
down_revision: str | None = 'd47648f82945'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('small_order_fee_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('consolidated', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('extras_refunded_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('forwarded_carrier', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('forwarded_tracking', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('forwarded_at', marketplace.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('forwarded_at')
        batch_op.drop_column('forwarded_tracking')
        batch_op.drop_column('forwarded_carrier')
        batch_op.drop_column('extras_refunded_cents')
        batch_op.drop_column('consolidated')
        batch_op.drop_column('small_order_fee_cents')
