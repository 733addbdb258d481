"""The Orders table: draws an ``OrderWindow``'s rows and keeps the view on its order.

``DataTable`` only appends rows, removes them one at a time (rebuilding its row index for
each: a page of 100 leaving a window of 500 cost more than the rest of the page together),
and measures every new cell on a later idle to size the columns. This table takes a whole
``RowOps`` at once instead: the window's rows in their order, new and changed cells, in one
pass over the fields ``add_row``/``remove_row``/``sort`` write, and one redraw. Its columns
have fixed widths, grown from the cells it is given before they are shown, so a value is
never cut to its column's header width (the deferred measuring could leave it so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.message import Message
from textual.widgets._data_table import Row, RowKey

from ..views.order_window import RowOps
from .table_keys import TableKeys

# DataTable's caches whose keys carry its update count (textual/widgets/_data_table.py).
COUNTED_CACHES = (
    "_row_render_cache",
    "_cell_render_cache",
    "_row_renderable_cache",
    "_line_cache",
    "_ordered_row_cache",
    "_offset_cache",
)

# (key, label, width): a column's width is at least its label's and ``width``.
ColumnSpec = tuple[str, str, int]
Cells = Sequence[Text]


def cell_width(cell: object) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


def same_cell(a: object, b: object) -> bool:
    """Drawn alike (``Text ==`` compares the words and spans, not the style)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return (a.plain, a.style, a.spans, a.justify) == (b.plain, b.style, b.spans, b.justify)
    return a == b


class OrdersTable(TableKeys):
    """The order window; tells the screen when its view moves so it can read more rows.

    j/k, g/G and ``/`` as in every table (``TableKeys``); g and G go to the first and last
    row the window holds, and the window then reads the page before or after it."""

    class ViewMoved(Message):
        """The table scrolled (by the cursor, the mouse wheel or the scroll bar), or its view
        settled after the window moved."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", id="orders.open")]

    def __init__(self, columns: Sequence[ColumnSpec], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.column_specs = tuple(columns)
        self.settling = False  # the window just moved; the view is being put back

    def on_mount(self) -> None:
        for key, label, width in self.column_specs:
            self.add_column(
                label, key=key, width=max(width, cell_len(Text.from_markup(label).plain))
            )

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(self.ViewMoved())

    @property
    def highlighted_key(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    @property
    def keys(self) -> list[str]:
        """The rows' keys, top to bottom."""
        keys = (self._row_locations.get_key(i) for i in range(self.row_count))
        return [str(key.value) for key in keys if key is not None]

    def view_rows(self) -> tuple[int, int]:
        """The first and last row index in view (the cursor's row included)."""
        top = int(self.scroll_y)
        bottom = top + max(1, self.scrollable_content_region.height - 1)
        cursor = self.cursor_row
        return min(top, cursor), max(bottom, cursor)

    # -- taking a window's rows ------------------------------------------------------------------

    def apply(self, ops: RowOps, cells: Callable[[str], Cells]) -> None:
        """Show the window after ``ops``: its rows in order, ``cells(key)`` for the rows added
        or read again. The cursor stays on its order and that order where it was on screen
        (at the window's top, orders added above it show and it moves down with them); if it
        left, the view moves with the rows that stay (``ops.shift``)."""
        keep, old_row, scroll_y = self.highlighted_key, self.cursor_row, self.scroll_y
        had_rows = bool(self.row_count)
        self._set_rows(ops, {key: cells(key) for key in (*ops.add, *ops.update)})
        if ops.reset or not had_rows:
            self.scroll_to(y=0, animate=False, immediate=True)
            self.move_cursor(row=0)
            return
        if keep is not None and keep in self.rows:
            row = self.get_row_index(keep)
            if row == old_row:
                return  # nothing moved in view
            in_view = self.scrollable_content_region.height - self.header_height
            if scroll_y == 0 and not ops.shift and row < in_view:
                # The view at the top of the window: orders that came in above the cursor
                # show there, and the cursor's order moves down with its row.
                self.restore_view(row, 0)
                return
            self.restore_view(row, scroll_y + row - old_row)
            return
        scroll_y = max(0.0, scroll_y + ops.shift)
        cursor = old_row + ops.shift
        if cursor < 0:  # the cursor was on a row that left: the first row in view
            cursor = int(scroll_y)
        self.restore_view(cursor, scroll_y)

    def _set_rows(self, ops: RowOps, cells: Mapping[str, Cells]) -> None:
        """The rows become ``ops.keys`` in one pass (pinned Textual 8.2.8's own fields).

        DataTable caches what it drew under its update count; rows that keep their place
        and their cells keep those drawings (a page added below, a refresh that found
        nothing new), anything else bumps the count.
        """
        columns = [column.key for column in self.ordered_columns]
        widths = [0] * len(columns)
        data, rows = self._data, self.rows
        old = len(rows)
        drawn_stay = not ops.remove and ops.keys[:old] == tuple(self.keys)
        for key in ops.remove:
            row_key = RowKey(key)
            rows.pop(row_key, None)
            data.pop(row_key, None)
        for key, row_cells in cells.items():
            row_key = RowKey(key)
            was = data.get(row_key)
            if was is not None and drawn_stay:
                drawn_stay = all(map(same_cell, was.values(), row_cells))
            data[row_key] = dict(zip(columns, row_cells, strict=True))
            if row_key not in rows:
                rows[row_key] = Row(row_key, 1)
            for i, cell in enumerate(row_cells):
                widths[i] = max(widths[i], cell_width(cell))
        self._row_locations = TwoWayDict({RowKey(key): i for i, key in enumerate(ops.keys)})
        assert len(rows) == len(ops.keys) == len(data), "the table's rows are the window's"
        if self._widen(widths) or not drawn_stay:  # drawn cells carry no column width
            self._update_count += 1
            for cache in COUNTED_CACHES:  # their keys carry the update count: all dead now
                getattr(self, cache).clear()
        else:
            self._offset_cache.clear()  # the rows' heights, by line: there are more lines
        self._update_dimensions(())  # the virtual size now, not on the next idle
        self.cursor_coordinate = self.cursor_coordinate  # clamped to the rows there are
        self.refresh()

    def _widen(self, widths: Sequence[int]) -> bool:
        """Columns grow (never shrink) to fit the cells about to show; True if one grew."""
        grew = False
        for column, width in zip(self.ordered_columns, widths, strict=True):
            if width > column.width:
                column.width = width
                grew = True
        if grew:
            self._require_update_dimensions = True
            self.check_idle()
        return grew

    def set_cell(self, key: str, column: str, value: Text) -> None:
        """One cell changes (a mark); its column grows if it must."""
        self.update_cell(key, column, value)
        self._widen([
            cell_width(value) if c.key == column else 0 for c in self.ordered_columns
        ])  # fmt: skip

    def restore_view(self, cursor: int, scroll_y: float) -> None:
        """After the window moved: the cursor on ``cursor``, the view at ``scroll_y``.

        The scroll is set at once (within the old height) and again once the table's new
        height has settled; until then scroll events are not taken as nearing an edge.
        """
        self.settling = True
        self.scroll_to(y=scroll_y, animate=False, immediate=True)
        self.move_cursor(row=max(0, min(cursor, self.row_count - 1)), scroll=False)

        def settle() -> None:
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
            self.settling = False
            self.post_message(self.ViewMoved())

        self.call_after_refresh(settle)
