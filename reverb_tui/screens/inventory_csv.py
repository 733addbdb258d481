"""CSV import and export of the local inventory: ask for a file path, then do it.

Import upserts by SKU every row of a ``sku,title,on_hand`` file (UTF-8) in one transaction,
or none: a file with bad rows is refused whole and every problem is listed by line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from ..errors import UserError
from ..widgets.form_error import FormError
from .base import GROUP_DB, FormModal

IMPORT_HELP = (
    "A CSV file with the columns sku,title,on_hand (UTF-8, a header row first). Each row adds "
    "the SKU or updates it, and records its on-hand count now. A file with any bad row is "
    "refused whole: nothing is imported, and every problem is listed by line number."
)
EXPORT_HELP = (
    "Every local SKU is written as sku,title,on_hand (UTF-8); an existing file is replaced."
)


@dataclass(frozen=True)
class CsvDone:
    """What the modal did: ``mode`` import (``result`` an ImportResult) or export (a count)."""

    mode: str
    path: str
    result: Any


class CsvFileModal(FormModal):
    """Dismisses with a ``CsvDone``, or None for Cancel/Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="csv-file.cancel")]
    AUTO_FOCUS = "#csv-path"
    SUBMIT_BUTTON = "csv-go"
    CANCEL_BUTTON = "csv-cancel"

    def __init__(self, mode: str) -> None:
        if mode not in ("import", "export"):
            raise ValueError(mode)
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        importing = self.mode == "import"
        default = "" if importing else str(Path.cwd() / "inventory.csv")
        with Vertical(classes="inventory-dialog"):
            yield Static(
                "Import CSV" if importing else "Export CSV", classes="inventory-dialog-title"
            )
            yield Static(
                IMPORT_HELP if importing else EXPORT_HELP,
                classes="inventory-dialog-text",
                markup=False,
            )
            yield Label("File", classes="field-label")
            yield Input(default, id="csv-path", placeholder="path/to/inventory.csv")
            with VerticalScroll(id="csv-problems"):
                yield FormError(id="csv-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Import" if importing else "Export", id="csv-go", variant="primary")
                yield Button("Cancel", id="csv-cancel")

    def run_form(self) -> None:
        self.run_file(self.query_one("#csv-path", Input).value)

    @work(group=GROUP_DB, exclusive=True, thread=True, exit_on_error=False, name="csv-file")
    def run_file(self, text: str) -> None:
        if not text.strip():
            raise UserError("Type the path of the CSV file.")
        path = str(Path(text.strip()).expanduser())
        inventory = self.services.inventory
        if self.mode == "import":
            result: Any = inventory.import_csv(path)
        else:
            result = inventory.export_csv(path)
        self.post_message(self.Done(CsvDone(self.mode, path, result)))
