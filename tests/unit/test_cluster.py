"""``reverb-tui cluster status``: each host/daemon, its last heartbeat, what it holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from reverb_tui.__main__ import main
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Channel, SyncRun
from reverb_tui.sync.lease import try_acquire
from tests.db_rows import add_channel

A = "sync:host-a.example:101:aaaaaaaa"
B = "orders:host-b.example:202:bbbbbbbb"
DEAD = "sync:host-c.example:303:cccccccc"


def test_cluster_status_shows_who_holds_what(db_path, capsys) -> None:
    engine = make_engine(str(db_path))
    ids = [add_channel(engine, name).id for name in ("North", "South", "West", "East")]
    assert try_acquire(engine, ids[0], A)
    assert try_acquire(engine, ids[1], A)
    assert try_acquire(engine, ids[2], B)
    with engine.begin() as conn:  # a dead host's lease, expired by the database's clock
        conn.execute(
            update(Channel)
            .where(Channel.id == ids[3])
            .values(lease_holder=DEAD, lease_expires_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    with session_scope(engine) as s:
        s.add(SyncRun(channel_id=ids[3], holder=DEAD, started_at=datetime.now(UTC), status="ok"))
    engine.dispose()

    assert main(["--db", str(db_path), "cluster", "status", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    daemons = {(d["host"], d["pid"]): d for d in doc["daemons"]}
    assert set(daemons) == {
        ("host-a.example", 101),
        ("host-b.example", 202),
        ("host-c.example", 303),
    }
    assert daemons[("host-a.example", 101)]["holds"] == ["North", "South"]
    assert daemons[("host-b.example", 202)]["holds"] == ["West"]
    assert daemons[("host-c.example", 303)]["holds"] == []  # its lease expired
    assert daemons[("host-c.example", 303)]["last_heartbeat"] is None
    assert daemons[("host-c.example", 303)]["last_run_at"] is not None
    now = datetime.fromisoformat(doc["now"])
    beat = datetime.fromisoformat(daemons[("host-a.example", 101)]["last_heartbeat"])
    assert timedelta(0) <= now - beat < timedelta(seconds=30)
    held = {i["channel"]: i["holder"] for i in doc["integrations"]}
    assert held == {
        "East": None,
        "North": {"host": "host-a.example", "pid": 101},
        "South": {"host": "host-a.example", "pid": 101},
        "West": {"host": "host-b.example", "pid": 202},
    }

    assert main(["--db", str(db_path), "cluster", "status"]) == 0
    out = capsys.readouterr().out
    assert "host-a.example pid 101: heartbeat " in out and "holds North, South" in out
    assert "  East: free" in out and "  West: held by host-b.example pid 202" in out


def test_cluster_status_of_a_quiet_database(db_path, capsys) -> None:
    assert main(["--db", str(db_path), "cluster", "status"]) == 0
    assert capsys.readouterr().out == "No daemon holds a lease or ran a sync in the last hour.\n"
