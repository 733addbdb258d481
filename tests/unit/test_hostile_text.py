"""Text from strangers never drives the terminal: the CLI end to end (issue 15).

One shop on the loopback simulator sells a listing whose title and SKU carry an OSC 8
hyperlink, an SGR blink, a bidi override and a C1 CSI, to a buyer whose name carries an OSC 52
clipboard write, a title change and a screen clear, by a shipping method with a title change;
Reverb refuses the stock push with an error text full of the same. The sequences reach the
database exactly as sent; every plain output of the CLI (stdout and stderr) holds no control
character but its own newlines; ``--json`` still carries the original text; the CSV export
holds no control character and no cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from reverb_tui.__main__ import main
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Channel, InventoryItem, Order, ShippingService, SyncError, fold
from reverb_tui.demo.api import Reply
from reverb_tui.demo.simulator import ReverbSimulator
from tests.hostile import (
    BLINK,
    CHANNEL_NAME,
    CLEAR,
    CSI_C1,
    HYPERLINK,
    METHOD,
    RLO,
    SKU,
    TITLE,
    TITLE_CHANGE,
)

TOKEN = "tok_hostile_shop_0123456789abcdef"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # set the clipboard to "evil"
INJECTED = (OSC52, TITLE_CHANGE, CLEAR, HYPERLINK, BLINK, RLO, CSI_C1, "\x1b", "\x07")

BUYER_FIRST = f"{OSC52}Eve"
BUYER_LAST = f"{TITLE_CHANGE}{CLEAR}Mallory"
ERROR = f"Inventory {OSC52}is {CLEAR}invalid{CSI_C1}"
ERROR_FIELD = f"{RLO}must be a number{TITLE_CHANGE}"
LOCAL_SKU = '=HYPERLINK("http://evil.example","x")'
LOCAL_TITLE = f"+cmd|' /C calc'!A0 {BLINK}{CSI_C1}"

# Anything the terminal could act on: C0 but the newline, DEL, C1, bidi overrides/isolates.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def unsafe_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(text)})


@pytest.fixture
def sim() -> Iterator[ReverbSimulator]:
    s = ReverbSimulator(seed=5)
    shop = s.add_shop(TOKEN, "Hostile Guitars", "USD")
    listing_id = s.add_listing(shop, sku=SKU, title=TITLE, condition="brand-new", inventory=5)
    sold = s.add_sale(shop, listing_id=listing_id, shipping_method=METHOD)
    order = next(o for o in shop.orders if o.order_number == sold["order_number"])
    order.buyer_first, order.buyer_last = BUYER_FIRST, BUYER_LAST
    s.add_listing(shop, sku="PLAIN-1", title="A plain listing", inventory=2)
    s.start()
    yield s
    s.stop()


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(
    db_path: Path,
    sim: ReverbSimulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The hostile shop connected and synced once, then a push Reverb refuses with a hostile
    error text; a local SKU and a shipping service with hostile text beside them. (The CLI
    refuses to map a SKU with control characters, so the plain listing is the mapped one.)"""
    path = db_path
    monkeypatch.setenv("REVERB_TOKEN", TOKEN)
    code, _out, err = run(
        capsys, path, "channels", "add", "--name", "Main", "--currency", "USD",
        "--site", sim.base_url, "--since", "2020-01-01",
    )  # fmt: skip
    assert code == 0, err
    assert run(capsys, path, "sync", "--orders-only")[0] == 0
    engine = make_engine(str(path))
    with session_scope(engine) as s:
        ch = s.get(Channel, 1)
        assert ch is not None
        ch.name, ch.name_key = CHANNEL_NAME, fold(CHANNEL_NAME)
        s.add(InventoryItem(sku=LOCAL_SKU, sku_key=fold(LOCAL_SKU), title=LOCAL_TITLE, on_hand=3))
        s.add(InventoryItem(sku="GTR-LOCAL", sku_key="gtr-local", title="Strat", on_hand=4))
        s.add(ShippingService(name=f"Courier {BLINK}", name_key="courier", carrier=CLEAR))
    engine.dispose()
    ref = "Main \x9b2J\u202eShop"
    for argv in (
        ("skus", "map", ref, "--channel-sku", "PLAIN-1", "--sku", "GTR-LOCAL"),
        ("channels", "set", ref, "--stock-updates", "on"),
    ):
        code, _out, err = run(capsys, path, *argv)
        assert code == 0, (argv, err)

    refuse = sim.serve

    def serve(req, token):
        if req.method == "PUT" and req.sub_path.startswith("/listings/"):
            return Reply(422, {"message": ERROR, "errors": {"inventory": [ERROR_FIELD]}})
        return refuse(req, token)

    monkeypatch.setattr(sim, "serve", serve)
    code, _out, err = run(capsys, path, "sync", "--stock-only")
    assert code != 0 or err, "the refused push must be reported"
    return path


