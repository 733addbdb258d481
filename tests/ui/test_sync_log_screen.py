"""The Sync log screen: runs newest first with counts, errors in full, live refresh by row key,
the integration filter, and Retry from the log."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from textual.widgets import Button, DataTable, Select, Static

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import SyncError, SyncRun
from reverb_tui.messages import SyncRequested
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.screens.sync_log import SyncLogScreen
from tests.db_rows import add_channel
from tests.ui.helpers import FIXED_NOW, make_app, notifications, settle

LONG_MESSAGE = (
    "Reverb refused the update of listing 12345: inventory must be a whole number between 0 "
    "and 9999 for a listing that is not one of a kind (the API said: 422 Unprocessable Entity)"
)
_minutes = count(1)


def add_run(
    services,
    channel_id: int,
    *,
    minutes_ago: float,
    status: str = "ok",
    kind: str = "sync",
    seconds: float | None = 2.5,
    errors: list[tuple[str | None, str]] = (),
    **counts: int,
) -> int:
    """Store a finished (or, with ``seconds=None``, running) run as a sync would."""
    started = FIXED_NOW - timedelta(minutes=minutes_ago)
    with session_scope(services.engine) as s:
        run = SyncRun(
            channel_id=channel_id,
            kind=kind,
            status=status,
            started_at=started,
            finished_at=None if seconds is None else started + timedelta(seconds=seconds),
            **counts,
        )
        s.add(run)
        s.flush()
        for item, message in errors:
            s.add(
                SyncError(
                    run_id=run.id,
                    channel_id=channel_id,
                    item=item,
                    message=message,
                    created_at=started + timedelta(seconds=1),
                )
            )
        return int(run.id)


def cell(table: DataTable, run_id: int, column: str) -> str:
    return str(table.get_cell(str(run_id), column))


def row_ids(table: DataTable) -> list[int]:
    return [int(row.key.value) for row in table.ordered_rows]


async def open_log(pilot) -> SyncLogScreen:
    await settle(pilot)
    await pilot.press("l")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SyncLogScreen)
    return screen


def detail_text(screen: SyncLogScreen) -> str:
    renderable = screen.query_one("#run-detail-text", Static).content
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_runs_show_newest_first_with_their_counts(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    second = add_channel(fixed_services, "Second shop")
    oldest = add_run(fixed_services, main.id, minutes_ago=30, orders_new=7, requests=12)
    middle = add_run(
        fixed_services,
        second.id,
        minutes_ago=20,
        status="partial",
        kind="stock",
        listings_seen=120,
        listings_pushed=4,
        listings_skipped=2,
        listings_failed=1,
        errors=[("listing 12345", LONG_MESSAGE)],
    )
    newest = add_run(
        fixed_services, main.id, minutes_ago=5, orders_new=1, orders_updated=3, seconds=75
    )
    running = add_run(fixed_services, second.id, minutes_ago=1, status="running", seconds=None)
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        table = screen.table
        assert row_ids(table) == [running, newest, middle, oldest]
        assert cell(table, oldest, "orders-new") == "7"
        assert cell(table, oldest, "requests") == "12"
        assert cell(table, newest, "orders-updated") == "3"
        assert cell(table, newest, "duration") == "1 min 15 s"
        assert cell(table, middle, "channel") == "Second shop"
        assert cell(table, middle, "kind") == "stock"
        assert cell(table, middle, "status") == "partial"
        assert [
            cell(table, middle, c)
            for c in ("listings-seen", "listings-pushed", "listings-skipped", "listings-failed")
        ] == ["120", "4", "2", "1"]
        assert cell(table, middle, "errors") == "1"
        assert cell(table, oldest, "errors") == "0"
        assert cell(table, running, "duration") == "running"
        status = table.get_cell(str(middle), "status")
        assert "#f5a623" in str(status.style)  # partial is amber, not the plain text colour
        assert "4 runs, newest first" in str(screen.query_one("#sync-log-status", Static).content)


async def test_the_detail_panel_shows_the_highlighted_runs_errors_in_full(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    failed = add_run(
        fixed_services,
        main.id,
        minutes_ago=10,
        status="failed",
        errors=[("listing 12345", LONG_MESSAGE), (None, "stopped before the walk finished")],
    )
    add_run(fixed_services, main.id, minutes_ago=2)
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        assert "No errors." in detail_text(screen)
        assert screen.query_one("#sync-log-retry", Button).disabled  # an ok run: no retry

        await pilot.press("down")
        await pilot.pause()
        assert screen.highlighted_run["id"] == failed
        text = " ".join(detail_text(screen).split())
        assert "Errors (2):" in text
        assert f"listing 12345: {LONG_MESSAGE}" in text  # the API's message, not cut short
        assert "stopped before the walk finished" in text
        assert not screen.query_one("#sync-log-retry", Button).disabled


async def test_a_new_run_appears_on_refresh_and_the_cursor_stays_on_its_run(
    fixed_services,
) -> None:
    main = add_channel(fixed_services, "Main shop")
    first = add_run(fixed_services, main.id, minutes_ago=30)
    second = add_run(fixed_services, main.id, minutes_ago=20, status="failed")
    third = add_run(fixed_services, main.id, minutes_ago=10)
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        table = screen.table
        await pilot.press("down")  # onto the failed run
        await pilot.pause()
        assert screen.highlighted_run["id"] == second
        kept_key = next(k for k in table.rows if k.value == str(second))

        # A daemon in another process finishes a run, and the running one gets its counts.
        newest = add_run(fixed_services, main.id, minutes_ago=1, orders_new=9)
        with session_scope(fixed_services.engine) as s:
            run = s.get(SyncRun, third)
            run.orders_updated = 4
            s.add(run)

        await pilot.press("r")
        await settle(pilot)
        assert row_ids(table) == [newest, third, second, first]
        assert cell(table, newest, "orders-new") == "9"
        assert cell(table, third, "orders-updated") == "4"
        assert screen.highlighted_run["id"] == second  # the cursor moved with its run
        assert table.cursor_row == 2
        assert next(k for k in table.rows if k.value == str(second)) is kept_key  # not rebuilt


async def test_retry_posts_sync_requested_for_the_runs_integration(fixed_services) -> None:
    add_channel(fixed_services, "Main shop")
    other = add_channel(fixed_services, "Other shop")
    failed = add_run(fixed_services, other.id, minutes_ago=10, status="failed")
    app = make_app(fixed_services)
    seen: list[SyncRequested] = []
    async with app.run_test(size=(120, 40), message_hook=_collect(seen)) as pilot:
        screen = await open_log(pilot)
        assert screen.highlighted_run["id"] == failed
        await pilot.press("t")
        await settle(pilot)
        assert [(m.channel_id, m.stock_only) for m in seen] == [(other.id, False)]
        # The app ran that sync (against the fake Reverb): its run tops the log, the cursor
        # stays on the failed run.
        await pilot.press("r")
        await settle(pilot)
        newest = screen.table.ordered_rows[0].key.value
        assert int(newest) != failed
        assert screen._runs[newest]["channel_id"] == other.id
        assert screen.highlighted_run["id"] == failed

        await pilot.click("#sync-log-retry")  # the button does the same
        await settle(pilot)
        assert [m.channel_id for m in seen] == [other.id, other.id]


async def test_retry_refuses_an_ok_run_and_a_removed_integration(fixed_services) -> None:
    gone = add_channel(fixed_services, "Old shop")
    failed = add_run(fixed_services, gone.id, minutes_ago=10, status="failed")
    ok_run = add_run(fixed_services, gone.id, minutes_ago=5)
    fixed_services.channels.remove(gone.id)
    app = make_app(fixed_services)
    seen: list[SyncRequested] = []
    async with app.run_test(size=(120, 40), message_hook=_collect(seen)) as pilot:
        screen = await open_log(pilot)
        table = screen.table
        assert cell(table, ok_run, "channel") == "Old shop (removed)"
        await pilot.press("t")
        await settle(pilot)
        assert notifications(app) == ["Only a failed or partial run can be retried."]

        await pilot.press("down", "t")
        await settle(pilot)
        assert screen.highlighted_run["id"] == failed
        assert notifications(app)[-1] == (
            "That run's integration was removed; a removed integration does not sync."
        )
        assert seen == []


async def test_the_filter_shows_one_integrations_runs(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    other = add_channel(fixed_services, "Other shop")
    main_run = add_run(fixed_services, main.id, minutes_ago=10)
    other_run = add_run(fixed_services, other.id, minutes_ago=5)
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        assert row_ids(screen.table) == [other_run, main_run]
        screen.query_one("#sync-log-filter", Select).value = main.id
        await settle(pilot)
        assert row_ids(screen.table) == [main_run]
        screen.query_one("#sync-log-filter", Select).value = 0
        await settle(pilot)
        assert row_ids(screen.table) == [other_run, main_run]


async def test_empty_log_says_so_and_escape_returns(fixed_services) -> None:
    add_channel(fixed_services, "Main shop")
    app = make_app(fixed_services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot)
        assert screen.query_one("#sync-log-empty").display
        assert not screen.table.display
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)


def _collect(seen: list):
    def hook(message) -> None:
        if isinstance(message, SyncRequested) and message not in seen:
            seen.append(message)

    return hook
