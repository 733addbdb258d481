"""The background sync in the TUI: "Sync now", the periodic loop, progress and results."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from reverb_tui.app import ROUTINE_NOTICE_SECONDS, ReverbApp, summary_text, total
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel, Order
from reverb_tui.messages import SyncProgressed
from reverb_tui.sync.service import ChannelSummary, SyncProgress, SyncQueue, SyncWanted
from reverb_tui.widgets.channel_table import progress_text
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import BASE, FakeReverb
from tests.ui.helpers import notified


def setup(make_services, fake: FakeReverb, *names: str):
    svc = make_services(client_factory=fast_client_factory(fake.transport))
    return svc, [
        add_channel(svc, name, token=fake.token, orders_since=BASE - timedelta(days=30)).id
        for name in names
    ]


def order_count(svc) -> int:
    with session_scope(svc.engine) as s:
        return s.exec(select(func.count()).select_from(Order)).one()


def notices(app: ReverbApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in notified(app)]


async def test_sync_now_key_downloads_orders_and_reports(make_services) -> None:
    fake = FakeReverb()
    for _ in range(7):
        fake.add_order()
    svc, [cid] = setup(make_services, fake, "Shop A")
    app = ReverbApp(svc, start_sync=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert order_count(svc) == 0
        await pilot.press("s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert order_count(svc) == 7
        assert any("Synced Shop A" in n and "7 new orders" in n for n in notices(app))
        with session_scope(svc.engine) as s:
            assert s.get(Channel, cid).last_order_sync_at is not None
        table = app.screen.query_one("#channel-table")
        cell = str(table.get_cell(str(cid), "last-orders"))
        assert "ago" in cell or "now" in cell


async def test_failed_sync_is_a_notification_and_in_the_health_columns(make_services) -> None:
    fake = FakeReverb()
    fake.before.append(lambda r: __import__("httpx").Response(401, json={"message": "Nope"}))
    svc, [cid] = setup(make_services, fake, "Shop A")
    app = ReverbApp(svc, start_sync=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("s")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("Sync of Shop A failed" in n and "refused this token" in n for n in notices(app))
        table = app.screen.query_one("#channel-table")
        assert "Yes" in str(table.get_cell(str(cid), "reauth"))


async def test_background_loop_syncs_by_itself(make_services) -> None:
    fake = FakeReverb()
    for _ in range(3):
        fake.add_order()
    svc, _ = setup(make_services, fake, "Shop A")
    app = ReverbApp(svc, start_sync=True)
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):
            if order_count(svc) == 3 and any("Synced" in n for n in notices(app)):
                break
            await pilot.pause(0.05)
        assert order_count(svc) == 3
        # The loop keeps running and the UI answers keys meanwhile.
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "AddChannelScreen"
        await pilot.press("escape")
        await pilot.press("q")


async def test_progress_shows_in_the_row_while_syncing(make_services) -> None:
    fake = FakeReverb()
    svc, [cid] = setup(make_services, fake, "Shop A")
    app = ReverbApp(svc, start_sync=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.post_message(SyncProgressed(SyncProgress(cid, "Shop A", "orders", 3, 12, 140)))
        await pilot.pause()
        table = app.screen.query_one("#channel-table")
        assert "orders page 3/12, 140 seen" in str(table.get_cell(str(cid), "last-orders"))


def test_progress_and_queue_rules() -> None:
    assert progress_text(SyncProgress(1, "A", "done")) is None
    assert progress_text(SyncProgress(1, "A", "push", 5, 9)) == "⟳ stock 5/9"
    q = SyncQueue()
    q.put(SyncWanted(None, stock_only=False))
    q.put(SyncWanted(3, stock_only=False))  # covered by "everything"
    q.put(SyncWanted(None, stock_only=True))  # covered by a full sync
    assert q.pop() == SyncWanted(None, False)
    assert q.pop() is None
    q.put(SyncWanted(3, stock_only=True))
    q.put(SyncWanted(3, stock_only=False))  # a full sync is not covered by stock-only
    assert [q.pop(), q.pop()] == [SyncWanted(3, True), SyncWanted(3, False)]


async def test_a_run_of_several_integrations_is_one_short_notification(make_services) -> None:
    fake = FakeReverb()
    for _ in range(4):
        fake.add_order()
    svc, _ = setup(make_services, fake, "Shop A", "Shop B")
    app = ReverbApp(svc, start_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("s")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.pause()
        synced = [n for n in app._notifications if n.title.startswith("Synced")]
        assert [(n.title, n.message) for n in synced] == [
            ("Synced 2 integrations", "8 new orders.")  # each shop sees the 4 orders
        ]
        assert synced[0].timeout == ROUTINE_NOTICE_SECONDS


def test_summary_text_leaves_out_what_did_not_happen() -> None:
    quiet = ChannelSummary("A", orders_new=0)
    assert summary_text(quiet) == "0 new orders."
    busy = ChannelSummary(
        "A", orders_new=300, orders_updated=2, listings_pushed=19, listings_skipped=3
    )
    assert summary_text(busy) == "300 new orders, 2 updated; 19 listings updated, 3 skipped."
    failed = ChannelSummary("A", listings_pushed=1, listings_failed=2, errors=["Nope", "Nope"])
    assert (
        summary_text(failed) == "0 new orders; 1 listing updated, 2 failed; 2 errors; first: Nope."
    )
    one = ChannelSummary("A", orders_new=1, errors=["Nope"])
    assert summary_text(one) == "1 new order; 1 error; first: Nope."
    both = total([busy, failed])
    assert (both.orders_new, both.listings_pushed, both.listings_failed) == (300, 20, 2)
