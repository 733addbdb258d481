"""Orders to CSV: ``OrderService.export_csv`` and ``reverb-tui orders export``.

One row per order line, money as decimals beside the currency, UTC ISO times, the mapped
SKU and service; every cell spreadsheet-safe; an existing file kept unless asked; a failure
leaves no file, not even half of one."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from reverb_tui.__main__ import main
from reverb_tui.errors import NotFound, UserError
from reverb_tui.services import orders as orders_module
from reverb_tui.services.orders import EXPORT_COLUMNS
from tests.db_rows import T0, Clock, add_channel, add_order, add_service


@pytest.fixture
def svc(make_services):
    return make_services(clock=Clock())


@pytest.fixture
def book(svc) -> None:
    a = add_channel(svc.engine, "Shop A").id
    b = add_channel(svc.engine, "Shop B").id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    add_order(svc.engine, a, "1", created_at=T0 + timedelta(days=2), channel_sku="GTR",
              sku="GTR-LOCAL", kit=2, quantity=3, unit_cents=123456, shipping_cents=1500,
              total_cents=371868, currency="USD", channel_shipping_method="shipped",
              shipping_service_id=ups, buyer_name="Ada Buyer", title="Strat",
              paid_at=T0 + timedelta(days=2, hours=1), uuid="u-1", product_id="555")  # fmt: skip
    add_order(svc.engine, b, "2", created_at=T0, status="shipped", total_cents=5,
              currency="GBP", shipping_provider="Royal Mail", tracking_number="RM1",
              shipped_at=T0 + timedelta(days=1), channel_sku="PED")  # fmt: skip
    add_order(svc.engine, a, "3", created_at=None, status="cancelled")
    add_order(svc.engine, a, "4", created_at=T0 + timedelta(days=5),
              buyer_name="=HYPERLINK(\"http://evil\")", title="-2+3\x1b[31m",
              channel_sku="@SUM(A1)", currency="JPY", total_cents=1000000)  # fmt: skip


@pytest.fixture
def out_dir(tmp_path) -> Path:
    """A folder of its own (tmp_path also holds the test's database and config)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_order_one_row_oldest_first_with_decimals_utc_and_mappings(svc, book, out_dir):
    out = out_dir / "orders.csv"
    assert svc.orders.export_csv(out) == 4
    with out.open(newline="") as fh:
        assert next(csv.reader(fh)) == list(EXPORT_COLUMNS)
    rows = rows_of(out)
    assert [r["order_number"] for r in rows] == ["2", "1", "4", "3"]  # undated last
    one = rows[1]
    assert one == {
        "channel": "Shop A", "order_number": "1", "status": "paid",
        "created_at": "2026-03-03T12:00:00Z", "paid_at": "2026-03-03T13:00:00Z",
        "shipped_at": "", "updated_at": "", "title": "Strat", "product_id": "555",
        "channel_sku": "GTR", "sku": "GTR-LOCAL", "kit": "2", "quantity": "3",
        "unit_price": "1234.56", "shipping": "15.00", "total": "3718.68", "currency": "USD",
        "channel_shipping_method": "shipped", "shipping_service": "UPS Ground",
        "shipping_provider": "", "tracking_number": "", "buyer_name": "Ada Buyer",
        "uuid": "u-1",
    }  # fmt: skip
    two = rows[0]
    assert (
        two["total"],
        two["currency"],
        two["shipping_provider"],
        two["tracking_number"],
        two["shipped_at"],
    ) == ("0.05", "GBP", "Royal Mail", "RM1", "2026-03-02T12:00:00Z")
    assert (rows[2]["total"], rows[2]["currency"]) == ("10000.00", "JPY")


def test_cells_a_spreadsheet_would_run_are_quoted_and_controls_replaced(svc, book, out_dir):
    out = out_dir / "orders.csv"
    svc.orders.export_csv(out)
    four = next(r for r in rows_of(out) if r["order_number"] == "4")
    assert four["buyer_name"] == '\'=HYPERLINK("http://evil")'
    assert four["channel_sku"] == "'@SUM(A1)"
    assert four["title"].startswith("'-2+3") and "\x1b" not in four["title"]
    assert "\x1b" not in out.read_text()


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({"channel": "shop b"}, ["2"]),
        ({"status": "paid"}, ["1", "4"]),
        ({"since": "2026-03-02"}, ["1", "4"]),
        ({"since": "2026-03-06T11:00:00-02:00"}, []),  # 13:00 UTC, after order 4
        ({"since": "2026-03-06T11:00:00Z"}, ["4"]),
        ({"search": "ada"}, ["1"]),
        ({"exceptions_only": True, "channel": "Shop A"}, ["4"]),
    ],
)
def test_filters(svc, book, out_dir, kw, expected) -> None:
    out = out_dir / "orders.csv"
    assert svc.orders.export_csv(out, **kw) == len(expected)
    assert [r["order_number"] for r in rows_of(out)] == expected


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_an_existing_file_is_kept_unless_overwrite(svc, book, out_dir) -> None:
    out = out_dir / "orders.csv"
    out.write_text("mine\n")
    with pytest.raises(UserError) as e:
        svc.orders.export_csv(out)
    assert str(e.value) == (
        f"The file {str(out)!r} already exists; nothing was written (--force replaces it)."
    )
    assert out.read_text() == "mine\n" and listing(out_dir) == ["orders.csv"]
    assert svc.orders.export_csv(out, overwrite=True) == 4
    assert len(rows_of(out)) == 4


