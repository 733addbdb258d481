"""Sales channel integrations (channel table).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import reverb_tui.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stock_updates", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("site", sa.String(), nullable=False),
        sa.Column("api_url", sa.String(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("seller_id", sa.String(), nullable=True),
        sa.Column("shop_name", sa.String(), nullable=True),
        sa.Column("shop_currency", sa.String(), nullable=True),
        sa.Column("orders_since", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.Column("buffer", sa.Integer(), nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("rate_limit", sa.Float(), nullable=False),
        sa.Column("needs_reauth", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_order_sync_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_stock_push_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("order_cursor", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("lease_holder", sa.String(), nullable=True),
        sa.Column("lease_expires_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.Column("removed_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
        sa.UniqueConstraint("name_key", name=op.f("uq_channel_name_key")),
    )


def downgrade() -> None:
    op.drop_table("channel")
