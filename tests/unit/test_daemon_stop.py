"""SIGTERM stops a ``sync --watch`` daemon within 2 s, even while it waits out a 429 with
``Retry-After: 30``, and the run it stopped is logged as interrupted, never left "running".
A run left "running" by a process that died is closed as interrupted by the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import SyncRun
from reverb_tui.domain import RunStatus
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel
from tests.fakes.reverb import FakeReverb, FakeReverbServer


def reverb_tui(db: Path, *argv: str, **kw) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("REVERB_TOKEN", "REVERB_TUI_DB")}
    return subprocess.Popen(
        [sys.executable, "-m", "reverb_tui", *argv, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


def log_json(db: Path) -> list[dict]:
    proc = reverb_tui(db, "log", "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out)


@pytest.mark.slow  # real daemon processes
def test_sigterm_during_a_429_back_off_stops_within_2_s(db_path: Path) -> None:
    fake = FakeReverb()
    fake.outage = httpx.Response(
        429, headers={"Retry-After": "30"}, json={"message": "Too many requests"}
    )
    with FakeReverbServer(fake).running() as server:
        engine = make_engine(str(db_path))
        add_channel(engine, "Shop A", api_url=server.site)
        engine.dispose()
        daemon = reverb_tui(db_path, "sync", "--watch")
        try:
            deadline = time.monotonic() + 30
            while len(server.seen) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.seen, "the daemon never asked Reverb"
            time.sleep(0.5)  # it is now waiting out Retry-After: 30
            asked = len(server.seen)
            sent = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            _out, err = daemon.communicate(timeout=30)
            took = time.monotonic() - sent
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    assert asked <= 2  # the orders page and the listings page, then the wait
    assert took <= 2.0, f"the daemon took {took:.1f} s to stop"
    assert daemon.returncode == 0
    assert "Traceback" not in err and SECRET_TOKEN not in err
    [run] = log_json(db_path)
    assert run["status"] == "interrupted"
    assert run["finished_at"] is not None


@pytest.mark.slow
def test_a_run_left_running_by_a_killed_process_is_closed_as_interrupted(
    db_path: Path,
) -> None:
    """SIGKILL leaves no chance to close the row; the next look at the log (or the next
    sync) sees its process is gone and closes it."""
    fake = FakeReverb()
    fake.outage = httpx.Response(429, headers={"Retry-After": "30"}, json={})
    with FakeReverbServer(fake).running() as server:
        engine = make_engine(str(db_path))
        add_channel(engine, "Shop A", api_url=server.site)
        daemon = reverb_tui(db_path, "sync", "--watch")
        try:
            deadline = time.monotonic() + 30
            while not server.seen and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            with session_scope(engine) as s:
                [run] = s.exec(select(SyncRun)).all()
                assert run.status == RunStatus.RUNNING
            daemon.kill()
            daemon.wait()
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
        engine.dispose()
    [run] = log_json(db_path)
    assert run["status"] == "interrupted"
    assert "stopped before it finished" in run["errors"][-1]["message"]


def test_a_live_run_is_not_closed(db_path: Path) -> None:
    """A run whose process is alive and holds the lease stays running."""
    from reverb_tui.sync.lease import new_holder, try_acquire
    from reverb_tui.sync.service import close_abandoned_runs
    from tests.db_rows import T0

    engine = make_engine(str(db_path))
    try:
        cid = add_channel(engine, "Shop A").id
        holder = new_holder()  # this very process
        assert try_acquire(engine, cid, holder)
        with session_scope(engine) as s:
            s.add(SyncRun(channel_id=cid, holder=holder, started_at=T0))
            s.add(SyncRun(channel_id=cid, holder="sync:elsewhere:1:x", started_at=T0))
        assert close_abandoned_runs(engine, T0) == 1  # the one whose holder lost the lease
        with session_scope(engine) as s:
            statuses = sorted(r.status for r in s.exec(select(SyncRun)).all())
        assert statuses == ["interrupted", "running"]
    finally:
        engine.dispose()