def test_a_file_that_appears_while_exporting_is_not_replaced(svc, book, out_dir, monkeypatch):
    out = out_dir / "orders.csv"
    real = orders_module.export_row

    def sneaky(r):
        if not out.exists():
            out.write_text("written meanwhile\n")
        return real(r)

    monkeypatch.setattr(orders_module, "export_row", sneaky)
    with pytest.raises(UserError, match="already exists"):
        svc.orders.export_csv(out)
    assert out.read_text() == "written meanwhile\n"
    assert listing(out_dir) == ["orders.csv"]  # no temporary file left


@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_midway_leaves_no_half_file(svc, book, out_dir, monkeypatch, existing) -> None:
    out = out_dir / "orders.csv"
    if existing:
        out.write_text("yesterday's export\n")
    real = orders_module.export_row
    calls = []

    def failing(r):
        calls.append(r)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(r)

    monkeypatch.setattr(orders_module, "export_row", failing)
    with pytest.raises(Exception, match="No space left on device"):
        svc.orders.export_csv(out, overwrite=True)
    if existing:
        assert out.read_text() == "yesterday's export\n"
        assert listing(out_dir) == ["orders.csv"]
    else:
        assert listing(out_dir) == []


@pytest.mark.parametrize(
    "make, kw, error, words",
    [
        (lambda d: d / "missing" / "o.csv", {}, UserError, "The folder"),
        (lambda d: d, {}, UserError, "is a directory; give a file name."),
        (lambda d: d / "o.csv", {"since": "yesterday"}, UserError,
         "'yesterday' is not a date; give one as YYYY-MM-DD (or an ISO 8601 time)."),
        (lambda d: d / "o.csv", {"since": " "}, UserError, "The date after --since is empty."),
        (lambda d: d / "o.csv", {"channel": "Nope"}, NotFound,
         "There is no integration named 'Nope'."),
        (lambda d: d / "o.csv", {"status": " "}, UserError, "The status filter is empty."),
    ],
)  # fmt: skip
def test_bad_requests_are_one_sentence_and_write_nothing(
    svc, book, tmp_path, make, kw, error, words
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(error) as e:
        svc.orders.export_csv(make(folder), **kw)
    assert words in str(e.value) and "\n" not in str(e.value)
    assert listing(folder) == []


# -- the CLI ----------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_export_text_json_force_and_refusals(svc, book, db_path, out_dir, capsys) -> None:
    db = str(db_path)
    out = out_dir / "o.csv"
    code, stdout, err = run(capsys, "--db", db, "orders", "export", str(out), "--channel",
                            "Shop A", "--status", "paid")  # fmt: skip
    assert (code, err) == (0, "")
    assert stdout == f"Exported 2 orders to {out}.\n"
    code, stdout, err = run(capsys, "--db", db, "orders", "export", str(out))
    assert (code, stdout) == (2, "")
    assert err == (
        f"Error: The file {str(out)!r} already exists; nothing was written (--force replaces it).\n"
    )
    assert len(rows_of(out)) == 2  # untouched
    code, stdout, err = run(capsys, "--db", db, "orders", "export", str(out), "--force",
                            "--since", "2026-03-02", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    assert json.loads(stdout) == {"file": str(out), "orders": 2}
    code, stdout, err = run(capsys, "--db", db, "orders", "export", str(out_dir / "x.csv"),
                            "--since", "03/02/2026")  # fmt: skip
    assert (code, stdout) == (2, "") and err.count("\n") == 1 and "is not a date" in err
    assert not (out_dir / "x.csv").exists()


def test_cli_export_of_an_empty_book_writes_the_header(make_services, db_path, out_dir, capsys):
    add_channel(make_services().engine, "Shop A")
    out = out_dir / "o.csv"
    code, stdout, _ = run(capsys, "--db", str(db_path), "orders", "export", str(out))
    assert (code, stdout) == (0, f"Exported 0 orders to {out}.\n")
    assert next(csv.reader(io.StringIO(out.read_text()))) == list(EXPORT_COLUMNS)
