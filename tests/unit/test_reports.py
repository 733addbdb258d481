"""Reports: per-integration daily series, revenue per currency, top SKUs, the CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import count

import pytest
from sqlalchemy import insert

from reverb_tui.__main__ import main
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order
from reverb_tui.errors import NotFound, UserError
from reverb_tui.services.reports import MAX_DAYS, format_cents, parse_day, sparkline
from tests.db_rows import add_channel

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))
_numbers = count(1)


def clock() -> datetime:
    return NOW


# Every integration here was added a year before the clock, with orders since then.
YEAR_OLD = {"orders_since": NOW - timedelta(days=365), "created_at": NOW - timedelta(days=365)}


@pytest.fixture
def svc(make_services):
    return make_services(clock=clock)


def add_order(
    svc,
    channel_id: int,
    *,
    status: str = "paid",
    created: datetime | None = None,
    paid: datetime | None = None,
    total: int | None = 1000,
    currency: str | None = "USD",
    quantity: int = 1,
    sku: str | None = None,
    channel_sku: str | None = None,
    kit: int = 1,
) -> None:
    with session_scope(svc.engine) as s:
        s.add(
            Order(
                channel_id=channel_id,
                order_number=str(next(_numbers)),
                status=status,
                created_at=created,
                paid_at=paid,
                total_cents=total,
                currency=currency,
                quantity=quantity,
                sku=sku,
                channel_sku=channel_sku,
                kit=kit,
                first_seen_at=NOW,
            )
        )


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def block(report: dict, label: str) -> dict:
    found = [c for c in report["channels"] if c["label"] == label]
    assert len(found) == 1, [c["label"] for c in report["channels"]]
    return found[0]


def day_row(chan: dict, day: str) -> dict:
    return next(d for d in chan["daily"] if d["date"] == day)


# -- service ----------------------------------------------------------------------------------


def test_daily_series_is_zero_filled_over_every_day(svc) -> None:
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    add_order(svc, cid, paid=at("2026-03-02"), total=500)
    add_order(svc, cid, paid=at("2026-03-04", 1), total=700)
    add_order(svc, cid, paid=at("2026-03-04", 22), total=300)
    add_order(svc, cid, paid=at("2026-02-20"), total=999)  # before the range

    r = svc.reports.report(start=date(2026, 3, 1), end=date(2026, 3, 5))

    assert r["range"] == {"start": "2026-03-01", "end": "2026-03-05", "days": 5}
    main_ = block(r, "Main")
    assert [d["date"] for d in main_["daily"]] == [f"2026-03-0{i}" for i in range(1, 6)]
    assert [d["orders"] for d in main_["daily"]] == [0, 1, 0, 2, 0]
    assert [d["revenue_cents"]["USD"] for d in main_["daily"]] == [0, 500, 0, 1000, 0]
    assert main_["totals"] == {
        "USD": {"orders": 3, "orders_all": 3, "units": 3, "revenue_cents": 1500}
    }


def test_default_range_is_the_last_30_days_ending_today_utc(svc) -> None:
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    add_order(svc, cid, paid=at("2026-02-09"))  # 30th day back: in
    add_order(svc, cid, paid=at("2026-02-08", 23))  # 31st day back: out
    add_order(svc, cid, paid=at("2026-03-10", 11))  # today: in

    r = svc.reports.report()

    assert r["range"] == {"start": "2026-02-09", "end": "2026-03-10", "days": 30}
    main_ = block(r, "Main")
    assert len(main_["daily"]) == 30
    assert main_["orders"] == 2
    assert main_["daily"][0]["orders"] == 1 and main_["daily"][-1]["orders"] == 1


def test_revenue_is_kept_per_currency(svc) -> None:
    a = add_channel(svc, "Main", currency="USD", **YEAR_OLD).id
    b = add_channel(svc, "Euro shop", currency="EUR", **YEAR_OLD).id
    add_order(svc, a, paid=at("2026-03-03"), total=1000, currency="USD", quantity=2)
    add_order(svc, a, paid=at("2026-03-03"), total=2500, currency="EUR")
    add_order(svc, a, paid=at("2026-03-04"), total=4000, currency=None)  # channel default: USD
    add_order(svc, b, paid=at("2026-03-03"), total=800, currency="EUR")

    r = svc.reports.report(start=date(2026, 3, 1), end=date(2026, 3, 5))

    main_ = block(r, "Main")
    assert main_["currencies"] == ["EUR", "USD"]
    assert day_row(main_, "2026-03-03")["revenue_cents"] == {"EUR": 2500, "USD": 1000}
    assert day_row(main_, "2026-03-04")["revenue_cents"] == {"EUR": 0, "USD": 4000}
    assert day_row(main_, "2026-03-01")["revenue_cents"] == {"EUR": 0, "USD": 0}
    assert main_["totals"]["USD"] == {
        "orders": 2,
        "orders_all": 2,
        "units": 3,
        "revenue_cents": 5000,
    }
    assert main_["totals"]["EUR"]["revenue_cents"] == 2500
    assert main_["units"] == 4 and main_["orders"] == 3
    assert block(r, "Euro shop")["totals"] == {
        "EUR": {"orders": 1, "orders_all": 1, "units": 1, "revenue_cents": 800}
    }
    assert r["totals"]["EUR"]["revenue_cents"] == 3300
    assert r["totals"]["USD"]["revenue_cents"] == 5000


def test_only_sale_statuses_count_as_revenue(svc) -> None:
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    day = at("2026-03-03")
    for status in ("paid", "shipped", "picked_up", "received"):
        add_order(svc, cid, status=status, paid=day, total=100)
    for status in ("cancelled", "refunded", "unpaid", "payment_pending", "pending_review", "odd"):
        add_order(svc, cid, status=status, created=day, paid=None, total=10_000)

    r = svc.reports.report(start=date(2026, 3, 3), end=date(2026, 3, 3))

    row = block(r, "Main")["daily"][0]
    assert row["orders"] == 4
    assert row["orders_all"] == 10
    assert row["revenue_cents"] == {"USD": 400}
    assert block(r, "Main")["totals"]["USD"]["units"] == 4


def test_day_is_paid_at_else_created_at_in_utc(svc) -> None:
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    late_evening_est = datetime(2026, 3, 1, 23, 30, tzinfo=EST)  # 2026-03-02T04:30Z
    # Paid late on 1 March in New York: 2 March UTC, whatever day it was created.
    add_order(svc, cid, created=at("2026-02-27"), paid=late_evening_est, total=100)
    # Never paid (but in a sale status): its creation time decides.
    add_order(svc, cid, created=late_evening_est, paid=None, total=200)
    # Created on 1 March, paid on 3 March: counts on 3 March.
    add_order(svc, cid, created=at("2026-03-01", 10), paid=at("2026-03-03"), total=400)
    # Boundaries of the last day.
    add_order(svc, cid, paid=datetime(2026, 3, 3, 23, 59, 59, tzinfo=UTC), total=800)
    add_order(svc, cid, paid=datetime(2026, 3, 4, 0, 0, 0, tzinfo=UTC), total=1600)
    # No timestamp at all: on no day.
    add_order(svc, cid, created=None, paid=None, total=3200)

    r = svc.reports.report(start=date(2026, 3, 1), end=date(2026, 3, 3))

    main_ = block(r, "Main")
    by_day = {d["date"]: d["revenue_cents"]["USD"] for d in main_["daily"]}
    assert by_day == {"2026-03-01": 0, "2026-03-02": 300, "2026-03-03": 1200}
    assert main_["orders_all"] == 4


def test_removed_and_recreated_integration_are_separate_series(svc) -> None:
    old = add_channel(svc, "Main", **YEAR_OLD).id
    add_order(svc, old, paid=at("2026-03-02"), total=100)
    add_order(svc, old, paid=at("2026-03-03"), total=200)
    svc.channels.remove("Main")
    new = add_channel(
        svc, "main", **YEAR_OLD
    ).id  # same name (case-insensitively), a new integration
    assert new != old
    add_order(svc, new, paid=at("2026-03-03"), total=5000)
    other = add_channel(svc, "Other", **YEAR_OLD).id
    add_order(svc, other, paid=at("2026-03-03"), total=7)

    r = svc.reports.report(start=date(2026, 3, 1), end=date(2026, 3, 4))

    assert [c["label"] for c in r["channels"]] == ["Main (removed)", "main", "Other"]
    removed, current = block(r, "Main (removed)"), block(r, "main")
    assert removed["id"] == old and removed["removed"] is True and removed["removed_at"]
    assert current["id"] == new and current["removed"] is False
    assert [d["orders"] for d in removed["daily"]] == [0, 1, 1, 0]
    assert [d["orders"] for d in current["daily"]] == [0, 0, 1, 0]
    assert removed["totals"]["USD"]["revenue_cents"] == 300
    assert current["totals"]["USD"]["revenue_cents"] == 5000

    by_name = svc.reports.report(start=date(2026, 3, 1), end=date(2026, 3, 4), channel="MAIN")
    assert [c["id"] for c in by_name["channels"]] == [old, new]

    active = svc.reports.report(
        start=date(2026, 3, 1), end=date(2026, 3, 4), channel="Main", include_removed=False
    )
    assert [c["id"] for c in active["channels"]] == [new]
    assert active["totals"]["USD"]["revenue_cents"] == 5000


def test_removed_integration_without_orders_in_range_is_left_out(svc) -> None:
    old = add_channel(svc, "Old", **YEAR_OLD).id
    add_order(svc, old, paid=at("2025-06-01"))
    svc.channels.remove("Old")
    add_channel(svc, "Quiet", **YEAR_OLD)  # active and empty: still listed, zero-filled

    r = svc.reports.report(start=date(2026, 3, 1), end=date(2026, 3, 2))

    assert [c["label"] for c in r["channels"]] == ["Quiet"]
    quiet = r["channels"][0]
    assert quiet["totals"] == {
        "USD": {"orders": 0, "orders_all": 0, "units": 0, "revenue_cents": 0}
    }
    assert [d["orders"] for d in quiet["daily"]] == [0, 0]


def test_top_skus_rank_by_units_and_keep_linked_and_unlinked_apart(svc) -> None:
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    day = at("2026-03-03")
    # 12 local SKUs, SKU-k sells k units in one order.
    for k in range(1, 13):
        add_order(
            svc, cid, paid=day, sku=f"SKU-{k}", channel_sku=f"r-{k}", quantity=k, total=k * 100
        )
    # An unlinked channel SKU with the same text as a local one stays separate.
    add_order(svc, cid, paid=day, sku=None, channel_sku="SKU-12", quantity=20, total=50)
    # Kits: a listing selling 3 local units per item.
    add_order(svc, cid, paid=day, sku="SKU-11", channel_sku="bundle", quantity=1, kit=3, total=900)
    add_order(svc, cid, paid=day, sku="SKU-11", currency="EUR", quantity=1, total=444)
    # Not revenue: never a top SKU.
    add_order(svc, cid, status="cancelled", paid=day, sku="SKU-1", quantity=500, total=1)

    r = svc.reports.report(start=date(2026, 3, 3), end=date(2026, 3, 3))

    tops = block(r, "Main")["top_skus"]
    assert len(tops) == 10
    assert [(t["sku"], t["linked"]) for t in tops[:3]] == [
        ("SKU-12", False),
        ("SKU-11", True),
        ("SKU-12", True),
    ]
    sku11 = tops[1]
    assert sku11["units"] == 13 and sku11["local_units"] == 15 and sku11["orders"] == 3
    assert sku11["revenue_cents"] == {"EUR": 444, "USD": 1100 + 900}
    assert tops[0]["revenue_cents"] == {"USD": 50}
    assert [t["sku"] for t in tops[3:]] == [f"SKU-{k}" for k in range(10, 3, -1)]
    assert "SKU-1" not in [t["sku"] for t in tops]


def test_bad_ranges_and_unknown_channel_are_refused(svc) -> None:
    add_channel(svc, "Main", **YEAR_OLD)
    with pytest.raises(UserError, match="after the end date"):
        svc.reports.report(start=date(2026, 3, 5), end=date(2026, 3, 4))
    with pytest.raises(UserError, match="at most"):
        svc.reports.report(start=date(2000, 1, 1), end=date(2026, 3, 4))
    with pytest.raises(NotFound, match="no integration named 'Nope'"):
        svc.reports.report(channel="Nope")
    assert parse_day("2026-03-01") == date(2026, 3, 1)
    assert parse_day(None) is None
    for bad in ("2026-02-30", "03/01/2026", "2026-3-1", "yesterday"):
        with pytest.raises(UserError):
            parse_day(bad)
    assert MAX_DAYS >= 366


def test_sparkline_and_money_formatting() -> None:
    assert sparkline([0, 0, 0]) == "▁▁▁"
    line = sparkline([0, 1, 50, 100])
    assert line[0] == "▁" and line[1] == "▂" and line[3] == "█"
    assert len(set(line)) == 4
    assert sparkline(list(range(100)), width=10) == sparkline(
        [sum(range(i, i + 10)) for i in range(0, 100, 10)]
    )
    assert len(sparkline([1] * 365, width=60)) <= 60
    assert format_cents(123456) == "1,234.56"
    assert format_cents(5) == "0.05"
    assert format_cents(-250) == "-2.50"


def test_twenty_thousand_orders_report_quickly_and_exactly(svc) -> None:
    rng = random.Random(6)
    ids = [add_channel(svc, n, **YEAR_OLD).id for n in ("A", "B", "C")]
    statuses = ["paid", "shipped", "received", "picked_up", "cancelled", "refunded", "unpaid"]
    currencies = ["USD", "EUR", "GBP", "JPY"]
    start, end = date(2026, 1, 1), date(2026, 3, 10)
    span = int(
        (datetime(2026, 3, 11, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds()
    )
    rows = []
    expected_orders: Counter = Counter()
    expected_rev: dict = defaultdict(int)
    for i in range(20_000):
        cid = rng.choice(ids)
        when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(span))
        status = rng.choice(statuses)
        cur = rng.choice(currencies)
        total = rng.randrange(100, 100_000)
        rows.append(
            {
                "channel_id": cid,
                "order_number": f"bulk-{i}",
                "status": status,
                "created_at": when - timedelta(hours=1),
                "paid_at": when,
                "total_cents": total,
                "currency": cur,
                "quantity": 1,
                "sku": f"SKU-{rng.randrange(300)}",
                "channel_sku": None,
                "kit": 1,
                "first_seen_at": NOW,
            }
        )
        if status in {"paid", "shipped", "received", "picked_up"}:
            expected_orders[(cid, when.date().isoformat())] += 1
            expected_rev[(cid, cur)] += total
    with session_scope(svc.engine) as s:
        s.execute(insert(Order), rows)

    t0 = time.perf_counter()
    r = svc.reports.report(start=start, end=end)
    elapsed = time.perf_counter() - t0

    assert elapsed < 3.0, f"report took {elapsed:.2f}s"
    for chan in r["channels"]:
        cid = chan["id"]
        assert len(chan["daily"]) == 69
        for d in chan["daily"]:
            assert d["orders"] == expected_orders[(cid, d["date"])]
        for cur in currencies:
            assert chan["totals"][cur]["revenue_cents"] == expected_rev[(cid, cur)]
        assert len(chan["top_skus"]) == 10
    assert sum(c["orders_all"] for c in r["channels"]) == 20_000


# -- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(svc, db_path):
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    add_order(svc, cid, paid=datetime.now(UTC) - timedelta(days=1), sku="GTR-1", total=12345)
    add_order(svc, cid, status="cancelled", created=datetime.now(UTC) - timedelta(days=2))
    svc.channels.remove("Main")
    cid = add_channel(svc, "Main", **YEAR_OLD).id
    add_order(svc, cid, paid=datetime.now(UTC), channel_sku="rv-9", total=500, currency="EUR")
    return str(db_path)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_has_the_report_keys(cli_db, capsys) -> None:
    code, out, err = run_cli(capsys, "--db", cli_db, "report", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"range", "channels", "totals", "timezone", "sale_statuses"}
    assert set(doc["range"]) == {"start", "end", "days"} and doc["range"]["days"] == 30
    assert [c["label"] for c in doc["channels"]] == ["Main (removed)", "Main"]
    chan = doc["channels"][0]
    assert set(chan) >= {
        "id", "name", "label", "removed", "removed_at", "currency", "currencies", "orders",
        "orders_all", "units", "totals", "daily", "top_skus",
    }  # fmt: skip
    assert set(chan["daily"][0]) == {"date", "orders", "orders_all", "units", "revenue_cents"}
    assert chan["orders"] == 1 and chan["orders_all"] == 2
    assert chan["top_skus"][0]["sku"] == "GTR-1"
    assert set(chan["top_skus"][0]) >= {"sku", "linked", "orders", "units", "revenue_cents"}
    assert doc["totals"] == {
        "EUR": {"orders": 1, "orders_all": 1, "units": 1, "revenue_cents": 500},
        "USD": {"orders": 1, "orders_all": 2, "units": 1, "revenue_cents": 12345},
    }

    code, out, _ = run_cli(
        capsys, "--db", cli_db, "report", "--json", "--from", "2020-01-01", "--to", "2020-01-03"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["range"] == {"start": "2020-01-01", "end": "2020-01-03", "days": 3}
    assert [c["label"] for c in doc["channels"]] == ["Main"]  # the removed one had nothing then


def test_cli_text_shows_totals_and_sparklines(cli_db, capsys) -> None:
    code, out, err = run_cli(capsys, "--db", cli_db, "report", "--channel", "main")
    assert code == 0, err
    assert "Main (removed)" in out
    assert "123.45" in out and "EUR" in out
    assert "█" in out and "▁" in out
    assert "GTR-1" in out and "rv-9" in out
    assert err == ""


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--from", "2026-13-01"], "not a real calendar date"),
        (["--to", "tomorrow"], "not a date in the form YYYY-MM-DD"),
        (["--from", "2026-03-05", "--to", "2026-03-04"], "after the end date"),
        (["--channel", "Nobody"], "no integration named 'Nobody'"),
    ],
)
def test_cli_refusals_exit_2_with_one_sentence(cli_db, capsys, argv, words) -> None:
    code, out, err = run_cli(capsys, "--db", cli_db, "report", "--json", *argv)
    assert code == 2
    assert out == ""
    assert words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_help_is_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import reverb_tui.cli.report; "
        "from reverb_tui.__main__ import main\n"
        "try:\n    main(['report', '--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'textual', 'httpx') if m in sys.modules]\n"
        "print(heavy, time.perf_counter() - t)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "--from YYYY-MM-DD" in proc.stdout
    heavy, seconds = proc.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert heavy == "[]"
    assert float(seconds) < 1.0
