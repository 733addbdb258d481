"""Order storage speed: pages of 50 orders stored as the order download stores them.

    .venv/bin/python benchmarks/storage.py [--orders N] [--db URL_OR_PATH]
                                           [--postgres postgresql+psycopg://user@host/db]

Prints orders stored per second (wall) and CPU milliseconds per 1,000 orders (this process's
CPU time, threads included), for a first download (every order new) and a second one (every
order already stored and changed: a status moved). On SQLite (a temporary file unless
``--db`` names one), and also on PostgreSQL with ``--postgres URL`` (or
``$REVERB_BENCH_POSTGRES``): the server of that URL gets a scratch database for the run,
dropped after, so the figures always start from an empty database. The orders look like Reverb's (money
objects, timestamps, SKUs that link to a local catalogue of 3,000 SKUs, half of them sales
paid after the stock count, so the stock ledger works too).

Also imported by ``run.py`` (``storage_figures``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync_bench import Figure  # noqa: E402

PAGE = 50
SKUS = 3000
TARGET_PER_SECOND = 5000
POSTGRES_ENV = "REVERB_BENCH_POSTGRES"


class ScratchPostgres:
    """A database of its own on the server of ``url`` for one run: created on enter,
    dropped on exit (the benchmark needs an empty schema; the one named may hold data)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.server = make_url(url)
        self.name = f"reverb_storage_bench_{secrets.token_hex(4)}"
        self.url = self.server.set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def __enter__(self) -> str:
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')


def raw_orders(n: int, *, status: str, start: datetime, bump: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        created = start + timedelta(minutes=i)
        paid = created + timedelta(minutes=5)
        cents = 1000 + i % 5000
        out.append(
            {
                "order_number": str(100_000 + i),
                "uuid": f"uuid-{i:08d}",
                "status": status if i % 2 == 0 else "shipped",
                "product_id": str(5_000_000 + i % SKUS),
                "title": f"Bench item {i % SKUS}",
                "sku": f"BENCH-{i % SKUS:05d}",
                "quantity": 1,
                "amount_product": {
                    "amount": f"{cents / 100:.2f}",
                    "amount_cents": cents,
                    "currency": "USD",
                },
                "total": {
                    "amount": f"{(cents + 500) / 100:.2f}",
                    "amount_cents": cents + 500,
                    "currency": "USD",
                },
                "shipping": {"amount": "5.00", "amount_cents": 500, "currency": "USD"},
                "shipping_method": "shipped" if i % 3 else "local",
                "buyer_name": f"Buyer {i}",
                "created_at": created.isoformat(),
                "updated_at": (created + timedelta(hours=1, seconds=bump)).isoformat(),
                "paid_at": paid.isoformat(),
                "shipped_at": None,
            }
        )
    return out


def measure(engine, channel_id: int, raws: list[dict[str, Any]]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, orders changed) to store ``raws`` page by page."""
    from reverb_tui.sync.orders import store_with_retry

    now = datetime.now(UTC)
    changed = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    for i in range(0, len(raws), PAGE):
        new, updated, _ = store_with_retry(engine, channel_id, raws[i : i + PAGE], now)
        changed += new + updated
    return time.perf_counter() - t0, time.process_time() - cpu0, changed


def storage_figures(
    orders: int, db: str | None = None, workdir: Path | None = None
) -> list[Figure]:
    from reverb_tui.db.engine import make_engine, session_scope
    from reverb_tui.db.models import Channel, InventoryItem, fold

    with tempfile.TemporaryDirectory(prefix="reverb-storage-bench-") as tmp:
        target = db or str(Path(workdir or tmp) / "storage.db")
        engine = make_engine(target)
        count_at = datetime(2020, 1, 1, tzinfo=UTC)
        with session_scope(engine) as s:
            ch = Channel(
                name="Bench",
                name_key="bench",
                api_url="https://example.invalid/api",
                token="tok_bench_storage_0000",
                orders_since=count_at,
                created_at=count_at,
            )
            s.add(ch)
            for k in range(SKUS):
                sku = f"BENCH-{k:05d}"
                s.add(
                    InventoryItem(
                        sku=sku,
                        sku_key=fold(sku),
                        title=sku,
                        on_hand=10_000,
                        counted_at=count_at,
                        updated_at=count_at,
                    )
                )
            s.flush()
            cid = ch.id
        start = count_at + timedelta(days=1)  # paid after the count: sales take stock
        first = raw_orders(orders, status="paid", start=start)
        again = raw_orders(orders, status="shipped", start=start, bump=60)
        wall1, cpu1, n1 = measure(engine, cid, first)
        wall2, cpu2, n2 = measure(engine, cid, again)
        engine.dispose()
    figs = []
    for label, wall, cpu, n in (("new", wall1, cpu1, n1), ("changed", wall2, cpu2, n2)):
        rate = orders / wall
        figs.append(
            Figure(
                f"orders stored per second ({label} orders, pages of {PAGE}"
                + (", PostgreSQL)" if db is not None and db.startswith("postgresql") else ")"),
                rate,
                "orders/s",
                f">= {TARGET_PER_SECOND:,}",
                rate >= TARGET_PER_SECOND and n == orders,
                f"{orders:,} orders in {wall:.2f} s wall; CPU {cpu * 1000 / orders * 1000:.0f} ms "
                f"per 1,000 orders; {n:,} stored as {label}; "
                f"{'SQLite' if db is None or '://' not in db else 'PostgreSQL'}",
            )
        )
    return figs


def postgres_figures(orders: int, url: str | None = None) -> list[Figure]:
    """The same figures on a scratch database of the PostgreSQL server of ``url`` (default
    ``$REVERB_BENCH_POSTGRES``); none when no server is named."""
    url = url or os.environ.get(POSTGRES_ENV)
    if not url:
        return []
    with ScratchPostgres(url) as scratch:
        return storage_figures(orders, scratch)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=6000)
    ap.add_argument("--db", default=None, help="a database path (default: temp SQLite)")
    ap.add_argument(
        "--postgres",
        default=None,
        help=f"a PostgreSQL server URL to measure too (default ${POSTGRES_ENV})",
    )
    args = ap.parse_args(argv)
    figs = storage_figures(args.orders, args.db) + postgres_figures(args.orders, args.postgres)
    for f in figs:
        print(f.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
