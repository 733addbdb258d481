"""Live screens, the headless half (reverb_tui/live.py): a commit by another connection is
reported within a second or so, with what it changed on PostgreSQL; nothing is reported, and
on PostgreSQL nothing is even queried, while nothing is committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from reverb_tui import live
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Channel
from reverb_tui.live import Change, ChangeWatcher
from reverb_tui.sync import lease
from tests.db_rows import add_channel, add_order


class Seen:
    """The changes a watcher reported, for a test to wait on."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self._event = threading.Event()

    def __call__(self, change: Change) -> None:
        self.changes.append(change)
        self._event.set()

    def wait(self, timeout: float) -> Change | None:
        self._event.wait(timeout)
        return self.changes[0] if self.changes else None


@contextmanager
def watching(engine) -> Iterator[tuple[ChangeWatcher, Seen]]:
    seen = Seen()
    watcher = ChangeWatcher(engine, seen)
    watcher.start()
    try:
        assert watcher.listening.wait(5), "the watcher never started"
        yield watcher, seen
    finally:
        watcher.stop()
        watcher.join(5)


@pytest.fixture
def engines(db_path):
    """The TUI's engine and another process's (its own pool, its own connections)."""
    mine, theirs = make_engine(str(db_path)), make_engine(str(db_path))
    yield mine, theirs
    mine.dispose()
    theirs.dispose()


def test_statement_topics() -> None:
    assert live.statement_topic("INSERT INTO reverb_order (id) VALUES (?)") == live.ORDERS
    assert live.statement_topic('UPDATE "channel" SET enabled=?') == live.CHANNELS
    assert live.statement_topic("  delete from sku_mapping WHERE id = ?") == live.MAPPINGS
    assert live.statement_topic("SELECT * FROM reverb_order") is None
    assert live.statement_topic("INSERT INTO alembic_version VALUES ('x')") is None
    lease_write = live.statement_topic("UPDATE channel SET lease_expires_at=?", live.LEASE_WRITE)
    assert lease_write == live.LEASES
    assert Change.parse("orders,runs").topics == {live.ORDERS, live.RUNS}
    assert Change.parse("from-a-newer-version") == live.EVERYTHING  # unknown: read all


def test_an_order_stored_by_another_connection_is_reported(engines, db_backend) -> None:
    mine, theirs = engines
    ch = add_channel(theirs, "Main shop")
    with watching(mine) as (_watcher, seen):
        started = time.monotonic()
        add_order(theirs, ch.id, "1001")
        change = seen.wait(2.0)
        took = time.monotonic() - started
    assert change is not None, "no change reported within 2 s"
    assert took < 2.0
    assert change.concerns(live.ORDERS)
    if db_backend == "pg":  # the payload says what changed; SQLite cannot
        assert change.topics == {live.ORDERS}
    else:
        assert change == live.EVERYTHING


def test_nothing_is_reported_while_nothing_is_committed(engines, db_backend) -> None:
    mine, theirs = engines
    ch = add_channel(theirs, "Main shop")
    with watching(mine) as (watcher, seen):
        with theirs.connect() as conn:  # reads, and a write rolled back
            conn.execute(text("SELECT count(*) FROM reverb_order")).scalar()
        with pytest.raises(RuntimeError), session_scope(theirs) as s:
            row = s.get(Channel, ch.id)
            assert row is not None
            row.enabled = False
            s.flush()
            raise RuntimeError("changed my mind")
        with session_scope(theirs) as s:  # an UPDATE that matched no row
            s.execute(text("UPDATE channel SET enabled = false WHERE id = -1"))
        time.sleep(1.5)
    assert seen.changes == []
    if db_backend == "pg":
        assert watcher.checks == 0  # LISTEN: no query at all while idle
    else:
        assert 2 <= watcher.checks <= 5  # one data_version read every half second


def test_a_lease_heartbeat_wakes_no_screen(engines, db_backend) -> None:
    """A daemon renews its lease every few seconds; that is reported as a lease change only
    (PostgreSQL), which no screen reads for."""
    mine, theirs = engines
    ch = add_channel(theirs, "Main shop")
    assert lease.try_acquire(theirs, int(ch.id), "sync:host:1:ab")
    with watching(mine) as (_watcher, seen):
        assert lease.renew(theirs, int(ch.id), "sync:host:1:ab")
        change = seen.wait(2.0)
    assert change is not None
    if db_backend == "pg":
        assert change.topics == {live.LEASES}
        assert not change.concerns(live.ORDERS, live.CHANNELS, live.RUNS, live.STOCK)


def test_the_watcher_opens_its_connection_again(engines, monkeypatch) -> None:
    """A watcher that lost (here: could not open) its connection tries again and, once
    back, reports everything once: what was committed meanwhile went unnoticed."""
    mine, theirs = engines
    ch = add_channel(theirs, "Main shop")
    monkeypatch.setattr(live, "RETRY_SECONDS", (0.05,))
    real = mine.raw_connection
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("connection refused")
        return real()

    monkeypatch.setattr(mine, "raw_connection", flaky)
    with watching(mine) as (_watcher, seen):
        assert seen.wait(2.0) == live.EVERYTHING
        seen.changes.clear()
        seen._event.clear()
        add_order(theirs, ch.id, "1002")
        change = seen.wait(2.0)
    assert len(attempts) == 2
    assert change is not None and change.concerns(live.ORDERS)


@pytest.mark.sqlite_only
def test_the_sqlite_watcher_holds_no_read_transaction(engines) -> None:
    """Between its checks the watcher's connection holds nothing open: a checkpoint can
    still empty the WAL file (an open read would keep it growing while the TUI runs)."""
    mine, theirs = engines
    ch = add_channel(theirs, "Main shop")
    with watching(mine) as (watcher, seen):
        add_order(theirs, ch.id, "1001")
        assert seen.wait(2.0) is not None
        time.sleep(0.2)
        with theirs.connect() as conn:
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        assert watcher.checks >= 2
    assert busy == 0
