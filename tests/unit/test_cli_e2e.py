"""End to end: the real ``reverb-tui`` process against a tiny Reverb on 127.0.0.1.

No mocks between the command line and the socket: argument parsing, token input, the async
client with its headers, verification, the database and the exit codes all run for real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import db_rows
from tests.conftest import CHANNEL_KEYS, SECRET_TOKEN
from tests.fakes.reverb import Account, FakeReverb, FakeReverbServer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeReverbServer]:
    fake = FakeReverb(
        accounts={SECRET_TOKEN: Account(shop_id=7001, shop="E2E Guitars", currency="GBP")}
    )
    with FakeReverbServer(fake).running() as srv:
        yield srv


class Run:
    def __init__(self, db: Path) -> None:
        self.db = db

    def __call__(
        self,
        *argv: str,
        token: str | None = None,
        stdin: str = "",
        exe: list[str] | None = None,
    ) -> tuple[int, str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("REVERB_TOKEN", "REVERB_TUI_DB")}
        if token is not None:
            env["REVERB_TOKEN"] = token
        proc = subprocess.run(
            [*(exe or [sys.executable, "-m", "reverb_tui"]), *argv, "--db", str(self.db)],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        assert SECRET_TOKEN not in proc.stdout + proc.stderr
        return proc.returncode, proc.stdout, proc.stderr


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    return lines[0]


@pytest.mark.slow  # a dozen real reverb-tui processes
def test_lifecycle_against_a_local_reverb(server: FakeReverbServer, db_path: Path) -> None:
    run = Run(db_path)
    site = server.site

    code, out, err = run(
        "channels",
        "add",
        "--name",
        "Shop A",
        "--currency",
        "eur",
        "--site",
        site,
        "--json",
        token=SECRET_TOKEN,
    )
    assert code == 0, err
    doc = json.loads(out)
    assert CHANNEL_KEYS <= doc.keys()
    assert (doc["name"], doc["currency"], doc["site"], doc["enabled"]) == (
        "Shop A",
        "EUR",
        site,
        True,
    )
    assert (doc["seller_id"], doc["shop_name"]) == ("7001", "E2E Guitars")
    # The client really sent Reverb's headers over the wire.
    method, path, headers = server.seen[0]
    assert (method, path) == ("GET", "/api/my/account")
    assert headers["Accept-Version"] == "3.0"
    assert headers["Accept"] == "application/hal+json"
    assert headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
    if db_rows.is_sqlite(db_path):
        assert stat_mode(db_path) == 0o600 and stat_mode(db_path.parent) == 0o700

    # A token Reverb refuses, piped on stdin: exit 2, one sentence, nothing added.
    code, out, err = run(
        "channels",
        "add",
        "--name",
        "Shop B",
        "--currency",
        "USD",
        "--site",
        site,
        "--token-stdin",
        stdin="tok_wrong_wrong_wrong_1\n",
    )
    assert code == 2 and out == ""
    assert "Reverb refused this token (401): Please log in" in one_error(err)

    code, out, err = run("channels", "list", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["Shop A"] and CHANNEL_KEYS <= rows[0].keys()

    # The installed console script, not just `python -m`.
    script = Path(sys.executable).with_name("reverb-tui")
    code, out, err = run("channels", "disable", "shop a", exe=[str(script)])
    assert code == 0 and "disabled" in out, err
    assert db_row(db_path, "enabled") == 0
    code, out, err = run("channels", "enable", "SHOP A", "--json")
    assert code == 0 and json.loads(out)["enabled"] is True

    seen = len(server.seen)
    code, out, err = run("channels", "reauthorise", "Shop A", "--token-stdin", stdin=SECRET_TOKEN)
    assert code == 0 and "seller 7001" in out, err
    assert server.seen[seen][1] == "/api/my/account"  # verified again, over the wire

    code, out, err = run("channels", "set", "Shop A", "--stock-updates", "on", "--buffer", "1")
    assert code == 0 and "Updated settings" in out, err
    assert "--dry-run" in err  # the one-line tip on stderr
    assert db_row(db_path, "stock_updates, buffer, max_quantity") == (1, 1, None)

    code, out, err = run("channels", "remove", "Shop A", "--yes")
    assert code == 0 and "Removed" in out, err
    assert db_row(db_path, "name_key, enabled, removed_at IS NOT NULL") == (None, 0, 1)


def db_row(db: Path, columns: str):
    """Read the single channel row straight from the database the process wrote."""
    (row,) = db_rows.read(db, f"SELECT {columns} FROM channel")
    return row[0] if len(row) == 1 else row


def stat_mode(p: Path) -> int:
    return p.stat().st_mode & 0o777
