"""``reverb-tui db status | upgrade | copy --to | backup`` (docs/cli.md), from either backend to the other: output, JSON keys, exit codes, refusals."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from reverb_tui.__main__ import main
from reverb_tui.db.admin import checksums, snapshot
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.migrate import HEAD
from reverb_tui.db.models import InventoryItem, Order, StockMove
from reverb_tui.sync.stock import apply_order_stock
from tests import db_rows, pg
from tests.db_rows import add_channel, add_order, add_service

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATUS_KEYS = {"backend", "location", "exists", "revision", "head", "pending", "newer"}
COPY_KEYS = {"source", "target", "verified", "tables"}


@pytest.fixture
def run(capsys):
    def run(db, *argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def others(tmp_path: Path) -> Iterator:
    """Fresh empty databases of the other backend (PostgreSQL when there is a server, and
    always SQLite files too), for copy targets."""
    with ExitStack() as stack:
        made = iter(range(100))

        def other(kind: str) -> str:
            if kind == "pg":
                if pg.server().url is None:
                    pytest.skip("no PostgreSQL server for the copy target")
                return stack.enter_context(pg.database(empty=True))
            return str(tmp_path / f"copy-{next(made)}" / "reverb.db")

        yield other


def seed(target) -> None:
    """A bit of everything: integrations, a service, orders that took stock, a count."""
    engine = make_engine(str(target))
    try:
        a = add_channel(engine, "Shop A", token="tok_A_0123456789abcdef")
        add_channel(engine, "Shop B ünïcødé", currency="EUR", enabled=False, buffer=2)
        add_service(engine, "UPS Ground", "UPS")
        with session_scope(engine) as s:
            s.add(InventoryItem(sku="GTR-1", sku_key="gtr-1", title="Strat", on_hand=5))
        for n in range(30):
            oid = add_order(
                engine, a.id, str(1000 + n), sku="GTR-1", paid_at=T0 + timedelta(minutes=n)
            )
            with session_scope(engine) as s:
                apply_order_stock(s, s.get(Order, oid), T0)
    finally:
        engine.dispose()


def sums(target) -> dict:
    engine = make_engine(str(target), migrate=False)
    try:
        with snapshot(engine) as conn:
            return checksums(conn)
    finally:
        engine.dispose()


def test_status_of_a_database_at_head(run, db_path) -> None:
    make_engine(str(db_path)).dispose()
    code, out, err = run(db_path, "db", "status", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert set(doc) >= STATUS_KEYS
    assert doc["revision"] == doc["head"] == HEAD and not doc["pending"] and not doc["newer"]
    assert doc["backend"] == ("sqlite" if db_rows.is_sqlite(db_path) else "postgresql")
    code, out, _ = run(db_path, "db", "status")
    assert code == 0 and f"Revision:  {HEAD} (current)" in out


@pytest.mark.empty_database
def test_status_changes_nothing_and_upgrade_applies_the_migrations(run, db_path) -> None:
    code, out, _ = run(db_path, "db", "status", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["revision"] is None and doc["pending"]
    assert db_rows.untouched(db_path)
    code, out, _ = run(db_path, "db", "upgrade", "--json")
    assert code == 0 and json.loads(out) | {"location": None} == {
        "backend": doc["backend"],
        "location": None,
        "from": None,
        "revision": HEAD,
    }
    code, out, _ = run(db_path, "db", "upgrade")
    assert (code, out) == (0, f"The database is already at revision {HEAD}.\n")


def test_a_database_written_by_a_newer_version_is_refused_untouched(run, db_path) -> None:
    seed(db_path)
    engine = make_engine(str(db_path))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    before = sums(db_path)
    for argv in (["db", "upgrade"], ["channels", "list"], ["sync"]):
        code, out, err = run(db_path, *argv)
        assert code == 1 and out == "", argv
        assert len(err.strip().splitlines()) == 1 and "'9999_future'" in err, err
        assert "newer reverb-tui" in err
    code, out, _ = run(db_path, "db", "status", "--json")
    assert code == 0 and json.loads(out)["newer"] is True and not json.loads(out)["pending"]
    assert sums(db_path) == before
    assert db_rows.read(db_path, "SELECT version_num FROM alembic_version") == [("9999_future",)]


@pytest.mark.parametrize("via", ["pg", "sqlite"])
def test_copy_there_and_back_is_identical(run, db_path, others, via: str) -> None:
    seed(db_path)
    original = sums(db_path)
    assert original["reverb_order"]["rows"] == 30 and original["stock_move"]["rows"] == 30
    there, back = others(via), others("sqlite" if via == "pg" else "pg")
    code, out, err = run(db_path, "db", "copy", "--to", there, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= COPY_KEYS and doc["verified"] is True
    assert {t["table"]: {"rows": t["rows"], "sha256": t["sha256"]} for t in doc["tables"]} == (
        original
    )
    code, out, err = run(there, "db", "copy", "--to", back)
    assert code == 0, err
    assert "counts and checksums verified" in out and "tok_A" not in out
    assert sums(there) == sums(back) == original
    # The copy is a working database: the next ids follow the copied ones.
    engine = make_engine(back)
    try:
        ch = add_channel(engine, "Shop C")
        assert ch.id == 3
    finally:
        engine.dispose()


def test_copy_refuses_a_target_that_is_not_empty(run, db_path, others) -> None:
    seed(db_path)
    target = others("sqlite")
    engine = make_engine(target)
    add_channel(engine, "Theirs")
    engine.dispose()
    before = sums(target)
    code, out, err = run(db_path, "db", "copy", "--to", target)
    assert code == 2 and out == ""
    assert err.startswith("Error: Refusing to copy into") and "channel table has rows" in err
    assert len(err.strip().splitlines()) == 1
    assert sums(target) == before
    code, _, err = run(db_path, "db", "copy", "--to", str(db_path))
    assert code == 2 and "the database itself" in err


@contextmanager
def writer(db_path) -> Iterator[threading.Event]:
    """Another process's sync writing orders and their stock moves (one transaction each)."""
    stop = threading.Event()
    engine = make_engine(str(db_path))
    cid = add_channel(engine, "Busy shop").id

    def write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with session_scope(engine) as s:
                o = Order(
                    channel_id=cid,
                    order_number=f"w{n}",
                    status="paid",
                    sku="GTR-1",
                    first_seen_at=T0,
                    created_at=T0 + timedelta(seconds=n),
                )
                s.add(o)
                s.flush()
                apply_order_stock(s, o, T0)

    t = threading.Thread(target=write)
    t.start()
    try:
        yield stop
    finally:
        stop.set()
        t.join(30)
        engine.dispose()


