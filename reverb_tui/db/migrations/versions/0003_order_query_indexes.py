"""Indexes for the order book: keyset paging by (created_at, id) under each filter, the
exceptions filter (a partial index), and the shipping-method drop-down.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Must stay identical to reverb_tui.services.orders.EXCEPTION_SQL: SQLite uses a partial
# index only when the query repeats its WHERE term.
EXCEPTION_SQL = (
    "(channel_sku IS NOT NULL AND channel_sku <> '' AND sku IS NULL) OR "
    "(channel_shipping_method IS NOT NULL AND channel_shipping_method <> '' "
    "AND shipping_service_id IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("reverb_order", schema=None) as batch_op:
        batch_op.create_index("ix_order_created_id", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_order_status_created", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_order_channel_status_created",
            ["channel_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_order_channel_method", ["channel_id", "channel_shipping_method"], unique=False
        )
        batch_op.create_index(
            "ix_order_exception_created",
            ["created_at", "id"],
            unique=False,
            sqlite_where=sa.text(EXCEPTION_SQL),
            postgresql_where=sa.text(EXCEPTION_SQL),
        )


def downgrade() -> None:
    with op.batch_alter_table("reverb_order", schema=None) as batch_op:
        batch_op.drop_index("ix_order_exception_created")
        batch_op.drop_index("ix_order_channel_method")
        batch_op.drop_index("ix_order_channel_status_created")
        batch_op.drop_index("ix_order_status_created")
        batch_op.drop_index("ix_order_created_id")
