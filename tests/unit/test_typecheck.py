"""scripts/typecheck.py: a misspelt attribute fails the check, and the baseline only shrinks.

The script runs mypy for real on tiny modules (a few seconds), against a baseline in a temp
directory; the repository's own run is ``make lint`` / ``make test``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "typecheck.py"

GOOD = """\
from reverb_tui.domain import RunKind


def kind() -> RunKind:
    return RunKind.DRY_RUN
"""
MISSPELT = GOOD.replace("RunKind.DRY_RUN", "RunKind.DRYRUN")


def typecheck(tmp_path: Path, source: str, *flags: str) -> subprocess.CompletedProcess[str]:
    module = tmp_path / "probe.py"
    module.write_text(source)
    cache = tmp_path / "mypy-cache"
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--baseline", str(tmp_path / "baseline.txt"), *flags]
        + ["--cache-dir", str(cache), str(module)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    return tmp_path / "baseline.txt"


def test_a_misspelt_attribute_fails_the_check(tmp_path: Path, baseline: Path) -> None:
    ok = typecheck(tmp_path, GOOD)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "typecheck: ok (0 errors" in ok.stdout
    bad = typecheck(tmp_path, MISSPELT)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "new type error: " in bad.stdout and "probe.py:5: " in bad.stdout
    assert '"DRYRUN"' in bad.stdout and "[attr-defined]" in bad.stdout


def test_the_baseline_accepts_a_known_error_and_only_shrinks(
    tmp_path: Path, baseline: Path
) -> None:
    assert typecheck(tmp_path, MISSPELT, "--regenerate").returncode == 0
    entries = [line for line in baseline.read_text().splitlines() if not line.startswith("#")]
    assert len(entries) == 1 and ": attr-defined: " in entries[0] and ":5" not in entries[0]
    # Known errors pass, wherever they move in the file.
    moved = typecheck(tmp_path, "\n\n" + MISSPELT)
    assert moved.returncode == 0, moved.stdout
    # Once fixed, the stale entry fails the check until --update removes it.
    stale = typecheck(tmp_path, GOOD)
    assert stale.returncode == 1
    assert "remove it: run scripts/typecheck.py --update" in stale.stdout
    assert typecheck(tmp_path, GOOD, "--update").returncode == 0
    assert [line for line in baseline.read_text().splitlines() if not line.startswith("#")] == []
    # --update never adds: the error back is a new error again.
    again = typecheck(tmp_path, MISSPELT, "--update")
    assert again.returncode == 1 and "new type error: " in again.stdout
    assert [line for line in baseline.read_text().splitlines() if not line.startswith("#")] == []