def test_backup_while_another_process_writes_is_consistent(run, db_path, tmp_path) -> None:
    seed(db_path)
    dest = tmp_path / "backups" / "snap.db"
    dest.parent.mkdir()
    with writer(db_path):
        code, out, err = run(db_path, "db", "backup", str(dest), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= COPY_KEYS
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    engine = make_engine(str(dest))
    try:
        with session_scope(engine) as s:
            orders = len(s.exec(text("SELECT id FROM reverb_order")).all())
            moves = len(s.exec(text("SELECT id FROM stock_move")).all())
            (on_hand,) = s.exec(text("SELECT on_hand FROM inventory_item")).one()
        # One moment of the database: every order's move is there, on hand agrees with them.
        assert orders == moves >= 30 and on_hand == 5 - moves
        assert {t["table"]: t["rows"] for t in doc["tables"]}["reverb_order"] == orders
    finally:
        engine.dispose()
    code, out, err = run(db_path, "db", "backup", str(dest))
    assert code == 2 and "already exists" in err and out == ""


def test_moves_table_is_part_of_the_copy() -> None:
    """Guards the table list: every model table is copied (a new table is not forgotten)."""
    from reverb_tui.db.admin import tables

    names = {t.name for t in tables()}
    assert {StockMove.__tablename__, Order.__tablename__, "channel", "sync_error"} <= names
