"""A sale on one account corrects the others within seconds (docs/user-guide.md
"Reverb's limits"): the quick orders check between full syncs, the push of only what a new sale
changed, and the watch loop's two rhythms. Against the loopback simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel, Listing, SyncRun
from reverb_tui.domain import RunKind
from reverb_tui.sync.service import eventful, plan_watch
from tests.fakes.two_shops import connect_two_shops, two_shop_simulator

TOKEN_A = "tok_quick_shop_a_0123456789"
TOKEN_B = "tok_quick_shop_b_0123456789"
SKUS = [f"Q-{k:02d}" for k in range(60)]


@pytest.fixture
def sim():
    with two_shop_simulator(3, (TOKEN_A, TOKEN_B), SKUS, inventory=4) as s:
        yield s


@pytest.fixture
async def svc(make_services, sim, tmp_path):
    svc = make_services()
    await connect_two_shops(svc, sim, (TOKEN_A, TOKEN_B), SKUS, 9, tmp_path)
    await svc.sync.run()  # the first full sync: every listing now shows 9
    return svc


def listing_of(svc, channel: str, sku: str) -> Listing:
    with session_scope(svc.engine) as s:
        cid = s.exec(select(Channel.id).where(Channel.name == channel)).one()
        return s.exec(select(Listing).where(Listing.channel_id == cid, Listing.sku == sku)).one()


def runs(svc) -> list[SyncRun]:
    with session_scope(svc.engine) as s:
        return list(s.exec(select(SyncRun)))


async def test_a_quiet_check_costs_one_request_and_leaves_no_log_row(svc, sim) -> None:
    before = len(runs(svc))
    sim.reset_counters()
    summaries = await svc.sync.run(RunKind.CHECK)
    assert [s.status for s in summaries] == ["ok", "ok"]
    assert not any(eventful(s) for s in summaries)
    assert sim.requests_for("Shop A") == 1 and sim.requests_for("Shop B") == 1
    assert len(runs(svc)) == before
    with session_scope(svc.engine) as s:
        assert all(c.last_order_sync_at is not None for c in s.exec(select(Channel)))


async def test_a_sale_on_a_corrects_b_with_a_push_of_that_sku_only(svc, sim) -> None:
    b_listing = int(listing_of(svc, "Shop B", "Q-07").listing_id)
    assert sim.listing(b_listing)["inventory"] == 9
    sim.add_sale("Shop A", sku="Q-07", quantity=2, status="paid")
    sim.reset_counters()
    summaries = await svc.sync.run(RunKind.CHECK, [listing_of(svc, "Shop A", "Q-07").channel_id])
    by_name = {s.channel: s for s in summaries}
    assert by_name["Shop A"].orders_new == 1
    assert sim.listing(b_listing)["inventory"] == 7
    # No listings re-read; one order page from A, and PUTs of Q-07 only (B's, and A's own
    # listing, which Reverb decremented already: the same value, written once).
    assert sim.requests_for("Shop A", "GET /my/listings") == 0
    assert sim.requests_for("Shop B", "GET /my/listings") == 0
    assert sim.requests_for("Shop B") == 1  # B was not checked: its one PUT
    assert by_name["Shop B"].listings_pushed == 1
    assert sim.requests_for("Shop A") <= 2
    # The partial push does not pass for a whole one: the next full sync still corrects.
    assert any(r.kind == RunKind.CHECK for r in runs(svc))


def test_the_watch_plan_runs_a_full_sync_first_then_quick_checks() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    ch = Channel(
        id=1,
        name="A",
        api_url="x",
        token="tok_xxxxxxxx",
        orders_since=now,
        created_at=now,
        interval_seconds=60,
        orders_interval_seconds=10,
    )
    full: dict[int, datetime] = {}
    checked: dict[int, datetime] = {}
    plan = plan_watch([ch], now, None, full, checked)
    assert (plan.full, plan.check) == ([1], [])
    full[1] = checked[1] = now
    ch.last_order_sync_at = now
    # Over the next minute: a check every 10 s, then the full sync; 6 requests when idle.
    ran: list[tuple[int, str]] = []
    for second in range(1, 61):
        t = now + timedelta(seconds=second)
        plan = plan_watch([ch], t, None, full, checked)
        assert plan.next[1].full == full[1] + timedelta(seconds=60)
        if plan.full:
            ran.append((second, "full"))
            full[1] = checked[1] = t
        elif plan.check:
            ran.append((second, "check"))
            checked[1] = t
    assert ran == [(10, "check"), (20, "check"), (30, "check"), (40, "check"), (50, "check"),
                   (60, "full")]  # fmt: skip
    # An orders interval as long as the full one means no quick checks at all.
    ch.orders_interval_seconds = 60
    plan = plan_watch([ch], now + timedelta(seconds=65), None, full, checked)
    assert plan.check == [] and plan.next[1].check is None
    # A channel that needs reauthorising is never planned.
    ch.needs_reauth = True
    assert plan_watch([ch], now + timedelta(hours=1), None, {}, {}).next == {}


async def test_the_watch_loop_tells_when_each_integration_is_next_checked(svc) -> None:
    import asyncio

    told: list[dict] = []
    stop = asyncio.Event()

    def on_schedule(schedule: dict) -> None:
        told.append(schedule)
        stop.set()

    await asyncio.wait_for(svc.sync.watch(stop=stop, on_schedule=on_schedule), 60)
    with session_scope(svc.engine) as s:
        ids = set(s.exec(select(Channel.id)).all())
    schedule = told[0]
    assert set(schedule) == ids and schedule == svc.sync.schedule
    now = svc.sync.clock()
    for due in schedule.values():
        # The loop's first full sync is due at once; quick checks are on (every 10 s by
        # default, shorter than the sync interval), the next one 10 s after the last orders.
        assert due.full <= now
        assert due.check is not None and due.check > now - timedelta(seconds=10)
