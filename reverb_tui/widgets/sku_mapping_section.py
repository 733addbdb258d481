"""The "SKU mapping" section of an integration (what a mapping does: docs/user-guide.md
"Stock rules").

It lists the integration's channel SKU → local SKU mappings (with their kit multiplier), each
with an X to delete it; two searchable drop-downs (the sales channel SKU, from the downloaded
listings and orders; the local SKU, from the inventory), a kit field and *Map them* add a pair.
Nothing reaches the database until *Save*, which applies every pending addition and deletion
in one transaction (any bad entry refuses the whole save). *Cancel* posts ``Cancelled``: the
screen decides (the detail screen returns to the list without applying anything, as its "Sales
channel integrations" link and Escape do).

Mappings can number thousands (after an auto-link): the table shows at most ``WINDOW`` rows
at a time, filtered by the field above it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from ..db.models import fold
from ..errors import AppError, NotFound, UserError
from ..messages import SyncRequested
from ..text_safety import safe_text
from ..ui_workers import GROUP_DB, WorkerRouting
from ..views.pending_edits import PendingEdits
from .form_error import FormError
from .keyed_table import KeyedTable
from .sku_picker import SkuChoice, SkuPicker

WINDOW = 200  # rows of the mapping table shown at once

SECTION_HELP = (
    "Map each SKU of this Reverb account to the local inventory SKU it sells, so orders "
    "downloaded from now on are recognised and the listings show the local stock. A kit "
    "multiplier of N means one sale takes N local units."
)
SECTION_NOTE = (
    "Changes made here affect only orders downloaded after you save them; they do not change "
    "orders already downloaded. To link orders already downloaded, use "
    '"Apply mappings to waiting orders" in the unlinked view (u). Listings follow the saved '
    "mappings at the next stock push."
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("channel-sku", "Sales channel SKU"),
    ("arrow", ""),
    ("sku", "Local SKU"),
    ("title", "Title"),
    ("kit", "Kit"),
    ("change", "Change"),
    ("x", ""),
)
X_COLUMN = "x"


class MappingTable(KeyedTable):
    """The mappings; a click on a row's X (or x / delete on the row) posts ``CellClicked`` for
    the X column: the section marks the row for deletion, or takes that back."""

    COLUMNS = COLUMNS
    CLICKABLE = frozenset({X_COLUMN})
    BINDINGS = [
        Binding("x", "toggle_delete", "Delete (X)", id="sku-mapping.delete"),
        Binding("delete", "toggle_delete", "Delete (X)", show=False, id="sku-mapping.delete-key"),
    ]

    def action_toggle_delete(self) -> None:
        key = self.highlighted_key
        if key is not None:
            self.post_message(self.CellClicked(self, key, X_COLUMN))


class SkuMappingSection(WorkerRouting, Vertical):
    """Channel SKU → local SKU mappings of one integration, applied by Save."""

    DEFAULT_CSS = """
    SkuMappingSection {
        height: auto;
    }
    SkuMappingSection .sku-help, SkuMappingSection .sku-note {
        color: $text-muted;
        height: auto;
    }
    SkuMappingSection .sku-note {
        margin-top: 1;
    }
    SkuMappingSection #sku-mapping-filter-row {
        height: auto;
        margin-top: 1;
    }
    SkuMappingSection #sku-mapping-filter {
        width: 40;
    }
    SkuMappingSection #sku-mapping-shown {
        width: 1fr;
        padding: 1 0 0 2;
        color: $text-muted;
    }
    SkuMappingSection #sku-mapping-table {
        height: auto;
        max-height: 14;
    }
    SkuMappingSection #sku-mapping-empty {
        color: $text-muted;
        text-style: italic;
        height: auto;
        padding: 0 1;
    }
    SkuMappingSection #sku-map-form {
        height: auto;
        margin-top: 1;
    }
    SkuMappingSection .sku-column {
        height: auto;
        width: 1fr;
        margin-right: 2;
    }
    SkuMappingSection #sku-kit-column {
        width: 16;
    }
    SkuMappingSection #sku-pending {
        color: $warning;
        height: auto;
        width: 1fr;
        padding: 1 0 0 2;
    }
    """

    class Saved(Message):
        """The pending changes were saved (``added`` and ``removed`` mappings)."""

        def __init__(self, channel_id: int, added: int, removed: int) -> None:
            super().__init__()
            self.channel_id = channel_id
            self.added = added
            self.removed = removed

    class Cancelled(Message):
        """Cancel was pressed; the screen decides what it does (``section.discard()``)."""

        def __init__(self, section: SkuMappingSection) -> None:
            super().__init__()
            self.section = section

    class Loaded(Message):
        """The saved mappings were read (posted by the loading worker)."""

        def __init__(self, rows: list[Any]) -> None:
            super().__init__()
            self.rows = rows

    class Checked(Message):
        """A pair passed *Map them*'s checks: ``sku`` is the local SKU as stored."""

        def __init__(self, channel_sku: str, sku: str, title: str, kit: int) -> None:
            super().__init__()
            self.channel_sku = channel_sku
            self.sku = sku
            self.title = title
            self.kit = kit

    class SaveDone(Message):
        """``save_mappings`` returned the integration's mappings after the save."""

        def __init__(self, rows: list[Any], added: int, removed: int) -> None:
            super().__init__()
            self.rows = rows
            self.added = added
            self.removed = removed

    def __init__(self, channel_id: int, *, id: str = "sku-mapping-section") -> None:
        super().__init__(id=id)
        self.channel_id = channel_id
        # fold(channel SKU) -> MappingRow: as stored, and the changes waiting for Save.
        self.pending: PendingEdits[str, Any] = PendingEdits()
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(SECTION_HELP, classes="sku-help")
        with Horizontal(id="sku-mapping-filter-row"):
            yield Input(placeholder="Find a mapping (SKU or title)", id="sku-mapping-filter")
            yield Static("", id="sku-mapping-shown", markup=False)
        yield MappingTable(id="sku-mapping-table")
        yield Static("No SKU mappings yet.", id="sku-mapping-empty", classes="empty-state")
        with Horizontal(id="sku-map-form"):
            with Vertical(classes="sku-column"):
                yield Label("Sales channel SKU", classes="field-label")
                yield SkuPicker(
                    self._channel_choices,
                    placeholder="Search this account's SKUs",
                    id="sku-channel-picker",
                )
            with Vertical(classes="sku-column"):
                yield Label("Local SKU", classes="field-label")
                yield SkuPicker(
                    self._local_choices,
                    placeholder="Search the inventory",
                    id="sku-local-picker",
                )
            with Vertical(classes="sku-column", id="sku-kit-column"):
                yield Label("Kit", classes="field-label")
                yield Input("1", id="sku-kit", placeholder="1")
        yield FormError(id="sku-mapping-error")
        with Horizontal(classes="form-buttons"):
            yield Button("Map them", id="sku-map", variant="primary")
            yield Button("Save", id="sku-save", variant="success")
            yield Button("Cancel", id="sku-cancel", classes="cancel")
            yield Static("", id="sku-pending", markup=False)
        yield Static(SECTION_NOTE, classes="sku-note")

    def on_mount(self) -> None:
        self.load()

    # -- drop-down sources (called in worker threads) ---------------------------------------

    def _channel_choices(self, text: str, limit: int) -> list[SkuChoice]:
        out = []
        for c in self.services.skus.channel_sku_choices(self.channel_id, text, limit):
            bits = [c.title] if c.title else []
            seen = []
            if c.listings:
                seen.append(f"{c.listings} listing{'s' if c.listings != 1 else ''}")
            if c.orders:
                seen.append(f"{c.orders} order{'s' if c.orders != 1 else ''}")
            if seen:
                bits.append(", ".join(seen))
            bits.append(f"→ {c.mapped_to}" if c.mapped_to else "unlinked")
            out.append(SkuChoice(c.channel_sku, " · ".join(bits)))
        return out

    def _local_choices(self, text: str, limit: int) -> list[SkuChoice]:
        return [
            SkuChoice(sku, title)
            for sku, title in self.services.skus.local_sku_choices(text, limit)
        ]

    # -- loading ----------------------------------------------------------------------------

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-sku-mappings")
    def load(self) -> None:
        self.post_message(self.Loaded(self.services.skus.mappings(self.channel_id)))

    def on_sku_mapping_section_loaded(self, message: SkuMappingSection.Loaded) -> None:
        message.stop()
        self.loaded = True
        self.pending.load({fold(r.channel_sku): r for r in message.rows})
        self.refresh_table()

    # -- the table --------------------------------------------------------------------------

    @property
    def table(self) -> MappingTable:
        return self.query_one(MappingTable)

    def _rows(self) -> list[tuple[str, tuple[Any, ...]]]:
        """(row key, cells) of the rows matching the filter: pending additions first."""
        needle = self.query_one("#sku-mapping-filter", Input).value.strip().casefold()

        def matches(r: Any) -> bool:
            return not needle or any(
                needle in (v or "").casefold() for v in (r.channel_sku, r.sku, r.title)
            )

        rows: list[tuple[str, tuple[Any, ...]]] = []
        for key, r in self.pending.adds.items():
            if matches(r):
                rows.append((f"add:{key}", self._cells(r, "new — Save adds it", "green")))
        for key, r in self.pending.saved.items():
            if matches(r):
                if key in self.pending.removes:
                    cells = self._cells(r, "deleted — Save applies", "red", strike=True)
                else:
                    cells = self._cells(r, "", "")
                rows.append((f"map:{key}", cells))
        return rows

    @staticmethod
    def _cells(r: Any, change: str, colour: str, *, strike: bool = False) -> tuple[Any, ...]:
        style = "strike dim" if strike else ""
        return (
            Text(safe_text(r.channel_sku), style=style),
            Text("→", style="dim"),
            Text(safe_text(r.sku), style=style),
            Text(safe_text(r.title), style=style or "dim"),
            Text(f"×{r.kit}", style=style),
            Text(change, style=colour),
            Text(" ↶ " if strike else " X ", style="bold red" if not strike else "bold"),
        )

    def refresh_table(self) -> None:
        table = self.table
        rows = self._rows()
        shown = rows[:WINDOW]
        saved = len(self.pending.saved)
        total = saved + len(self.pending.adds)
        table.sync(dict(shown), empty=total == 0)
        shown_text = ""
        if total:
            shown_text = f"{saved} saved mapping{'s' if saved != 1 else ''}"
            if len(rows) < total:
                shown_text += f", {len(rows)} match the filter"
            if len(shown) < len(rows):
                shown_text += f"; showing the first {len(shown)} (filter to find others)"
        self.query_one("#sku-mapping-shown", Static).update(shown_text)
        self._show_pending()

    def _show_pending(self) -> None:
        adds, removes = len(self.pending.adds), len(self.pending.removes)
        text = ""
        if adds or removes:
            parts = []
            if adds:
                parts.append(f"{adds} to add")
            if removes:
                parts.append(f"{removes} to delete")
            text = f"Not saved yet: {', '.join(parts)}."
        self.query_one("#sku-pending", Static).update(text)

    @property
    def has_pending(self) -> bool:
        return bool(self.pending)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "sku-mapping-filter":
            event.stop()
            self.refresh_table()
        elif event.input.id == "sku-kit":
            event.stop()

    @on(MappingTable.CellClicked, "#sku-mapping-table")
    def _x_clicked(self, message: MappingTable.CellClicked) -> None:
        message.stop()
        kind, _, key = message.key.partition(":")
        error = self.query_one(FormError)
        error.clear()
        if kind == "add":
            self.pending.drop_add(key)
        elif key not in self.pending.removes:
            self.pending.remove(key)
        elif not self.pending.keep(key):  # the X again takes the deletion back, unless...
            added = self.pending.adds[key]
            error.show(
                f"Channel SKU {added.channel_sku!r} has a new mapping waiting to be saved; "
                "delete that one first to keep this one."
            )
        self.refresh_table()

    # -- Map them ---------------------------------------------------------------------------

    @on(Button.Pressed, "#sku-map")
    def _map_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.map_them()

    @on(Button.Pressed, "#sku-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()

    @on(Button.Pressed, "#sku-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Cancelled(self))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "sku-kit":
            event.stop()
            self.map_them()
        elif event.input.id == "sku-mapping-filter":
            event.stop()
            self.table.focus()

    def on_sku_picker_picked(self, message: SkuPicker.Picked) -> None:
        message.stop()
        # Enter in a drop-down moves on to the next field, like a form.
        nxt = {
            "sku-channel-picker": "#sku-local-picker-input",
            "sku-local-picker": "#sku-kit",
        }.get(message.picker.id or "")
        if nxt:
            self.query_one(nxt).focus()

    def map_them(self) -> None:
        """Check the pair; a refusal is one sentence under the form, nothing is added."""
        from ..services.skus import parse_kit

        error = self.query_one(FormError)
        error.clear()
        channel_sku = self.query_one("#sku-channel-picker", SkuPicker).value
        local = self.query_one("#sku-local-picker", SkuPicker).value
        try:
            if not channel_sku:
                raise UserError("Choose the sales channel SKU to map.")
            if not local:
                raise UserError("Choose the local SKU to map it to.")
            kit = parse_kit(self.query_one("#sku-kit", Input).value)
            key, pending = fold(channel_sku), self.pending
            if key in pending.adds:
                other = pending.adds[key]
                raise UserError(
                    f"Channel SKU {other.channel_sku!r} is already mapped to {other.sku!r} in the "
                    "changes not saved yet; delete that one first (X)."
                )
            if key in pending.saved and key not in pending.removes:
                other = pending.saved[key]
                raise UserError(
                    f"Channel SKU {other.channel_sku!r} is already mapped to {other.sku!r} "
                    f"(kit {other.kit}); delete that mapping first (X), then map it again."
                )
        except AppError as exc:
            error.show(exc.message)
            return
        self.check_pair(channel_sku, local, kit)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="check-sku-mapping")
    def check_pair(self, channel_sku: str, local: str, kit: int) -> None:
        from ..services.inventory import clean_sku

        cs = clean_sku(channel_sku, "The sales channel SKU")
        try:
            level = self.services.inventory.get(local)
        except NotFound:
            raise UserError(
                f"There is no local SKU {local!r}; add it on the Inventory screen first."
            ) from None
        self.post_message(self.Checked(cs, level.sku, level.title, kit))

    def on_sku_mapping_section_checked(self, message: SkuMappingSection.Checked) -> None:
        from ..services.skus import MappingRow

        message.stop()
        row = MappingRow(message.channel_sku, message.sku, message.kit, message.title)
        if self.pending.add(fold(message.channel_sku), row) is not None:
            return  # mapped meanwhile by a second press; the first one stands
        self.query_one("#sku-channel-picker", SkuPicker).clear()
        self.query_one("#sku-local-picker", SkuPicker).clear()
        self.query_one("#sku-kit", Input).value = "1"
        self.refresh_table()
        self.query_one("#sku-channel-picker-input").focus()

    # -- Save / Cancel ----------------------------------------------------------------------

    def save(self) -> None:
        error = self.query_one(FormError)
        error.clear()
        if not self.has_pending:
            error.show("There are no changes to save: map a pair or press an X first.")
            return
        adds = [(r.channel_sku, r.sku, r.kit) for r in self.pending.adds.values()]
        removes = [self.pending.saved[key].channel_sku for key in sorted(self.pending.removes)]
        self.save_changes(adds, removes)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="save-sku-mappings")
    def save_changes(self, adds: list[tuple[str, str, int]], removes: list[str]) -> None:
        rows = self.services.skus.save_mappings(self.channel_id, adds, removes)
        self.post_message(self.SaveDone(rows, len(adds), len(removes)))

    def on_sku_mapping_section_save_done(self, message: SkuMappingSection.SaveDone) -> None:
        message.stop()
        self.pending.saved_as({fold(r.channel_sku): r for r in message.rows})
        self.refresh_table()
        parts = []
        if message.added:
            parts.append(f"{message.added} added")
        if message.removed:
            parts.append(f"{message.removed} deleted")
        self.app.notify(
            f"Saved the SKU mappings ({', '.join(parts)}). They apply to orders downloaded from "
            "now on; the listings follow at the next stock push.",
            title="SKU mapping",
            markup=False,
        )
        self.post_message(self.Saved(self.channel_id, message.added, message.removed))
        # Listings are resolved at every push: let the new mappings reach them now.
        self.post_message(SyncRequested(self.channel_id, stock_only=True))

    def discard(self) -> int:
        """Forget the changes not saved; returns how many there were."""
        return self.pending.clear()

    def on_unmount(self) -> None:
        n = self.discard()
        if n:
            self.app.notify(
                f"{n} SKU mapping change{'s were' if n != 1 else ' was'} not saved and "
                "did not apply.",
                markup=False,
            )

    # -- failures ---------------------------------------------------------------------------

    def show_worker_error(self, worker, message: str) -> bool:
        if worker.name in ("check-sku-mapping", "save-sku-mappings"):
            self.query_one(FormError).show(message)
            return True
        # An integration removed elsewhere: the detail screen says so once and closes.
        return worker.name == "load-sku-mappings" and isinstance(worker.error, NotFound)
