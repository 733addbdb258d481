"""The sync daemon's logging: a rotating, owner-only log file in the log directory, failures
at ERROR, --quiet/--verbose, and never a token (reverb_tui/logs.py, cli/sync.py)."""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reverb_tui import logs, paths
from reverb_tui.__main__ import main
from reverb_tui.demo.simulator import ReverbSimulator
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel

EXE = Path(sys.executable).with_name("reverb-tui")
GOOD_TOKEN = "tok_daemon_good_0123456789abcdef"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger("reverb_tui")
    saved = (root.handlers[:], root.level, root.propagate)
    yield
    for h in root.handlers:
        h.close()
    root.handlers[:], root.level, root.propagate = saved


def test_the_log_dir_is_the_platforms_unless_the_environment_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv(paths.LOG_DIR_ENV, raising=False)
    assert paths.log_dir() == tmp_path / "state" / "reverb-tui" / "log"
    monkeypatch.setenv(paths.LOG_DIR_ENV, str(tmp_path / "elsewhere"))
    assert paths.log_dir() == tmp_path / "elsewhere"


def test_the_log_file_is_private_rotates_and_never_holds_a_token(
    tmp_path: Path, restore_logging: None
) -> None:
    path = tmp_path / "logs" / "reverb-tui.log"
    handler = logs.open_log_file(path, max_bytes=400, backups=2)
    log = logging.getLogger("reverb_tui.test")
    root = logging.getLogger("reverb_tui")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    logs.register_secret(SECRET_TOKEN)
    for i in range(40):
        log.warning("run %d with %s and a \x1b]52;c;evil\x07 title", i, SECRET_TOKEN)
    handler.close()

    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["reverb-tui.log", "reverb-tui.log.1", "reverb-tui.log.2"]
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = ""
    for name in files:
        p = path.parent / name
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, name  # rotated files too
        assert p.stat().st_size <= 400 + 200
        text += p.read_text()
    assert "run 39 with" in text and "WARNING" in text
    assert SECRET_TOKEN not in text and "\x1b" not in text and "\x07" not in text


def test_console_and_file_levels(tmp_path: Path, restore_logging: None, capsys) -> None:
    path = tmp_path / "reverb-tui.log"
    assert logs.setup_logging(logging.ERROR, log_file=path, file_level=logging.INFO) == path
    log = logging.getLogger("reverb_tui.sync")
    log.info("an ordinary run")
    log.error("a failed run")
    log.debug("detail")
    err = capsys.readouterr().err
    assert "a failed run" in err and "an ordinary run" not in err
    text = path.read_text()
    assert "INFO an ordinary run" in text and "ERROR a failed run" in text
    assert "detail" not in text


def test_an_unwritable_log_dir_is_said_once_and_the_daemon_goes_on(
    tmp_path: Path,
    restore_logging: None,
    capsys,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert logs.setup_logging(logging.INFO, log_file=blocker / "reverb-tui.log") is None
    logging.getLogger("reverb_tui.sync").warning("still logged")
    err = capsys.readouterr().err
    assert err.startswith(f"Cannot write the log file {blocker / 'reverb-tui.log'}: ")
    assert "logging to stderr only." in err and "still logged" in err


@pytest.mark.parametrize("flag", ["--verbose", "--quiet", "-q"])
def test_verbose_and_quiet_go_with_watch(flag: str, db_path: Path, capsys) -> None:
    assert main(["sync", flag, "--db", str(db_path)]) == 2
    assert capsys.readouterr().err == "Error: --verbose and --quiet go with --watch.\n"


@pytest.mark.slow  # a daemon process against the simulator
def test_the_daemon_logs_a_failed_run_at_error_and_keeps_a_log_file(
    make_services,
    db_path: Path,
    tmp_path: Path,
) -> None:
    sim = ReverbSimulator(seed=3)
    shop = sim.add_shop(GOOD_TOKEN, "Good shop", "USD")
    sim.generate(shop, orders=5, listings=3, days=5, seed=1)
    sim.start()
    try:
        svc = make_services()
        add_channel(svc, "Good shop", token=GOOD_TOKEN, api_url=sim.base_url)
        add_channel(svc, "Revoked shop", token=SECRET_TOKEN, api_url=sim.base_url)  # 401
        svc.close()
        log_dir = tmp_path / "logs"
        env = {k: v for k, v in os.environ.items() if k not in ("REVERB_TUI_DB", "JOURNAL_STREAM")}
        env[paths.LOG_DIR_ENV] = str(log_dir)
        proc = subprocess.Popen(
            [str(EXE), "sync", "--watch", "--interval", "1", "--quiet", "--db", str(db_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        log_file = log_dir / "reverb-tui.log"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                text = log_file.read_text() if log_file.exists() else ""
                if "Revoked shop: sync failed" in text and "Good shop: ok" in text:
                    break
                assert proc.poll() is None, proc.communicate()[1]
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        sim.stop()

    assert proc.returncode == 0, err
    assert out == ""
    text = log_file.read_text()
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert "INFO sync daemon started" in text and "INFO sync daemon stopped" in text
    failed = [line for line in text.splitlines() if "Revoked shop: sync failed" in line]
    assert failed and all(" ERROR " in line for line in failed)
    assert "Good shop: ok" in text  # the ordinary run line, at INFO, in the file only
    # --quiet: only errors on stderr.
    lines = err.strip().splitlines()
    assert lines and all(" ERROR " in line for line in lines if line[:1].isdigit()), err
    assert "Revoked shop: sync failed" in err and "sync daemon started" not in err
    assert SECRET_TOKEN not in text + err
    assert "Traceback" not in err
