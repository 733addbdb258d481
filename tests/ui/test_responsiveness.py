"""What keeps keys quick while a sync runs (benchmarks/tui_bench.py measures the latency):
no dead widgets' renders kept alive, the start-up heap out of the collector's way, a footer
that is not rebuilt for nothing, and an integration screen that opens with its contents."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
import weakref

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from reverb_tui import app as app_module
from reverb_tui import textual_fixes
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.services.channels import ChannelView
from reverb_tui.widgets.footer import AppFooter
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, screen_text, settle


@pytest.fixture(autouse=True)
def _textual_fixes() -> None:
    textual_fixes.apply()  # what ReverbApp does when it starts (idempotent)


class Cards(App[None]):
    def compose(self) -> ComposeResult:
        yield Vertical(id="cards")


async def test_removed_widgets_renders_are_freed() -> None:
    """Textualize/textual#6665: an lru_cache kept the last 1,024 removed widgets' rendered
    lines alive, for every full garbage collection to walk."""
    app = Cards()
    async with app.run_test(size=(60, 20)) as pilot:
        box = app.query_one("#cards")
        caches: list[weakref.ref] = []
        for round_ in range(5):
            labels = [Label(f"card {round_}.{i}") for i in range(20)]
            await box.mount_all(labels)
            await pilot.pause()  # rendered: each label's StylesCache holds its lines
            caches += [weakref.ref(label._styles_cache) for label in labels]
            await box.remove_children()
            await pilot.pause()
            del labels
        await box.mount(Label("the screen moved on"))  # a new layout: the last round gone too
        await pilot.pause()
        gc.collect()
        alive = sum(ref() is not None for ref in caches)
    assert alive == 0, f"{alive} of {len(caches)} removed labels' render caches are still alive"


class Table(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


@pytest.mark.slow  # thousands of table updates
async def test_a_table_updated_often_does_not_hoard_dead_renders() -> None:
    """The integrations list updates a cell on every sync progress step; each update made all
    earlier cached renders of the table unusable, yet they stayed (up to 10,000 cells)."""
    from textual.strip import Strip

    app = Table()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(DataTable)
        table.add_column("name", key="name")
        table.add_column("progress", key="progress")
        for i in range(3):
            table.add_row(f"shop {i}", "idle", key=str(i))
        await pilot.pause()
        gc.collect()
        before = sum(isinstance(o, Strip) for o in gc.get_objects())
        for step in range(300):
            table.update_cell("0", "progress", f"page {step}")
            await pilot.pause()
        gc.collect()
        after = sum(isinstance(o, Strip) for o in gc.get_objects())
        assert str(table.get_cell("0", "progress")) == "page 299"  # still shows the latest
    assert after - before < 100, f"{after - before} more rendered lines kept after 300 updates"


async def test_the_start_up_heap_is_frozen_then_handed_back(services, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "FREEZE_HEAP_AFTER", 0.05)
    assert gc.get_freeze_count() == 0
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(50):
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 10_000  # modules, stylesheets, the ORM's metadata
        await pilot.pause()
    assert gc.get_freeze_count() == 0  # a longer process (these tests) gets them back


async def test_footer_follows_the_screen_and_is_not_rebuilt_for_the_same_keys(services) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert "Add sales channel" in screen_text(app).splitlines()[-1]
        footer = app.screen.query_one(AppFooter)
        keys = list(footer.children)
        app.screen.refresh_bindings()  # the same keys: nothing rebuilt
        await settle(pilot)
        assert list(footer.children) == keys

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)
        bottom = screen_text(app).splitlines()[-1]
        assert "Reauthorise" in bottom and "Settings" in bottom
        assert "Add sales channel" not in bottom

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert "Add sales channel" in screen_text(app).splitlines()[-1]


async def test_an_integration_opens_with_what_the_list_read(services, monkeypatch) -> None:
    """The list hands the row it read to the screen, which shows it before its own read."""
    ch = add_channel(services, "Main shop")
    view = dataclasses.replace(ChannelView.of(ch), name="As the list read it")
    read_allowed = threading.Event()
    get_by_id = services.channels.get_by_id

    def slow_read(channel_id: int):
        read_allowed.wait(10)
        return get_by_id(channel_id)

    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(services.channels, "get_by_id", slow_read)
        screen = ChannelDetailScreen(int(ch.id), view)
        await app.push_screen(screen)  # composed and mounted; its own read is held back
        await pilot.pause()
        assert str(screen.query_one("#detail-title").content) == "As the list read it"
        assert "Guitar Barn" in str(screen.query_one("#channel-summary").content)
        read_allowed.set()
        await settle(pilot)
        assert str(screen.query_one("#detail-title").content) == "Main shop"  # re-read
