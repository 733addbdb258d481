"""Add a local SKU: SKU, title and the count on hand."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from ..errors import NotFound, UserError
from ..widgets.form_error import FormError
from .base import GROUP_DB, FormModal


class AddSkuModal(FormModal):
    """Dismisses with the new SKU's ``StockLevel``, None for Cancel/Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="add-sku.cancel")]
    AUTO_FOCUS = "#add-sku-sku"
    SUBMIT_BUTTON = "add-sku-save"
    CANCEL_BUTTON = "add-sku-cancel"

    def compose(self) -> ComposeResult:
        with Vertical(classes="inventory-dialog"):
            yield Static("Add SKU", classes="inventory-dialog-title")
            yield Static(
                "A local inventory SKU. Reverb listings and orders with the same SKU (trimmed, "
                "case-insensitive) link to it; others can be mapped to it per integration.",
                classes="inventory-dialog-text",
            )
            yield Label("SKU", classes="field-label")
            yield Input(id="add-sku-sku", placeholder="e.g. GTR-STRAT-001")
            yield Label("Title", classes="field-label")
            yield Input(id="add-sku-title", placeholder="optional")
            yield Label("On hand", classes="field-label")
            yield Input("0", id="add-sku-on-hand", select_on_focus=True)
            yield FormError(id="add-sku-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Add", id="add-sku-save", variant="primary")
                yield Button("Cancel", id="add-sku-cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "add-sku-on-hand":
            self.submit()
        else:
            self.focus_next()

    def run_form(self) -> None:
        self.add(
            self.query_one("#add-sku-sku", Input).value,
            self.query_one("#add-sku-title", Input).value,
            self.query_one("#add-sku-on-hand", Input).value,
        )

    @work(group=GROUP_DB, exclusive=True, thread=True, exit_on_error=False, name="add-sku")
    def add(self, sku: str, title: str, on_hand: str) -> None:
        from ..services.inventory import clean_sku, clean_title, parse_count

        inventory = self.services.inventory
        value = clean_sku(sku)
        clean_title(title)
        parse_count(on_hand)
        try:
            existing = inventory.get(value)
        except NotFound:
            existing = None
        if existing is not None:
            raise UserError(
                f"Local SKU {existing.sku!r} already exists; edit its on hand instead (e)."
            )
        self.post_message(self.Done(inventory.upsert(value, title=title, on_hand=on_hand)))
