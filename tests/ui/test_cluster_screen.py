"""The sync daemons dialog (``c`` on the integrations list): who syncs what, read-only."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable

from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.screens.cluster import NOBODY, ClusterModal
from reverb_tui.sync.cluster import Membership
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, screen_text, settle

HOSTILE = "evil\x1b[31mhost"


async def test_c_shows_each_daemon_and_what_it_holds(services) -> None:
    for name in ("North", "South", "West"):
        add_channel(services, name)
    period = timedelta(seconds=60)
    a = Membership(services.engine, period, f"daemon:{HOSTILE}:101:aaaaaaaa")
    b = Membership(services.engine, period, "daemon:host-b:202:bbbbbbbb")
    a.step(), b.step(), a.step(), b.step()
    app = make_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ClusterModal)
        table = app.screen.query_one("#cluster-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        by_host = {r[0]: r for r in rows}
        assert len(by_host) == 2 and "host-b" in by_host
        assert [h for h in by_host if h.startswith("evil")] and not any(
            "\x1b" in h for h in by_host
        )
        assert by_host["host-b"][1] == "202" and by_host["host-b"][2] == "daemon, lease 60s"
        held = [r[4].split(", ") for r in rows]
        assert sorted(len(h) for h in held) == [1, 2]
        assert sorted(sum(held, [])) == ["North", "South", "West"]
        text = screen_text(app)
        assert "2 live daemons" in text and "\x1b" not in text

        b.leave()  # host-b stops: a takes its share at its next beat, the dialog follows
        a.step()
        await pilot.press("r")
        await settle(pilot)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert len(rows) == 1 and rows[0][4] == "North, South, West"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)


async def test_a_database_without_daemons_says_how_to_start_one(services) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one("#cluster-table", DataTable).row_count == 0
        assert "reverb-tui sync --watch" in screen_text(app).replace("\n", " ")
        assert NOBODY.startswith("No sync daemon")
