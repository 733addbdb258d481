"""Orders, sync log, inventory, listings, SKU and shipping mappings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import reverb_tui.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("sku_key", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("counted_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_item")),
        sa.UniqueConstraint("sku_key", name=op.f("uq_inventory_item_sku_key")),
    )
    op.create_table(
        "shipping_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_service")),
        sa.UniqueConstraint("name_key", name=op.f("uq_shipping_service_name_key")),
    )
    op.create_table(
        "listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("inventory", sa.Integer(), nullable=False),
        sa.Column("has_inventory", sa.Boolean(), nullable=False),
        sa.Column("one_of_a_kind", sa.Boolean(), nullable=False),
        sa.Column("condition", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("last_push_error", sa.Text(), nullable=True),
        sa.Column("seen_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("pushed_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_listing_channel_id_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing")),
        sa.UniqueConstraint("channel_id", "listing_id", name="uq_listing_channel_id"),
    )
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_sku"), ["sku"], unique=False)

    op.create_table(
        "reverb_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("uuid", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("channel_sku", sa.String(), nullable=True),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("kit", sa.Integer(), nullable=False),
        sa.Column("shipping_service_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cents", sa.Integer(), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=True),
        sa.Column("shipping_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("channel_shipping_method", sa.String(), nullable=True),
        sa.Column("buyer_name", sa.String(), nullable=True),
        sa.Column("shipping_provider", sa.String(), nullable=True),
        sa.Column("tracking_number", sa.String(), nullable=True),
        sa.Column("created_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("paid_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("shipped_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("first_seen_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_reverb_order_channel_id_channel")
        ),
        sa.ForeignKeyConstraint(
            ["shipping_service_id"],
            ["shipping_service.id"],
            name=op.f("fk_reverb_order_shipping_service_id_shipping_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reverb_order")),
        sa.UniqueConstraint("channel_id", "order_number", name="uq_order_channel_number"),
    )
    with op.batch_alter_table("reverb_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_channel_created", ["channel_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_order_status", ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reverb_order_channel_id"), ["channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reverb_order_channel_sku"), ["channel_sku"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reverb_order_sku"), ["sku"], unique=False)

    op.create_table(
        "shipping_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("channel_service", sa.String(), nullable=False),
        sa.Column("shipping_service_id", sa.Integer(), nullable=False),
        sa.Column("created_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_shipping_mapping_channel_id_channel")
        ),
        sa.ForeignKeyConstraint(
            ["shipping_service_id"],
            ["shipping_service.id"],
            name=op.f("fk_shipping_mapping_shipping_service_id_shipping_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_mapping")),
        sa.UniqueConstraint("channel_id", "channel_service", name="uq_shipping_mapping_channel"),
    )
    with op.batch_alter_table("shipping_mapping", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipping_mapping_channel_id"), ["channel_id"], unique=False
        )

    op.create_table(
        "sku_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("channel_sku", sa.String(), nullable=False),
        sa.Column("channel_sku_key", sa.String(), nullable=False),
        sa.Column("sku_key", sa.String(), nullable=False),
        sa.Column("kit", sa.Integer(), nullable=False),
        sa.Column("created_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_sku_mapping_channel_id_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_mapping")),
        sa.UniqueConstraint("channel_id", "channel_sku_key", name="uq_sku_mapping_channel_sku"),
    )
    with op.batch_alter_table("sku_mapping", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sku_mapping_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sku_mapping_sku_key"), ["sku_key"], unique=False)

    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("started_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", reverb_tui.db.types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("orders_new", sa.Integer(), nullable=False),
        sa.Column("orders_updated", sa.Integer(), nullable=False),
        sa.Column("listings_seen", sa.Integer(), nullable=False),
        sa.Column("listings_pushed", sa.Integer(), nullable=False),
        sa.Column("listings_skipped", sa.Integer(), nullable=False),
        sa.Column("listings_failed", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_sync_run_channel_id_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run")),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_run_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_run_started_at"), ["started_at"], unique=False)

    op.create_table(
        "stock_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_key", sa.String(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reverb_order.id"], name=op.f("fk_stock_move_order_id_reverb_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_move")),
        sa.UniqueConstraint("order_id", "reason", name="uq_stock_move_order_reason"),
    )
    with op.batch_alter_table("stock_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_move_sku_key"), ["sku_key"], unique=False)

    op.create_table(
        "sync_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("item", sa.String(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_sync_error_channel_id_channel")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_run.id"], name=op.f("fk_sync_error_run_id_sync_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_error")),
    )
    with op.batch_alter_table("sync_error", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_error_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("sync_error")
    op.drop_table("stock_move")
    op.drop_table("sync_run")
    op.drop_table("sku_mapping")
    op.drop_table("shipping_mapping")
    op.drop_table("reverb_order")
    op.drop_table("listing")
    op.drop_table("shipping_service")
    op.drop_table("inventory_item")
