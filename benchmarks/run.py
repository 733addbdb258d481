"""All of reverb-tui's benchmark figures, from one run, each against its target.

    .venv/bin/python benchmarks/run.py [--quick] [--no-suite]

Prints one line per figure, ``name: value unit (target …) OK/MISS``, with how it was
measured on the lines below it (benchmarks/README.md explains each). Exits 0 when every
figure was measured, MISS or not; 1 when a measurement crashed (its traceback goes to
stderr and the other figures still run).

``--quick`` shrinks the data (600 orders, 300 listings, 20,000 orders for the Orders screen)
and the sync interval (5 s) so the whole run takes well under a minute; ``make bench`` and
tests/unit/test_benchmarks_quick.py run it. Full mode (the default) uses the sizes the
issues ask for and the default 60 s interval, adds the three network profiles of
``profiles.py`` (LAN, internet, cautious: about ten minutes, most of it the cautious
profile's 4 requests a second), and also times the test suite unless ``--no-suite``.

Everything runs on loopback in a temporary directory (data, cache and config dirs included);
every process and server started here is stopped before it returns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from sync_bench import Figure, SimProcess, SyncBenchConfig, run_sync_figures  # noqa: E402

HELP_TARGET_MS = 100.0  # clig.dev: "print something to the user in <100ms"
SUITE_TARGET_S = 180.0  # the whole suite stays within a few minutes (CONTRIBUTING.md)


def cli_help_figure(runs: int) -> Figure:
    """``reverb-tui --help`` as a whole process (benchmarks/cli_help.py's way of timing),
    interleaved with ``python -c pass`` so a noisy machine hurts both alike."""
    import cli_help

    exe = cli_help.entry_point()
    env = dict(os.environ)
    helps, bases = [], []
    for i in range(runs + 1):  # the first round warms the file cache
        base = cli_help.timed([sys.executable, "-c", "pass"], env)
        ms = cli_help.timed([*exe, "--help"], env)
        if i:
            bases.append(base)
            helps.append(ms)
    med = statistics.median(helps)
    return Figure(
        "reverb-tui --help wall time (median)",
        med,
        "ms",
        f"<= {HELP_TARGET_MS:g} ms",
        med <= HELP_TARGET_MS,
        f"{runs} runs as whole processes: min {min(helps):.0f} ms, max {max(helps):.0f} ms; "
        f"python -c pass {statistics.median(bases):.0f} ms median, so --help costs "
        f"{med / statistics.median(bases):.1f}x the bare interpreter",
    )


def suite_figure() -> Figure:
    """The whole test suite, as ``make test`` runs it (the pytest part), with its five
    slowest tests."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--durations=5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.perf_counter() - t0
    lines = proc.stdout.splitlines()
    summary = next(
        (
            re.sub(r"=+", "", ln).strip()
            for ln in reversed(lines)
            if re.search(r"\d+ (passed|failed|errors?)\b.* in [\d.]+s", ln)
        ),
        "no summary line",
    )
    slowest = [
        f"{float(m.group(1)):.0f} s {m.group(2)} {m.group(3)}"
        for m in (re.match(r"\s*([\d.]+)s (call|setup|teardown)\s+(\S+)", ln) for ln in lines)
        if m
    ][:5]
    failed = [ln.split(" - ")[0] for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    note = f"pytest exit {proc.returncode}: {summary}"
    if failed:
        note += "\n" + "\n".join(failed[:5])
    if slowest:
        note += "\nslowest: " + "; ".join(slowest)
    return Figure(
        "test suite wall time (pytest, whole suite)",
        wall,
        "s",
        f"<= {SUITE_TARGET_S:g} s",
        wall <= SUITE_TARGET_S,
        note,
    )


class Runner:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.crashed: list[str] = []

    def emit(self, fig: Figure) -> None:
        self.figures.append(fig)
        print(fig.line(), flush=True)

    def section(self, title: str, fn: Callable[[], list[Figure] | Figure | None]) -> None:
        print(f"\n## {title}", flush=True)
        t0 = time.perf_counter()
        try:
            got = fn()
        except Exception as exc:
            self.crashed.append(title)
            print(f"{title}: CRASHED ({type(exc).__name__}: {exc})", flush=True)
            traceback.print_exc()
            return
        if isinstance(got, Figure):
            got = [got]
        for fig in got or []:
            self.emit(fig)
        print(f"   ({title}: {time.perf_counter() - t0:.1f} s)", flush=True)


def isolate(tmp: Path) -> None:
    """Nothing here may touch the user's own data, settings or token."""
    for name in ("data", "cache", "config"):
        os.environ[f"XDG_{name.upper()}_HOME"] = str(tmp / f"xdg-{name}")
    os.environ.pop("REVERB_TUI_DB", None)
    os.environ.pop("REVERB_TOKEN", None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small data, 5 s interval (CI)")
    ap.add_argument("--no-suite", action="store_true", help="do not time the test suite")
    args = ap.parse_args(argv)
    quick = args.quick
    cfg = SyncBenchConfig.for_mode(quick)
    big_orders = 20_000 if quick else 100_000
    started = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"reverb-tui benchmarks ({'quick' if quick else 'full'} mode), "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f} at start. Each figure is measured "
        "once; the machine is shared, so expect noise."
    )
    run = Runner()

    with tempfile.TemporaryDirectory(prefix="reverb-bench-") as tmp_name:
        tmp = Path(tmp_name)
        isolate(tmp)
        s = cfg.sim
        print(
            f"simulator: {s.orders:,} orders and {s.listings:,} listings per shop, 2 shops; "
            f"latency {s.latency * 1000:.0f} ms; rate limit {s.rate_limit} requests/s per token "
            "(client set to the same)"
        )
        sim = SimProcess(cfg.sim, tmp)
        try:
            sim.__enter__()
        except Exception as exc:
            run.crashed.append("simulator")
            print(f"simulator: CRASHED ({exc})")
            traceback.print_exc()
            sim = None
        try:
            if sim is not None:
                run.section(
                    "Sync: full, incremental, sale to stock (issues 3, 4, 6)",
                    lambda: asyncio.run(run_sync_figures(cfg, sim, tmp, emit=lambda _l: None)),
                )
                import tui_bench

                run.section(
                    "TUI: keypress latency while a full sync runs (issues 3, 6)",
                    lambda: asyncio.run(
                        tui_bench.keypress_figures(
                            sim, tmp, max_presses=60 if quick else 600, gap=0.05
                        )
                    ),
                )
        finally:
            if sim is not None:
                sim.__exit__()

        import tui_bench

        db = tmp / "orders-big.db"
        built: dict[str, float] = {}

        def build() -> None:
            built["s"] = tui_bench.build_orders_db(db, big_orders)

        run.section(
            f"Database with {big_orders:,} orders (benchmarks/orders_100k.py's build)",
            lambda: (build(), Figure("built in", built["s"], "s"))[1],
        )
        if db.exists():
            run.section(
                "TUI: start to first paint (issue 2)",
                lambda: tui_bench.first_paint_figures(db, "Guitar Shop"),
            )
            run.section(
                f"TUI: Orders screen and peak memory with {big_orders:,} orders (issues 3, 6)",
                lambda: tui_bench.orders_figures(
                    db, big_orders, pages=5 if quick else 20, external=not quick
                ),
            )
        run.section("CLI: reverb-tui --help (issue 2)", lambda: cli_help_figure(3 if quick else 15))
        import storage

        run.section(
            "Storage: order pages stored (issue 12)",
            lambda: (
                storage.storage_figures(1500 if quick else 6000, workdir=tmp)
                + storage.postgres_figures(1500 if quick else 6000)
            ),  # with $REVERB_BENCH_POSTGRES
        )
        if not quick:
            import profiles

            run.section(
                "Sync at Reverb's limit on three networks, 429s, sale, idle (issue 12)",
                lambda: asyncio.run(
                    profiles.all_profile_figures(False, tmp / "profiles", emit=lambda _l: None)
                ),
            )
        if not quick and not args.no_suite:
            run.section("Test suite (issue 2)", suite_figure)

    judged = [f for f in run.figures if f.ok is not None]
    misses = [f.name for f in judged if not f.ok]
    print(
        f"\n{len(judged)} figures against targets: {len(judged) - len(misses)} OK, "
        f"{len(misses)} MISS" + (f" ({'; '.join(misses)})" if misses else "")
    )
    if run.crashed:
        print(f"CRASHED: {', '.join(run.crashed)}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 1 if run.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
