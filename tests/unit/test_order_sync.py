"""Order download semantics (docs/user-guide.md "How the sync works")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel, Order, SyncError, SyncRun
from reverb_tui.domain import RunKind
from reverb_tui.sync.orders import OrderDownloader, parse_order
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import API, BASE, FakeReverb

NOW = BASE + timedelta(days=1)
SINCE = BASE - timedelta(days=30)  # "download orders since" of every integration here


def clock() -> datetime:
    return NOW


def orders_in_db(svc, channel_id: int | None = None) -> list[Order]:
    with session_scope(svc.engine) as s:
        q = select(Order)
        if channel_id is not None:
            q = q.where(Order.channel_id == channel_id)
        return list(s.exec(q).all())


@pytest.fixture
def fake() -> FakeReverb:
    return FakeReverb()


@pytest.fixture
def svc(make_services, fake):
    return make_services(client_factory=fast_client_factory(fake.transport), clock=clock)


async def run_orders(svc, **kw):
    return await svc.sync.run(RunKind.ORDERS, **kw)


def test_parse_order_money_timestamps_and_gaps() -> None:
    raw = {
        "order_number": 24282217,
        "status": "some_new_status",
        "sku": "  ",
        "quantity": "2",
        "amount_product": {"amount": "50.00", "currency": "GBP"},
        "total": {"amount": "5999.00", "amount_cents": 599900, "currency": "GBP"},
        "created_at": "2025-11-07T18:39:41-05:00",
        "buyer_first_name": "Ada",
        "buyer_last_name": "L",
    }
    d = parse_order(raw)
    assert d["order_number"] == "24282217"
    assert d["status"] == "some_new_status"  # unknown statuses are kept
    assert d["channel_sku"] is None
    assert d["quantity"] == 2
    assert d["unit_cents"] == 5000 and d["total_cents"] == 599900 and d["currency"] == "GBP"
    assert d["created_at"] == datetime(2025, 11, 7, 23, 39, 41, tzinfo=UTC)
    assert d["buyer_name"] == "Ada L"
    assert d["paid_at"] is None
    assert parse_order({"status": "paid"}) is None
    assert parse_order({"order_number": 1, "total": {"amount": "x"}}) is None
    assert parse_order("junk") is None


async def test_first_sync_walks_every_page_once(svc, fake) -> None:
    for i in range(123):
        fake.add_order(status="paid" if i % 3 else "shipped")
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id
    [summary] = await run_orders(svc)
    assert summary.completed and summary.orders_new == 123 and summary.orders_updated == 0
    stored = orders_in_db(svc, cid)
    assert sorted(o.order_number for o in stored) == sorted(o["order_number"] for o in fake.orders)
    o = stored[0]
    assert o.total_cents == 11_500 and o.currency == "USD"
    assert o.created_at.tzinfo is not None
    # The first walk starts at "download orders since" with 50 a page.
    first = fake.requests[0]
    assert first.url.params["per_page"] == "50"
    assert first.url.params["updated_start_date"].startswith("2026-10-02")
    assert first.headers["Accept-Version"] == "3.0"
    with session_scope(svc.engine) as s:
        ch = s.get(Channel, cid)
        newest = max(datetime.fromisoformat(o["updated_at"]) for o in fake.orders)
        assert ch.order_cursor == newest
        assert ch.last_order_sync_at == NOW and ch.error_count == 0


async def test_incremental_sync_with_nothing_new_costs_one_request(svc, fake) -> None:
    for _ in range(60):
        fake.add_order()
    add_channel(svc, "Shop A", orders_since=SINCE)
    await run_orders(svc)
    before = fake.count("/my/orders")
    [summary] = await run_orders(svc)
    assert fake.count("/my/orders") - before == 1
    assert summary.orders_new == 0 and summary.orders_updated == 0
    assert len(orders_in_db(svc)) == 60


async def test_status_change_updates_without_duplicating(svc, fake) -> None:
    for _ in range(5):
        fake.add_order(status="unpaid")
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id
    await run_orders(svc)
    target = fake.orders[0]["order_number"]
    fake.set_status(target, "paid")
    fake.set_status(fake.orders[1]["order_number"], "brand_new_status")
    [summary] = await run_orders(svc)
    assert summary.orders_updated == 2 and summary.orders_new == 0
    by_number = {o.order_number: o for o in orders_in_db(svc, cid)}
    assert len(by_number) == 5
    assert by_number[target].status == "paid"
    assert by_number[fake.orders[1]["order_number"]].status == "brand_new_status"


async def test_sale_landing_mid_walk_never_loses_an_old_order(svc, fake) -> None:
    """Pages are fetched concurrently; a sale arriving between pages shifts every order down.
    The walk must notice (page totals differ) and repeat, so no old order is skipped."""
    for _ in range(149):
        fake.add_order()
    existing = {o["order_number"] for o in fake.orders}
    add_channel(svc, "Shop A", orders_since=SINCE)
    sales = {"n": 0}

    def sale_after_first_page(request: httpx.Request) -> None:
        if (
            "/my/orders" in request.url.path
            and request.url.params.get("page") == "2"
            and sales["n"] < 2
        ):
            sales["n"] += 1
            fake.add_order()
        return None

    fake.before.append(sale_after_first_page)
    [summary] = await run_orders(svc)
    assert summary.completed
    first_pages = [r for r in fake.requests if r.url.params.get("page") == "1"]
    assert len(first_pages) >= 2  # the shifted walk was repeated
    stored = {o.order_number for o in orders_in_db(svc)}
    assert existing <= stored
    assert len(stored) == len({o.order_number for o in orders_in_db(svc)})  # no duplicates


async def test_continuous_sales_fall_back_to_a_safe_sequential_walk(svc, fake) -> None:
    for _ in range(120):
        fake.add_order()
    existing = {o["order_number"] for o in fake.orders}
    add_channel(svc, "Shop A", orders_since=SINCE)

    def sale_on_every_page(request: httpx.Request) -> None:
        if "/my/orders" in request.url.path:
            fake.add_order()

    fake.before.append(sale_on_every_page)
    [summary] = await run_orders(svc)
    assert summary.completed
    # Three concurrent walks shifted, then one sequential walk finished the job.
    assert len([r for r in fake.requests if r.url.params.get("page") == "1"]) == 4
    stored = [o.order_number for o in orders_in_db(svc)]
    assert existing <= set(stored) and len(stored) == len(set(stored))


async def test_server_errors_are_retried_and_data_is_exact(svc, fake) -> None:
    for _ in range(110):
        fake.add_order()
    add_channel(svc, "Shop A", orders_since=SINCE)
    failures = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("page") == "2" and failures["n"] < 2:
            failures["n"] += 1
            return httpx.Response(503, text="busy")
        return None

    fake.before.append(flaky)
    [summary] = await run_orders(svc)
    assert summary.completed and failures["n"] == 2
    assert len(orders_in_db(svc)) == 110


async def test_persistent_failure_fails_the_run_and_keeps_the_cursor(svc, fake) -> None:
    for _ in range(80):
        fake.add_order()
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id

    def down(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("page") == "2":
            return httpx.Response(502, json={"message": "Bad gateway"})
        return None

    fake.before.append(down)
    [summary] = await run_orders(svc)
    assert not summary.completed and summary.status == "failed"
    assert any("502" in e for e in summary.errors)
    with session_scope(svc.engine) as s:
        ch = s.get(Channel, cid)
        assert ch.order_cursor is None and ch.last_order_sync_at is None
        assert ch.last_error and "502" in ch.last_error
        run = s.exec(select(SyncRun)).one()
        assert run.status == "failed"
        assert "502" in s.exec(select(SyncError)).one().message
    # Reverb comes back: the next sync completes with every order exactly once.
    fake.before.clear()
    [summary] = await run_orders(svc)
    assert summary.completed and len(orders_in_db(svc)) == 80


async def test_crash_mid_walk_then_rerun_converges(svc, fake) -> None:
    for _ in range(150):
        fake.add_order()
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id

    class Boom(Exception):
        pass

    def crash(request: httpx.Request) -> None:
        if request.url.params.get("page") == "3":
            raise Boom()

    fake.before.append(crash)
    client = fast_client_factory(fake.transport)(API, fake.token, 100)
    with pytest.raises(Boom):
        await OrderDownloader(client, svc.engine, cid, clock=clock, concurrency=1).run()
    partial = len(orders_in_db(svc))
    assert 0 < partial < 150
    fake.before.clear()
    [summary] = await run_orders(svc)
    assert summary.completed
    stored = [o.order_number for o in orders_in_db(svc)]
    assert len(stored) == 150 == len(set(stored))


async def test_auth_failure_marks_reauth_and_others_keep_syncing(make_services) -> None:
    good, bad = FakeReverb(token="tok_good_1234567890"), FakeReverb(token="tok_bad_1234567890")
    for _ in range(3):
        good.add_order()

    def route(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].split()[-1]
        if token == good.token:
            return good.handle(request)
        return httpx.Response(401, json={"message": "Invalid token."})

    svc = make_services(client_factory=fast_client_factory(httpx.MockTransport(route)), clock=clock)
    add_channel(svc, "Good", token=good.token, orders_since=SINCE)
    bad_id = add_channel(svc, "Bad", token=bad.token, orders_since=SINCE).id
    results = {s.channel: s for s in await run_orders(svc)}
    assert results["Good"].completed and results["Good"].orders_new == 3
    assert not results["Bad"].completed
    with session_scope(svc.engine) as s:
        assert s.get(Channel, bad_id).needs_reauth is True
    # Skipped (no request) until reauthorised.
    calls = len(good.requests)
    results = {s.channel: s for s in await run_orders(svc)}
    assert results["Bad"].status == "skipped" and "reauthorise" in results["Bad"].errors[0]
    assert len(good.requests) == calls + 1


async def test_disabled_integrations_make_no_requests(svc, fake) -> None:
    fake.add_order()
    add_channel(svc, "Shop A", orders_since=SINCE)
    svc.channels.set_enabled("Shop A", False)
    assert await run_orders(svc) == []
    assert fake.requests == []


async def test_next_link_to_another_host_is_refused(svc, fake) -> None:
    for _ in range(60):
        fake.add_order()
    add_channel(svc, "Shop A", orders_since=SINCE)

    def evil(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("page") in (None, "1"):
            resp = fake.orders_page(request)
            body = resp.json()
            body["_links"]["next"] = {"href": "https://evil.example/api/my/orders?page=2"}
            return httpx.Response(200, json=body)
        return None

    fake.before.append(evil)
    [summary] = await run_orders(svc)
    assert not summary.completed
    assert any("evil.example" in e for e in summary.errors)
    assert not any(r.url.host == "evil.example" for r in fake.requests)


async def test_absolute_next_links_on_the_site_host_are_followed(svc, fake) -> None:
    fake.links = "absolute"
    for _ in range(75):
        fake.add_order()
    add_channel(svc, "Shop A", orders_since=SINCE)
    [summary] = await run_orders(svc)
    assert summary.completed and summary.orders_new == 75


async def test_order_without_number_is_logged_and_the_rest_stored(svc, fake) -> None:
    for _ in range(3):
        fake.add_order()
    fake.orders[1].pop("order_number")
    add_channel(svc, "Shop A", orders_since=SINCE)
    [summary] = await run_orders(svc)
    assert len(orders_in_db(svc)) == 2
    assert any("has no order number" in e for e in summary.errors)
    assert summary.status == "partial" and summary.completed


async def test_lease_stops_two_syncers_on_one_integration(make_services, fake) -> None:
    for _ in range(60):
        fake.add_order()
    gate = asyncio.Event()

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return fake.handle(request)

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await slow_handler(request)

    a = make_services(client_factory=fast_client_factory(SlowTransport()), clock=clock)
    b = make_services(client_factory=fast_client_factory(fake.transport), clock=clock)
    add_channel(a, "Shop A", orders_since=SINCE)
    first = asyncio.create_task(a.sync.run(RunKind.ORDERS))
    await asyncio.sleep(0.3)
    [busy] = await b.sync.run(RunKind.ORDERS)
    assert busy.status == "busy" and not busy.completed
    gate.set()
    [done] = await first
    assert done.completed and done.orders_new == 60
    # Released: the other process can sync now.
    [later] = await b.sync.run(RunKind.ORDERS)
    assert later.completed


async def test_expired_lease_of_a_dead_holder_is_taken_over(svc, fake) -> None:
    fake.add_order()
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id
    with session_scope(svc.engine) as s:
        ch = s.get(Channel, cid)
        ch.lease_holder = "sync:deadhost:1:abc"
        ch.lease_expires_at = NOW - timedelta(seconds=1)
    [summary] = await run_orders(svc)
    assert summary.completed and summary.orders_new == 1


async def test_sync_log_lists_runs_with_errors(svc, fake) -> None:
    fake.add_order()
    add_channel(svc, "Shop A", orders_since=SINCE)
    await run_orders(svc)
    fake.before.append(lambda r: httpx.Response(500, json={"message": "Kaboom"}))
    await run_orders(svc)
    runs = svc.sync_log.runs()
    assert [r["status"] for r in runs] == ["failed", "ok"]
    assert "Kaboom" in runs[0]["errors"][0]["message"]
    assert runs[1]["orders_new"] == 1


async def test_watch_syncs_when_due_and_stops_cleanly(make_services, fake) -> None:
    fake.add_order()
    times = [NOW]

    def moving_clock() -> datetime:
        return times[-1]

    svc = make_services(client_factory=fast_client_factory(fake.transport), clock=moving_clock)
    add_channel(svc, "Shop A", orders_since=SINCE)
    svc.channels.update_settings("Shop A", interval_seconds=60)
    stop = asyncio.Event()
    runs: list[list] = []

    def on_run(summaries, _wanted) -> None:
        runs.append(summaries)
        if len(runs) == 1:
            fake.add_order()
            times.append(NOW + timedelta(seconds=30))  # not due yet
        elif len(runs) == 2:
            stop.set()

    async def advance() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.05)
            if len(runs) == 1 and times[-1] == NOW + timedelta(seconds=30):
                await asyncio.sleep(0.1)
                times.append(NOW + timedelta(seconds=61))  # now due

    await asyncio.wait_for(
        asyncio.gather(svc.sync.watch(stop=stop, on_run=on_run, tick=0.02), advance()),
        timeout=10,
    )
    assert len(runs) == 2
    assert runs[0][0].orders_new == 1 and runs[1][0].orders_new == 1
    assert len(orders_in_db(svc)) == 2


async def test_two_runs_in_one_process_exclude_each_other(make_services, fake) -> None:
    """The TUI's background loop and a preview share a process: they must not both sync."""
    for _ in range(5):
        fake.add_order()
    gate = asyncio.Event()

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await gate.wait()
            return fake.handle(request)

    svc = make_services(client_factory=fast_client_factory(SlowTransport()), clock=clock)
    add_channel(svc, "Shop A", orders_since=SINCE)
    first = asyncio.create_task(svc.sync.run(RunKind.ORDERS))
    await asyncio.sleep(0.3)
    [busy] = await svc.sync.run(RunKind.ORDERS)
    assert busy.status == "busy" and "another sync" in busy.errors[0]
    gate.set()
    [done] = await first
    assert done.completed and done.orders_new == 5


