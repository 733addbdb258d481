"""``reverb-tui serve``: loopback only, one sentence otherwise (tests/e2e runs the server and
a browser)."""

from __future__ import annotations

import shlex
import sys

import pytest

from reverb_tui.__main__ import main
from reverb_tui.cli import serve


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.4.5.6", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("localhost.attacker.example", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_a_non_loopback_address_is_refused_in_one_sentence(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", host, "--port", "8123"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "Error: reverb-tui serve listens on this machine only (127.0.0.1, ::1 or localhost), "
        f"not {host!r}: the page has no login, so reach it from elsewhere through an SSH "
        "tunnel (ssh -L 8123:127.0.0.1:8123 SERVER).\n"
    )


def test_a_missing_web_extra_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing() -> None:
        raise ModuleNotFoundError("No module named 'textual_serve'", name="textual_serve")

    monkeypatch.setattr(serve, "loopback_server_class", missing)
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        "Error: reverb-tui serve needs textual-serve: pip install 'reverb-tui[web]'.\n"
    )


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_the_port_is_checked(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["serve", "--port", port])
    assert stop.value.code == 2
    assert "Argument --port:" in capsys.readouterr().err


def test_each_browser_session_runs_this_python_on_the_same_database() -> None:
    command = serve.tui_command("/data/my shop/reverb.db")
    assert shlex.split(command) == [
        sys.executable,
        "-m",
        "reverb_tui",
        "tui",
        "--db",
        "/data/my shop/reverb.db",
    ]
    assert shlex.split(serve.tui_command(None)) == [sys.executable, "-m", "reverb_tui", "tui"]
