"""The table of sales channel integrations: logo, name, type and status,
plus health columns.

Rows are keyed by the channel id and refreshed in place: ``sync_rows`` removes rows that are
gone, updates only the cells that changed and appends new rows, so the cursor stays put while
a background sync updates the health columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.binding import Binding

from ..text_safety import safe_text
from .badges import errors_text, logo_badge, reauth_text, status_text, time_text, type_label
from .keyed_table import KeyedTable

if TYPE_CHECKING:
    from ..services.channels import ChannelView
    from ..sync.service import SyncProgress

# (key, label) in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("logo", ""),
    ("type", "Type"),
    ("name", "Name"),
    ("status", "Status"),
    ("last-orders", "Last orders"),
    ("last-stock-push", "Last stock push"),
    ("reauth", "Reauthorise needed"),
    ("errors", "Errors"),
)
COLUMN_KEYS = tuple(key for key, _label in COLUMNS)
# Below this width (an 80-column terminal) the type goes (the logo says it), the health
# headings are shorter, and errors and sync progress are abbreviated, so every column shows.
NARROW_BELOW = 110
NARROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("logo", ""),
    ("name", "Name"),
    ("status", "Status"),
    ("last-orders", "Orders"),
    ("last-stock-push", "Stock push"),
    ("reauth", "Reauth"),
    ("errors", "Errors"),
)


def row_cells(
    row: ChannelView, now: datetime, progress: str | None = None, *, narrow: bool = False
) -> dict[str, Text]:
    """The row's cells by column key (a narrow table shows some of them)."""
    return {
        "logo": logo_badge(row.type),
        "type": Text(type_label(row.type)),
        "name": Text(safe_text(row.name), style="bold underline"),
        "status": status_text(row.enabled),
        "last-orders": Text(progress, style="italic #f5a623")
        if progress
        else time_text(row.last_order_sync_at, now),
        "last-stock-push": time_text(row.last_stock_push_at, now),
        "reauth": reauth_text(row.needs_reauth),
        "errors": errors_text(row.error_count, row.last_error, width=12 if narrow else 26),
    }


def progress_text(p: SyncProgress, *, short: bool = False) -> str | None:
    """What the list shows while an integration syncs (``short``: in a narrow list)."""
    if p.phase == "done":
        return None
    if p.phase == "orders":
        if short:
            return f"⟳ orders {p.done}" + (f"/{p.total}" if p.total else "")
        pages = f"page {p.done}/{p.total}" if p.total else f"page {p.done}"
        return f"⟳ orders {pages}, {p.orders} seen"
    if p.phase == "listings":
        return f"⟳ listings {p.done}" + (f"/{p.total}" if p.total else "")
    return f"⟳ stock {p.done}/{p.total}" if p.total else "⟳ stock push"


class ChannelTable(KeyedTable):
    """Integrations keyed by id; a click on a status cell or a name posts ``CellClicked``
    (the list toggles or opens)."""

    COLUMNS = COLUMNS
    CLICKABLE = frozenset({"status", "name"})
    BINDINGS = [Binding("enter", "select_cursor", "Open", id="channels.open")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: dict[int, ChannelView] = {}
        self._progress: dict[int, SyncProgress] = {}  # channel id -> its running sync
        self._now: datetime | None = None
        self.narrow = False

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_BELOW
        if narrow != self.narrow:
            self.narrow = narrow
            keep = self.highlighted_key
            self.set_columns(NARROW_COLUMNS if narrow else COLUMNS)
            if self._now is not None:
                self.sync_rows(list(self._rows.values()), self._now)
            self.select_key(keep)

    # -- data -------------------------------------------------------------------------------

    def _cells(self, row: ChannelView) -> tuple[Text, ...]:
        assert self._now is not None
        progress = self._progress.get(row.id)
        text = progress_text(progress, short=self.narrow) if progress else None
        cells = row_cells(row, self._now, text, narrow=self.narrow)
        return tuple(cells[key] for key in self.column_keys)

    def sync_rows(self, rows: list[ChannelView], now: datetime) -> None:
        """Bring the table to ``rows`` by row key, touching only what changed."""
        self._now = now
        self.sync({str(r.id): self._cells(r) for r in rows})
        self._rows = {r.id: r for r in rows}

    def show_progress(self, channel_id: int, progress: SyncProgress | None) -> None:
        """Show what a running sync of this integration is doing in its "Last orders" cell;
        ``None`` (or a finished sync) puts the last download time back."""
        if progress is None or progress_text(progress) is None:
            self._progress.pop(channel_id, None)
        else:
            self._progress[channel_id] = progress
        row = self._rows.get(channel_id)
        key = str(channel_id)
        if row is None or key not in self.rows or self._now is None:
            return
        cell = self._cells(row)[self.column_keys.index("last-orders")]
        self.update_cell(key, "last-orders", cell, update_width=True)

    def channel(self, channel_id: int) -> ChannelView | None:
        return self._rows.get(channel_id)

    @property
    def highlighted_id(self) -> int | None:
        """The channel id under the cursor, if any."""
        key = self.highlighted_key
        return int(key) if key is not None else None
