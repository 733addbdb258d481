"""InventoryService: counts, reserved/available, delete rules, CSV import/export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem, Order, SkuMapping
from reverb_tui.errors import NotFound, UserError
from reverb_tui.services.inventory import CsvImportError, inventory_json
from tests.db_rows import T0, Clock, add_channel


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def svc(make_services, clock):
    return make_services(clock=clock)


def items(svc) -> dict[str, tuple[str, str, int]]:
    with session_scope(svc.engine) as s:
        return {i.sku_key: (i.sku, i.title, i.on_hand) for i in s.exec(select(InventoryItem))}


# -- list / set / upsert / delete ------------------------------------------------------------------


def test_list_shows_reserved_and_available(svc):
    svc.inventory.upsert("GTR-1", "Guitar", 5)
    svc.inventory.upsert("AMP-2", "Amp", 2)
    ch = add_channel(svc, "Shop A", api_url="https://api.test/api", orders_since=T0).id
    with session_scope(svc.engine) as s:
        s.add(
            Order(
                channel_id=ch,
                order_number="1",
                status="unpaid",
                sku="GTR-1",
                quantity=2,
                kit=1,
                first_seen_at=T0,
            )
        )
    rows = svc.inventory.list()
    assert [inventory_json(r) for r in rows] == [
        {"sku": "AMP-2", "title": "Amp", "on_hand": 2, "reserved": 0, "available": 2},
        {"sku": "GTR-1", "title": "Guitar", "on_hand": 5, "reserved": 2, "available": 3},
    ]
    assert [r.sku for r in svc.inventory.list("guit")] == ["GTR-1"]
    assert [r.sku for r in svc.inventory.list("amp-")] == ["AMP-2"]
    assert svc.inventory.list("zzz") == []
    assert svc.inventory.count() == 2 and svc.inventory.count("gtr") == 1
    assert [r.sku for r in svc.inventory.list(limit=1, offset=1)] == ["GTR-1"]
    assert svc.inventory.list(limit=1, offset=1)[0].reserved == 2


def test_set_on_hand_records_the_count(svc, clock):
    svc.inventory.upsert("GTR-1", "Guitar", 5)
    clock.now = T0 + timedelta(hours=3)
    level = svc.inventory.set_on_hand(" gtr-1 ", 9)
    assert (level.sku, level.on_hand, level.available) == ("GTR-1", 9, 9)
    with session_scope(svc.engine) as s:
        it = s.exec(select(InventoryItem)).one()
        assert it.counted_at == clock.now
    assert svc.inventory.set_on_hand("GTR-1", "0").on_hand == 0


@pytest.mark.parametrize("bad", [-1, "-3", "2.5", "ten", "", 1.5, True, None])
def test_set_on_hand_refuses_bad_numbers_and_changes_nothing(svc, bad):
    svc.inventory.upsert("GTR-1", "Guitar", 5)
    with pytest.raises(UserError):
        svc.inventory.set_on_hand("GTR-1", bad)
    assert items(svc)["gtr-1"][2] == 5


def test_set_on_hand_of_unknown_sku(svc):
    with pytest.raises(NotFound, match="no local SKU 'NOPE'"):
        svc.inventory.set_on_hand("NOPE", 1)


def test_upsert_keeps_the_stored_spelling_and_title_when_none(svc):
    svc.inventory.upsert("Gtr-1", "Guitar", 5)
    svc.inventory.upsert("GTR-1 ", None, 7)
    assert items(svc) == {"gtr-1": ("Gtr-1", "Guitar", 7)}
    with pytest.raises(UserError):
        svc.inventory.upsert("   ", "x", 1)
    with pytest.raises(UserError):
        svc.inventory.upsert("A\tB", "x", 1)


def test_delete_refused_while_mapped(svc):
    svc.inventory.upsert("GTR-1", "Guitar", 5)
    svc.inventory.upsert("AMP-2", "Amp", 1)
    ch = add_channel(svc, "Shop A", api_url="https://api.test/api", orders_since=T0).id
    svc.skus.map(ch, "REV-GTR", "GTR-1")
    with pytest.raises(UserError, match="SKU mappings use it.*'REV-GTR' on 'Shop A'"):
        svc.inventory.delete("gtr-1")
    assert "gtr-1" in items(svc)
    svc.inventory.delete("AMP-2")
    assert "amp-2" not in items(svc)
    svc.skus.unmap(ch, "rev-gtr")
    svc.inventory.delete("GTR-1")
    assert items(svc) == {}
    with pytest.raises(NotFound):
        svc.inventory.delete("GTR-1")


# -- CSV import -----------------------------------------------------------------------------------


def write(tmp_path, text: str | bytes, name="stock.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_clean_file_imports_every_row(svc, tmp_path, clock):
    svc.inventory.upsert("GTR-1", "Old title", 1)
    f = write(
        tmp_path,
        '\ufeffsku,title,on_hand\nGTR-1,Guitar,5\nAMP-2,"Amp, 50W",0\n\n  PED-3 ,Pedal “fuzz”,12\n',
    )
    clock.now = T0 + timedelta(days=1)
    result = svc.inventory.import_csv(f)
    assert (result.created, result.updated) == (2, 1)
    assert items(svc) == {
        "gtr-1": ("GTR-1", "Guitar", 5),
        "amp-2": ("AMP-2", "Amp, 50W", 0),
        "ped-3": ("PED-3", "Pedal “fuzz”", 12),
    }
    with session_scope(svc.engine) as s:
        assert {i.counted_at for i in s.exec(select(InventoryItem))} == {clock.now}


def test_columns_in_any_order_and_extra_columns(svc, tmp_path):
    f = write(tmp_path, "On_Hand , notes,SKU,Title\r\n3,x,A-1,First\r\n")
    svc.inventory.import_csv(f)
    assert items(svc) == {"a-1": ("A-1", "First", 3)}


def test_every_bad_row_is_reported_and_nothing_imported(svc, tmp_path):
    svc.inventory.upsert("KEEP", "Keep", 4)
    f = write(
        tmp_path,
        "sku,title,on_hand\n"
        "OK-1,Fine,3\n"  # line 2
        ",No sku,1\n"  # line 3
        "NEG,Negative,-2\n"  # line 4
        "FRAC,Fraction,1.5\n"  # line 5
        "ok-1,Duplicate,1\n"  # line 6
        "WORD,Word,many\n"  # line 7
        "SHORT,Short\n"  # line 8
        "KEEP,Changed,9\n",  # line 9: fine, but the file has errors
    )
    with pytest.raises(CsvImportError) as info:
        svc.inventory.import_csv(f)
    err = info.value
    lines = {line: reason for line, reason in err.problems}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "sku is empty" in lines[3]
    assert "negative" in lines[4]
    assert "not a whole number" in lines[5]
    assert "already appears on line 2" in lines[6]
    assert "not a whole number" in lines[7]
    assert "missing" in lines[8]
    assert err.exit_code == 2
    assert "Nothing was imported" in err.message and "line 6:" in err.message
    assert items(svc) == {"keep": ("KEEP", "Keep", 4)}


@pytest.mark.parametrize(
    ("header", "missing"),
    [("sku,title\n", "on_hand"), ("sku,on_hand\n", "title"), ("name,title,qty\n", "sku")],
)
def test_missing_column(svc, tmp_path, header, missing):
    f = write(tmp_path, header + "A,B,1\n")
    with pytest.raises(CsvImportError) as info:
        svc.inventory.import_csv(f)
    assert info.value.problems[0][0] == 1
    assert missing in info.value.problems[0][1]
    assert items(svc) == {}


def test_non_utf8_bytes_are_reported_by_line(svc, tmp_path):
    f = write(tmp_path, b"sku,title,on_hand\nA-1,Fine,1\nB-2,Caf\xe9,2\nC-3,Ok,3\nD-4,\xff\xfe,4\n")
    with pytest.raises(CsvImportError) as info:
        svc.inventory.import_csv(f)
    assert [line for line, _ in info.value.problems] == [3, 5]
    assert "not UTF-8" in info.value.problems[0][1]
    assert items(svc) == {}


def test_empty_file_and_missing_file(svc, tmp_path):
    with pytest.raises(CsvImportError, match="empty"):
        svc.inventory.import_csv(write(tmp_path, ""))
    with pytest.raises(UserError, match="There is no file"):
        svc.inventory.import_csv(tmp_path / "nope.csv")
    assert svc.inventory.import_csv(write(tmp_path, "sku,title,on_hand\n")).total == 0


def test_export_round_trips(svc, tmp_path):
    svc.inventory.upsert("GTR-1", 'Guitar, "Strat"', 5)
    svc.inventory.upsert("AMP-2", "Ampère", 0)
    out = tmp_path / "out.csv"
    assert svc.inventory.export_csv(out) == 2
    assert out.read_text("utf-8").splitlines()[0] == "sku,title,on_hand"
    before = items(svc)
    svc.inventory.delete("GTR-1")
    svc.inventory.set_on_hand("AMP-2", 7)
    svc.inventory.import_csv(out)
    assert items(svc) == before


def test_export_to_a_missing_folder(svc, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        svc.inventory.export_csv(tmp_path / "nope" / "x.csv")


def test_sale_between_import_and_push_counts(svc, tmp_path, clock):
    """The CSV import records the count: an order paid before it does not move stock, one
    paid after it does."""
    from reverb_tui.sync.stock import apply_order_stock

    ch = add_channel(svc, "Shop A", api_url="https://api.test/api", orders_since=T0).id
    clock.now = T0 + timedelta(hours=1)
    svc.inventory.import_csv(write(tmp_path, "sku,title,on_hand\nGTR-1,Guitar,5\n"))
    with session_scope(svc.engine) as s:
        for n, paid in (("1", T0), ("2", T0 + timedelta(hours=2))):
            o = Order(
                channel_id=ch,
                order_number=n,
                status="paid",
                sku="GTR-1",
                quantity=1,
                paid_at=paid,
                first_seen_at=T0,
            )
            s.add(o)
            s.flush()
            apply_order_stock(s, o, clock.now)
    assert svc.inventory.get("GTR-1").on_hand == 4


def test_mapping_rows_untouched_by_import(svc, tmp_path):
    svc.inventory.upsert("GTR-1", "Guitar", 5)
    ch = add_channel(svc, "Shop A", api_url="https://api.test/api", orders_since=T0).id
    svc.skus.map(ch, "REV-1", "GTR-1", 2)
    svc.inventory.import_csv(write(tmp_path, "sku,title,on_hand\ngtr-1,Guitar,9\n"))
    with session_scope(svc.engine) as s:
        m = s.exec(select(SkuMapping)).one()
        assert (m.sku_key, m.kit) == ("gtr-1", 2)
