"""``reverb-tui channels …`` in-process: the CLI contract of docs/cli.md.

Exit codes 0/2/1, ``--json`` prints exactly one JSON document with the contract keys, errors
are one line on stderr with no traceback, the token only from stdin or $REVERB_TOKEN.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import httpx
import pytest

from reverb_tui.__main__ import main
from reverb_tui.reverb.sites import PRODUCTION_URL, SANDBOX_URL
from reverb_tui.services import factory
from tests import db_rows
from tests.conftest import CHANNEL_KEYS, SECRET_TOKEN, fast_client_factory
from tests.fakes.reverb import Account, FakeReverb

OTHER_TOKEN = "tok_OTHER_aaaabbbbccccddddeeee1234"
ACCOUNTS = {
    SECRET_TOKEN: Account(shop_id=7001, shop="Fuzz Boxes", currency="EUR"),
    OTHER_TOKEN: Account(shop_id=8002, shop="Other Shop", currency="USD"),
}


@pytest.fixture
def reverb(monkeypatch: pytest.MonkeyPatch) -> FakeReverb:
    # The CLI builds its own services; give them quick retries so failures are fast.
    fake = FakeReverb(accounts=dict(ACCOUNTS))
    monkeypatch.setattr(factory, "default_client_factory", fast_client_factory(fake.transport))
    return fake


class Cli:
    def __init__(self, db: Path, capsys, monkeypatch) -> None:
        self.db = db
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *argv: str, stdin: str | None = None, env_token: str | None = None):
        self.capsys.readouterr()
        if env_token is None:
            self.monkeypatch.delenv("REVERB_TOKEN", raising=False)
        else:
            self.monkeypatch.setenv("REVERB_TOKEN", env_token)
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = main([*argv, "--db", str(self.db)])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    def json(self, *argv: str, **kw) -> object:
        code, out, err = self(*argv, "--json", **kw)
        assert code == 0, err
        return json.loads(out)  # the whole of stdout is one JSON document

    def add(self, name: str = "Main Shop", *extra: str, token: str = SECRET_TOKEN):
        return self("channels", "add", "--name", name, "--currency", "usd", *extra, env_token=token)


@pytest.fixture
def cli(db_path: Path, capsys, monkeypatch) -> Cli:
    return Cli(db_path, capsys, monkeypatch)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ") and lines[0].endswith("."), err
    assert SECRET_TOKEN not in err and OTHER_TOKEN not in err
    return lines[0]


# -- list --------------------------------------------------------------------------------------


def test_list_empty(cli, reverb) -> None:
    assert cli.json("channels", "list") == []
    code, out, err = cli("channels", "list")
    assert code == 0 and "No sales channel integrations yet" in out and err == ""


def test_list_json_has_every_contract_key(cli, reverb) -> None:
    assert cli.add()[0] == 0
    assert cli.add("Second", "--site", "sandbox", token=OTHER_TOKEN)[0] == 0
    rows = cli.json("channels", "list")
    assert [r["name"] for r in rows] == ["Main Shop", "Second"]
    for r in rows:
        assert CHANNEL_KEYS <= r.keys()
    main_, second = rows
    assert (main_["type"], main_["enabled"], main_["stock_updates"], main_["currency"]) == (
        "reverb",
        True,
        False,
        "USD",
    )
    assert (main_["site"], main_["seller_id"], main_["shop_name"]) == (
        "production",
        "7001",
        "Fuzz Boxes",
    )
    assert main_["needs_reauth"] is False and main_["last_error"] is None
    assert main_["last_order_sync_at"] is None and main_["last_stock_push_at"] is None
    assert (second["site"], second["seller_id"]) == ("sandbox", "8002")
    code, out, _ = cli("channels", "list")
    assert code == 0
    assert "Main Shop" in out and "Second" in out and "Yes" in out
    assert SECRET_TOKEN not in out and OTHER_TOKEN not in out


# -- add -----------------------------------------------------------------------------------------


def test_add_with_env_token(cli, reverb) -> None:
    code, out, err = cli.add()
    assert code == 0 and err == ""
    assert "Added integration 'Main Shop'" in out and "Fuzz Boxes" in out
    assert reverb.tokens and set(reverb.tokens) == {SECRET_TOKEN}
    assert reverb.urls[0] == f"{PRODUCTION_URL}/my/account"


def test_add_with_token_on_stdin_wins_over_env(cli, reverb) -> None:
    doc = cli.json(
        "channels",
        "add",
        "--name",
        "Piped",
        "--currency",
        "EUR",
        "--site",
        "sandbox",
        "--since",
        "2026-01-01",
        "--token-stdin",
        stdin=OTHER_TOKEN + "\n",
        env_token=SECRET_TOKEN,
    )
    assert set(reverb.tokens) == {OTHER_TOKEN}
    assert reverb.urls[0] == f"{SANDBOX_URL}/my/account"
    assert CHANNEL_KEYS <= doc.keys()
    assert (doc["name"], doc["currency"], doc["site"], doc["seller_id"]) == (
        "Piped",
        "EUR",
        "sandbox",
        "8002",
    )
    assert doc["enabled"] is True
    assert OTHER_TOKEN not in json.dumps(doc)


@pytest.mark.empty_database
def test_token_as_an_argument_is_refused(cli, reverb, db_path: Path) -> None:
    code, out, err = cli(
        "channels", "add", "--name", "X", "--currency", "USD", "--token", SECRET_TOKEN
    )
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "--token-stdin" in line and "REVERB_TOKEN" in line
    assert reverb.tokens == []
    assert db_rows.untouched(db_path)  # refused before anything was opened
    code, _, err = cli("channels", "reauthorise", "Main Shop", "--token", SECRET_TOKEN)
    assert code == 2 and "shell history" in one_error_line(err)


@pytest.mark.parametrize(
    ("stdin", "env", "flag", "words"),
    [
        (None, None, False, "No access token"),
        ("", None, True, "No access token was given on standard input"),
        ("   \n", SECRET_TOKEN, True, "No access token was given on standard input"),
    ],
)
def test_missing_token(cli, reverb, stdin, env, flag, words) -> None:
    extra = ["--token-stdin"] if flag else []
    code, out, err = cli(
        "channels", "add", "--name", "X", "--currency", "USD", *extra, stdin=stdin, env_token=env
    )
    assert code == 2 and out == ""
    assert words in one_error_line(err)
    assert reverb.tokens == []


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--name", "  ", "--currency", "USD"], "name is empty"),
        (["--name", "main shop", "--currency", "USD"], "already exists"),
        (["--name", "New", "--currency", "XYZ"], "Unknown currency"),
        (["--name", "New", "--currency", "USD", "--site", "http://x.example/api"], "plain http"),
        (["--name", "New", "--currency", "USD", "--site", "https://x:bad/api"], "not a valid"),
        (["--name", "New", "--currency", "USD", "--since", "yesterday"], "not an ISO date"),
    ],
)
def test_add_bad_input_exits_2_and_adds_nothing(cli, reverb, argv, words) -> None:
    assert cli.add()[0] == 0
    calls = len(reverb.tokens)
    code, out, err = cli("channels", "add", *argv, env_token=SECRET_TOKEN)
    assert code == 2 and out == ""
    assert words in one_error_line(err)
    assert len(reverb.tokens) == calls
    assert [r["name"] for r in cli.json("channels", "list")] == ["Main Shop"]


@pytest.mark.parametrize(
    ("outage", "code", "words"),
    [
        (None, 2, "Reverb refused this token"),
        (httpx.ConnectError("refused"), 1, "Cannot reach Reverb at api.reverb.com"),
        (httpx.ReadTimeout("slow"), 1, "did not answer in time"),
        (503, 1, "Reverb answered 503"),
    ],
    ids=["401", "unreachable", "timeout", "503"],
)
def test_add_when_reverb_says_no_or_is_down(cli, reverb, outage, code, words) -> None:
    reverb.outage = outage
    token = "tok_unknown_to_reverb_1" if outage is None else SECRET_TOKEN
    got, out, err = cli.add(token=token)
    assert got == code and out == ""
    assert words in one_error_line(err)
    assert cli.json("channels", "list") == []


# -- enable / disable / remove -----------------------------------------------------------------


def test_enable_disable(cli, reverb) -> None:
    cli.add()
    code, out, err = cli("channels", "disable", "main shop")
    assert code == 0 and "now disabled" in out and err == ""
    assert cli.json("channels", "list")[0]["enabled"] is False
    doc = cli.json("channels", "enable", "MAIN SHOP")
    assert doc["enabled"] is True and CHANNEL_KEYS <= doc.keys()
    assert cli.json("channels", "disable", "Main Shop")["enabled"] is False


@pytest.mark.parametrize(
    "argv",
    [
        ["enable", "Nope"],
        ["disable", "Nope"],
        ["remove", "Nope", "--yes"],
        ["remove", "Nope"],
        ["reauthorise", "Nope"],
        ["set", "Nope", "--buffer", "1"],
    ],
)
def test_unknown_name_exits_2(cli, reverb, argv) -> None:
    cli.add()
    before = cli.json("channels", "list")
    code, out, err = cli("channels", *argv, env_token=OTHER_TOKEN)
    assert code == 2 and out == ""
    assert one_error_line(err) == "Error: There is no integration named 'Nope'."
    assert cli.json("channels", "list") == before


def test_remove_needs_yes(cli, reverb) -> None:
    cli.add()
    code, out, err = cli("channels", "remove", "Main Shop")
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "--yes" in line and "new integration" in line
    assert len(cli.json("channels", "list")) == 1
    code, out, err = cli("channels", "remove", "main shop", "--yes")
    assert code == 0 and "Removed integration 'Main Shop'" in out and err == ""
    assert cli.json("channels", "list") == []
    assert cli.add("Main Shop")[0] == 0  # the name is free again


# -- reauthorise ---------------------------------------------------------------------------------


def test_reauthorise(cli, reverb) -> None:
    cli.add()
    code, out, err = cli("channels", "reauthorise", "Main Shop")
    assert code == 0 and "seller 7001" in out and err == ""
    assert reverb.tokens[-1] == SECRET_TOKEN  # the stored token, re-verified
    doc = cli.json(
        "channels",
        "reauthorize",
        "main shop",
        "--site",
        "sandbox",
        "--seller-id",
        "8002",
        "--token-stdin",
        stdin=OTHER_TOKEN,
    )
    assert (doc["site"], doc["seller_id"], doc["shop_name"]) == ("sandbox", "8002", "Other Shop")
    assert reverb.tokens[-1] == OTHER_TOKEN
    assert OTHER_TOKEN not in json.dumps(doc)


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "words"),
    [
        (["--seller-id", "42"], None, 2, "belongs to seller 7001, not 42"),
        (["--token-stdin"], "tok_unknown_to_reverb_1", 2, "Reverb refused this token"),
        (["--token-stdin"], OTHER_TOKEN, 2, "not to this integration's seller 7001"),
        (["--site", "http://evil.example"], None, 2, "plain http"),
    ],
)
def test_reauthorise_refused_changes_nothing(cli, reverb, argv, stdin, code, words) -> None:
    cli.add()
    before = cli.json("channels", "list")
    got, out, err = cli("channels", "reauthorise", "Main Shop", *argv, stdin=stdin)
    assert got == code and out == ""
    assert words in one_error_line(err)
    assert cli.json("channels", "list") == before


def test_reauthorise_unreachable_exits_1(cli, reverb) -> None:
    cli.add()
    reverb.outage = httpx.ConnectError("down")
    code, out, err = cli("channels", "reauthorise", "Main Shop")
    assert code == 1 and "Cannot reach Reverb" in one_error_line(err)


# -- set -----------------------------------------------------------------------------------------


def test_set(cli, reverb) -> None:
    cli.add()
    code, out, err = cli(
        "channels",
        "set",
        "main shop",
        "--stock-updates",
        "on",
        "--buffer",
        "2",
        "--max",
        "10",
        "--interval",
        "300",
        "--rate-limit",
        "2.5",
        "--currency",
        "gbp",
        "--json",
    )
    assert code == 0
    doc = json.loads(out)
    assert (doc["stock_updates"], doc["currency"]) == (True, "GBP")
    assert (doc["buffer"], doc["max"], doc["interval"], doc["rate_limit"]) == (2, 10, 300, 2.5)
    assert "--dry-run" in err and len(err.strip().splitlines()) == 1  # the one-line tip
    code, out, err = cli("channels", "set", "Main Shop", "--max", "none", "--stock-updates", "off")
    assert code == 0 and "Updated settings of 'Main Shop'" in out
    row = cli.json("channels", "list")[0]
    assert row["max"] is None and row["stock_updates"] is False and row["buffer"] == 2


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--interval", "5"], "interval"),
        (["--rate-limit", "500"], "rate limit"),
        (["--currency", "BTC"], "Unknown currency"),
    ],
)
def test_set_refused_by_the_service(cli, reverb, argv, words) -> None:
    cli.add()
    before = cli.json("channels", "list")
    code, out, err = cli("channels", "set", "Main Shop", "--stock-updates", "on", *argv)
    assert code == 2 and out == ""
    assert words in one_error_line(err)
    assert cli.json("channels", "list") == before


@pytest.mark.parametrize(
    "argv",
    [
        ["--buffer", "-1"],
        ["--buffer", "two"],
        ["--max", "-5"],
        ["--rate-limit", "0"],
        ["--stock-updates", "maybe"],
    ],
)
def test_set_refused_by_the_parser(cli, reverb, argv) -> None:
    cli.add()
    with pytest.raises(SystemExit) as ei:
        cli("channels", "set", "Main Shop", *argv)
    assert ei.value.code == 2
    err = cli.capsys.readouterr().err
    # One sentence that names the argument and points to --help; no usage block.
    assert err.startswith("Error: Argument ") and err.count("\n") == 1
    assert "see 'reverb-tui channels set --help'" in err and "usage:" not in err


def test_set_quantity_rules_and_turn_them_off(cli, reverb) -> None:
    cli.add()
    doc = cli.json(
        "channels", "set", "Main Shop", "--percent", "70", "--min", "1", "--end-when", "2"
    )
    assert (doc["percent"], doc["min"], doc["end_when"]) == (70, 1, 2)
    assert CHANNEL_KEYS <= doc.keys() and doc["buffer"] == 0  # added keys, the rest kept
    # Options not given keep their values; 'off' (any case) and the no-op values clear.
    code, out, err = cli("channels", "set", "Main Shop", "--min", "OFF", "--percent", "100")
    assert code == 0 and "Updated settings of 'Main Shop'" in out, err
    row = cli.json("channels", "list")[0]
    assert (row["percent"], row["min"], row["end_when"]) == (None, None, 2)
    cli("channels", "set", "Main Shop", "--end-when", "off", "--percent", "40%")
    row = cli.json("channels", "list")[0]
    assert (row["percent"], row["end_when"]) == (40, None)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--percent", "0"], "percentage must be a whole number from 1 to 100"),
        (["--percent", "150"], "percentage"),
        (["--percent", "-10"], "percentage"),
        (["--min", "-1"], "minimum must be a whole number of 0 or more"),
        (["--end-when", "-2"], "end-when level"),
        (["--min", "6", "--max", "5"], "The minimum (6) is more than the maximum (5)"),
    ],
)
def test_set_bad_quantity_rules_change_nothing(cli, reverb, argv, words) -> None:
    cli.add()
    cli("channels", "set", "Main Shop", "--percent", "80", "--max", "9")
    before = cli.json("channels", "list")
    code, out, err = cli("channels", "set", "Main Shop", "--stock-updates", "on", *argv)
    assert code == 2 and out == ""
    assert words in one_error_line(err)
    assert cli.json("channels", "list") == before


@pytest.mark.parametrize("argv", [["--percent", "half"], ["--min", "1.5"], ["--end-when", ""]])
def test_set_quantity_rule_that_is_not_a_number(cli, reverb, argv) -> None:
    cli.add()
    with pytest.raises(SystemExit) as ei:
        cli("channels", "set", "Main Shop", *argv)
    assert ei.value.code == 2
    err = cli.capsys.readouterr().err
    assert err.startswith("Error: Argument ") and err.count("\n") == 1
    assert "is not a whole number or 'off'" in err


def test_dry_run_names_the_rule_that_decided_each_listing(cli, reverb) -> None:
    cli.add()
    cli("inventory", "add", "GTR-1", "--on-hand", "9")
    cli("inventory", "add", "AMP-2", "--on-hand", "2")
    new = {"display_name": "Brand New"}
    reverb.listings = {
        "11": {"id": 11, "sku": "GTR-1", "inventory": 0, "has_inventory": True, "condition": new},
        "12": {"id": 12, "sku": "AMP-2", "inventory": 5, "has_inventory": True, "condition": new},
    }
    cli("channels", "set", "Main Shop", "--percent", "50", "--end-when", "2")
    code, out, err = cli("sync", "--stock-only", "--dry-run")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Main Shop: dry run, 2 listings read; would write 2, skip 0."
    assert lines[1].split() == ["LISTING", "SKU", "NOW", "NEW", "ACTION", "RULE"]
    assert lines[2].split() == ["11", "GTR-1", "0", "4", "write", "percent"]  # floor(9 / 2)
    assert lines[3].split() == ["12", "AMP-2", "5", "0", "write", "end-when"]  # 2 <= 2
    plan = cli.json("sync", "--stock-only", "--dry-run")[0]["plan"]
    assert {r["listing_id"]: (r["new"], r["rule"]) for r in plan} == {
        "11": (4, "percent"),
        "12": (0, "end-when"),
    }
    assert [r.method for r in reverb.requests if "/listings/" in r.url.path] == []


# -- plumbing ------------------------------------------------------------------------------------


def test_db_option_before_the_command_and_env(cli, reverb, tmp_path, monkeypatch) -> None:
    other = tmp_path / "elsewhere" / "r.db"
    cli.capsys.readouterr()
    monkeypatch.setenv("REVERB_TOKEN", SECRET_TOKEN)
    assert main(["--db", str(other), "channels", "add", "--name", "A", "--currency", "USD"]) == 0
    monkeypatch.setenv("REVERB_TUI_DB", str(other))
    cli.capsys.readouterr()
    assert main(["channels", "list", "--json"]) == 0
    assert [r["name"] for r in json.loads(cli.capsys.readouterr().out)] == ["A"]
    assert cli.json("channels", "list") == []  # --db beats the environment


def test_storage_error_is_one_line_exit_1(cli, reverb, tmp_path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("not a database at all\n" * 100)
    cli.db = junk
    code, out, err = cli("channels", "list", "--json")
    assert code == 1 and out == ""
    assert "is not a reverb-tui database" in one_error_line(err)


def test_reverb_text_with_newlines_stays_one_line(cli, reverb) -> None:
    reverb.outage = httpx.Response(422, json={"message": "Line one.\nLine two.\r\n Line three"})
    code, out, err = cli.add()
    assert code == 2 and out == ""
    assert "Line one. Line two. Line three" in one_error_line(err)


def test_group_without_subcommand_prints_help_and_exits_2(cli, reverb) -> None:
    code, out, err = cli("channels")
    assert code == 2 and out == ""
    assert "usage: reverb-tui channels" in err and "reauthorise" in err


HELP_COMMANDS = [
    [],
    ["channels"],
    ["channels", "list"],
    ["channels", "add"],
    ["channels", "enable"],
    ["channels", "disable"],
    ["channels", "remove"],
    ["channels", "reauthorise"],
    ["channels", "reauthorize"],
    ["channels", "set"],
]


# Help never opens a database: the PostgreSQL leg would only repeat the argument parsing.
@pytest.mark.sqlite_only
@pytest.mark.parametrize("argv", HELP_COMMANDS, ids=lambda a: " ".join(a) or "top")
def test_help_everywhere(argv, capsys, db_path: Path) -> None:
    with pytest.raises(SystemExit) as ei:
        main([*argv, "--help"])
    assert ei.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: reverb-tui") and "--db" in out
    assert db_rows.untouched(db_path)


def command_paths() -> list[list[str]]:
    """Every command and subcommand the parser knows, aliases included."""
    import argparse

    from reverb_tui.__main__ import build_parser

    paths: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        paths.append(prefix)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return paths


def test_help_on_every_command_of_every_group(capsys) -> None:
    paths = command_paths()
    assert ["channels", "reauthorize"] in paths and len(paths) > len(HELP_COMMANDS)
    for argv in paths:
        with pytest.raises(SystemExit) as ei:
            main([*argv, "--help"])
        assert ei.value.code == 0, argv
        assert capsys.readouterr().out.startswith("usage: reverb-tui"), argv


def test_help_imports_nothing_heavy() -> None:
    """--help stays fast: no database, HTTP or UI library is imported to print it."""
    import subprocess

    code = (
        "import argparse, sys\n"
        "from reverb_tui.__main__ import build_parser, main\n"
        "def walk(parser, prefix):\n"
        "    yield prefix\n"
        "    for action in parser._actions:\n"
        "        if isinstance(action, argparse._SubParsersAction):\n"
        "            for name, sub in action.choices.items():\n"
        "                yield from walk(sub, [*prefix, name])\n"
        "paths = list(walk(build_parser(), []))\n"
        "for argv in paths:\n"
        "    try:\n"
        "        main([*argv, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'alembic', 'httpx', 'textual')\n"
        "print(len(paths), sorted({m.split('.')[0] for m in sys.modules} & set(heavy)),\n"
        "      file=sys.stderr)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    count, loaded = proc.stderr.strip().splitlines()[-1].split(" ", 1)
    assert int(count) == len(command_paths()) and loaded == "[]", proc.stderr


def test_set_read_and_write_rates_and_the_orders_interval(cli, reverb) -> None:
    cli.add()
    row = cli.json("channels", "list")[0]
    assert (row["read_rate"], row["write_rate"], row["orders_interval"]) == (1600, 480, 10)
    assert (row["read_budget"], row["write_budget"], row["budget_lowered_at"]) == (
        1600,
        480,
        None,
    )
    code, out, _ = cli(
        "channels",
        "set",
        "Main Shop",
        "--read-rate",
        "1000",
        "--write-rate",
        "240",
        "--orders-interval",
        "20",
        "--json",
    )
    assert code == 0
    doc = json.loads(out)
    assert (doc["read_rate"], doc["write_rate"], doc["orders_interval"]) == (1000, 240, 20)
    assert (doc["read_budget"], doc["write_budget"]) == (1000, 240)
    code, _, err = cli("channels", "set", "Main Shop", "--write-rate", "0")
    assert code == 2 and "write rate" in err
