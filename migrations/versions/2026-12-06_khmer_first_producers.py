"""Khmer-first producers (issue 14, item 2): a product's kind, materials, steps of making
and care notes in Khmer (Khmer pages show them, falling back to English); an application's
texts in Khmer; a certificate's public reason in Khmer. Each reader sees their language's.

Revision ID: a1b02998637e
Revises: 06ade96fc46a
Create Date: 2026-12-06 00:25:51.710114
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'a1b02998637e'
down_revision: str | None = '06ade96fc46a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_reason_km', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))

    with op.batch_alter_table('certification_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_line_km', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('materials_km', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('story_km', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('innovation_km', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('intended_market_km', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False, server_default=''))

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_km', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('materials_km', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('techniques_km', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('care_notes_km', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('care_notes_km')
        batch_op.drop_column('techniques_km')
        batch_op.drop_column('materials_km')
        batch_op.drop_column('category_km')

    with op.batch_alter_table('certification_application', schema=None) as batch_op:
        batch_op.drop_column('intended_market_km')
        batch_op.drop_column('innovation_km')
        batch_op.drop_column('story_km')
        batch_op.drop_column('materials_km')
        batch_op.drop_column('product_line_km')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('public_reason_km')
