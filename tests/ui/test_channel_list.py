"""The list: empty state, status switch by key and by click, open, refresh by row key."""

from __future__ import annotations

from datetime import timedelta

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.messages import SyncRequested
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.widgets.channel_table import COLUMN_KEYS, ChannelTable
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, notifications, settle


def cell(table: ChannelTable, channel_id: int, column: str) -> str:
    return str(table.get_cell(str(channel_id), column))


async def test_empty_list_tells_a_newcomer_what_to_press(services) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        empty = app.screen.query_one("#empty-state")
        assert empty.display
        assert not app.screen.query_one(ChannelTable).display
        assert "Press a" in str(empty.render())


async def test_space_switches_the_highlighted_channel_off_and_on(services) -> None:
    first = add_channel(services, "First shop")
    second = add_channel(services, "Second shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ChannelTable)
        assert table.has_focus
        assert cell(table, second.id, "status") == "● Yes"

        await pilot.press("down", "space")
        await settle(pilot)
        assert services.channels.get("Second shop").enabled is False
        assert services.channels.get("First shop").enabled is True
        assert cell(table, second.id, "status") == "○ No"
        assert any("Disabled 'Second shop'" in n for n in notifications(app))

        await pilot.press("space")
        await settle(pilot)
        assert services.channels.get("Second shop").enabled is True
        assert cell(table, second.id, "status") == "● Yes"
        assert table.highlighted_id == second.id  # the cursor stayed on its row
    assert first.enabled


async def test_clicking_the_status_cell_toggles_and_clicking_the_name_opens(services) -> None:
    ch = add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ChannelTable)
        columns = table.ordered_columns

        def x_of(key: str) -> int:
            index = COLUMN_KEYS.index(key)
            return sum(c.get_render_width(table) for c in columns[:index]) + 1

        await pilot.click(ChannelTable, offset=(x_of("status"), 1))
        await settle(pilot)
        assert services.channels.get("Main shop").enabled is False
        assert isinstance(app.screen, ChannelListScreen)

        await pilot.click(ChannelTable, offset=(x_of("name"), 1))
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)
        assert app.screen.channel_id == ch.id


async def test_enter_opens_the_channel_and_escape_returns(services) -> None:
    add_channel(services, "First shop")
    second = add_channel(services, "Second shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)
        assert app.screen.channel_id == second.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)


async def test_refresh_updates_rows_in_place_with_health(services) -> None:
    first = add_channel(services, "First shop")
    add_channel(services, "Second shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ChannelTable)
        await pilot.press("down")
        row_key_objects = list(table.rows)

        # Another process (a sync daemon, the CLI) changes the database.
        now = services.clock()
        with session_scope(services.engine) as s:
            ch = s.get(Channel, first.id)
            ch.last_order_sync_at = now - timedelta(minutes=5)
            ch.needs_reauth = True
            ch.error_count = 2
            ch.last_error = "Reverb refused this token (401)."
            s.add(ch)
        services.channels.remove("Second shop")
        third = add_channel(services, "Third shop")

        await pilot.press("r")
        await settle(pilot)
        assert [k.value for k in table.rows] == [str(first.id), str(third.id)]
        assert list(table.rows)[0] is row_key_objects[0]  # updated in place, not rebuilt
        assert cell(table, first.id, "last-orders") == "5 min ago"
        assert cell(table, first.id, "last-stock-push") == "never"
        assert cell(table, first.id, "reauth") == "Yes"
        assert cell(table, first.id, "errors") == "2 · Reverb refused this token…"
        assert cell(table, third.id, "reauth") == "No"


async def test_sync_now_posts_sync_requested(services) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    seen: list[SyncRequested] = []
    async with app.run_test(size=(120, 40), message_hook=_collect(seen)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
    assert len(seen) == 1 and seen[0].channel_id is None


def _collect(seen: list):
    def hook(message) -> None:
        if isinstance(message, SyncRequested) and message not in seen:
            seen.append(message)

    return hook
