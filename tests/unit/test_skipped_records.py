"""Nothing is skipped silently: each order or listing Reverb sends that cannot be stored is
logged by itself, named by its uuid (or listing id, or place on the page) with the reason,
counted in the run's summary, in ``sync --json``, ``log --json`` and on the Sync log screen,
and the rest of the page is stored."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Listing, Order, SyncError, SyncRun
from reverb_tui.domain import RunKind
from reverb_tui.screens.sync_log import run_detail
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import BASE, FakeReverb

NOW = BASE + timedelta(days=1)
SINCE = BASE - timedelta(days=30)


def clock():
    return NOW


@pytest.fixture
def fake() -> FakeReverb:
    f = FakeReverb()
    for _ in range(8):
        f.add_order()
    # Three broken orders among five intact ones, all on the first page.
    f.orders[1].pop("order_number")  # keeps its uuid
    f.orders[3]["total"] = {"amount": "lots", "currency": "USD"}  # money that is not money
    f.orders[5].pop("order_number")
    f.orders[5].pop("uuid")  # nothing names it but its place on the page
    f.listings = {
        "1": {"id": 1, "sku": "SKU-1", "title": "Strat", "inventory": 2, "has_inventory": True},
        "x": {"sku": "GHOST-1", "title": "No id", "inventory": 1},  # cannot be stored
        "3": {"id": 3, "sku": "SKU-3", "title": "Tele", "inventory": 1, "has_inventory": True},
    }
    return f


@pytest.fixture
def svc(make_services, fake):
    return make_services(client_factory=fast_client_factory(fake.transport), clock=clock)


async def test_each_broken_record_is_logged_by_itself_and_counted(svc, fake) -> None:
    broken_money = fake.orders[3]["uuid"]
    no_number = fake.orders[1]["uuid"]
    add_channel(svc, "Shop A", orders_since=SINCE)
    [summary] = await svc.sync.run(RunKind.SYNC)

    assert summary.completed and summary.status == "partial"
    assert (summary.orders_new, summary.orders_invalid, summary.listings_invalid) == (5, 3, 1)
    with session_scope(svc.engine) as s:
        assert len(s.exec(select(Order)).all()) == 5  # the rest of the page is stored
        assert sorted(lst.listing_id for lst in s.exec(select(Listing)).all()) == ["1", "3"]
        errors = {e.item: e.message for e in s.exec(select(SyncError)).all()}
        run = s.exec(select(SyncRun)).one()
        assert (run.orders_invalid, run.listings_invalid) == (3, 1)
    assert errors[f"order {no_number}"] == "It has no order number, so it was not stored."
    assert errors[f"order {broken_money}"].startswith("Its total {'amount': 'lots'")
    assert "is not an amount of money" in errors[f"order {broken_money}"]
    assert "order at position 3 of page 1 (no uuid or order number)" in errors
    assert errors["listing at position 2 of page 1 (sku 'GHOST-1')"] == (
        "It has no listing id, so it was not stored."
    )
    assert len(errors) == 4  # one line each, no summary line
    doc = summary.to_json()
    assert (doc["orders_invalid"], doc["listings_invalid"]) == (3, 1)
    assert sum("not stored" in e for e in doc["errors"]) == 4


async def test_a_second_run_over_the_same_page_logs_each_again_once(svc, fake) -> None:
    """Overlap re-reads the page: the broken orders are named again in that run, once each."""
    add_channel(svc, "Shop A", orders_since=SINCE)
    await svc.sync.run(RunKind.ORDERS)
    [second] = await svc.sync.run(RunKind.ORDERS)
    assert second.orders_invalid == 3 and len(second.errors) == 3
    assert len(set(second.errors)) == 3


def test_cli_json_and_the_sync_log_screen_count_them(svc, fake, db_path, capsys) -> None:
    import asyncio

    from reverb_tui.__main__ import main

    add_channel(svc, "Shop A", orders_since=SINCE)
    asyncio.run(svc.sync.run(RunKind.SYNC))
    capsys.readouterr()
    assert main(["log", "--json", "--db", str(db_path)]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert (run["orders_invalid"], run["listings_invalid"]) == (3, 1)
    assert len(run["errors"]) == 4
    assert main(["log", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "not stored: 3 orders, 1 listings" in out
    assert out.count("was not stored") == 4
    detail = run_detail(run)
    text = "\n".join(line.plain for line in detail.renderables)  # type: ignore[union-attr]
    assert "Not stored: 3 orders and 1 listing Reverb sent could not be read" in text
    assert "order at position 3 of page 1 (no uuid or order number): It has no order" in text
