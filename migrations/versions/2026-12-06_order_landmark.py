"""An order's landmark: in Cambodia the village is optional, and a place near the door the
courier can ask for ("behind the pagoda") is kept instead (issue 14, item 4).

Revision ID: 97109348dabe
Revises: a1b02998637e
Create Date: 2026-12-06 00:29:00.618285
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '97109348dabe'
down_revision: str | None = 'a1b02998637e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('landmark', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('landmark')
