"""Sync daemons sharing one database: their heartbeats, and which integrations each runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import reverb_tui.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_daemon",
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("started_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_sync_daemon")),
    )
    with op.batch_alter_table("sync_daemon", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_daemon_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "sync_claim",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", reverb_tui.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_sync_claim_channel_id_channel")
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_sync_claim")),
    )
    with op.batch_alter_table("sync_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_claim_holder"), ["holder"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_claim_holder"))
    op.drop_table("sync_claim")
    with op.batch_alter_table("sync_daemon", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_daemon_expires_at"))
    op.drop_table("sync_daemon")
