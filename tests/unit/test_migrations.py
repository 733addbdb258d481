"""Versioned migrations: an old database upgrades on start and keeps its rows; the models and
the migrations describe the same schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from reverb_tui.db import models  # noqa: F401  (registers every table)
from reverb_tui.db.engine import make_engine
from reverb_tui.db.migrate import alembic_config, current_revision, head_revision, upgrade
from reverb_tui.services.channels import ChannelService
from reverb_tui.services.factory import build_services


def insert_0001_channel(engine) -> None:
    """A channel row exactly as revision 0001's schema stores it."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO channel (name, name_key, type, enabled, stock_updates, currency, "
                "site, api_url, token, seller_id, shop_name, shop_currency, orders_since, buffer, "
                "max_quantity, interval_seconds, rate_limit, needs_reauth, last_error, "
                "error_count, created_at) VALUES ('Old Shop', 'old shop', 'reverb', TRUE, TRUE, 'EUR', "
                "'sandbox', 'https://sandbox.reverb.com/api', 'tok_old_row_12345678', '4242', "
                "'Old Shop Ltd', 'EUR', '2026-01-01 00:00:00', 2, 5, 120, 2.0, FALSE, NULL, 0, "
                "'2026-01-02 03:04:05')"
            )
        )


@pytest.mark.empty_database
def test_database_at_0001_upgrades_on_start_and_keeps_its_rows(db_path: Path) -> None:
    old = make_engine(str(db_path), migrate=False)
    upgrade(old, "0001")
    assert current_revision(old) == "0001"
    insert_0001_channel(old)
    assert set(inspect(old).get_table_names()) == {"alembic_version", "channel"}
    old.dispose()

    svc = build_services(str(db_path))  # what every command does on start
    try:
        engine = svc.engine
        assert current_revision(engine) == head_revision(engine)
        assert {"reverb_order", "inventory_item", "listing", "sync_run"} <= set(
            inspect(engine).get_table_names()
        )
        (ch,) = svc.channels.list()
        assert (ch.name, ch.currency, ch.site, ch.seller_id, ch.shop_name) == (
            "Old Shop",
            "EUR",
            "sandbox",
            "4242",
            "Old Shop Ltd",
        )
        assert (ch.stock_updates, ch.buffer, ch.max_quantity, ch.interval_seconds) == (
            True,
            2,
            5,
            120,
        )
        assert ch.token == "tok_old_row_12345678"
        assert ch.created_at.isoformat() == "2026-01-02T03:04:05+00:00"
        # The upgraded row is fully usable by today's service.
        assert isinstance(svc.channels, ChannelService)
        svc.channels.set_enabled("old shop", False)
        assert svc.channels.get("Old Shop").enabled is False
    finally:
        svc.close()


def test_models_and_migrations_do_not_drift(db_path: Path) -> None:
    engine = make_engine(str(db_path))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(ctx, SQLModel.metadata)
        assert diff == [], f"models and migrations differ; add a migration: {diff}"
    finally:
        engine.dispose()


def test_one_linear_history_with_a_single_head(db_path: Path) -> None:
    engine = make_engine(str(db_path), migrate=False)
    try:
        script = ScriptDirectory.from_config(alembic_config(engine))
        assert len(script.get_heads()) == 1, "two migrations claim the same parent"
        revs = list(script.walk_revisions())
        assert revs[-1].revision == "0001" and revs[-1].down_revision is None
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back_up(db_path: Path) -> None:
    engine = make_engine(str(db_path))
    try:
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        assert "channel" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_head_constant_matches_the_migration_scripts(tmp_path) -> None:
    """migrate.HEAD lets a database at head skip Alembic on start; it must be the real head."""
    from reverb_tui.db.engine import make_engine
    from reverb_tui.db.migrate import HEAD, head_revision, stored_revision

    engine = make_engine(str(tmp_path / "head.db"))
    try:
        assert head_revision(engine) == HEAD
        assert stored_revision(engine) == HEAD
    finally:
        engine.dispose()