PLAIN_COMMANDS = (
    ("channels", "list"),
    ("orders", "list"),
    ("orders", "list", "--exceptions"),
    ("orders", "show", CHANNEL_NAME, "{order}"),
    ("skus", "unlinked", CHANNEL_NAME),
    ("skus", "mappings", CHANNEL_NAME),
    ("skus", "autolink", CHANNEL_NAME),
    ("inventory", "list"),
    ("log",),
    ("shipping", "services", "list"),
    ("shipping", "mappings", CHANNEL_NAME),
    ("report",),
    ("sync", "--stock-only"),
    ("sync", "--dry-run"),
    ("orders", "ship", CHANNEL_NAME, "{order}", "--tracking", f"1Z{CLEAR}"),
    ("channels", "set", CHANNEL_NAME, "--buffer", "0"),
)


def order_number(db: Path) -> str:
    engine = make_engine(str(db))
    with session_scope(engine) as s:
        numbers = [o.order_number for o in s.exec(select(Order)).all() if o.buyer_name]
    engine.dispose()
    return numbers[0]


def test_the_database_keeps_what_reverb_sent(db: Path) -> None:
    engine = make_engine(str(db))
    with session_scope(engine) as s:
        orders = s.exec(select(Order).where(Order.channel_sku == SKU)).all()
        assert len(orders) == 1
        o = orders[0]
        assert (o.title, o.channel_shipping_method) == (TITLE, METHOD)
        assert o.buyer_name == f"{BUYER_FIRST} {BUYER_LAST}"
        messages = [e.message for e in s.exec(select(SyncError)).all()]
    engine.dispose()
    assert any(ERROR in m and ERROR_FIELD in m for m in messages), messages


