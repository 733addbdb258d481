"""Team mode figures: the full sync on PostgreSQL vs SQLite, fail-over after a SIGKILL, and
what an idle daemon costs.

    .venv/bin/python benchmarks/team.py [--pg postgresql://root@127.0.0.1:5432/postgres]
        [--orders 300] [--listings 150] [--lease 3] [--idle 30]

Everything runs on loopback in a temporary directory (data, config, logs); each PostgreSQL
figure uses a database of its own, created and dropped here. The simulator runs in this
process (no latency): the sync figure is then mostly the database's share of a sync.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def pg_database(admin_url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"rt_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False), name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def shop_on(db: str, orders: int, listings: int, shops: int = 2):
    """A simulator with ``shops`` shops, connected as integrations on ``db``."""
    from reverb_tui.cli.demo import setup_demo
    from reverb_tui.demo.simulator import ReverbSimulator
    from reverb_tui.services.factory import build_services

    sim = ReverbSimulator(seed=11)
    shops_ = sim.add_sample_shops(shops, orders=orders, listings=listings)
    sim.start()
    svc = build_services(db)
    asyncio.run(setup_demo(svc, sim, shops_, days=60, interval=10))
    return sim, svc


def full_sync_seconds(db: str, orders: int, listings: int) -> float:
    sim, svc = shop_on(db, orders, listings)
    try:
        start = time.perf_counter()
        summaries = asyncio.run(svc.sync.run())
        took = time.perf_counter() - start
        assert all(s.completed for s in summaries), [s.errors for s in summaries]
        return took
    finally:
        svc.close()
        sim.stop()


def daemon(db: str, host: str, lease: int, work: Path) -> subprocess.Popen:
    env = dict(os.environ, REVERB_TUI_HOST_ID=host, REVERB_TUI_LOG_DIR=str(work / host))
    cmd = [sys.executable, "-m", "reverb_tui", "--db", db, "sync", "--watch"]
    return subprocess.Popen(
        [*cmd, "--lease-seconds", str(lease), "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(check, timeout: float = 60.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError


def failover_seconds(db: str, lease: int, work: Path) -> float:
    from reverb_tui.sync.cluster import cluster_status

    sim, svc = shop_on(db, 50, 20, shops=3)
    names = {c.name for c in svc.channels.list()}

    def held() -> dict[str, set[str]]:
        st = cluster_status(svc.engine)
        return {d.host: set(d.holds) for d in st.daemons if d.daemon and d.alive}

    a = daemon(db, "bench-a", lease, work)
    wait_for(lambda: held().get("bench-a") == names)
    b = daemon(db, "bench-b", lease, work)
    try:
        wait_for(lambda: len(held()) == 2 and all(held().values()))
        time.sleep(lease / 2)  # the kill lands anywhere in a heartbeat
        a.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        a.wait(10)
        wait_for(lambda: held().get("bench-b") == names, timeout=lease * 5)
        return time.monotonic() - killed
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.terminate()
                p.wait(15)
        svc.close()
        sim.stop()


def idle_cost(db: str, dbname: str, seconds: float, work: Path) -> tuple[float, float]:
    """(transactions, requests to Reverb) per minute of one daemon with nothing changing,
    at the default lease period, after its first sync."""
    from sqlalchemy import text

    sim, svc = shop_on(db, 50, 20)
    p = daemon(db, "idle", 60, work)

    def commits() -> int:
        with svc.engine.connect() as conn:
            return conn.execute(
                text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :n"),
                {"n": dbname},
            ).scalar_one()

    try:
        time.sleep(8)  # started, first full sync done
        t0, r0, q0 = time.monotonic(), sim.stats()["requests"], commits()
        time.sleep(seconds)
        # Our own reading adds one transaction per commits() call (and the stats lag by up
        # to 0.5 s): negligible against a minute's count.
        dt = time.monotonic() - t0
        q1, r1 = commits(), sim.stats()["requests"]
        return (q1 - q0) * 60 / dt, (r1 - r0) * 60 / dt
    finally:
        p.terminate()
        p.wait(15)
        svc.close()
        sim.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default="postgresql://root@127.0.0.1:5432/postgres")
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--listings", type=int, default=150)
    ap.add_argument("--lease", type=int, default=3)
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle daemon measured")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reverb-tui-team-bench-"))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(work / var.lower())
    os.environ.pop("REVERB_TUI_DB", None)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 shared cores: figures are noisy)")

    sqlite = full_sync_seconds(str(work / "bench.db"), args.orders, args.listings)
    with pg_database(args.pg) as (url, _name):
        pg = full_sync_seconds(url, args.orders, args.listings)
    print(f"full sync PostgreSQL/SQLite: {pg / sqlite:.2f}x (target: same bound)")
    print(f"    {args.orders} orders + {args.listings} listings x 2 shops, in-process simulator")
    print(f"    SQLite {sqlite:.2f} s, PostgreSQL {pg:.2f} s")

    with pg_database(args.pg) as (url, _name):
        took = failover_seconds(url, args.lease, work)
    bound = args.lease + args.lease / 4
    print(
        f"fail-over after SIGKILL: {took:.1f} s (lease {args.lease} s; design bound {bound:.1f} s)"
    )
    print("    3 integrations, 2 daemons, PostgreSQL; from the kill to the survivor holding all")

    with pg_database(args.pg) as (url, name):
        tx, req = idle_cost(url, name, args.idle, work)
    print(f"idle daemon: {tx:.0f} transactions/min, {req:.0f} Reverb requests/min")
    print(
        f"    2 integrations, lease 60 s, nothing changing, {args.idle:.0f} s measured (PostgreSQL)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
