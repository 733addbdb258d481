"""Edit the on-hand count of one local SKU (a person's count; it records the moment)."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from ..text_safety import safe_text
from ..widgets.form_error import FormError
from .base import GROUP_DB, FormModal


class OnHandModal(FormModal):
    """Dismisses with the SKU's new ``StockLevel`` after saving, None for Cancel/Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="on-hand.cancel")]
    AUTO_FOCUS = "#on-hand-input"
    SUBMIT_BUTTON = "on-hand-save"
    CANCEL_BUTTON = "on-hand-cancel"

    def __init__(self, level: Any) -> None:
        super().__init__()
        self.level = level

    def compose(self) -> ComposeResult:
        lv = self.level
        with Vertical(classes="inventory-dialog"):
            yield Static(
                f"Edit on hand — {safe_text(lv.sku)}",
                classes="inventory-dialog-title",
                markup=False,
            )
            yield Static(
                f"{safe_text(lv.title or '(no title)')}\nOn hand {lv.on_hand}, reserved {lv.reserved}, "
                f"available {lv.available}.\n\nType how many you have now. Saving records the "
                "moment of the count: orders paid after it take stock from it; orders paid "
                "before it are already counted.",
                classes="inventory-dialog-text",
                markup=False,
            )
            yield Label("On hand", classes="field-label")
            yield Input(str(lv.on_hand), id="on-hand-input", select_on_focus=True)
            yield FormError(id="on-hand-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Save", id="on-hand-save", variant="primary")
                yield Button("Cancel", id="on-hand-cancel")

    def run_form(self) -> None:
        self.save(self.query_one("#on-hand-input", Input).value)

    @work(group=GROUP_DB, exclusive=True, thread=True, exit_on_error=False, name="set-on-hand")
    def save(self, text: str) -> None:
        # The service refuses a negative or non-integer count in one sentence, before writing.
        self.post_message(self.Done(self.services.inventory.set_on_hand(self.level.sku, text)))
