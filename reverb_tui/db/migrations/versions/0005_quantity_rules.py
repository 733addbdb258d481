"""Quantity rules per integration beside the buffer and maximum: a percentage of available,
a minimum shown while any stock exists, and "end when available <= N" (send 0).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL is "rule off" for each: existing integrations push exactly what they pushed before.
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("percent", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("min_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("end_when", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("end_when")
        batch_op.drop_column("min_quantity")
        batch_op.drop_column("percent")
