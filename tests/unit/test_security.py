"""A known token must never appear in full: not on stdout or stderr, not in the saved
traceback, not in log records, not in JSON, not in exceptions. The database is private."""

from __future__ import annotations

import io
import json
import logging
import stat
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from reverb_tui import logs
from reverb_tui.__main__ import main
from reverb_tui.errors import mask_token
from reverb_tui.logs import redact, register_secret, setup_logging
from reverb_tui.services import factory
from reverb_tui.services.channels import ChannelService, channel_json
from tests.conftest import SECRET_TOKEN, fast_client_factory
from tests.fakes.reverb import Account, FakeReverb

MASKED = mask_token(SECRET_TOKEN)


def set_mode(reverb: FakeReverb, mode: str) -> None:
    """ "ok"; "down": the network fails; "echo-401": a 401 that quotes the token back."""

    def echo_401(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return httpx.Response(401, json={"message": f"Invalid token {token}", "token": token})

    if mode == "down":
        reverb.outage = httpx.ConnectError("[Errno 111] Connection refused")
    elif mode == "echo-401":
        reverb.before.append(echo_401)


@pytest.fixture(autouse=True)
def no_known_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no registered secret: masking must not depend on test order."""
    monkeypatch.setattr(logs, "_secrets", set())


@pytest.fixture
def reverb(monkeypatch: pytest.MonkeyPatch) -> FakeReverb:
    fake = FakeReverb(
        accounts={SECRET_TOKEN: Account(shop_id=7001, shop="Fuzz Boxes", currency="EUR")}
    )
    monkeypatch.setattr(factory, "default_client_factory", fast_client_factory(fake.transport))
    return fake


@pytest.fixture
def seen(caplog: pytest.LogCaptureFixture):
    """Everything a user or an operator could see, gathered for one grep at the end."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    yield texts
    texts.extend(r.getMessage() for r in caplog.records)
    texts.extend(str(r.args) for r in caplog.records if r.args)
    blob = "\n".join(texts)
    assert SECRET_TOKEN not in blob
    # Not even a long fragment of it (masking shows at most the last four characters).
    assert SECRET_TOKEN[:12] not in blob and SECRET_TOKEN[-12:] not in blob


def run(seen: list[str], monkeypatch, db: Path, *argv: str, stdin: str = "", env: bool = True):
    if env:
        monkeypatch.setenv("REVERB_TOKEN", SECRET_TOKEN)
    else:
        monkeypatch.delenv("REVERB_TOKEN", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        code = main([*argv, "--db", str(db)])
    finally:
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    seen += [out.getvalue(), err.getvalue()]
    return code, out.getvalue(), err.getvalue()


def last_error_file(tmp_path: Path) -> Path:
    return tmp_path / "xdg-cache" / "reverb-tui" / "last-error.txt"


def test_happy_paths_never_print_the_token(seen, reverb, monkeypatch, db_path) -> None:
    r = lambda *a, **k: run(seen, monkeypatch, db_path, *a, **k)  # noqa: E731
    assert r("channels", "add", "--name", "Main", "--currency", "USD")[0] == 0
    assert (
        r(
            "channels",
            "add",
            "--name",
            "Piped",
            "--currency",
            "EUR",
            "--token-stdin",
            stdin=SECRET_TOKEN + "\n",
            env=False,
        )[0]
        == 0
    )
    for argv in (
        ["channels", "list"],
        ["channels", "list", "--json"],
        ["channels", "disable", "Main", "--json"],
        ["channels", "enable", "Main"],
        ["channels", "set", "Main", "--stock-updates", "on", "--json"],
        ["channels", "reauthorise", "Main", "--json"],
        ["channels", "reauthorise", "Piped", "--token-stdin"],
    ):
        code, out, _ = r(*argv, stdin=SECRET_TOKEN)
        assert code == 0, argv
    docs = json.loads(r("channels", "list", "--json")[1])
    assert [d["token"] for d in docs] == [MASKED, MASKED]  # the last four characters at most
    assert MASKED.endswith(SECRET_TOKEN[-4:]) and len(MASKED) <= 5


@pytest.mark.parametrize("mode", ["refused", "echo-401", "down"])
def test_failures_never_print_the_token(seen, reverb, monkeypatch, db_path, mode) -> None:
    set_mode(reverb, mode if mode != "refused" else "ok")
    r = lambda *a, **k: run(seen, monkeypatch, db_path, *a, **k)  # noqa: E731
    if mode == "refused":
        # A token Reverb refuses, on stdin.
        code, _, err = r(
            "channels",
            "add",
            "--name",
            "M",
            "--currency",
            "USD",
            "--token-stdin",
            stdin=SECRET_TOKEN[::-1],
            env=False,
        )
        assert code == 2 and "Reverb refused this token" in err
        seen.append(err.replace(SECRET_TOKEN[::-1], "<the refused token>"))
        code, _, err = r("channels", "add", "--name", "M", "--currency", "USD")
        assert code == 0
        code, _, err = r("channels", "reauthorise", "M", "--token", SECRET_TOKEN)
        assert code == 2 and "shell history" in err
        return
    code, _, err = r("channels", "add", "--name", "M", "--currency", "USD")
    assert code == (2 if mode == "echo-401" else 1)
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1
    if mode == "echo-401":
        assert MASKED in err  # Reverb's words are kept, the token in them masked


def test_token_pasted_into_the_wrong_option_is_masked(seen, reverb, monkeypatch, db_path) -> None:
    code, _, err = run(
        seen,
        monkeypatch,
        db_path,
        "channels",
        "add",
        "--name",
        "M",
        "--currency",
        "USD",
        "--site",
        SECRET_TOKEN,
    )
    assert code == 2 and "Unknown site" in err and MASKED in err


def boom_with_token(*_a, **_k):
    """What SQLAlchemy raises on a failed INSERT: its text includes the bound parameters."""
    raise IntegrityError(
        "INSERT INTO channel (name, token) VALUES (?, ?)",
        ("Main", SECRET_TOKEN),
        Exception("UNIQUE constraint failed: channel.name_key"),
    )


@pytest.mark.parametrize("where", ["create", "draft"])
def test_unexpected_error_saves_a_redacted_traceback(
    seen, reverb, monkeypatch, db_path, tmp_path, where
) -> None:
    # "draft" fails before any Reverb client exists (the CLI must mask the token by itself).
    monkeypatch.setattr(ChannelService, where, boom_with_token)
    code, out, err = run(
        seen, monkeypatch, db_path, "channels", "add", "--name", "Main", "--currency", "USD"
    )
    assert code == 1 and out == ""
    line = err.strip()
    assert "\n" not in line and "unexpected IntegrityError" in line
    saved = last_error_file(tmp_path)
    assert str(saved) in line
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    text = saved.read_text()
    seen.append(text)
    assert "Traceback" in text and "IntegrityError" in text and MASKED in text


def test_database_is_private(seen, reverb, monkeypatch, tmp_path) -> None:
    db = tmp_path / "private" / "reverb.db"
    assert run(seen, monkeypatch, db, "channels", "add", "--name", "M", "--currency", "USD")[0] == 0
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    for side in db.parent.iterdir():
        assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, side


async def test_service_objects_never_show_the_token(seen, reverb, make_services) -> None:
    svc = make_services(client_factory=fast_client_factory(reverb.transport))
    ch = await svc.channels.add(name="Main", currency="USD", token=SECRET_TOKEN)
    doc = channel_json(ch)
    seen += [repr(ch), str(ch), json.dumps(doc), repr(doc)]
    assert doc["token"] == MASKED
    set_mode(reverb, "echo-401")
    with pytest.raises(Exception) as ei:
        await svc.channels.reauthorise("Main")
    seen += [str(ei.value), repr(ei.value)]


def test_log_handler_redacts_registered_tokens_and_bearer_headers() -> None:
    logger = logging.getLogger("reverb_tui")
    saved = logger.handlers[:], logger.level, logger.propagate
    stream = io.StringIO()
    try:
        setup_logging(logging.DEBUG, stream)
        register_secret(SECRET_TOKEN)
        log = logging.getLogger("reverb_tui.sync")
        log.info("sync failed for token %s", SECRET_TOKEN)
        log.warning("header was Authorization: Bearer abc.DEF-123_unregistered")
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    out = stream.getvalue()
    assert SECRET_TOKEN not in out and MASKED in out
    assert "abc.DEF-123_unregistered" not in out and "Bearer …" in out


def test_mask_token_shows_at_most_four_characters() -> None:
    assert mask_token(SECRET_TOKEN) == "…" + SECRET_TOKEN[-4:]
    assert mask_token("12345678") == "…"  # too short to reveal any of it
    assert mask_token("") == "(none)" and mask_token(None) == "(none)"
    register_secret(SECRET_TOKEN)
    assert redact(f"a {SECRET_TOKEN} b") == f"a {MASKED} b"
