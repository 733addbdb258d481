"""``reverb-tui sync`` and ``log``: the flags map to one RunKind; the CLI owns their wording."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reverb_tui.__main__ import main
from reverb_tui.cli.sync import run_kind
from reverb_tui.domain import RunKind
from reverb_tui.errors import UserError


def flags(**on: bool) -> argparse.Namespace:
    return argparse.Namespace(
        orders_only=on.get("orders_only", False),
        stock_only=on.get("stock_only", False),
        dry_run=on.get("dry_run", False),
    )


@pytest.mark.parametrize(
    ("on", "kind"),
    [
        ({}, RunKind.SYNC),
        ({"orders_only": True}, RunKind.ORDERS),
        ({"stock_only": True}, RunKind.STOCK),
        ({"dry_run": True}, RunKind.DRY_RUN),
        ({"dry_run": True, "stock_only": True}, RunKind.DRY_RUN),
    ],
)
def test_flags_map_to_one_run_kind(on: dict[str, bool], kind: RunKind) -> None:
    assert run_kind(flags(**on)) is kind


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (
            {"orders_only": True, "stock_only": True},
            "Choose --orders-only or --stock-only, not both.",
        ),
        (
            {"dry_run": True, "orders_only": True},
            "--dry-run previews a stock push; it cannot go with --orders-only.",
        ),
    ],
)
def test_impossible_flag_pairs_are_refused_in_flag_words(on: dict[str, bool], message) -> None:
    with pytest.raises(UserError) as ei:
        run_kind(flags(**on))
    assert ei.value.message == message


def run(db: Path, capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*argv, "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_with_orders_only_exits_2_in_one_line(db_path: Path, capsys) -> None:
    code, out, err = run(db_path, capsys, "sync", "--dry-run", "--orders-only")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "Error: --dry-run previews a stock push; it cannot go with --orders-only."
    )


def test_sync_and_log_of_an_unknown_integration_exit_2(db_path: Path, capsys) -> None:
    for argv in (("sync", "--channel", " Nope "), ("log", "--channel", "Nope")):
        code, out, err = run(db_path, capsys, *argv)
        assert (code, out) == (2, "")
        assert err.strip() == "Error: There is no integration named 'Nope'."


def test_sync_with_nothing_to_sync_says_so(db_path: Path, capsys) -> None:
    code, out, _err = run(db_path, capsys, "sync")
    assert (code, out) == (0, "No enabled integrations to sync.\n")
    assert run(db_path, capsys, "sync", "--json")[:2] == (0, "[]\n")
    assert run(db_path, capsys, "log")[:2] == (0, "The sync log is empty.\n")
