"""OK / Cancel before an integration is removed, saying what removal means for reports."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from .base import ReverbModal


def warning_text(name: str) -> str:
    return (
        f"Remove the integration {name!r}? It stops downloading orders and updating listings, "
        "and its access token is forgotten. Orders already downloaded stay, under the removed "
        "integration.\n\n"
        "If you remove it and create it again, that is a new integration: analytics and "
        "reports will not recognise its orders as coming from the same site as this one's, "
        "and you will have to set it up from scratch."
    )


class ConfirmRemoveModal(ReverbModal):
    """Dismisses with True for OK, False for Cancel or Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm-remove.cancel")]
    AUTO_FOCUS = "#confirm-cancel"  # the safe choice is the default

    def __init__(self, name: str) -> None:
        super().__init__()
        self.channel_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-remove-dialog"):
            yield Static("Remove account", id="confirm-remove-title")
            yield Static(warning_text(self.channel_name), id="confirm-remove-text", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", id="confirm-ok", variant="error")
                yield Button("Cancel", id="confirm-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-ok")

    def action_cancel(self) -> None:
        self.dismiss(False)
