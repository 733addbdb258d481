"""Onboarding from listings: local SKUs and mappings created from 10,000 stored listings.

    .venv/bin/python benchmarks/onboarding.py [--listings N] [--db URL_OR_PATH]

One integration with N listings as a download stores them (default 10,000): 3 % without a SKU,
5 % repeating another listing's SKU in another case or with spaces around it, and 1,000 whose
SKU is already a local SKU (1,000 local SKUs counted earlier). Prints the seconds of the
preview (``OnboardingService.preview``: read and plan, nothing written), of the create (plan
again and write every local SKU and mapping in one transaction) and of a second run (nothing
left to create), each wall time with this process's CPU time, and checks the outcome: every
distinct unlinked SKU created once, the listings without a SKU the only unlinked ones left.

``--db``: a SQLite path (an empty one), or a PostgreSQL URL, whose server then gets a scratch
database for the run, dropped after it (the database named is never written to); the default
is a SQLite file in a temporary folder. Also importable: ``onboarding_figures``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync_bench import Figure  # noqa: E402

EXISTING = 1000  # local SKUs before onboarding, each listed once
TARGET_SECONDS = 2.0


def listing_rows(n: int, channel_id: int) -> tuple[list[dict], int, int]:
    """(rows, distinct new SKUs, listings without a SKU)."""
    rows: list[dict] = []
    for i in range(n):
        if i % 33 == 32:
            sku = None
        elif i < EXISTING:
            sku = f"have-{i:05d}"  # the local SKU is HAVE-…: linked by its SKU already
        elif i % 20 == 19:
            sku = f" lst-{i - 1:06d} "  # the previous listing's SKU, spelt another way
        else:
            sku = f"LST-{i:06d}"
        rows.append(
            {
                "channel_id": channel_id,
                "listing_id": str(50_000_000 + i),
                "sku": sku,
                "title": f"Bench listing {i} — Vintage Sunburst",
                "inventory": i % 7,
                "has_inventory": True,
                "one_of_a_kind": False,
                "state": "live",
            }
        )
    skus = [r["sku"].strip().lower() for r in rows if r["sku"] is not None]
    new = {k for k in skus if not k.startswith("have-")}
    return rows, len(new), sum(1 for r in rows if r["sku"] is None)


def onboarding_figures(listings: int, db: str | None = None) -> list[Figure]:
    from sqlalchemy import insert

    from reverb_tui.db.engine import session_scope
    from reverb_tui.db.models import Channel, InventoryItem, Listing, table_of
    from reverb_tui.services.factory import build_services

    with tempfile.TemporaryDirectory(prefix="reverb-onboarding-bench-") as tmp:
        target = db or str(Path(tmp) / "onboarding.db")
        svc = build_services(target)
        try:
            then = datetime(2020, 1, 1, tzinfo=UTC)
            with session_scope(svc.engine) as s:
                ch = Channel(
                    name="Onboarding bench",
                    name_key="onboarding bench",
                    api_url="https://example.invalid/api",
                    token="tok_bench_onboarding_0000",
                    orders_since=then,
                    created_at=then,
                )
                s.add(ch)
                s.flush()
                ch_id = ch.id
                assert ch_id is not None
                s.execute(
                    insert(table_of(InventoryItem)),
                    [
                        {
                            "sku": f"HAVE-{k:05d}",
                            "sku_key": f"have-{k:05d}",
                            "title": "Counted earlier",
                            "on_hand": 3,
                            "counted_at": then,
                            "updated_at": then,
                        }
                        for k in range(EXISTING)
                    ],
                )
                rows, expected, no_sku = listing_rows(listings, ch_id)
                s.execute(insert(table_of(Listing)), rows)

            def timed(fn):
                cpu0, t0 = time.process_time(), time.perf_counter()
                result = fn()
                return result, time.perf_counter() - t0, time.process_time() - cpu0

            plan, preview_s, preview_cpu = timed(lambda: svc.onboarding.preview(ch_id))
            made, create_s, create_cpu = timed(lambda: svc.onboarding.create(ch_id))
            again, again_s, again_cpu = timed(lambda: svc.onboarding.create(ch_id))
            left = svc.skus.unlinked(ch_id, limit=0).listing_count
            backend = "SQLite" if "://" not in target else target.split("://")[0]
        finally:
            svc.close()
    right = (
        len(plan.skus) == expected
        and made.created == made.mapped == expected
        and again.created == 0
        and left == no_sku
    )
    check = (
        f"{made.created:,} local SKUs and mappings created (expected {expected:,}); "
        f"{made.without_sku:,} listings without a SKU listed; second run created "
        f"{again.created}; {left:,} listings left unlinked; {backend}"
    )
    return [
        Figure(
            f"onboarding {listings:,} listings: create (one transaction)",
            create_s,
            "s",
            f"<= {TARGET_SECONDS:g} s",
            create_s <= TARGET_SECONDS and right,
            f"CPU {create_cpu:.2f} s; {check}",
        ),
        Figure(
            f"onboarding {listings:,} listings: preview",
            preview_s,
            "s",
            note=f"CPU {preview_cpu:.2f} s; {len(plan.skus):,} SKUs planned",
        ),
        Figure(
            f"onboarding {listings:,} listings: second run (nothing to create)",
            again_s,
            "s",
            note=f"CPU {again_cpu:.2f} s",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--listings", type=int, default=10_000)
    ap.add_argument(
        "--db",
        default=None,
        help="an empty SQLite file, or a PostgreSQL server's URL (a scratch database is "
        "made there); default: a temporary SQLite file",
    )
    args = ap.parse_args(argv)
    if args.db and args.db.startswith("postgres"):
        from storage import ScratchPostgres

        with ScratchPostgres(args.db) as url:
            figures = onboarding_figures(args.listings, url)
    else:
        figures = onboarding_figures(args.listings, args.db)
    for f in figures:
        print(f.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
