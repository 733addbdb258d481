"""Tokens encrypted at rest (README "Storage and settings"), on SQLite and PostgreSQL: no token in the
database's bytes or a dump, the key outside it, plain tokens encrypted on the first start,
and a host without the key told how to provide it, changing nothing."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from reverb_tui.__main__ import main
from reverb_tui.db import crypto
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Channel
from reverb_tui.services.factory import build_services
from tests import db_rows
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel


def stored_tokens(db_path) -> list[str]:
    return [t for (t,) in db_rows.read(db_path, "SELECT token FROM channel ORDER BY id")]


def database_bytes(db_path) -> bytes:
    """Everything the database holds on disk: the SQLite file and its WAL, or a pg_dump."""
    if db_rows.is_sqlite(db_path):
        return b"".join(p.read_bytes() for p in Path(db_path).parent.iterdir())
    from sqlalchemy.engine import make_url

    url = make_url(str(db_path))
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    return subprocess.run(
        ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
        + ["-U", url.username or "root", "--data-only", url.database or ""],
        check=True,
        capture_output=True,
    ).stdout


def test_a_token_is_stored_encrypted_and_read_back_plain(make_services, db_path) -> None:
    svc = make_services()
    cid = add_channel(svc, "Shop A").id
    [stored] = stored_tokens(db_path)
    assert stored.startswith(crypto.PREFIX) and SECRET_TOKEN not in stored
    with session_scope(svc.engine) as s:
        ch = s.get(Channel, cid)
        assert ch is not None and ch.token == SECRET_TOKEN
    svc.close()
    blob = database_bytes(db_path)
    for fragment in (SECRET_TOKEN, SECRET_TOKEN[:16], SECRET_TOKEN[-16:]):
        assert fragment.encode() not in blob
    key = crypto.key_path()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_plain_tokens_of_an_older_version_are_encrypted_on_first_start(db_path) -> None:
    engine = make_engine(str(db_path))
    add_channel(engine, "Old")
    with engine.begin() as conn:  # as the previous version stored it
        conn.execute(text("UPDATE channel SET token = :t"), {"t": SECRET_TOKEN})
    engine.dispose()
    assert stored_tokens(db_path) == [SECRET_TOKEN]
    svc = build_services(str(db_path))  # the first start of this version
    try:
        [stored] = stored_tokens(db_path)
        assert stored.startswith(crypto.PREFIX)
        assert svc.channels.list()[0].token == SECRET_TOKEN
    finally:
        svc.close()


def test_a_host_without_the_key_is_told_how_and_changes_nothing(
    db_path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = make_engine(str(db_path))
    add_channel(engine, "Shop A")
    engine.dispose()
    before = stored_tokens(db_path)
    other_host = tmp_path / "other-host-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(other_host))
    # The TUI too says it in one sentence before it starts, rather than failing inside.
    for argv in (["channels", "list"], ["sync"], ["inventory", "list"], ["tui"]):
        code = main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        assert code == 1 and out == "", (argv, out)
        assert err.strip() == (
            "Error: The tokens in this database are encrypted with a key this host does not "
            "have: set $REVERB_TUI_SECRET to the team's secret, or copy the key file to "
            f"{other_host / 'reverb-tui' / 'secret.key'}."
        )
    assert not other_host.exists()  # no key of its own was made
    assert stored_tokens(db_path) == before

    monkeypatch.setenv("REVERB_TUI_SECRET", "not the key that encrypted them")
    assert main(["--db", str(db_path), "tui"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == (
        "Error: The tokens in this database were encrypted with another key than this "
        "host's ($REVERB_TUI_SECRET): set $REVERB_TUI_SECRET to the secret the other hosts "
        "use, or copy their key file here."
    )
    assert stored_tokens(db_path) == before


def test_hosts_sharing_reverb_tui_secret_read_each_others_tokens(
    db_path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(crypto.ENV, "team secret: 6f1c0e5b9a2d4c7e8f3a1b0d9c8e7f6a")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "host-a"))
    engine = make_engine(str(db_path))
    add_channel(engine, "Shop A")
    engine.dispose()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "host-b"))
    svc = build_services(str(db_path))
    try:
        assert svc.channels.list()[0].token == SECRET_TOKEN
    finally:
        svc.close()
    assert not (tmp_path / "host-a").exists() and not (tmp_path / "host-b").exists()
    assert crypto.key_location() == "$REVERB_TUI_SECRET"
    # Another secret is not the team's: one sentence, nothing changed.
    monkeypatch.setenv(crypto.ENV, "a different secret entirely, 0123456789abcdef")
    with pytest.raises(crypto.KeyMismatch) as ei:
        build_services(str(db_path))
    assert "\n" not in str(ei.value) and "REVERB_TUI_SECRET" in str(ei.value)


def test_a_copy_keeps_the_tokens_encrypted(db_path, tmp_path: Path) -> None:
    from reverb_tui.db.admin import copy_database

    engine = make_engine(str(db_path))
    add_channel(engine, "Shop A")
    target = tmp_path / "copy" / "reverb.db"
    copy_database(engine, str(target))
    engine.dispose()
    assert stored_tokens(target) == stored_tokens(db_path)
    assert SECRET_TOKEN.encode() not in b"".join(p.read_bytes() for p in target.parent.iterdir())
    svc = build_services(str(target))
    try:
        assert svc.channels.list()[0].token == SECRET_TOKEN
    finally:
        svc.close()


def test_the_key_files_contents_as_reverb_tui_secret_are_the_same_key(
    db_path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How a team moves up (README): the first host's key file becomes everyone's secret."""
    engine = make_engine(str(db_path))
    add_channel(engine, "Shop A")
    engine.dispose()
    secret = crypto.key_path().read_text().strip()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "second-host"))
    monkeypatch.setenv(crypto.ENV, secret)
    svc = build_services(str(db_path))
    try:
        assert svc.channels.list()[0].token == SECRET_TOKEN
    finally:
        svc.close()
