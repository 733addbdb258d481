"""Helpers for the TUI tests: driving the app and reading what it shows.

The fake Reverb is ``tests/fakes/reverb.py``; rows are seeded with ``tests/db_rows.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from textual.app import App
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.worker import WorkerCancelled

from reverb_tui.app import ReverbApp
from reverb_tui.services.factory import Services

FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


async def settle(pilot) -> None:
    """Wait until no worker runs, including workers started by the messages of others."""
    app = pilot.app
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            # An exclusive read replaced by a newer one (a live change came in meanwhile):
            # the newer one is still to be waited for, on the next turn.
            pass
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            # The last worker's message may have changed sizes (a label, a lazily built
            # section) and started a scroll: let layout and animations finish too.
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            return
    raise AssertionError("workers kept starting")


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


def make_app(services: Services) -> ReverbApp:
    return ReverbApp(services, start_sync=False)


# What each app's run_test saw of Notify messages (filled by ``record_notifications``).
_NOTIFIED: WeakKeyDictionary[App, list[Notification]] = WeakKeyDictionary()


def record_notifications(
    app: App, hook: Callable[[Message], None] | None = None
) -> Callable[[Message], None]:
    """A ``run_test(message_hook=…)`` that keeps every ``Notify`` the app handles, then calls
    ``hook``. tests/ui/conftest.py passes it to every app a UI test runs."""
    seen = _NOTIFIED.setdefault(app, [])

    def message_hook(message: Message) -> None:
        if isinstance(message, Notify):
            seen.append(message.notification)
        if hook is not None:
            hook(message)

    return message_hook


def notified(app: App) -> list[Notification]:
    """Every notification the app raised while it ran, oldest first (expired ones too)."""
    return list(_NOTIFIED.get(app, []))


def notifications(app: App) -> list[str]:
    """The messages of every notification the app raised while it ran, oldest first."""
    return [n.message for n in notified(app)]


async def paste(pilot, text: str) -> None:
    """Paste into the focused widget, as a person pastes a token copied from Reverb."""
    from textual import events

    pilot.app.focused.post_message(events.Paste(text))
    await pilot.pause()


def screen_text(app) -> str:
    """The current screen as plain text, as a terminal would show it.

    The one private call in these helpers: Textual has no public way to render a screen to
    text, so this asks the screen's compositor (``Screen._compositor``) for a full update,
    as the driver would. If an upgrade moves it, only this function changes.
    """
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


async def press_button(pilot, selector: str) -> None:
    """Focus a button and press enter.

    A Textual button ignores a press within ``active_effect_duration`` (0.2 s) of its last
    one, as a person cannot press twice that fast; a test pressing the same button again
    waits that long (a widget timer, not a wait for workers).
    """
    button = pilot.app.screen.query_one(selector)
    if button.has_class("-active"):
        await pilot.pause(button.active_effect_duration)
    button.focus()
    await pilot.press("enter")


async def click_button(pilot, selector: str) -> None:
    """Click a button with the mouse (same 0.2 s rule as ``press_button``)."""
    button = pilot.app.screen.query_one(selector)
    if button.has_class("-active"):
        await pilot.pause(button.active_effect_duration)
    await pilot.click(selector)
