"""Start-up cost of the CLI, measured as whole processes.

    .venv/bin/python benchmarks/cli_help.py [--runs 15]

Times, over N runs each, interleaved so that a noisy machine hurts every command alike:

- ``python -c pass``: the interpreter alone, the yardstick;
- ``reverb-tui --help``: must stay fast (no heavy imports at start-up);
- ``reverb-tui channels list --json`` on a fresh database (created, migrated to head);
- ``reverb-tui channels list --json`` on an existing database (the everyday case).

Prints the median and the fastest run in milliseconds, and each median as a multiple of
``python -c pass`` from the same run. Everything runs in a temporary data directory; the
user's own database and settings are never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def entry_point() -> list[str]:
    script = Path(sys.executable).with_name("reverb-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reverb_tui"]


def timed(argv: list[str], env: dict[str, str], expect_json: bool = False) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
    if expect_json and json.loads(proc.stdout) != []:
        raise SystemExit(f"{' '.join(argv)} did not print an empty JSON list")
    return elapsed * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    ap.add_argument("--quick", action="store_true", help="5 runs")
    args = ap.parse_args()
    runs = 5 if args.quick else max(1, args.runs)

    exe = entry_point()
    with tempfile.TemporaryDirectory(prefix="reverb-tui-bench-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("REVERB_TUI_DB", "REVERB_TOKEN")}
        env.update(
            XDG_DATA_HOME=str(root / "data"),
            XDG_CACHE_HOME=str(root / "cache"),
            XDG_CONFIG_HOME=str(root / "config"),
        )
        existing = root / "existing" / "reverb.db"
        timed([*exe, "channels", "list", "--json", "--db", str(existing)], env, True)

        cases: dict[str, list[float]] = {
            "python -c pass": [],
            "reverb-tui --help": [],
            "reverb-tui channels list --json (fresh DB)": [],
            "reverb-tui channels list --json (existing DB)": [],
        }
        # One warm-up of each (file cache, .pyc), then interleaved timed rounds.
        for i in range(runs + 1):
            fresh = root / f"fresh-{i}" / "reverb.db"
            samples = [
                timed([sys.executable, "-c", "pass"], env),
                timed([*exe, "--help"], env),
                timed([*exe, "channels", "list", "--json", "--db", str(fresh)], env, True),
                timed([*exe, "channels", "list", "--json", "--db", str(existing)], env, True),
            ]
            if i == 0:
                continue
            for values, ms in zip(cases.values(), samples, strict=True):
                values.append(ms)

    base = statistics.median(cases["python -c pass"])
    print(f"entry point: {' '.join(exe)}; {runs} interleaved runs each")
    print(f"{'command':<48} {'median ms':>10} {'min ms':>8} {'x python':>9}")
    for name, values in cases.items():
        med = statistics.median(values)
        print(f"{name:<48} {med:>10.1f} {min(values):>8.1f} {med / base:>9.1f}")


if __name__ == "__main__":
    main()
