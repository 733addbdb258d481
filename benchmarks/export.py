"""Orders export to CSV at 100,000 orders: seconds and peak RSS.

Seeds a fresh SQLite book the way ``orders_100k.py`` does (``build``), then runs
``reverb-tui orders export`` in a child process twice: on the whole book, and with
``--status shipped`` over a tenth of it (``--since``) as a small baseline. Each child reports
its wall time and peak RSS (``ru_maxrss``). Flat memory means the full export's peak is close
to the small one's, however many rows it writes.

Run: ``.venv/bin/python benchmarks/export.py [--orders N] [--db PATH_OR_URL_TO_BUILD_IN]``
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orders_100k import build


def export(env: dict[str, str], out: Path, *extra: str) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of one ``orders export`` in a child process."""
    code = (
        "import resource, sys, time\n"
        "from reverb_tui.__main__ import main\n"
        "t = time.perf_counter()\n"
        f"rc = main(['orders', 'export', {str(out)!r}, '--force', *{list(extra)!r}])\n"
        "sys.stderr.write(f'{rc} {time.perf_counter() - t:.3f} '\n"
        "                 f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=False)
    last = proc.stderr.decode().strip().splitlines()[-1]
    if proc.returncode or len(last.split()) != 3:
        raise SystemExit(f"the export failed: {last}")
    rc, secs, rss_kb = last.split()
    return int(rc), float(secs), int(rss_kb) / 1024


def rows_in(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reverb-export-bench-") as tmp:
        db = Path(tmp) / "book.db"
        t0 = time.perf_counter()
        build(db, args.orders)
        print(f"seeded {args.orders:,} orders in {time.perf_counter() - t0:.1f} s")
        env = dict(os.environ, REVERB_TUI_DB=str(db))
        out = Path(tmp) / "orders.csv"
        rc_small, secs_small, rss_small = export(env, out, "--since", "2026-10-01")
        small_rows = rows_in(out)
        rc, secs, rss = export(env, out)
        rows = rows_in(out)
        size = out.stat().st_size / 1e6
    print(f"export, {small_rows:,} rows (--since): rc {rc_small}, {secs_small:.2f} s, "
          f"peak RSS {rss_small:.0f} MB")  # fmt: skip
    print(f"export, {rows:,} rows (whole book):   rc {rc}, {secs:.2f} s, peak RSS {rss:.0f} MB, "
          f"{size:.0f} MB of CSV, {rows / secs:,.0f} rows/s")  # fmt: skip
    print(f"peak RSS, whole book / small export: {rss / rss_small:.2f}")
    return 0 if rc == rc_small == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
