"""contrib/systemd: the example units say what the README says, and systemd accepts them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reverb_tui.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "contrib" / "systemd").glob("*/reverb-tui-sync.service"))
EXE = Path(sys.executable).with_name("reverb-tui")


def service_section(unit: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = None
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_both_units_are_there() -> None:
    assert [u.parent.name for u in UNITS] == ["system", "user"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.parent.name)
def test_the_unit_runs_the_daemon_restarts_it_and_reads_an_environment_file(unit: Path) -> None:
    service = service_section(unit)
    assert service["Restart"] == ["on-failure"]
    assert service["EnvironmentFile"][0].startswith("-")  # optional
    assert service["UMask"] == ["0077"]
    argv = shlex.split(service["ExecStart"][0])
    assert argv[0].endswith("/reverb-tui")
    args = build_parser().parse_args(argv[1:])
    assert args.command == "sync" and args.watch


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.parent.name)
def test_systemd_analyze_verify_is_clean(unit: Path, tmp_path: Path) -> None:
    """Verified as written except for the command's path, which systemd wants to exist:
    here it is this venv's reverb-tui."""
    text = unit.read_text()
    command = shlex.split(service_section(unit)["ExecStart"][0])[0]
    copy = tmp_path / unit.name
    copy.write_text(text.replace(f"ExecStart={command} ", f"ExecStart={EXE} "))
    assert f"ExecStart={EXE} sync --watch" in copy.read_text()
    proc = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")