def test_no_plain_output_carries_a_control_character(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = order_number(db)
    shown = []
    for argv in PLAIN_COMMANDS:
        argv = tuple(a.replace("{order}", number) for a in argv)
        code, out, err = run(capsys, db, *argv)
        assert code in (0, 1, 2), (argv, code)
        assert unsafe_in(out) == [] and unsafe_in(err) == [], (argv, out, err)
        for seq in INJECTED:
            assert seq not in out + err, (argv, seq)
        shown.append(out + err)
    everything = "\n".join(shown)
    # The values are there, with visible stand-ins in place of the sequences.
    assert "␛]52;c;ZXZpbA==␇Eve" in everything  # orders show: the buyer
    assert "␛]0;pwned␇shipped" in everything  # orders list: the shipping method
    assert "GTR-\ufffd2J␛[5m-1" in everything  # orders list, skus unlinked: the SKU
    assert "Inventory ␛]52;c;ZXZpbA==␇is ␛[2Jinvalid\ufffd" in everything  # log, sync
    assert "[b]markup[/b]" in everything  # markup is text, not style
    assert "Main \ufffd2J\ufffdShop" in everything  # channels list: the name


def test_json_output_keeps_the_original_text(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    number = order_number(db)
    for argv in (("orders", "list", "--json"), ("orders", "show", CHANNEL_NAME, number, "--json")):
        code, out, _err = run(capsys, db, *argv)
        assert code == 0
        assert unsafe_in(out.replace("\n", "")) == []  # escaped by JSON, so inert on a terminal
        text = json.dumps(json.loads(out), ensure_ascii=False)
        for value in (SKU, METHOD, CHANNEL_NAME):
            assert json.dumps(value, ensure_ascii=False)[1:-1] in text, (argv, value)
    doc = json.loads(run(capsys, db, "orders", "show", CHANNEL_NAME, number, "--json")[1])
    assert (doc["title"], doc["buyer_name"]) == (TITLE, f"{BUYER_FIRST} {BUYER_LAST}")
    runs = json.loads(run(capsys, db, "log", "--json")[1])
    messages = [e["message"] for r in runs for e in r["errors"]]
    assert any(ERROR in m and ERROR_FIELD in m for m in messages), messages
    unlinked = json.loads(run(capsys, db, "skus", "unlinked", CHANNEL_NAME, "--json")[1])
    assert {x["channel_sku"] for x in unlinked} == {SKU}  # the listing and its order
    channels = json.loads(run(capsys, db, "channels", "list", "--json")[1])
    assert [c["name"] for c in channels] == [CHANNEL_NAME]
    items = json.loads(run(capsys, db, "inventory", "list", "--json")[1])
    assert {i["sku"]: i["title"] for i in items}[LOCAL_SKU] == LOCAL_TITLE


def test_inventory_export_is_inert_in_a_spreadsheet_and_reads_back(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "inventory.csv"
    code, out, err = run(capsys, db, "inventory", "export", str(target))
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert unsafe_in(text.replace("\n", "")) == []
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["sku", "title", "on_hand"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert re.fullmatch(r"[0-9]+", row[2]), row  # numbers stay plain integers
    by_sku = {r[0]: r for r in rows[1:]}
    assert by_sku["'" + LOCAL_SKU][1].startswith("'+cmd|")
    assert by_sku["GTR-LOCAL"] == ["GTR-LOCAL", "Strat", "4"]
    # Read back: the quote a spreadsheet needs is not part of the SKU; nothing new appears.
    before = json.loads(run(capsys, db, "inventory", "list", "--json")[1])
    code, out, err = run(capsys, db, "inventory", "import", str(target), "--json")
    assert code == 0, err
    assert json.loads(out)["created"] == 0
    after = {i["sku"]: i for i in json.loads(run(capsys, db, "inventory", "list", "--json")[1])}
    assert set(after) == {i["sku"] for i in before}
    # The title's control characters were replaced in the file, so they come back replaced.
    assert after[LOCAL_SKU]["title"] == "+cmd|' /C calc'!A0 ␛[5m\ufffd"


def test_log_lines_are_safe_and_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from reverb_tui.logs import setup_logging

    logger = logging.getLogger("reverb_tui")
    saved = logger.handlers[:], logger.level, logger.propagate
    stream = io.StringIO()
    try:
        setup_logging(logging.INFO, stream)
        log = logging.getLogger("reverb_tui.sync")
        log.error("sync failed: %s", f"{ERROR}\nforged line {ERROR_FIELD}")
        try:
            raise ValueError(f"Reverb said {OSC52}{TITLE_CHANGE}")
        except ValueError:
            log.exception("stock push of %s failed", CHANNEL_NAME)
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    out = stream.getvalue()
    assert unsafe_in(out) == []
    lines = out.splitlines()
    assert lines[0].endswith("sync failed: Inventory ␛]52;c;ZXZpbA==␇is ␛[2Jinvalid\ufffd"
                             "␊forged line \ufffdmust be a number␛]0;pwned␇")  # fmt: skip
    assert "Traceback (most recent call last):" in lines  # its own line breaks kept
    assert any("ValueError: Reverb said ␛]52;c;ZXZpbA==␇␛]0;pwned␇" in ln for ln in lines)


def test_a_quoted_formula_typed_in_an_import_is_text() -> None:
    """``'=SUM(A1)`` in a hand-made file is what a spreadsheet shows as ``=SUM(A1)``: the
    SKU is ``=SUM(A1)``, as an exported ``=SUM(A1)`` reads back; a doubled quote keeps one."""
    from reverb_tui.services.inventory import parse_inventory_csv

    data = (
        b"sku,title,on_hand\n"
        b"'=SUM(A1),'+title,1\n"
        b"''=X,'plain quote,2\n"
        b" '@at , '-5 ,3\n"
        b"'abc,=not quoted,4\n"
    )
    assert parse_inventory_csv(data) == [
        ("=SUM(A1)", "+title", 1),
        ("'=X", "'plain quote", 2),
        ("@at", "-5", 3),
        ("'abc", "=not quoted", 4),
    ]
