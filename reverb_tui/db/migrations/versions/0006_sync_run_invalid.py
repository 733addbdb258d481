"""Per run, how many orders and listings Reverb sent that could not be stored (each one is
also in the run's errors with its uuid or listing id and the reason).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("orders_invalid", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("listings_invalid", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_column("listings_invalid")
        batch_op.drop_column("orders_invalid")
