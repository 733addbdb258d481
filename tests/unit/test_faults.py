"""Faults speak one sentence: each real fault (not a mock) gives the problem and the way out,
exit 1, no traceback and no driver text, nothing lost, and the next run completes.

The faults are made for real: a small tmpfs filled to the last byte (disk full), a second
process holding an exclusive lock, a file of garbage, a read-only mount or an immutable file
(``chattr +i``; as root, chmod does not stop writes), a schema revision from the future and a
closed port. Tests that need mount or chattr skip, saying why, where they are not allowed.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reverb_tui.db.engine import make_engine
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel
from tests.fakes.reverb import BASE, FakeReverb, FakeReverbServer

pytestmark = pytest.mark.sqlite_only

DRIVER_TEXT = ("Traceback", "sqlalche.me", "OperationalError", "unexpected", "sqlite3.")


def cli(db: Path | str, *argv: str, timeout: float = 90) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REVERB_TOKEN", "REVERB_TUI_DB")}
    proc = subprocess.run(
        [sys.executable, "-m", "reverb_tui", *argv, "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    for bad in DRIVER_TEXT:
        assert bad not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert SECRET_TOKEN not in proc.stdout + proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    return lines[0]


def seed(db: Path) -> None:
    code, _out, err = cli(db, "inventory", "set", "NOPE", "--on-hand", "1")
    assert code == 2, err  # unknown SKU; the database now exists at head
    engine = make_engine(str(db))
    engine.dispose()


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not permitted'})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> Path:
    """Write until the filesystem is full; the file that took the last byte is returned."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


# -- disk full ------------------------------------------------------------------------------


@pytest.mark.slow
def test_disk_full_then_freed_nothing_lost_and_the_next_run_completes(tmp_path: Path) -> None:
    fake = FakeReverb()
    for _ in range(300):
        fake.add_order()
    with FakeReverbServer(fake).running() as server, tmpfs(tmp_path / "small", "3m") as disk:
        db = disk / "reverb.db"
        seed(db)
        engine = make_engine(str(db))
        add_channel(engine, "Shop A", api_url=server.site, orders_since=BASE.replace(year=2020))
        engine.dispose()
        filler = fill(disk)
        code, out, err = cli(db, "sync", "--orders-only", "--json")
        assert code == 1
        said = out + err
        assert "The disk holding the database" in said and "is full" in said
        assert "free some space and run it again" in said
        if out.strip():  # the run started: its summary says it in one sentence
            [summary] = json.loads(out)
            assert not summary["completed"]
            assert any("is full; nothing was lost" in e for e in summary["errors"])
        else:
            one_error(err)
        filler.unlink()
        code, out, err = cli(db, "sync", "--orders-only", "--json")
        assert code == 0, err
        code, out, _ = cli(db, "orders", "list", "--json")
        numbers = {o["order_number"] for o in json.loads(out)}
        assert numbers == {o["order_number"] for o in fake.orders}  # nothing lost
        code, out, _ = cli(db, "log", "--json")
        assert json.loads(out)[0]["status"] == "ok"


# -- locked past the busy timeout -------------------------------------------------------------


@pytest.mark.slow  # waits out the 15 s busy timeout
def test_database_held_locked_by_another_process(tmp_path: Path) -> None:
    db = tmp_path / "reverb.db"
    seed(db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, out, err = cli(db, "shipping", "services", "add", "Parcel")
    finally:
        holder.kill()
        holder.wait()
    assert (code, out) == (1, "")
    line = one_error(err)
    assert "stayed locked by another program for more than 15 s" in line
    assert "nothing was changed" in line and "try again" in line
    code, out, _ = cli(db, "shipping", "services", "list", "--json")
    assert json.loads(out) == []  # nothing half-written
    assert cli(db, "shipping", "services", "add", "Parcel")[0] == 0  # and now it goes through


# -- a file that is not a database, a newer schema --------------------------------------------


def test_a_file_of_garbage_is_refused_untouched(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"shopping list: strings, picks, a capo\n" * 50)
    before = garbage.read_bytes()
    code, out, err = cli(garbage, "channels", "list", "--json")
    assert (code, out) == (1, "")
    line = one_error(err)
    assert f"{garbage} is not a reverb-tui database" in line
    assert "point --db" in line and "move this file away" in line
    assert garbage.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["notes.db"]


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "reverb.db"
    seed(db)
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    before = db.read_bytes()
    for argv in (("channels", "list"), ("sync", "--json"), ("log", "--json")):
        code, out, err = cli(db, *argv)
        assert (code, out) == (1, "")
        line = one_error(err)
        assert "was written by a newer reverb-tui (schema revision '0099')" in line
        assert "upgrade reverb-tui" in line
    assert db.read_bytes() == before


# -- read-only ----------------------------------------------------------------------------------


def test_a_read_only_mount(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "4m") as disk:
        db = disk / "reverb.db"
        seed(db)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        code, out, err = cli(db, "shipping", "services", "add", "Parcel")
        assert (code, out) == (1, "")
        line = one_error(err)
        assert "is read-only; nothing was changed" in line
        assert "make the file and its folder writable" in line


def test_an_immutable_database_file(tmp_path: Path) -> None:
    db = tmp_path / "reverb.db"
    seed(db)
    if os.geteuid() != 0:
        os.chmod(db, 0o400)  # without root, permissions stop writes
    elif subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not permitted on this filesystem (root ignores chmod)")
    try:
        code, out, err = cli(db, "shipping", "services", "add", "Parcel")
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
        os.chmod(db, 0o600)
    assert (code, out) == (1, "")
    line = one_error(err)
    assert "read-only" in line and "writable" in line


# -- an unreachable site ------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.mark.slow  # the client retries a refused connection within its budget
def test_an_unreachable_site(tmp_path: Path) -> None:
    db = tmp_path / "reverb.db"
    seed(db)
    engine = make_engine(str(db))
    add_channel(engine, "Shop A", api_url=f"http://127.0.0.1:{closed_port()}/api")
    engine.dispose()
    started = time.monotonic()
    code, out, err = cli(db, "sync", "--json")
    assert code == 1
    [summary] = json.loads(out)
    [error] = [e for e in summary["errors"] if e.startswith("orders:")]
    assert "Cannot reach Reverb at 127.0.0.1" in error
    assert "check the network connection and the integration's site address" in error
    code, out, _ = cli(db, "sync")
    assert code == 1 and "check the network connection" in _
    [run, *_rest] = json.loads(cli(db, "log", "--json")[1])
    assert run["status"] == "failed"
    assert any("check the network connection" in e["message"] for e in run["errors"])
    assert time.monotonic() - started < 120


# -- the TUI says the same sentence ------------------------------------------------------------


def test_the_tui_describes_a_real_fault_in_the_same_sentence(tmp_path: Path) -> None:
    """A worker that hit a real read-only database shows its sentence, not the driver's."""
    from sqlalchemy import create_engine, text

    from reverb_tui.app import describe_failure

    db = tmp_path / "reverb.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    engine = create_engine(f"sqlite:///file:{db}?mode=ro&uri=true")
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    except Exception as exc:  # the real error a worker would fail with
        message = describe_failure(exc)
    else:
        pytest.fail("a read-only connection wrote")
    finally:
        engine.dispose()
    assert message.startswith("The database is read-only; nothing was changed")
