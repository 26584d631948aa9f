"""The page cache no longer keeps a version row in the database: what a cached page shows is
tracked by tag counters in shared memory (``marketplace.core.cache_tags``).

Revision ID: 5d2c8e1b7f40
Revises: a7f4559a9865
Create Date: 2026-12-04 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d2c8e1b7f40'
down_revision: str | None = 'a7f4559a9865'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table('cache_version')


def downgrade() -> None:
    op.create_table('cache_version',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_version'))
    )