async def test_periodic_run_with_nothing_new_makes_one_request(make_services) -> None:
    """With stock updates on: a run with nothing new anywhere reads no listings and writes
    nothing (one order page in all); a count changed since the last push brings the listings
    read and the write back."""
    fake = FakeReverb()
    fake.add_order(status="unpaid", sku="SKU-1")
    listings = [
        {
            "id": 501,
            "sku": "SKU-1",
            "title": "Guitar",
            "inventory": 1,
            "has_inventory": True,
            "condition": {"slug": "brand-new"},
            "state": {"slug": "live"},
        }
    ]
    puts: list[httpx.Request] = []

    def listing_routes(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/my/listings"):
            return httpx.Response(
                200,
                json={
                    "total": 1,
                    "current_page": 1,
                    "total_pages": 1,
                    "listings": listings,
                    "_links": {},
                },
            )
        if request.method == "PUT":
            puts.append(request)
            listings[0]["inventory"] = __import__("json").loads(request.content)["inventory"]
            return httpx.Response(200, json={"listing": listings[0]})
        return None

    fake.before.append(listing_routes)
    times = [NOW]
    svc = make_services(client_factory=fast_client_factory(fake.transport), clock=lambda: times[-1])
    add_channel(svc, "Shop A", orders_since=SINCE)
    svc.inventory.upsert("SKU-1", title="Guitar", on_hand=5)
    svc.channels.update_settings("Shop A", stock_updates=True)
    [first] = await svc.sync.run()
    assert first.completed and first.listings_seen == 1 and first.listings_pushed == 1
    assert listings[0]["inventory"] == 4  # 5 on hand - 1 reserved by the unpaid order

    times.append(NOW + timedelta(minutes=1))
    before = len(fake.requests)
    [quiet] = await svc.sync.run()
    assert quiet.completed and len(fake.requests) - before == 1  # the order page only
    assert quiet.listings_pushed == 0

    times.append(NOW + timedelta(minutes=2))
    svc.inventory.set_on_hand("SKU-1", 8)
    times.append(NOW + timedelta(minutes=3))
    [after_count] = await svc.sync.run()
    assert after_count.listings_seen == 1 and after_count.listings_pushed == 1
    assert listings[0]["inventory"] == 7 and len(puts) == 2

    times.append(NOW + timedelta(minutes=30))  # listings not read for 15 minutes: read again
    before = len(fake.requests)
    [stale] = await svc.sync.run()
    assert stale.listings_seen == 1 and len(fake.requests) - before == 2


# -- storage that keeps up (docs/user-guide.md "Reverb's limits") -------------------------------


async def test_a_page_is_stored_with_a_handful_of_statements(svc, fake) -> None:
    """Bulk statements, not a few per order: storing 50 new orders (half of them sales that
    take stock) costs the same few statements as storing 5."""
    from sqlalchemy import event

    from reverb_tui.db.models import InventoryItem
    from reverb_tui.sync.orders import store_orders

    for i in range(50):
        fake.add_order(status="paid" if i % 2 else "unpaid", sku=f"SKU-{i % 7}")
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id
    with session_scope(svc.engine) as s:
        for k in range(7):
            s.add(InventoryItem(sku=f"SKU-{k}", sku_key=f"sku-{k}", on_hand=100, updated_at=NOW))

    statements: list[str] = []

    def count(conn, cursor, statement, *_a) -> None:
        statements.append(statement)

    event.listen(svc.engine, "before_cursor_execute", count)
    try:
        new, updated, errors = store_orders(svc.engine, cid, fake.orders, NOW)
        first = len(statements)
        statements.clear()
        for o in fake.orders:
            o["status"] = "shipped"
            o["updated_at"] = (NOW + timedelta(minutes=1)).isoformat()
        skus: set[str] = set()
        assert store_orders(svc.engine, cid, fake.orders, NOW, skus)[:2] == (0, 50)
        second = len(statements)
    finally:
        event.remove(svc.engine, "before_cursor_execute", count)
    assert (new, updated, errors) == (50, 0, [])
    assert first <= 10 and second <= 10, (first, second)
    assert skus == {f"sku-{k}" for k in range(7)}  # what the changed orders may have moved
    with session_scope(svc.engine) as s:
        on_hand = {i.sku: i.on_hand for i in s.exec(select(InventoryItem))}
    # 25 sales (paid, then shipped) took stock once each; the 25 unpaid ones became shipped
    # sales in the second pass and took theirs then.
    assert sum(100 - v for v in on_hand.values()) == 50


async def test_pages_are_stored_one_at_a_time_while_the_next_download(
    svc, fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reverb_tui.sync import orders as orders_mod

    for _ in range(400):
        fake.add_order()
    cid = add_channel(svc, "Shop A", orders_since=SINCE).id
    real = orders_mod.store_with_retry
    inside = peak = 0
    fetched_while_storing = 0
    lock = __import__("threading").Lock()

    def watched(*args, **kw):
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        try:
            # Storing takes a while, as on a busy disk: the next page's request must go out
            # meanwhile (without the pause a loaded machine may finish each store first).
            __import__("time").sleep(0.05)
            return real(*args, **kw)
        finally:
            with lock:
                inside -= 1

    def note(request: httpx.Request) -> None:
        nonlocal fetched_while_storing
        if inside:
            fetched_while_storing += 1

    monkeypatch.setattr(orders_mod, "store_with_retry", watched)
    fake.before.append(note)
    client = fast_client_factory(fake.transport)(API, fake.token, 100)
    result = await OrderDownloader(client, svc.engine, cid, clock=clock).run()
    await client.aclose()
    assert result.new == 400 and len(orders_in_db(svc, cid)) == 400
    assert peak == 1  # one writer: pages never contend for the database
    assert fetched_while_storing > 0  # the download did not wait for the database
