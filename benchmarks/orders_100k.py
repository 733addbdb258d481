"""The order book with 100,000 orders: what the Orders screen and `orders list` cost.

Builds a fresh database (bulk insert, two integrations, realistic mixes of statuses, SKUs,
shipping methods and exceptions, ties on created_at), then times, in one run:

- open: the first page (100 rows) plus the total count, as the Orders screen does on open;
- count alone; a status filter, a search and the exceptions filter (first page + count each);
- a page deep into the list (keyset paging, page 500);
- the full ``reverb-tui orders list --json`` stream in a child process (its wall time and
  peak RSS), and the parent's peak traced Python memory over the page queries.

Run: ``.venv/bin/python benchmarks/orders_100k.py [--orders N] [--db PATH] [--keep]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Channel, Order, ShippingMapping, ShippingService, fold
from reverb_tui.services.orders import OrderService

STATUSES = (
    ["shipped"] * 55
    + ["paid"] * 15
    + ["received"] * 10
    + ["cancelled"] * 8
    + ["refunded"] * 3
    + ["unpaid", "payment_pending", "picked_up", "pending_review", "blocked"] * 2
    + ["layaway"]  # an unknown status, stored as is
)
METHODS = ["shipped"] * 85 + ["expedited_shipping"] * 8 + ["local"] * 6 + ["freight"]
FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
LAST = ["Moss", "Nakamura", "Okafor", "Price", "Quinn", "Rossi", "Singh", "Tanaka", "Ueda"]


def build(path: Path, n: int, seed: int = 7) -> float:
    rnd = random.Random(seed)
    engine = make_engine(str(path))
    t0 = time.perf_counter()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        chans = []
        for name in ("Guitar Shop", "Pedal Outlet"):
            ch = Channel(
                name=name,
                name_key=fold(name),
                api_url="https://api.reverb.com/api",
                token="tok_benchmark_not_a_real_token",
                orders_since=now - timedelta(days=900),
                created_at=now - timedelta(days=900),
            )
            s.add(ch)
            chans.append(ch)
        ups = ShippingService(name="UPS Ground", name_key="ups ground", carrier="UPS")
        exp = ShippingService(name="UPS 2nd Day", name_key="ups 2nd day", carrier="UPS")
        s.add_all([ups, exp])
        s.flush()
        for ch in chans:
            s.add(
                ShippingMapping(
                    channel_id=ch.id,
                    channel_service="shipped",
                    shipping_service_id=ups.id,
                    created_at=now,
                )
            )
            s.add(
                ShippingMapping(
                    channel_id=ch.id,
                    channel_service="expedited_shipping",
                    shipping_service_id=exp.id,
                    created_at=now,
                )
            )
        chan_ids = [ch.id for ch in chans]
        svc_for = {"shipped": ups.id, "expedited_shipping": exp.id}
    table = Order.__table__
    batch: list[dict] = []
    created = now
    with engine.begin() as conn:
        for i in range(n):
            # Several orders per second now and then: ties on created_at.
            if rnd.random() > 0.15:
                created = created - timedelta(seconds=rnd.randint(1, 600))
            method = rnd.choice(METHODS)
            csku = f"SKU-{rnd.randint(1, 3000):05d}"
            linked = rnd.random() > 0.06
            status = rnd.choice(STATUSES)
            qty = rnd.choice((1, 1, 1, 2, 3))
            unit = rnd.randint(1500, 250000)
            batch.append(
                {
                    "channel_id": chan_ids[i % 2],
                    "order_number": str(20_000_000 + i),
                    "uuid": None,
                    "status": status,
                    "product_id": str(70_000_000 + rnd.randint(1, 5000)),
                    "title": f"Listing {csku}",
                    "channel_sku": csku,
                    "sku": csku.lower() if linked else None,
                    "kit": 1,
                    "shipping_service_id": svc_for.get(method),
                    "quantity": qty,
                    "unit_cents": unit,
                    "total_cents": unit * qty + 2500,
                    "shipping_cents": 2500,
                    "currency": "USD",
                    "channel_shipping_method": method,
                    "buyer_name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                    "shipping_provider": "UPS" if status == "shipped" else None,
                    "tracking_number": f"1Z{i:012d}" if status == "shipped" else None,
                    "created_at": created,
                    "updated_at": created + timedelta(hours=2),
                    "paid_at": created,
                    "shipped_at": created + timedelta(days=1) if status == "shipped" else None,
                    "first_seen_at": now,
                    "raw": None,
                }
            )
            if len(batch) == 10_000:
                conn.execute(table.insert(), batch)
                batch.clear()
        if batch:
            conn.execute(table.insert(), batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    with engine.connect() as conn:  # a steady-state file, not a 70 MB write-ahead log
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return time.perf_counter() - t0


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median milliseconds of ``repeat`` runs (the first run warms the page cache)."""
    fn()
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2], result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--db", default=None, help="database file (default: a temp file)")
    ap.add_argument("--keep", action="store_true", help="keep the database file")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="orders-bench-")
    path = Path(args.db or os.path.join(tmp, "bench.db"))
    if path.exists():
        path.unlink()
    built = build(path, args.orders)
    print(f"built {args.orders:,} orders in {built:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")

    engine = make_engine(str(path))
    svc = OrderService(engine, client_factory=None)
    tracemalloc.start()
    figures: list[tuple[str, float, str]] = []

    def add(label: str, fn, note=lambda r: "") -> object:
        ms, result = timed(fn)
        figures.append((label, ms, note(result)))
        return result

    add(
        "open: first page + count",
        lambda: (svc.query(limit=100), svc.count()),
        lambda r: f"{len(r[0].rows)} rows of {r[1]:,}",
    )
    add("count (all)", svc.count, lambda r: f"{r:,}")
    add("first page (100)", lambda: svc.query(limit=100), lambda r: f"{len(r.rows)} rows")
    add(
        "filter status=paid: page + count",
        lambda: (svc.query(status="paid"), svc.count(status="paid")),
        lambda r: f"{r[1]:,} match",
    )
    add(
        "filter channel + status=shipped: page + count",
        lambda: (
            svc.query(channel="Guitar Shop", status="shipped"),
            svc.count(channel="Guitar Shop", status="shipped"),
        ),
        lambda r: f"{r[1]:,} match",
    )
    add(
        "search 'tanaka': page + count",
        lambda: (svc.query(search="tanaka"), svc.count(search="tanaka")),
        lambda r: f"{r[1]:,} match",
    )
    add(
        "search order number '20099': page + count",
        lambda: (svc.query(search="20099"), svc.count(search="20099")),
        lambda r: f"{r[1]:,} match",
    )
    add(
        "exceptions: page + count",
        lambda: (svc.query(exceptions_only=True), svc.count(exceptions_only=True)),
        lambda r: f"{r[1]:,} match",
    )

    def deep() -> object:
        after = None
        page = None
        for _ in range(500):
            page = svc.query(limit=100, after=after)
            after = page.next_after
        return page

    t = time.perf_counter()
    deep()
    figures.append(("500 pages walked (keyset), per page", (time.perf_counter() - t) * 2, ""))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()

    # The full JSON stream, in a child process so its own peak memory is measured; a run
    # printing one order gives the baseline (interpreter, imports, engine), so the
    # difference is what 100,000 streamed orders cost.
    env = dict(os.environ, REVERB_TUI_DB=str(path))
    out_path = Path(tmp) / "orders.json"

    def stream(*extra: str) -> tuple[int, float, float]:
        code = (
            "import resource, sys, time\n"
            "from reverb_tui.__main__ import main\n"
            "t = time.perf_counter()\n"
            f"rc = main(['orders', 'list', '--json', *{list(extra)!r}])\n"
            "sys.stdout.flush()\n"
            "sys.stderr.write(f'{rc} {time.perf_counter() - t:.3f} '\n"
            "                 f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
        )
        with open(out_path, "wb") as out:
            proc = subprocess.run([sys.executable, "-c", code], stdout=out,
                                  stderr=subprocess.PIPE, env=env, check=False)  # fmt: skip
        rc, secs, rss_kb = proc.stderr.decode().strip().splitlines()[-1].split()
        return int(rc), float(secs), int(rss_kb) / 1024

    _, _, base_rss = stream("--limit", "1")
    rc, secs, rss = stream()
    with open(out_path, "rb") as fh:
        doc = json.load(fh)
    stream_note = f"rc {rc}, {len(doc):,} objects, {out_path.stat().st_size / 1e6:.0f} MB"
    figures.append(("orders list --json (full stream)", secs * 1000, stream_note))

    width = max(len(f[0]) for f in figures)
    print(f"{'operation':<{width}}  {'ms':>9}  note")
    for label, ms, note in figures:
        print(f"{label:<{width}}  {ms:>9.1f}  {note}")
    print(f"peak traced Python memory over the page queries: {peak / 1e6:.1f} MB")
    print(f"peak RSS of orders list --json: {rss:.0f} MB for all orders, {base_rss:.0f} MB "
          f"for one (streaming cost {rss - base_rss:+.0f} MB)")  # fmt: skip
    print(
        f"peak RSS of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    if not args.keep:
        out_path.unlink()
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(path) + suffix)
            if p.exists():
                p.unlink()
    else:
        print(f"kept {path}")
    return 0 if rc == 0 and len(doc) == args.orders else 1


if __name__ == "__main__":
    sys.exit(main())
