"""Read and write budgets per integration (per minute), the budget a 429 taught us, and the
interval of the quick orders check.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import reverb_tui.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get the defaults of today's model: 80 % of Reverb's reported 2,000 reads
    # and 600 writes a minute, and an orders check every 10 s.
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("read_rate", sa.Integer(), nullable=False, server_default="1600")
        )
        batch_op.add_column(
            sa.Column("write_rate", sa.Integer(), nullable=False, server_default="480")
        )
        batch_op.add_column(sa.Column("read_budget", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("write_budget", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("budget_lowered_at", reverb_tui.db.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("orders_interval_seconds", sa.Integer(), nullable=False, server_default="10")
        )


def downgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("orders_interval_seconds")
        batch_op.drop_column("budget_lowered_at")
        batch_op.drop_column("write_budget")
        batch_op.drop_column("read_budget")
        batch_op.drop_column("write_rate")
        batch_op.drop_column("read_rate")
