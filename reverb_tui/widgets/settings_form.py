"""The detail screen's Additional settings form: stock updates, the quantity rules (buffer,
percentage, minimum, maximum, end-when), the sync interval, the read and write budgets and
the orders check interval.

A widget of its own so the detail screen can build it when the section is first opened (the
summary shows the same values read-only, so opening an integration stays quick). It checks
what was typed with the service's own checks (``views/settings.py``: the same sentences as
``channels set``) and posts ``Submitted``; the screen saves in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, Switch

from ..errors import AppError, UserError
from ..views import settings as checks
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


def parse_number(text: str, message: str, *, empty_ok: bool = False) -> int | None:
    """A whole number typed into a field (its range is the service's to check); ``None`` for
    an empty field when allowed; ``message`` (the service's sentence) for anything else."""
    value = text.strip().removesuffix("%").strip()
    if not value and empty_ok:
        return None
    try:
        return int(value)
    except ValueError:
        raise UserError(message) from None


@dataclass(frozen=True)
class Field:
    """One text field of the form: its id, label, help, and how it reads a stored value."""

    id: str
    label: str
    help: str
    attr: str  # the ChannelView attribute (and update_settings keyword)
    default: str  # the text with no integration read yet
    placeholder: str = ""


FIELDS: tuple[Field, ...] = (
    Field("settings-buffer", "Buffer", "Units held back from the quantity shown.", "buffer", "0"),
    Field(
        "settings-percent",
        "Percentage",
        "Show this % of available, rounded down (1 to 100); empty for all.",
        "percent",
        "",
        "100",
    ),
    Field(
        "settings-min",
        "Minimum",
        "Shown at least while any stock is available; empty for none.",
        "min_quantity",
        "",
        "none",
    ),
    Field(
        "settings-max",
        "Maximum",
        "Largest quantity shown; empty for none.",
        "max_quantity",
        "",
        "none",
    ),
    Field(
        "settings-end-when",
        "End when ≤",
        "Show 0 once available is this or less; empty for never.",
        "end_when",
        "",
        "never",
    ),
    Field(
        "settings-interval",
        "Sync interval",
        f"Seconds between syncs ({checks.MIN_INTERVAL} to {checks.MAX_SECONDS}).",
        "interval_seconds",
        "60",
    ),
    Field(
        "settings-orders-interval",
        "Orders check",
        f"Seconds between quick checks for new orders ({checks.MIN_ORDERS_INTERVAL} to "
        f"{checks.MAX_SECONDS}).",
        "orders_interval_seconds",
        "10",
    ),
    Field(
        "settings-read-rate",
        "Read rate",
        "Reads a minute at most (Reverb allows about 2000).",
        "read_rate",
        "1600",
    ),
    Field(
        "settings-write-rate",
        "Write rate",
        "Writes a minute at most (Reverb allows about 600).",
        "write_rate",
        "480",
    ),
)


def _texts(view: ChannelView | None) -> dict[str, str]:
    """Each field's text for the stored values (empty for a rule that is off)."""
    if view is None:
        return {f.id: f.default for f in FIELDS}
    out: dict[str, str] = {}
    for f in FIELDS:
        value = getattr(view, f.attr)
        out[f.id] = "" if value is None else str(value)
    return out


class SettingsForm(Vertical):
    """Child ids: ``stock-updates``, ``settings-error``, ``settings-save`` and one Input per
    ``FIELDS`` entry (``settings-buffer``, ``settings-percent``, ``settings-min``,
    ``settings-max``, ``settings-end-when``, ``settings-interval``,
    ``settings-orders-interval``, ``settings-read-rate``, ``settings-write-rate``)."""

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
        texts = _texts(self._view)
        with Horizontal(classes="setting-row"):
            yield Label("Stock updates", classes="setting-label")
            yield Switch(bool(self._view and self._view.stock_updates), id="stock-updates")
            yield Static("Push stock levels to this account's listings.", classes="field-help")
        for f in FIELDS:
            with Horizontal(classes="setting-row"):
                yield Label(f.label, classes="setting-label")
                yield Input(
                    texts[f.id], id=f.id, placeholder=f.placeholder, classes="setting-input"
                )
                yield Static(f.help, classes="field-help", markup=False)
        yield FormError(id="settings-error")
        with Horizontal(classes="form-buttons"):
            yield Button("Save", id="settings-save", variant="primary")

    def reset(self, view: ChannelView | None) -> None:
        """Show the stored values."""
        self._view = view
        with self.stock_updates.prevent(Switch.Changed):  # not a person switching it
            self.stock_updates.value = bool(view and view.stock_updates)
        for field_id, text in _texts(view).items():
            self.query_one(f"#{field_id}", Input).value = text
        self.error.clear()

    def stored(self, view: ChannelView) -> None:
        """The integration as now stored (after a save, or a change elsewhere): what a
        typed rate is compared with. The fields keep what was typed."""
        self._view = view

    def focus_first(self) -> None:
        # query, not query_one: a form still being mounted has no fields yet (focus nothing)
        for field in self.query("#stock-updates"):
            field.focus()

    def _text(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def values(self) -> dict[str, Any]:
        """The typed values as ``update_settings`` takes them, checked as it checks them;
        ``UserError`` with its sentence for the first bad one."""
        settings: dict[str, Any] = {
            "stock_updates": self.stock_updates.value,
            "buffer": parse_whole(self._text("settings-buffer"), "buffer"),
            "percent": parse_number(
                self._text("settings-percent"), checks.PERCENT_ERROR, empty_ok=True
            ),
            "min_quantity": parse_number(
                self._text("settings-min"), checks.MIN_ERROR, empty_ok=True
            ),
            "max_quantity": parse_whole(self._text("settings-max"), "maximum", empty_ok=True),
            "end_when": parse_number(
                self._text("settings-end-when"), checks.END_WHEN_ERROR, empty_ok=True
            ),
            "interval_seconds": parse_whole(self._text("settings-interval"), "sync interval"),
            "orders_interval_seconds": parse_number(
                self._text("settings-orders-interval"), checks.ORDERS_INTERVAL_ERROR
            ),
            "read_rate": parse_number(self._text("settings-read-rate"), checks.rate_error("read")),
            "write_rate": parse_number(
                self._text("settings-write-rate"), checks.rate_error("write")
            ),
        }
        keys = set(settings) - {"stock_updates"}
        checks.check_settings(**{k: v for k, v in settings.items() if k in keys})
        # Setting a rate also forgets the lower budget a 429 taught: send only a changed one.
        for key in ("read_rate", "write_rate"):
            if self._view is not None and settings[key] == getattr(self._view, key):
                del settings[key]
        return settings

    def submit(self) -> None:
        self.error.clear()
        try:
            settings = self.values()
        except AppError as exc:
            self.error.show(exc.message)
            return
        self.post_message(self.Submitted(settings))

    @on(Button.Pressed, "#settings-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()
