"""``reverb-tui inventory …`` and ``reverb-tui skus …``: output, JSON keys, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from reverb_tui.__main__ import main
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Listing, Order
from tests.db_rows import add_channel

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
INVENTORY_KEYS = {"sku", "title", "on_hand", "reserved", "available"}


@pytest.fixture
def run(db_path, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def channel(make_services):
    svc = make_services()
    ch = add_channel(svc, "Shop A", api_url="https://api.test/api", orders_since=T0, created_at=T0)
    with session_scope(svc.engine) as s:
        s.add(Listing(channel_id=ch.id, listing_id="11", sku="REV-GTR", title="Strat", inventory=1))
        s.add(Listing(channel_id=ch.id, listing_id="12", sku=None, title="No SKU", inventory=1))
        s.add(
            Order(
                channel_id=ch.id,
                order_number="900",
                status="unpaid",
                channel_sku="REV-GTR",
                quantity=2,
                first_seen_at=T0,
                created_at=T0,
            )
        )
        return ch.id


def test_import_list_set_export(run, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("sku,title,on_hand\nGTR-1,Guitar,5\nAMP-2,Amp,0\n", "utf-8")
    code, out, err = run("inventory", "import", str(f))
    assert code == 0 and "Imported 2 SKUs" in out and err == ""

    code, out, _ = run("inventory", "list", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [r["sku"] for r in doc] == ["AMP-2", "GTR-1"]
    assert all(set(r) >= INVENTORY_KEYS for r in doc)
    assert doc[1] == {
        "sku": "GTR-1",
        "title": "Guitar",
        "on_hand": 5,
        "reserved": 0,
        "available": 5,
    }

    code, out, _ = run("inventory", "set", "gtr-1", "--on-hand", "7", "--json")
    assert code == 0 and json.loads(out)["on_hand"] == 7

    code, out, _ = run("inventory", "list")
    assert code == 0 and "GTR-1" in out and "AVAILABLE" in out

    dest = tmp_path / "out.csv"
    code, out, _ = run("inventory", "export", str(dest))
    assert code == 0 and "Exported 2 SKUs" in out
    assert dest.read_text("utf-8") == "sku,title,on_hand\nAMP-2,Amp,0\nGTR-1,Guitar,7\n"


def test_empty_list_json_is_an_empty_array(run):
    code, out, _ = run("inventory", "list", "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize("value", ["-1", "2.5", "lots"])
def test_set_bad_number_exits_2_and_changes_nothing(run, value):
    run("inventory", "add", "GTR-1", "--title", "Guitar", "--on-hand", "5")
    code, out, err = run("inventory", "set", "GTR-1", "--on-hand", value)
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert json.loads(run("inventory", "list", "--json")[1])[0]["on_hand"] == 5


def test_set_unknown_sku_exits_2(run):
    code, _, err = run("inventory", "set", "NOPE", "--on-hand", "1")
    assert code == 2 and "no local SKU 'NOPE'" in err


def test_bad_csv_exits_2_with_every_line_and_imports_nothing(run, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("sku,title,on_hand\nA,ok,1\n,x,1\nB,y,-1\nA,dup,2\n", "utf-8")
    code, out, err = run("inventory", "import", str(f))
    assert code == 2 and out == ""
    assert "line 3:" in err and "line 4:" in err and "line 5:" in err and "line 2:" not in err
    assert json.loads(run("inventory", "list", "--json")[1]) == []


def test_missing_csv_exits_2(run, tmp_path):
    code, _, err = run("inventory", "import", str(tmp_path / "nope.csv"))
    assert code == 2 and "There is no file" in err


def test_skus_map_mappings_unlinked_apply(run, channel):
    run("inventory", "add", "GTR-1", "--title", "Guitar", "--on-hand", "5")

    code, out, _ = run("skus", "unlinked", "Shop A", "--json")
    assert code == 0
    rows = json.loads(out)
    assert sorted((r["kind"], r["id"]) for r in rows) == [
        ("listing", "11"),
        ("listing", "12"),
        ("order", "900"),
    ]
    assert all({"channel", "kind", "id", "channel_sku", "title"} <= set(r) for r in rows)

    code, out, _ = run(
        "skus", "map", "shop a", "--channel-sku", "REV-GTR", "--sku", "gtr-1", "--kit", "2"
    )
    assert code == 0 and "Mapped 'REV-GTR'" in out and "kit of 2" in out

    code, out, _ = run("skus", "mappings", "Shop A", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "channel": "Shop A",
            "channel_sku": "REV-GTR",
            "sku": "GTR-1",
            "kit": 2,
            "title": "Guitar",
            "created_at": json.loads(out)[0]["created_at"],
        }
    ]

    # The listing is linked now; the stored order waits for the explicit apply.
    rows = json.loads(run("skus", "unlinked", "Shop A", "--json")[1])
    assert sorted((r["kind"], r["id"]) for r in rows) == [("listing", "12"), ("order", "900")]
    code, out, _ = run("skus", "apply", "Shop A", "--json")
    assert code == 0 and json.loads(out) == {"channel": "Shop A", "orders_linked": 1}
    inv = json.loads(run("inventory", "list", "--json")[1])
    assert inv[0]["reserved"] == 4 and inv[0]["available"] == 1

    code, out, _ = run("skus", "unmap", "Shop A", "--channel-sku", "rev-gtr")
    assert code == 0
    assert json.loads(run("skus", "mappings", "Shop A", "--json")[1]) == []


def test_skus_refusals_exit_2(run, channel):
    run("inventory", "add", "GTR-1", "--on-hand", "1")
    cases = [
        (("skus", "map", "Nope", "--channel-sku", "X", "--sku", "GTR-1"), "no integration named"),
        (("skus", "map", "Shop A", "--channel-sku", "X", "--sku", "NOPE"), "no local SKU"),
        (("skus", "map", "Shop A", "--channel-sku", "X", "--sku", "GTR-1", "--kit", "0"), "kit"),
        (("skus", "unmap", "Shop A", "--channel-sku", "X"), "has no mapping"),
        (("skus", "mappings", "Nope"), "no integration named"),
    ]
    for argv, words in cases:
        code, out, err = run(*argv)
        assert code == 2, argv
        assert words in err and "Traceback" not in err and out == ""
    run("skus", "map", "Shop A", "--channel-sku", "X", "--sku", "GTR-1")
    code, _, err = run(
        "skus", "map", "Shop A", "--channel-sku", "x", "--sku", "GTR-1", "--kit", "3"
    )
    assert code == 2 and "already mapped" in err
    code, _, err = run("inventory", "delete", "GTR-1")
    assert code == 2 and "SKU mappings use it" in err


def test_autolink_cli(run, channel):
    run("inventory", "add", "rev-gtr", "--on-hand", "1")
    code, out, _ = run("skus", "autolink", "Shop A", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["linked"] == [{"channel_sku": "REV-GTR", "sku": "rev-gtr"}]
    assert doc["ambiguous"] == [] and doc["unmatched"] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["inventory", "--help"],
        ["inventory", "import", "--help"],
        ["inventory", "list", "--help"],
        ["inventory", "set", "--help"],
        ["skus", "--help"],
        ["skus", "map", "--help"],
        ["skus", "unlinked", "--help"],
        ["skus", "apply", "--help"],
    ],
)
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_group_without_subcommand_exits_2(run):
    code, _, err = run("skus")
    assert code == 2 and "usage:" in err


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from reverb_tui.__main__ import build_parser; build_parser(); "
        "heavy = [m for m in ('sqlmodel', 'sqlalchemy', 'httpx', 'textual') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
