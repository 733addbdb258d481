"""The table of sales channel integrations: the seed's four columns plus health columns.

Rows are keyed by the channel id and refreshed in place: ``sync_rows`` removes rows that are
gone, updates only the cells that changed and appends new rows, so the cursor stays put while
a background sync updates the health columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding

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


def row_cells(row: ChannelView, now: datetime, progress: str | None = None) -> tuple[Text, ...]:
    return (
        logo_badge(row.type),
        Text(type_label(row.type)),
        Text(row.name, style="bold underline"),
        status_text(row.enabled),
        Text(progress, style="italic #f5a623")
        if progress
        else time_text(row.last_order_sync_at, now),
        time_text(row.last_stock_push_at, now),
        reauth_text(row.needs_reauth),
        errors_text(row.error_count, row.last_error, width=26),
    )


def progress_text(p: SyncProgress) -> str | None:
    """What the list shows while an integration syncs."""
    if p.phase == "done":
        return None
    if p.phase == "orders":
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

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._rows: dict[int, ChannelView] = {}
        self._progress: dict[int, str] = {}  # channel id -> what its running sync is doing
        self._now: datetime | None = None

    # -- data -------------------------------------------------------------------------------

    def sync_rows(self, rows: list[ChannelView], now: datetime) -> None:
        """Bring the table to ``rows`` by row key, touching only what changed."""
        self._now = now
        self.sync({str(r.id): row_cells(r, now, self._progress.get(r.id)) for r in rows})
        self._rows = {r.id: r for r in rows}

    def show_progress(self, channel_id: int, text: str | None) -> None:
        """Show what a running sync of this integration is doing in its "Last orders" cell;
        ``None`` puts the last download time back."""
        if text is None:
            self._progress.pop(channel_id, None)
        else:
            self._progress[channel_id] = text
        row = self._rows.get(channel_id)
        key = str(channel_id)
        if row is None or key not in self.rows or self._now is None:
            return
        cell = row_cells(row, self._now, self._progress.get(channel_id))[
            COLUMN_KEYS.index("last-orders")
        ]
        self.update_cell(key, "last-orders", cell, update_width=True)

    def channel(self, channel_id: int) -> ChannelView | None:
        return self._rows.get(channel_id)

    @property
    def highlighted_id(self) -> int | None:
        """The channel id under the cursor, if any."""
        key = self.highlighted_key
        return int(key) if key is not None else None
