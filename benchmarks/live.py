"""Live screens: from another process's commit to the order painted, and the idle cost.

For SQLite and for PostgreSQL (each in a database of its own, made and removed here):

- a database with one integration and 1,000 orders; the real ``ReverbApp`` (live screens on,
  no background sync) runs headless in this process with the Orders screen open;
- a writer **process** (its own interpreter and connections, as a ``sync --watch`` daemon
  would be) stores one new order at a time, ``--writes`` times, a random 0.3–0.8 s apart, and
  reports the wall-clock time of each commit;
- delay: from that commit to the first frame composed after the order's row reached the
  table (the app's frames are timed as they are composed, as in orders_screen.py; the row is
  looked for every millisecond). p50, p95 and the worst, against the 2 s target;
- idle cost: with nothing committed for ``--idle`` seconds, the queries the watcher made
  (SQLite: ``PRAGMA data_version``; PostgreSQL: none, it waits on LISTEN) and every statement
  the app's own connections ran (screens reading again), as a rate per minute.

Run: ``.venv/bin/python benchmarks/live.py [--writes 20] [--idle 10] [--pg URL | --no-pg]``
(``--pg``: a server where the user may create databases; by default the test suite's,
``postgresql://root@127.0.0.1:5432/postgres``). One run; the machine is shared, so the
delays are noisy: compare p50 and p95 against the target, not to the millisecond.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

TARGET = 2.0  # seconds, commit to painted
DEFAULT_PG = "postgresql://root@127.0.0.1:5432/postgres"

# The writer process: one order per line read on stdin; prints each commit's time.time().
WRITER = """
import sys, time
from datetime import UTC, datetime, timedelta
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Order
engine = make_engine(sys.argv[1])
channel_id = int(sys.argv[2])
print("ready", flush=True)
for line in sys.stdin:
    number = line.strip()
    with session_scope(engine) as s:
        s.add(Order(channel_id=channel_id, order_number=number, status="paid", quantity=1,
                    first_seen_at=datetime.now(UTC),
                    created_at=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=int(number))))
    print(time.time(), flush=True)
"""


def seed(target: str, orders: int) -> int:
    """One integration and ``orders`` orders; the integration's id."""
    from datetime import UTC, datetime, timedelta

    from reverb_tui.db.engine import make_engine, session_scope
    from reverb_tui.db.models import Channel, Order, fold

    engine = make_engine(target)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        ch = Channel(
            name="Bench shop", name_key=fold("Bench shop"), api_url="http://127.0.0.1:9/api",
            token="tok_live_bench_0000", orders_since=now, created_at=now,
        )  # fmt: skip
        s.add(ch)
        s.flush()
        channel_id = int(ch.id or 0)
    rows = [
        {"channel_id": channel_id, "order_number": f"B{i:05d}", "status": "paid",
         "quantity": 1, "first_seen_at": now, "created_at": now - timedelta(minutes=i)}
        for i in range(orders)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(Order.__table__.insert(), rows)  # type: ignore[attr-defined]
    engine.dispose()
    return channel_id


@contextmanager
def pg_database(admin_url: str):
    """A database of its own on the server, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from reverb_tui.db.engine import to_url

    admin = create_engine(to_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"rt_live_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(to_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def measure(target: str, channel_id: int, writes: int, idle: float) -> dict:
    from sqlalchemy import event

    from reverb_tui.app import ReverbApp
    from reverb_tui.screens.orders import OrdersScreen, OrdersTable
    from reverb_tui.services.factory import build_services

    services = build_services(target)
    app = ReverbApp(services, start_sync=False)
    frames: list[float] = []
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, target, str(channel_id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    loop = asyncio.get_running_loop()
    try:
        assert writer.stdout is not None and writer.stdin is not None
        ready = await loop.run_in_executor(None, writer.stdout.readline)
        assert ready.strip() == "ready", ready
        async with app.run_test(size=(160, 40)) as pilot:
            original = app._display

            def display(screen, renderable):
                if renderable is not None:
                    frames.append(time.time())
                return original(screen, renderable)

            app._display = display  # type: ignore[method-assign]
            await pilot.pause()
            await pilot.press("o")
            deadline = time.monotonic() + 60
            while not (isinstance(app.screen, OrdersScreen) and app.screen.table.row_count):
                assert time.monotonic() < deadline, "the Orders screen never showed its rows"
                await asyncio.sleep(0.01)
            watcher = app.live_watcher
            assert watcher is not None and watcher.listening.wait(10)
            table = app.screen.query_one(OrdersTable)
            await asyncio.sleep(1.0)

            # Idle: nothing committed anywhere.
            statements = []
            event.listen(services.engine, "before_cursor_execute", lambda *a: statements.append(1))
            checks = watcher.checks
            await asyncio.sleep(idle)
            idle_checks, idle_reads = watcher.checks - checks, len(statements)

            # Writes from the other process.
            delays = []
            for i in range(writes):
                await asyncio.sleep(random.uniform(0.3, 0.8))
                number = str(900_000 + i)
                writer.stdin.write(number + "\n")
                writer.stdin.flush()
                committed = float(await loop.run_in_executor(None, writer.stdout.readline))
                deadline = time.monotonic() + 10
                while not (table.row_count and str(table.get_row_at(0)[2]) == number):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"order {number} never reached the table's top")
                    await asyncio.sleep(0.001)
                arrived = time.time()
                while not any(t >= arrived for t in frames[-20:]):
                    await asyncio.sleep(0.001)
                painted = next(t for t in frames[-20:] if t >= arrived)
                delays.append(painted - committed)
    finally:
        if writer.stdin is not None:
            writer.stdin.close()
        writer.wait(10)
        services.close()
    return {
        "delays": delays,
        "idle_checks_per_min": idle_checks * 60 / idle,
        "idle_reads_per_min": idle_reads * 60 / idle,
        "idle": idle,
    }


def report(backend: str, result: dict) -> None:
    delays = sorted(result["delays"])
    p50 = statistics.median(delays)
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    verdict = "OK" if p95 <= TARGET else "MISS"
    print(
        f"live {backend}: commit to painted p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"worst {delays[-1] * 1000:.0f} ms over {len(delays)} writes "
        f"(target p95 <= {TARGET:g} s) {verdict}"
    )
    what = "PRAGMA data_version" if backend == "sqlite" else "none: LISTEN"
    print(
        f"live {backend}: idle cost {result['idle_checks_per_min']:.0f} watcher queries/min "
        f"({what}), {result['idle_reads_per_min']:.0f} screen reads/min "
        f"(over {result['idle']:g} s with nothing committed)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measured")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--pg", default=os.environ.get("REVERB_TUI_TEST_PG", DEFAULT_PG))
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="reverb-tui-live-") as tmp:
        for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            os.environ[name] = str(Path(tmp) / name.lower())
        os.environ["REVERB_TUI_SECRET"] = "live-bench-" + uuid.uuid4().hex
        target = str(Path(tmp) / "live.db")
        channel_id = seed(target, args.orders)
        report("sqlite", asyncio.run(measure(target, channel_id, args.writes, args.idle)))
        if not args.no_pg:
            with pg_database(args.pg) as url:
                channel_id = seed(url, args.orders)
                report("postgresql", asyncio.run(measure(url, channel_id, args.writes, args.idle)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
