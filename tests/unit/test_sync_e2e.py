"""The sync CLI end to end: real processes against the loopback simulator.

Covers the daemon (one line per run, clean stop on SIGTERM), a process killed with SIGKILL
mid-sync and started again, two sync processes at once, and the database locked by another
process for a few seconds. Each ends with every order stored exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reverb_tui.demo.simulator import ReverbSimulator
from tests import db_rows

# Real reverb-tui processes against the simulator: several seconds each.
pytestmark = pytest.mark.slow

TOKEN_A = "tok_e2e_shop_a_0123456789abcdef"
TOKEN_B = "tok_e2e_shop_b_0123456789abcdef"


def cli(
    db: Path, *args: str, token: str | None = None, timeout: float = 120, check: bool = False
) -> subprocess.CompletedProcess:
    env = {**os.environ, "REVERB_TUI_DB": str(db)}
    env.pop("REVERB_TOKEN", None)
    if token:
        env["REVERB_TOKEN"] = token
    proc = subprocess.run(
        [sys.executable, "-m", "reverb_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def spawn(db: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "REVERB_TUI_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "reverb_tui", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored_orders(db: Path) -> list[tuple[int, str, str]]:
    return db_rows.read(db, "SELECT channel_id, order_number, status FROM reverb_order")


def expected_orders(sim: ReverbSimulator, shop: str) -> dict[str, str]:
    return {o["order_number"]: o["status"] for o in sim.orders(shop)}


def assert_exactly_once(db: Path, sim: ReverbSimulator, shops: list[str]) -> None:
    rows = stored_orders(db)
    keys = [(c, n) for c, n, _s in rows]
    assert len(keys) == len(set(keys)), "an order was stored twice"
    by_channel: dict[int, dict[str, str]] = {}
    for c, n, s in rows:
        by_channel.setdefault(c, {})[n] = s
    for channel_id, shop in enumerate(shops, start=1):
        assert by_channel.get(channel_id, {}) == expected_orders(sim, shop)


@pytest.fixture
def sim():
    s = ReverbSimulator(seed=7)
    shop_a = s.add_shop(TOKEN_A, "Shop A", "USD")
    shop_b = s.add_shop(TOKEN_B, "Shop B", "GBP")
    s.generate(shop_a, orders=400, listings=60, days=20, seed=1)
    s.generate(shop_b, orders=250, listings=40, days=20, seed=2)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def db(db_path: Path, sim: ReverbSimulator) -> Path:
    path = db_path
    since = "2020-01-01"
    cli(
        path,
        "channels",
        "add",
        "--name",
        "Shop A",
        "--currency",
        "USD",
        "--site",
        sim.base_url,
        "--since",
        since,
        token=TOKEN_A,
        check=True,
    )
    cli(
        path,
        "channels",
        "add",
        "--name",
        "Shop B",
        "--currency",
        "GBP",
        "--site",
        sim.base_url,
        "--since",
        since,
        token=TOKEN_B,
        check=True,
    )
    return path


def test_sync_json_summary_and_exact_order_book(db: Path, sim: ReverbSimulator) -> None:
    proc = cli(db, "sync", "--orders-only", "--json")
    assert proc.returncode == 0, proc.stderr
    summaries = {s["channel"]: s for s in json.loads(proc.stdout)}
    for key in (
        "channel",
        "orders_new",
        "orders_updated",
        "listings_seen",
        "listings_pushed",
        "listings_skipped",
        "listings_failed",
        "errors",
    ):
        assert key in summaries["Shop A"]
    assert summaries["Shop A"]["orders_new"] == 400
    assert summaries["Shop B"]["orders_new"] == 250
    assert_exactly_once(db, sim, ["Shop A", "Shop B"])
    # A status change on Reverb reaches the stored order on the next sync.
    number = next(iter(expected_orders(sim, "Shop A")))
    sim.set_order_status("Shop A", number, "cancelled")
    proc = cli(db, "sync", "--orders-only", "--json")
    assert proc.returncode == 0
    assert_exactly_once(db, sim, ["Shop A", "Shop B"])
    log = json.loads(cli(db, "log", "--json", check=True).stdout)
    assert len(log) == 4 and all(r["status"] == "ok" for r in log)


def test_daemon_logs_a_line_per_run_and_stops_cleanly_on_sigterm(db: Path, sim) -> None:
    proc = spawn(db, "sync", "--watch", "--interval", "1")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ((runs,),) = db_rows.read(db, "SELECT count(*) FROM sync_run WHERE status='ok'")
            if runs >= 4:  # two passes over two integrations
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "sync daemon stopped" in err
    run_lines = [line for line in err.splitlines() if " Shop A: " in line]
    assert len(run_lines) >= 2 and "ok" in run_lines[0]
    assert "Traceback" not in err
    assert_exactly_once(db, sim, ["Shop A", "Shop B"])


def test_killed_mid_sync_then_restarted_converges(db: Path, sim) -> None:
    sim.configure(latency=0.02)
    proc = spawn(db, "sync", "--orders-only")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(stored_orders(db)) < 60:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = len(stored_orders(db))
    assert 0 < partial < 650, "the kill should land mid-walk"
    sim.configure(latency=0.0)
    sim.add_sale("Shop A")
    started = time.monotonic()
    again = cli(db, "sync", "--orders-only", "--json")
    # The dead holder's lease is taken over at once (same host, process gone), not after TTL.
    assert time.monotonic() - started < 30
    assert again.returncode == 0, again.stderr
    assert_exactly_once(db, sim, ["Shop A", "Shop B"])


def test_two_sync_processes_at_once(db: Path, sim) -> None:
    sim.configure(latency=0.005)
    a = spawn(db, "sync", "--orders-only", "--json")
    b = spawn(db, "sync", "--orders-only", "--json")
    out_a, err_a = a.communicate(timeout=120)
    out_b, err_b = b.communicate(timeout=120)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    new = sum(s["orders_new"] for s in json.loads(out_a) + json.loads(out_b))
    assert new == 650  # each order downloaded as new exactly once between the two
    assert_exactly_once(db, sim, ["Shop A", "Shop B"])


@pytest.mark.sqlite_only  # SQLite's whole-database lock; PostgreSQL locks rows
def test_database_locked_for_a_few_seconds(db: Path, sim) -> None:
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    proc = spawn(db, "sync", "--orders-only")
    time.sleep(3)
    con.execute("COMMIT")
    con.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "locked" not in err.lower()
    assert_exactly_once(db, sim, ["Shop A", "Shop B"])
