"""Keys a user can find and change: ``?``/F1 lists the keys of the screen in front, every table
answers j/k, g/G and ``/``, the config file's theme and keymap apply at start, and a theme
picked in the command palette is used again next time."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input

from reverb_tui.app import ReverbApp
from reverb_tui.config import load, tui_settings
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem
from reverb_tui.screens.add_channel import AddChannelScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.screens.keys_help import KeysHelpModal
from reverb_tui.screens.orders import OrdersScreen
from reverb_tui.screens.shipping_services import ShippingServicesScreen
from reverb_tui.screens.sync_log import SyncLogScreen
from tests.db_rows import add_channel, add_order, add_service
from tests.ui.helpers import make_app, notifications, screen_text, settle, type_text
from tests.ui.test_sync_log_screen import add_run


def help_rows(app: ReverbApp) -> list[tuple[str, str]]:
    """The (keys, what it does) lines of the open keys dialog, group headings left out."""
    table = app.screen.query_one("#keys-help-table", DataTable)
    rows = [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
    return [(keys, what) for keys, what in rows if what]


def add_skus(services, n: int) -> None:
    with session_scope(services.engine) as s:
        s.add_all(
            InventoryItem(sku=f"SKU-{i:02d}", sku_key=f"sku-{i:02d}", title=f"Item {i}", on_hand=i)
            for i in range(n)
        )


def write_config(text: str) -> Path:
    """The user's config.toml (tests/conftest.py points XDG_CONFIG_HOME at a temp folder)."""
    from reverb_tui.config import _load_cached, config_path

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    _load_cached.cache_clear()
    return path


# -- ? and F1 -----------------------------------------------------------------------------------


async def test_question_mark_lists_the_keys_of_the_screen_table_and_app(services) -> None:
    add_skus(services, 3)
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeysHelpModal)
        rows = help_rows(app)
        # The table's own keys, the Inventory screen's, and the app's, each with its words.
        for line in [
            ("j", "Next row"),
            ("k", "Previous row"),
            ("g", "First row"),
            ("G", "Last row"),
            ("e", "Edit on hand"),
            ("x", "Export"),
            ("R", "Reports"),
            ("?, f1", "Keys"),
        ]:
            assert line in rows, line
        table = app.screen.query_one("#keys-help-table", DataTable)
        headings = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        headings = [h for h in headings if h in ("On this screen", "In the table", "Everywhere")]
        assert headings == ["On this screen", "In the table", "Everywhere"]
        assert "Escape, ? or F1 closes this" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InventoryScreen"

        await pilot.press("f1")  # F1 does the same, and closes it again
        await pilot.pause()
        assert isinstance(app.screen, KeysHelpModal)
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, KeysHelpModal)


async def test_keys_help_marks_what_cannot_run_now_and_leaves_out_what_is_hidden(
    services,
) -> None:
    app = make_app(services)  # no integration: the list is empty
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        rows = help_rows(app)
        assert ("a", "Add sales channel") in rows
        assert not any(what == "Search" for _keys, what in rows)  # the list has no search


async def test_a_question_mark_typed_in_a_field_is_text_not_the_key_help(services) -> None:
    add_skus(services, 2)
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i", "slash")
        await settle(pilot)
        await type_text(pilot, "a?")
        assert not isinstance(app.screen, KeysHelpModal)
        assert app.screen.query_one("#inventory-search", Input).value == "a?"


# -- j/k, g/G and / in every table ----------------------------------------------------------------


async def test_vi_keys_move_through_a_keyed_table(services) -> None:
    add_skus(services, 6)
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        table = app.screen.query_one("#inventory-table", DataTable)
        assert app.focused is table
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 5
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("slash")  # the screen's search
        assert app.focused is app.screen.query_one("#inventory-search", Input)


