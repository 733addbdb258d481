"""The detail screen's Additional settings form: stock updates, buffer, maximum, interval.

A widget of its own so the detail screen can build it when the section is first opened (the
summary shows the same values read-only, so opening an integration stays quick). It checks
what was typed and posts ``Submitted``; the screen saves in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, Switch

from ..errors import AppError, UserError
from .form_error import FormError

if TYPE_CHECKING:
    from ..services.channels import ChannelView


def parse_whole(text: str, what: str, *, empty_ok: bool = False) -> int | None:
    """A whole number >= 0 typed into a field; ``None`` for an empty field when allowed."""
    value = text.strip()
    if not value and empty_ok:
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        extra = " (or empty for none)" if empty_ok else ""
        raise UserError(f"The {what} must be a whole number of 0 or more{extra}.")
    return number


def _texts(view: ChannelView | None) -> tuple[str, str, str]:
    """The buffer, maximum and interval fields' text for the stored values."""
    if view is None:
        return "0", "", "60"
    maximum = "" if view.max_quantity is None else str(view.max_quantity)
    return str(view.buffer), maximum, str(view.interval_seconds)


class SettingsForm(Vertical):
    """Child ids: ``stock-updates``, ``settings-buffer``, ``settings-max``,
    ``settings-interval``, ``settings-error``, ``settings-save``."""

    DEFAULT_CSS = """
    SettingsForm { height: auto; }
    """

    class Submitted(Message):
        """Save (or Enter in a field) with valid values: ``settings`` as the service takes."""

        def __init__(self, settings: dict[str, Any]) -> None:
            super().__init__()
            self.settings = settings

    error = getters.query_one("#settings-error", FormError)
    stock_updates = getters.query_one("#stock-updates", Switch)
    buffer = getters.query_one("#settings-buffer", Input)
    maximum = getters.query_one("#settings-max", Input)
    interval = getters.query_one("#settings-interval", Input)

    def __init__(self, view: ChannelView | None) -> None:
        super().__init__(id="settings-form")
        self._view = view

    def compose(self) -> ComposeResult:
        buffer, maximum, interval = _texts(self._view)
        with Horizontal(classes="setting-row"):
            yield Label("Stock updates", classes="setting-label")
            yield Switch(bool(self._view and self._view.stock_updates), id="stock-updates")
            yield Static("Push stock levels to this account's listings.", classes="field-help")
        with Horizontal(classes="setting-row"):
            yield Label("Buffer", classes="setting-label")
            yield Input(buffer, id="settings-buffer", classes="setting-input")
            yield Static("Units held back from the quantity shown.", classes="field-help")
        with Horizontal(classes="setting-row"):
            yield Label("Maximum", classes="setting-label")
            yield Input(maximum, id="settings-max", placeholder="none", classes="setting-input")
            yield Static("Largest quantity shown; empty for none.", classes="field-help")
        with Horizontal(classes="setting-row"):
            yield Label("Sync interval", classes="setting-label")
            yield Input(interval, id="settings-interval", classes="setting-input")
            yield Static("Seconds between syncs (10 to 86400).", classes="field-help")
        yield FormError(id="settings-error")
        with Horizontal(classes="form-buttons"):
            yield Button("Save", id="settings-save", variant="primary")

    def reset(self, view: ChannelView | None) -> None:
        """Show the stored values."""
        with self.stock_updates.prevent(Switch.Changed):  # not a person switching it
            self.stock_updates.value = bool(view and view.stock_updates)
        self.buffer.value, self.maximum.value, self.interval.value = _texts(view)
        self.error.clear()

    def focus_first(self) -> None:
        # query, not query_one: a form still being mounted has no fields yet (focus nothing)
        for field in self.query("#stock-updates"):
            field.focus()

    def submit(self) -> None:
        self.error.clear()
        try:
            buffer = parse_whole(self.buffer.value, "buffer")
            maximum = parse_whole(self.maximum.value, "maximum", empty_ok=True)
            interval = parse_whole(self.interval.value, "sync interval")
        except AppError as exc:
            self.error.show(exc.message)
            return
        self.post_message(
            self.Submitted(
                {
                    "stock_updates": self.stock_updates.value,
                    "buffer": buffer,
                    "max_quantity": maximum,
                    "interval_seconds": interval,
                }
            )
        )

    @on(Button.Pressed, "#settings-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()
