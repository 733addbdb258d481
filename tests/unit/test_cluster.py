"""``reverb-tui cluster status``: each host/daemon, its last heartbeat, what it holds."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
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


def test_daemons_share_the_integrations_and_take_a_dead_ones_over(db_path) -> None:
    """Five integrations, two live daemons: 3 and 2, none held twice. When one stops beating,
    its claims expire within the lease period and the other takes them."""
    from reverb_tui.sync.cluster import balance, beat, cluster_status

    engine = make_engine(str(db_path))
    ids = {add_channel(engine, f"Shop {n}").id for n in range(5)}
    period = timedelta(seconds=2)
    a, b = "daemon:host-a:1:aaaaaaaa", "daemon:host-b:2:bbbbbbbb"
    beat(engine, a, period)
    assert set(balance(engine, a, period)) == ids  # alone: everything
    beat(engine, b, period)
    assert balance(engine, b, period) == []  # a holds everything, under nobody's share
    held_a = balance(engine, a, period)  # a gives back what is beyond ceil(5 / 2)
    assert len(held_a) == 3
    held_b = balance(engine, b, period)
    assert len(held_b) == 2 and set(held_a) | set(held_b) == ids
    st = cluster_status(engine)
    assert sorted(len(d.holds) for d in st.daemons) == [2, 3]

    time.sleep(period.total_seconds() * 3 / 4 + 0.2)  # a has died: no beat since
    beat(engine, b, period)
    assert set(balance(engine, b, period)) == ids
    dead = {d.host: d for d in cluster_status(engine).daemons}
    assert not dead["host-a"].alive and dead["host-a"].holds == []
    assert dead["host-b"].alive and len(dead["host-b"].holds) == 5
    engine.dispose()


def test_a_daemon_that_leaves_hands_its_integrations_over_at_once(db_path) -> None:
    from reverb_tui.sync.cluster import Membership, cluster_status

    engine = make_engine(str(db_path))
    for n in range(2):
        add_channel(engine, f"Shop {n}")
    a = Membership(engine, timedelta(seconds=60), "daemon:host-a:1:aaaaaaaa")
    b = Membership(engine, timedelta(seconds=60), "daemon:host-b:2:bbbbbbbb")
    a.step(), b.step(), a.step(), b.step()
    assert len(a.held) == len(b.held) == 1
    a.leave()
    assert len(b.step()) == 2  # no lease period to wait
    assert [d.host for d in cluster_status(engine).daemons] == ["host-b"]
    engine.dispose()


def test_the_lease_period_from_flag_environment_config_or_default(monkeypatch, tmp_path) -> None:
    from reverb_tui import config
    from reverb_tui.errors import UserError
    from reverb_tui.sync.lease import lease_period

    conf = tmp_path / "c.toml"
    conf.write_text("lease_seconds = 20\n")
    monkeypatch.setenv("REVERB_TUI_CONFIG", str(conf))
    config._load_cached.cache_clear()
    assert lease_period() == timedelta(seconds=20)
    monkeypatch.setenv("REVERB_TUI_LEASE_SECONDS", "9")
    assert lease_period() == timedelta(seconds=9)
    assert lease_period(4) == timedelta(seconds=4)
    monkeypatch.setenv("REVERB_TUI_LEASE_SECONDS", "soon")
    with pytest.raises(UserError, match=r"LEASE_SECONDS must be a whole number of seconds"):
        lease_period()
    with pytest.raises(UserError, match="from 2 to 3600 seconds"):
        lease_period(1)
    monkeypatch.delenv("REVERB_TUI_LEASE_SECONDS")
    monkeypatch.delenv("REVERB_TUI_CONFIG")
    config._load_cached.cache_clear()
    assert lease_period() == timedelta(seconds=60)


def test_lease_seconds_goes_with_watch(db_path, capsys) -> None:
    assert main(["--db", str(db_path), "sync", "--lease-seconds", "5"]) == 2
    assert "--lease-seconds goes with --watch." in capsys.readouterr().err
