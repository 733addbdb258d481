"""``benchmarks/run.py --quick`` (what ``make bench`` runs) measures every figure and exits 0.

The figures themselves may MISS their targets (the script still exits 0 then); this checks
that each one was measured and printed in the agreed form, that nothing crashed, and that
the run stays quick. Everything it starts is on loopback and stopped by the script.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUM = r"\d[\d,]*(?:\.\d+)?"
VERDICT = r" (?:OK|MISS)$"

# (what the line starts with, what must follow it)
FIGURES = [
    ("full sync wall time / rate-limit lower bound", rf": {NUM} x \(target <= 1\.25\)"),
    ("full sync requests / minimum requests", rf": {NUM} x \(target <= 1\.05\)"),
    (
        "stock push of 300 changed listings / rate-limit lower bound",
        rf": {NUM} x \(target <= 1\.25\)",
    ),
    (
        "incremental sync, nothing new (the periodic run): requests per integration",
        rf": {NUM} requests \(target <= 2\)",
    ),
    ("incremental sync, nothing new: listing writes", rf": {NUM} PUTs \(target = 0\)"),
    (
        "incremental order download alone (sync --orders-only), nothing new: requests per "
        "integration",
        rf": {NUM} requests \(target <= 2\)",
    ),
    (
        "sale on account A -> corrected stock on account B",
        rf": {NUM} s \(target <= interval \+ 5 s = 10 s\)",
    ),
    ("keypress to screen p95 while a full sync runs", rf": {NUM} ms \(target <= 50 ms\)"),
    (
        "TUI start to first paint with rows, headless (run_test), from process start",
        rf": {NUM} s \(target <= 0\.5 s\)",
    ),
    (
        "peak memory of the TUI with 20,000 orders (peak RSS)",
        rf": {NUM} MB \(target <= 250 MB\)",
    ),
    ("reverb-tui --help wall time (median)", rf": {NUM} ms \(target <= 100 ms\)"),
    (
        "orders stored per second (new orders, pages of 50)",
        rf": {NUM} orders/s \(target >= 5,000\)",
    ),
]


def run_quick(tmp_path: Path, timeout: float = 150) -> subprocess.CompletedProcess:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("REVERB_TUI_DB", None)
    env.pop("REVERB_TOKEN", None)
    # Its own session, so a timeout can stop the script and everything it started.
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        pytest.fail(f"benchmarks/run.py --quick took over {timeout:.0f} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow  # runs every benchmark once, ~20 s
def test_quick_run_prints_every_figure(tmp_path: Path) -> None:
    t0 = time.monotonic()
    proc = run_quick(tmp_path)
    elapsed = time.monotonic() - t0
    out = proc.stdout
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{proc.stderr[-4000:]}"
    assert "CRASHED" not in out, out
    lines = out.splitlines()
    for name, rest in FIGURES:
        found = [ln for ln in lines if ln.startswith(name + ":")]
        assert len(found) == 1, f"no single line for {name!r} in:\n{out}"
        assert re.fullmatch(re.escape(name) + rest + VERDICT, found[0]), found[0]
    # The real-terminal first paint is measured when tmux is there, else said to be missing.
    tmux_line = [ln for ln in lines if ln.startswith("TUI start to first paint") and "tmux" in ln]
    assert len(tmux_line) == 1, out
    if shutil.which("tmux"):
        assert re.search(rf": {NUM} s \(target <= 0\.5 s\){VERDICT}", tmux_line[0]), tmux_line
    else:
        assert "not available" in tmux_line[0]
    # The Orders screen figures come from another script when it exists; either way a line.
    assert any(ln.startswith("Orders screen") for ln in lines), out
    summary = [ln for ln in lines if "figures against targets" in ln]
    assert summary and re.search(r"\d+ OK, \d+ MISS", summary[0]), out
    # No simulator, tmux server or child process outlived the script.
    leftovers = subprocess.run(
        ["pgrep", "-f", f"{tmp_path}"], capture_output=True, text=True
    ).stdout.split()
    assert not leftovers, f"processes left running: {leftovers}"
    assert elapsed < 120, f"the quick run took {elapsed:.0f} s"
