"""The database layer: where it lives, who may read it, and what it refuses to open."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from reverb_tui.db.engine import BUSY_TIMEOUT_MS, make_engine, session_scope, to_url
from reverb_tui.db.migrate import current_revision, head_revision
from reverb_tui.db.models import Channel
from reverb_tui.errors import StorageError
from reverb_tui.paths import DB_ENV, db_target
from reverb_tui.services.factory import build_services
from tests.db_rows import add_channel

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def one_sentence(exc: BaseException) -> str:
    text_ = str(exc)
    assert text_ and "\n" not in text_ and text_.endswith("."), text_
    return text_


# -- creation and permissions ----------------------------------------------------------------


@pytest.mark.sqlite_only  # the SQLite file and its pragmas
def test_fresh_path_creates_private_dir_and_file(db_path: Path) -> None:
    assert not db_path.parent.exists()
    engine = make_engine(str(db_path))
    try:
        assert mode(db_path.parent) == 0o700
        assert mode(db_path) == 0o600
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def test_nested_fresh_path_and_wal_sidecars_stay_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "reverb.db"
    engine = make_engine(str(path))
    try:
        add_channel(engine, "Main shop")
        assert mode(path.parent) == 0o700
        for side in path.parent.iterdir():  # reverb.db, -wal, -shm
            assert mode(side) & 0o077 == 0, side
    finally:
        engine.dispose()


@pytest.mark.sqlite_only  # the SQLite file and its pragmas
def test_existing_database_with_loose_mode_is_made_private(db_path: Path) -> None:
    make_engine(str(db_path)).dispose()
    os.chmod(db_path, 0o644)
    make_engine(str(db_path)).dispose()
    assert mode(db_path) == 0o600


@pytest.mark.sqlite_only  # the SQLite file and its pragmas
def test_wal_busy_timeout_and_foreign_keys(db_path: Path) -> None:
    engine = make_engine(str(db_path))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_two_engines_share_one_file(db_path: Path) -> None:
    """The TUI and a daemon open the same file: one's commit is the other's read."""
    a, b = make_engine(str(db_path)), make_engine(str(db_path))
    try:
        add_channel(a, "Shared")
        with session_scope(b) as s:
            assert [c.name for c in s.exec(select(Channel)).all()] == ["Shared"]
    finally:
        a.dispose()
        b.dispose()


def test_reopening_keeps_data_and_schema(db_path: Path) -> None:
    e1 = make_engine(str(db_path))
    add_channel(e1, "Main shop")
    e1.dispose()
    e2 = make_engine(str(db_path))
    try:
        with session_scope(e2) as s:
            assert s.exec(select(Channel.name)).all() == ["Main shop"]
        assert current_revision(e2) == head_revision(e2)
    finally:
        e2.dispose()


# -- path, URL and environment ---------------------------------------------------------------


def test_path_and_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert to_url("rel.db") == f"sqlite:///{tmp_path / 'rel.db'}"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert to_url("~/x.db") == f"sqlite:///{tmp_path / 'home' / 'x.db'}"
    url = f"sqlite:///{tmp_path / 'by-url' / 'r.db'}"
    assert to_url(url) == url
    engine = make_engine(url)  # a SQLAlchemy URL gets the same care as a path
    try:
        assert mode(tmp_path / "by-url") == 0o700
        assert mode(tmp_path / "by-url" / "r.db") == 0o600
    finally:
        engine.dispose()


def test_percent_in_path_is_not_an_interpolation(tmp_path: Path) -> None:
    """Alembic's config is a ConfigParser: a '%' in the path used to crash migrations."""
    engine = make_engine(str(tmp_path / "100%done" / "reverb.db"))
    try:
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("target", "hidden"),
    [
        ("nosuchdialect://host/db", None),
        ("postgresql://user:hunter2@127.0.0.1:1/reverb", "hunter2"),
    ],
)
def test_unusable_url_is_a_storage_error(target: str, hidden: str | None) -> None:
    with pytest.raises(StorageError) as ei:
        make_engine(target)
    text_ = one_sentence(ei.value)
    assert "Cannot open the database" in text_
    if hidden:
        assert hidden not in text_  # a password in the URL is never echoed


def test_env_var_chooses_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env" / "r.db"
    monkeypatch.setenv(DB_ENV, str(target))
    assert db_target(None) == str(target)
    assert db_target(str(tmp_path / "flag.db")) == str(tmp_path / "flag.db")  # --db wins
    svc = build_services()
    try:
        assert Path(svc.engine.url.database) == target
        assert mode(target) == 0o600
    finally:
        svc.close()


def test_default_database_lives_in_the_user_data_dir(tmp_path: Path) -> None:
    svc = build_services()
    try:
        expected = tmp_path / "xdg-data" / "reverb-tui" / "reverb.db"  # conftest's XDG dirs
        assert Path(svc.engine.url.database) == expected
        assert mode(expected.parent) == 0o700 and mode(expected) == 0o600
    finally:
        svc.close()


