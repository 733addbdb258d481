"""The footer rebuilds its keys once per screen that opens, never for a screen that leaves,
and each key is as compact as the footer (the command palette's key always is)."""

from __future__ import annotations

from collections import Counter

from textual.widgets._footer import FooterKey

from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.widgets.footer import AppFooter
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, screen_text, settle


async def test_one_rebuild_per_screen_opened_none_for_one_leaving(services, monkeypatch) -> None:
    add_channel(services, "Main shop")
    rebuilds: Counter[str] = Counter()
    recompose = AppFooter.recompose

    async def counted(self: AppFooter) -> None:
        rebuilds[type(self.screen).__name__] += 1
        await recompose(self)

    monkeypatch.setattr(AppFooter, "recompose", counted)
    app = make_app(services)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        rebuilds.clear()
        for _ in range(2):
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ChannelDetailScreen)
            assert "Reauthorise" in screen_text(app).splitlines()[-1]
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ChannelListScreen)
            assert "Add sales channel" in screen_text(app).splitlines()[-1]
        # each detail screen: its keys once (focus, its read and its counts changed them
        # several times); the list came back to the same keys: none
        assert rebuilds == Counter({"ChannelDetailScreen": 2})

        keys = list(app.screen.query(FooterKey))
        footer = app.screen.query_one(AppFooter)
        assert keys and all(
            k.has_class("-compact") == (footer.compact or k.has_class("-command-palette"))
            for k in keys
        )
