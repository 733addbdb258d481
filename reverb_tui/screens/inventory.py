"""Inventory: the local SKUs (the stock master) with on hand, reserved and available.

The table shows one page of ``PAGE_SIZE`` SKUs read in a worker (SQL LIMIT/OFFSET, filtered in
SQL by the search field after a pause in typing), so a catalogue of any size costs one page.
From here: edit the on-hand count of the highlighted SKU, add a SKU, delete one (refused while
a SKU mapping uses it), import and export CSV. After any change of on hand the app is asked
for a stock push, so the linked listings show the new quantity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, DataTable, Header, Input, Static
from textual.worker import get_current_worker

from ..live import MAPPINGS, ORDERS, STOCK
from ..messages import SyncRequested
from ..text_safety import safe_text
from ..ui_text import typing_pause
from ..widgets.footer import AppFooter
from ..widgets.keyed_table import KeyedTable
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen
from .confirm import confirm_delete_sku
from .inventory_add import AddSkuModal
from .inventory_csv import CsvDone, CsvFileModal
from .inventory_on_hand import OnHandModal

if TYPE_CHECKING:
    from ..live import Change

TITLE = "Inventory"
PAGE_SIZE = 100
SEARCH_DEBOUNCE = 0.2
# Reserved and available change while orders download (maybe in a daemon): re-read the page.
REFRESH_SECONDS = 15.0
COLUMNS: tuple[tuple[str, str], ...] = (
    ("sku", "SKU"),
    ("title", "Title"),
    ("on-hand", "On hand"),
    ("reserved", "Reserved"),
    ("available", "Available"),
)
EMPTY_TEXT = (
    "No local SKUs yet. Press a to add one, or c to import a CSV file with the columns "
    "sku,title,on_hand."
)


def level_cells(level: Any) -> tuple[Text, ...]:
    available = Text(f"{level.available:,}", justify="right")
    if level.available <= 0:
        available.stylize("bold red")
    return (
        Text(safe_text(level.sku), style="bold"),
        Text(safe_text(level.title)),
        Text(f"{level.on_hand:,}", justify="right"),
        Text(f"{level.reserved:,}", justify="right", style="dim" if not level.reserved else ""),
        available,
    )


class InventoryScreen(ReverbScreen):
    """Local SKUs, one page at a time."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="inventory.back"),
        Binding("slash", "search", "Search", id="inventory.search"),
        Binding("e", "edit", "Edit on hand", id="inventory.edit"),
        Binding("a", "add", "Add", id="inventory.add", tooltip="Add SKU"),
        Binding("d", "delete", "Delete", id="inventory.delete"),
        Binding("c", "import_csv", "Import", id="inventory.import", tooltip="Import CSV"),
        Binding("x", "export_csv", "Export", id="inventory.export", tooltip="Export CSV"),
        # Shown by the pager's links instead ("◀ [ Previous", "Next ] ▶").
        Binding(
            "right_square_bracket", "page(1)", "Next page", id="inventory.next-page", show=False
        ),
        Binding(
            "left_square_bracket", "page(-1)", "Previous page", id="inventory.prev-page", show=False
        ),
        Binding("r", "refresh", "Refresh", show=False, id="inventory.refresh"),
    ]
    AUTO_FOCUS = "#inventory-table"

    class PageLoaded(Message):
        """One page of SKUs was read (posted by the table worker)."""

        def __init__(self, search: str, offset: int, total: int, rows: list[Any]) -> None:
            super().__init__()
            self.search = search
            self.offset = offset
            self.total = total
            self.rows = rows

    class Deleted(Message):
        def __init__(self, sku: str) -> None:
            super().__init__()
            self.sku = sku

    def __init__(self) -> None:
        super().__init__()
        self.search_text = ""
        self.page_offset = 0
        self.total = 0
        self.levels: dict[str, Any] = {}  # row key (the SKU) -> StockLevel, this page
        self._select_after_load: str | None = None
        self._stale = False  # a change came in while another screen covered this one

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="inventory-heading"):
            yield Static(TITLE, classes="screen-title", id="inventory-title")
            yield Input(placeholder="Search SKU or title  ( / )", id="inventory-search")
        yield KeyedTable(id="inventory-table", columns=COLUMNS)
        yield Static(EMPTY_TEXT, id="inventory-empty", classes="empty-state", markup=False)
        with Horizontal(id="inventory-pager"):
            prev = Button("◀ [ Previous", id="inventory-prev", classes="link")
            nxt = Button("Next ] ▶", id="inventory-next", classes="link")
            prev.can_focus = nxt.can_focus = False  # [ and ] are the keyboard path
            yield prev
            yield Static("", id="inventory-page", markup=False)
            yield nxt
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE
        # What another process commits shows within a second or so (reverb_tui/live.py);
        # without the watcher, the page is read again every REFRESH_SECONDS instead.
        self.app.data_changed_signal.subscribe(self, self._data_changed)
        if not self.app.live:
            self.set_interval(REFRESH_SECONDS, self.load_page, name="refresh-inventory")
        self.load_page()

    def _data_changed(self, change: Change) -> None:
        # On hand, sales and cancellations, mappings (what is reserved); hidden: on resume.
        if change.concerns(STOCK, ORDERS, MAPPINGS):
            if self.is_current:
                self.load_page()
            else:
                self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.load_page()

    table = getters.query_one("#inventory-table", KeyedTable)

    # -- reading ----------------------------------------------------------------------------

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="inventory")
    def load_page(self) -> None:
        search, offset = self.search_text, self.page_offset
        inventory = self.services.inventory
        total = inventory.count(search)
        if offset >= total:
            offset = max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)
        rows = inventory.list(search, limit=PAGE_SIZE, offset=offset)
        if not get_current_worker().is_cancelled:  # a newer read replaced this one
            self.post_message(self.PageLoaded(search, offset, total, rows))

    def on_inventory_screen_page_loaded(self, message: InventoryScreen.PageLoaded) -> None:
        message.stop()
        if message.search != self.search_text:
            return  # typed on since; that read is on its way
        self.page_offset, self.total = message.offset, message.total
        table = self.table
        keep = self._select_after_load or table.highlighted_key
        self._select_after_load = None
        levels = {lv.sku: lv for lv in message.rows}
        if list(levels) != list(self.levels) and keep not in levels:
            table.move_cursor(row=0)  # another page or search: start at its top
        self.levels = levels
        table.sync({sku: level_cells(lv) for sku, lv in levels.items()})
        table.select_key(keep)
        note = self.query_one("#inventory-empty", Static)
        if not message.rows and self.search_text.strip():
            note.update(safe_text(f"No local SKU matches {self.search_text.strip()!r}."))
        else:
            note.update(EMPTY_TEXT)
        self._show_page()

    def _show_page(self) -> None:
        first = self.page_offset + 1 if self.total else 0
        last = min(self.page_offset + PAGE_SIZE, self.total)
        what = "SKU" if self.total == 1 else "SKUs"
        matching = " matching the search" if self.search_text.strip() else ""
        self.query_one("#inventory-page", Static).update(
            f"{first:,}–{last:,} of {self.total:,} {what}{matching}"
        )
        self.set_class(self.page_offset > 0, "-previous-page")  # show the pager's links
        self.set_class(last < self.total, "-next-page")

    @property
    def highlighted_sku(self) -> str | None:
        return self.table.highlighted_key

    # -- search and pages -------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "inventory-search":
            event.stop()
            self.search(event.value)

    @work(group="search", exclusive=True, exit_on_error=False, name="inventory-search")
    async def search(self, text: str) -> None:
        """Wait for a pause in typing (a newer keystroke cancels this), then read."""
        await typing_pause(SEARCH_DEBOUNCE)
        self.search_text = text
        self.page_offset = 0
        self.load_page()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "inventory-search":
            event.stop()
            self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """e and d are dimmed while no SKU is shown; [ and ] where there is no such page."""
        if action in ("edit", "delete") and self.table.empty:
            return None
        if action == "page":
            step = parameters[0] if parameters else 0
            return self.has_class("-next-page" if step == 1 else "-previous-page") or None
        return True

    def action_search(self) -> None:
        self.query_one("#inventory-search", Input).focus()

    def action_page(self, step: int) -> None:
        offset = self.page_offset + step * PAGE_SIZE
        if offset < 0 or offset >= self.total:
            return  # the pager's links and keys are not offered then (check_action)
        self.page_offset = offset
        self.table.move_cursor(row=0)
        self.load_page()

    def action_refresh(self) -> None:
        self.load_page()

    def action_back(self) -> None:
        if self.focused is self.query_one("#inventory-search") and self.search_text:
            self.query_one("#inventory-search", Input).value = ""  # Escape clears first
            return
        self.leave(None)

    @on(Button.Pressed, "#inventory-prev")
    def _prev_pressed(self) -> None:
        self.action_page(-1)

    @on(Button.Pressed, "#inventory-next")
    def _next_pressed(self) -> None:
        self.action_page(1)

    # -- edit on hand -----------------------------------------------------------------------

    def _highlighted_level(self) -> Any:
        sku = self.highlighted_sku
        level = self.levels.get(sku) if sku is not None else None
        if level is None:
            self.app.bell()
        return level

    def action_edit(self) -> None:
        level = self._highlighted_level()
        if level is not None:
            self.app.push_screen(OnHandModal(level), self._on_hand_saved)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "inventory-table":
            event.stop()
            self.action_edit()

    def _on_hand_saved(self, level: Any) -> None:
        if level is None:
            return
        self.notify(
            f"On hand of {level.sku!r} is now {level.on_hand:,} "
            f"(reserved {level.reserved:,}, available {level.available:,}).",
            markup=False,
        )
        self._stock_changed(level.sku)

    def _stock_changed(self, select: str | None = None) -> None:
        self._select_after_load = select
        self.load_page()
        # Linked listings on every integration should show the new available quantity.
        self.post_message(SyncRequested(None, stock_only=True))

    # -- add / delete -----------------------------------------------------------------------

    def action_add(self) -> None:
        self.app.push_screen(AddSkuModal(), self._added)

    def _added(self, level: Any) -> None:
        if level is None:
            return
        self.notify(f"Added local SKU {level.sku!r} ({level.on_hand:,} on hand).", markup=False)
        self._stock_changed(level.sku)

    def action_delete(self) -> None:
        level = self._highlighted_level()
        if level is None:
            return
        self.app.push_screen(
            confirm_delete_sku(level.sku, level.title, level.on_hand),
            lambda ok: self.delete_sku(level.sku) if ok else None,
        )

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="delete-sku")
    def delete_sku(self, sku: str) -> None:
        self.services.inventory.delete(sku)
        self.post_message(self.Deleted(sku))

    def on_inventory_screen_deleted(self, message: InventoryScreen.Deleted) -> None:
        message.stop()
        self.notify(f"Deleted local SKU {message.sku!r}.", markup=False)
        self.load_page()

    # -- CSV --------------------------------------------------------------------------------

    def action_import_csv(self) -> None:
        self.app.push_screen(CsvFileModal("import"), self._csv_done)

    def action_export_csv(self) -> None:
        self.app.push_screen(CsvFileModal("export"), self._csv_done)

    def _csv_done(self, done: CsvDone | None) -> None:
        if done is None:
            return
        if done.mode == "import":
            r = done.result
            self.notify(
                f"Imported {r.total:,} row{'s' if r.total != 1 else ''} from {done.path}: "
                f"{r.created:,} new SKU{'s' if r.created != 1 else ''}, {r.updated:,} updated.",
                title="CSV import",
                markup=False,
            )
            self._stock_changed()
        else:
            self.notify(
                f"Exported {done.result:,} local SKU{'s' if done.result != 1 else ''} to "
                f"{done.path}.",
                title="CSV export",
                markup=False,
            )