# -- refusals: nothing is changed ------------------------------------------------------------


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: strings, picks, a capo\n" * 50)
    os.chmod(notes, 0o644)
    before = notes.read_bytes()
    with pytest.raises(StorageError) as ei:
        make_engine(str(notes))
    assert "is not a reverb-tui database" in one_sentence(ei.value)
    assert ei.value.exit_code == 1
    assert notes.read_bytes() == before
    assert mode(notes) == 0o644  # not even its permissions are touched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(StorageError) as ei:
        make_engine(str(other))
    assert "is not a reverb-tui database" in one_sentence(ei.value)
    con = sqlite3.connect(other)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    con.close()
    assert tables == ["people"]  # none of ours were added


def test_unknown_schema_revision_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    con.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    con.commit()
    con.close()
    with pytest.raises(StorageError) as ei:
        make_engine(str(newer))
    text_ = one_sentence(ei.value)
    assert "was written by a newer reverb-tui" in text_ and "9999_from_the_future" in text_
    assert "upgrade reverb-tui" in text_  # the way out
    con = sqlite3.connect(newer)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [
        ("9999_from_the_future",)
    ]  # refused untouched
    con.close()


def test_a_directory_is_refused_untouched(tmp_path: Path) -> None:
    d = tmp_path / "a-dir"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    with pytest.raises(StorageError) as ei:
        make_engine(str(d))
    assert "is a directory" in one_sentence(ei.value)
    assert mode(d) == 0o755 and list(d.iterdir()) == []


@pytest.mark.parametrize("below", ["reverb.db", "sub/reverb.db"])
def test_unwritable_location_under_a_regular_file(tmp_path: Path, below: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("I am a file, not a directory")
    with pytest.raises(StorageError) as ei:
        make_engine(str(blocker / below))
    assert "Cannot create the database" in one_sentence(ei.value)
    assert blocker.read_text() == "I am a file, not a directory"


def test_unwritable_directory_by_permissions(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        probe = locked / "probe"
        try:
            probe.write_text("x")
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("this user (root) bypasses directory permissions")
        with pytest.raises(StorageError) as ei:
            make_engine(str(locked / "reverb.db"))
        assert "permission denied" in one_sentence(ei.value)
    finally:
        os.chmod(locked, 0o700)


# -- units of work and column types ----------------------------------------------------------


def test_session_scope_commits_or_rolls_back(db_path: Path) -> None:
    engine = make_engine(str(db_path))
    try:
        with pytest.raises(RuntimeError):
            with session_scope(engine) as s:
                s.add(
                    Channel(
                        name="Doomed",
                        name_key="doomed",
                        api_url="https://api.reverb.com/api",
                        token="tok_doomed_12345678",
                        orders_since=NOW,
                        created_at=NOW,
                    )
                )
                s.flush()
                raise RuntimeError("boom")
        add_channel(engine, "Kept")
        with session_scope(engine) as s:
            assert s.exec(select(Channel.name)).all() == ["Kept"]
    finally:
        engine.dispose()


def test_timestamps_are_stored_as_utc_and_naive_ones_refused(db_path: Path) -> None:
    engine = make_engine(str(db_path))
    try:
        plus_two = timezone(timedelta(hours=2))
        with session_scope(engine) as s:
            ch = Channel(
                name="TZ",
                name_key="tz",
                api_url="https://api.reverb.com/api",
                token="tok_tz_1234567890",
                orders_since=datetime(2026, 1, 1, 14, 0, tzinfo=plus_two),
                created_at=NOW,
            )
            s.add(ch)
        with session_scope(engine) as s:
            got = s.exec(select(Channel)).one()
            assert got.orders_since == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
            assert got.orders_since.tzinfo is not None
        with pytest.raises(Exception, match="naive datetime"):
            with session_scope(engine) as s:
                got = s.exec(select(Channel)).one()
                got.last_order_sync_at = datetime(2026, 1, 1)
                s.add(got)
    finally:
        engine.dispose()


def test_unique_name_key_is_enforced_by_the_schema(db_path: Path) -> None:
    engine = make_engine(str(db_path))
    try:
        insp = inspect(engine)
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("channel")}
        uniques |= {
            tuple(i["column_names"]) for i in insp.get_indexes("channel") if i.get("unique")
        }
        assert ("name_key",) in uniques
    finally:
        engine.dispose()


# -- PostgreSQL URLs ---------------------------------------------------------------------------


def test_postgresql_urls_mean_the_psycopg_driver() -> None:
    for given in ("postgresql://u@db.example/shop", "postgres://u@db.example/shop"):
        assert to_url(given) == "postgresql+psycopg://u@db.example/shop"
    assert to_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def test_a_postgresql_url_without_the_driver_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(StorageError) as ei:
        make_engine("postgresql://someone@127.0.0.1:1/shop")
    assert one_sentence(ei.value) == (
        "The database is PostgreSQL, but its driver is not installed: run "
        "pip install 'reverb-tui[postgres]'."
    )


def test_an_unreachable_postgresql_server_is_one_sentence_without_the_password() -> None:
    with pytest.raises(StorageError) as ei:
        make_engine("postgresql://someone:hunter2@127.0.0.1:1/shop?connect_timeout=2")
    msg = one_sentence(ei.value)
    assert msg.startswith("Cannot open the database at postgresql+psycopg://someone:***@")
    assert "hunter2" not in msg
