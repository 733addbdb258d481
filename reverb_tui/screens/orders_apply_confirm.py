"""OK / Cancel before "Apply current mappings" changes the selected orders."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from .base import ReverbModal


def apply_text(count: int, order_number: str | None = None) -> str:
    if count == 1:
        which = f"order {order_number}" if order_number else "the selected order"
    else:
        which = f"the {count:,} selected orders"
    return (
        f"Apply the integration's current SKU and shipping mappings to {which}?\n\n"
        "This changes only the selected orders, and only what is missing on them: a local SKU "
        "where the channel SKU links to none, and a local shipping service where the shipping "
        "method maps to none. Everything else stays as it was downloaded; a newly linked order "
        "takes stock as a downloaded one would. Other orders are not touched."
    )


class ApplyMappingsModal(ReverbModal):
    """Dismisses with True for OK, False for Cancel or Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="apply-mappings.cancel")]
    AUTO_FOCUS = "#apply-ok"

    DEFAULT_CSS = """
    ApplyMappingsModal { align: center middle; }
    #apply-dialog {
        width: 76;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    #apply-title { text-style: bold; color: $primary; }
    #apply-text { margin-top: 1; height: auto; }
    """

    def __init__(self, count: int, order_number: str | None = None) -> None:
        super().__init__()
        self.count = count
        self.order_number = order_number

    def compose(self) -> ComposeResult:
        with Vertical(id="apply-dialog"):
            yield Static("Apply current mappings", id="apply-title")
            yield Static(apply_text(self.count, self.order_number), id="apply-text", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", id="apply-ok", variant="primary")
                yield Button("Cancel", id="apply-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "apply-ok")

    def action_cancel(self) -> None:
        self.dismiss(False)
