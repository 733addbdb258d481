"""OK / Cancel before an action on SKUs or stock that a person should mean (deleting a local
SKU, applying mappings to orders already downloaded)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from .base import ReverbModal


class ConfirmActionModal(ReverbModal):
    """Dismisses with True for OK, False for Cancel or Escape (the default is Cancel)."""

    DEFAULT_CSS = """
    ConfirmActionModal {
        align: center middle;
    }
    ConfirmActionModal > #confirm-action-dialog {
        width: 72;
        height: auto;
        padding: 1 2;
        border: thick $warning;
        background: $surface;
    }
    ConfirmActionModal #confirm-action-title {
        text-style: bold;
        color: $warning;
    }
    ConfirmActionModal #confirm-action-text {
        margin-top: 1;
        height: auto;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm-action.cancel")]
    AUTO_FOCUS = "#confirm-action-cancel"

    def __init__(self, title: str, text: str, ok_label: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.body_text = text
        self.ok_label = ok_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-action-dialog"):
            yield Static(self.title_text, id="confirm-action-title", markup=False)
            yield Static(self.body_text, id="confirm-action-text", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self.ok_label, id="confirm-action-ok", variant="warning")
                yield Button("Cancel", id="confirm-action-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-action-ok")

    def action_cancel(self) -> None:
        self.dismiss(False)
