"""Type-check ``reverb_tui`` with mypy against a baseline that can only shrink.

mypy runs with the settings in pyproject.toml. Each error is reduced to
``path: code: message`` (no line numbers, so editing a file does not churn the baseline) and
compared, counting repeats, with ``mypy-baseline.txt``:

- an error the baseline does not list fails the check (fix it; do not add it);
- a baseline entry that no longer occurs also fails, so a fixed error leaves the baseline
  in the same change: ``--update`` removes such entries and never adds one.

``--regenerate`` writes every current error into the baseline. It is for accepting errors
on purpose (a merge, a new mypy), and the diff of the baseline shows what was accepted.

    python scripts/typecheck.py                # the check (make lint, make test)
    python scripts/typecheck.py --update       # drop entries that no longer occur
    python scripts/typecheck.py --regenerate   # accept every current error
    python scripts/typecheck.py --baseline FILE path/to/module.py   # check other targets

Any other flag (``--cache-dir DIR``, say) is passed to mypy.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
HEADER = (
    "# mypy errors accepted for now: 'path: code: message', one per occurrence.\n"
    "# This file only shrinks: fix an error, then run scripts/typecheck.py --update.\n"
)
ERROR = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+)(?::\d+)?: error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.path}: {self.code}: {self.message}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}  [{self.code}]"


def run_mypy(targets: list[str]) -> list[Finding]:
    """mypy's errors (notes dropped); exits 2 when mypy itself fails."""
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--no-error-summary",
        "--show-error-codes",
        "--hide-error-context",
        "--no-pretty",
        "--no-color-output",
        *targets,
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout + done.stderr)
        sys.stderr.write(f"typecheck: mypy failed (exit {done.returncode}).\n")
        sys.exit(2)
    errors = []
    for line in done.stdout.splitlines():
        m = ERROR.match(line)
        if m:
            path = m["path"].replace("\\", "/")
            code = m["code"] or "misc"
            errors.append(Finding(path, int(m["line"]), code, m["message"].strip()))
        elif ": error: " in line:
            sys.stderr.write(f"typecheck: cannot read this mypy line: {line}\n")
            sys.exit(2)
    return errors


def read_baseline(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(path: Path, entries: Counter[str]) -> None:
    body = "".join(f"{e}\n" for e in sorted(entries.elements()))
    path.write_text(HEADER + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--update", action="store_true", help="remove baseline entries that no longer occur"
    )
    mode.add_argument(
        "--regenerate", action="store_true", help="write every current error to the baseline"
    )
    parser.add_argument("--baseline", type=Path, default=BASELINE, help=argparse.SUPPRESS)
    parser.add_argument("targets", nargs="*", help="files or packages (default: pyproject's)")
    args, mypy_flags = parser.parse_known_args(argv)  # other flags go to mypy

    errors = run_mypy([*mypy_flags, *args.targets])
    current = Counter(e.key for e in errors)
    baseline = read_baseline(args.baseline)

    if args.regenerate:
        write_baseline(args.baseline, current)
        print(f"typecheck: wrote {sum(current.values())} errors to {args.baseline.name}.")
        return 0

    new = current - baseline
    stale = baseline - current
    if args.update and stale:
        baseline -= stale
        write_baseline(args.baseline, baseline)
        print(f"typecheck: removed {sum(stale.values())} fixed errors from {args.baseline.name}.")
        stale = Counter()

    # Report the new errors with their lines: the occurrences beyond the baseline's count.
    budget = Counter(baseline)
    fresh = []
    for e in errors:
        if budget[e.key] > 0:
            budget[e.key] -= 1
        else:
            fresh.append(e)
    for e in fresh:
        print(f"new type error: {e}")
    for entry in sorted(stale.elements()):
        print(f"fixed, still in {args.baseline.name}: {entry}")
    if stale:
        print("  remove it: run scripts/typecheck.py --update")
    if new or stale:
        print(
            f"typecheck: FAILED ({sum(new.values())} new, {sum(stale.values())} fixed but "
            f"still in the baseline; {sum(current.values())} errors in all)."
        )
        return 1
    print(f"typecheck: ok ({sum(current.values())} errors, every one in {args.baseline.name}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
