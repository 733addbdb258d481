"""OK / Cancel before a local shipping service is deleted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from .base import ReverbModal


def delete_text(name: str) -> str:
    return (
        f"Delete the local shipping service {name!r}?\n\n"
        "No shipping mapping and no downloaded order uses it. Once deleted it can no longer "
        "be chosen in a shipping mapping; add it again if you need it later."
    )


class DeleteServiceModal(ReverbModal):
    """Dismisses with True for OK, False for Cancel or Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="delete-service.cancel")]
    AUTO_FOCUS = "#delete-cancel"  # the safe choice is the default

    DEFAULT_CSS = """
    DeleteServiceModal { align: center middle; }
    #delete-dialog {
        width: 70;
        height: auto;
        padding: 1 2;
        border: thick $error;
        background: $surface;
    }
    #delete-title { text-style: bold; color: $error; }
    #delete-text { margin-top: 1; height: auto; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.service_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-dialog"):
            yield Static("Delete shipping service", id="delete-title")
            yield Static(delete_text(self.service_name), id="delete-text", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", id="delete-ok", variant="error")
                yield Button("Cancel", id="delete-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "delete-ok")

    def action_cancel(self) -> None:
        self.dismiss(False)