async def test_vi_keys_move_through_the_orders_table_and_slash_searches(services) -> None:
    ch = add_channel(services)
    for n in range(8):
        add_order(services, ch.id, f"{1000 + n}")
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        table = screen.table
        assert app.focused is table and table.row_count == 8
        await pilot.press("j", "j", "j")
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("G")
        assert table.cursor_row == 7
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("slash")
        assert app.focused is screen.query_one("#orders-search", Input)


async def test_slash_focuses_the_sync_log_filter_and_is_hidden_on_the_list(services) -> None:
    ch = add_channel(services)
    add_run(services, ch.id, minutes_ago=5)
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert "slash" not in app.screen.active_bindings  # nothing to search on the list
        await pilot.press("slash")
        assert isinstance(app.screen, ChannelListScreen)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, SyncLogScreen)
        assert isinstance(app.focused, DataTable)
        await pilot.press("slash")  # the screen's filter (it has no search)
        assert app.focused is app.screen.query_one("#sync-log-filter")


async def test_shipping_services_keep_a_code_key_that_k_no_longer_hides(services) -> None:
    add_service(services, "Courier", "UPS")
    add_service(services, "Post", "USPS")
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ShippingServicesScreen)
        table = app.screen.query_one("#services-table", DataTable)
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("k")
        assert table.cursor_row == 0
        assert isinstance(app.screen, ShippingServicesScreen)  # k moved; it opened nothing
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, ShippingServicesScreen)  # the code dialog


# -- the config file: theme and keymap --------------------------------------------------------------


async def test_the_config_files_theme_is_applied_at_start(services) -> None:
    write_config('theme = "nord"\n')
    app = ReverbApp(services, start_sync=False, settings=tui_settings())
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "nord"


async def test_an_unknown_theme_is_said_once_and_the_app_starts_with_its_own(
    services, monkeypatch
) -> None:
    monkeypatch.setenv("REVERB_TUI_THEME", "no-such-theme")
    write_config('theme = "nord"\n')  # the environment wins over the file
    app = ReverbApp(services, start_sync=False, settings=tui_settings())
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "reverb"
        assert any("Unknown theme 'no-such-theme'" in n for n in notifications(app))
    # A flag wins over the environment.
    assert tui_settings("dracula").theme == "dracula"


async def test_a_keymap_rebinds_a_key_by_its_id_and_the_footer_shows_it(services) -> None:
    path = write_config('[keymap]\n"channels.add" = "f2"\n"table.down" = "n"\n')
    assert load(path).keymap == {"channels.add": "f2", "table.down": "n"}
    add_channel(services, "First")
    add_channel(services, "Second")
    app = ReverbApp(services, start_sync=False, settings=tui_settings())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "f2 Add sales channel" in footer and "a Add sales channel" not in footer
        table = app.screen.query_one("#channel-table", DataTable)
        await pilot.press("n")  # table.down, rebound in every table
        assert table.cursor_row == 1
        await pilot.press("a")  # the old key does nothing now
        await pilot.pause()
        assert isinstance(app.screen, ChannelListScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, AddChannelScreen)


async def test_a_theme_picked_in_the_palette_is_used_next_time(services) -> None:
    async def pick_theme(app: ReverbApp, name: str) -> None:
        async with app.run_test() as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await type_text(pilot, "theme")
            await pilot.pause(0.3)
            await pilot.press("enter")  # the Theme command: the palette of themes
            await pilot.pause(0.3)
            await type_text(pilot, name)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            assert app.theme == name

    config = write_config('theme = "nord"\n')
    await pick_theme(ReverbApp(services, start_sync=False, settings=tui_settings()), "dracula")

    again = ReverbApp(services, start_sync=False, settings=tui_settings())
    async with again.run_test() as pilot:
        await settle(pilot)
        assert again.theme == "dracula"
    assert config.read_text() == 'theme = "nord"\n'  # the user's file is never written

    # Editing the theme in the config file afterwards: the file wins again.
    write_config('# mine\ntheme = "gruvbox"\n')
    third = ReverbApp(services, start_sync=False, settings=tui_settings())
    async with third.run_test() as pilot:
        await settle(pilot)
        assert third.theme == "gruvbox"
