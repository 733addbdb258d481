"""App-wide behaviour: the one handler for failed workers, the command palette, bindings."""

from __future__ import annotations

from textual.binding import Binding

from reverb_tui.app import ReverbApp
from reverb_tui.screens.add_channel import AddChannelScreen
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.widgets.channel_table import ChannelTable
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, notifications, settle, type_text


async def test_a_refused_action_is_one_sentence_in_a_notification(services) -> None:
    ch = add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        services.channels.remove(ch.id)  # removed elsewhere (the CLI, another TUI)
        await pilot.press("space")
        await settle(pilot)
        assert notifications(app) == ["That integration no longer exists."]
        assert app.is_running


async def test_an_unexpected_error_is_reported_without_a_traceback(services, monkeypatch) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        def broken(*_a, **_k):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(services.channels, "list", broken)
        await pilot.press("r")
        await settle(pilot)
        [message] = notifications(app)
        assert message.startswith("An unexpected RuntimeError occurred; details were written to")
        assert "Traceback" not in message
        assert app.is_running
        assert app.screen.query_one(ChannelTable).row_count == 1  # the old rows stay


async def test_a_detail_screen_of_a_removed_channel_closes_and_says_so(services) -> None:
    ch = add_channel(services, "Main shop")
    services.channels.remove(ch.id)
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_channel(ch.id)
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert notifications(app) == ["That integration no longer exists."]


async def test_command_palette_adds_and_opens(services) -> None:
    ch = add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "Add sales channel")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AddChannelScreen)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+p")
        await type_text(pilot, "Open Main")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)
        assert app.screen.channel_id == ch.id


def test_every_binding_has_an_id_and_a_description() -> None:
    owners = [
        ReverbApp,
        ChannelListScreen,
        AddChannelScreen,
        ChannelDetailScreen,
        ConfirmModal,
        ChannelTable,
    ]
    for owner in owners:
        own = [b for b in owner.BINDINGS if isinstance(b, Binding)]
        assert own, owner
        for binding in own:
            assert binding.id and binding.description, (owner.__name__, binding)


def test_every_stylesheet_ships_as_package_data() -> None:
    """A .tcss file missing from the wheel fails only in an installed copy: check the globs."""
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    import reverb_tui

    root = Path(reverb_tui.__file__).parent
    pyproject = tomllib.loads((root.parent / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["reverb_tui"]
    sheets = [p.relative_to(root).as_posix() for p in root.rglob("*.tcss")]
    assert "app.tcss" in sheets and "screens/confirm.tcss" in sheets
    # setuptools globs do not cross "/": "*.tcss" covers the package's own folder only.
    shipped = [
        s for s in sheets if any(fnmatch(s, g) and s.count("/") == g.count("/") for g in globs)
    ]
    assert shipped == sheets


def test_screen_styles_live_in_the_apps_stylesheets() -> None:
    """Every screen's CSS is in a .tcss file the App loads at start; no screen brings its own
    (a screen's CSS_PATH re-parses and restyles the whole app when it first opens), and only
    reusable widgets keep DEFAULT_CSS."""
    import importlib
    import pkgutil
    from pathlib import Path

    from textual.screen import Screen

    import reverb_tui
    import reverb_tui.screens

    root = Path(reverb_tui.__file__).parent
    loaded = {Path(p).resolve() for p in ReverbApp.CSS_PATH}
    assert {p.resolve() for p in root.rglob("*.tcss")} == loaded
    for info in pkgutil.iter_modules(reverb_tui.screens.__path__):
        module = importlib.import_module(f"reverb_tui.screens.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Screen):
                if value.__module__ != module.__name__:
                    continue
                assert "CSS_PATH" not in vars(value), value
                assert "DEFAULT_CSS" not in vars(value), value


async def test_keys_that_need_a_row_are_dimmed_without_one(services) -> None:
    """check_action: space on an empty list, e/d on an empty inventory, the shipping
    service keys without a service, t on an empty sync log; they light up with a row."""
    app = make_app(services)

    def enabled(key: str) -> bool:
        return app.screen.active_bindings[key].enabled

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not enabled("space")
        for screen_key, keys in (("i", "ed"), ("v", "nced"), ("l", "t")):
            await pilot.press(screen_key)
            await settle(pilot)
            assert not any(enabled(k) for k in keys), screen_key
            await pilot.press("escape")
            await settle(pilot)
        add_channel(services, "Main shop")
        services.inventory.upsert("GTR-1", title="Strat", on_hand=1)
        await pilot.press("r")
        await settle(pilot)
        assert enabled("space")
        await pilot.press("i")
        await settle(pilot)
        assert enabled("e") and enabled("d")
