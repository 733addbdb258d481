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


def test_log_json_lists_every_run_unless_limited(db_path: Path, capsys) -> None:
    """A JSON list has no silent default limit; the plain listing keeps a screenful and says
    there may be more."""
    import json
    from datetime import timedelta

    from reverb_tui.db.engine import make_engine, session_scope
    from reverb_tui.db.models import SyncRun
    from tests.db_rows import T0, add_channel

    engine = make_engine(str(db_path))
    try:
        cid = add_channel(engine, "Shop A").id
        with session_scope(engine) as s:
            for i in range(25):
                at = T0 + timedelta(minutes=i)
                s.add(SyncRun(channel_id=cid, started_at=at, finished_at=at, status="ok"))
    finally:
        engine.dispose()
    code, out, _ = run(db_path, capsys, "log", "--json")
    assert code == 0 and len(json.loads(out)) == 25
    assert len(json.loads(run(db_path, capsys, "log", "--json", "--limit", "5")[1])) == 5
    code, out, err = run(db_path, capsys, "log")
    assert code == 0 and len(out.splitlines()) == 20
    assert "the newest 20 runs; --limit 0 shows all" in err
    assert len(run(db_path, capsys, "log", "--limit", "0")[1].splitlines()) == 25
