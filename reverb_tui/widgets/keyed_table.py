"""``KeyedTable``: the DataTable every list of the app uses.

- Columns are declared once, at class level (``COLUMNS``: key and label).
- Rows are keyed (a string) and refreshed by ``sync(cells_by_key)``: rows whose key is gone
  are removed, only cells that changed are updated, new rows are added, and the rows end up
  in the order given (sorted into it, not rebuilt); all of it inside one
  ``app.batch_update()``, so the cursor stays on its row while a background refresh runs.
- A click on a cell of a ``CLICKABLE`` column posts ``CellClicked(key, column)`` instead of
  DataTable's own click (which would also select the row).
- ``empty`` is True after a ``sync`` with no rows. With ``empty_state`` (the default), the
  parent gets the ``-empty`` class as well; the CSS below then hides the table and shows its
  sibling with the ``empty-state`` class. A change asks the screen to check its keys again
  (``check_action`` dims the ones that need a row).
- j/k, g/G and ``/`` as in every table of the app (``TableKeys``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from textual import events
from textual.message import Message
from textual.reactive import reactive

from .table_keys import TableKeys


class KeyedTable(TableKeys):
    COLUMNS: ClassVar[Sequence[tuple[str, str]]] = ()  # (key, label) in display order
    CLICKABLE: ClassVar[frozenset[str]] = frozenset()  # column keys whose clicks are posted

    # Unscoped: the rules reach the placeholder, a sibling of the table.
    SCOPED_CSS = False

    # DataTable measures new cells on its next idle; a frame drawn before that caches lines
    # at the header's widths under keys without the widths, so values stayed cut ("Reve" for
    # "Reverb") until a row changed. When measuring widens a column, drop those lines.
    def _update_dimensions(self, new_rows: Any) -> None:
        before = [column.content_width for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if [column.content_width for column in self.ordered_columns] != before:
            self._clear_caches()
            self.refresh()

    def _update_column_widths(self, updated_cells: Any) -> None:
        before = [column.content_width for column in self.ordered_columns]
        super()._update_column_widths(updated_cells)
        if [column.content_width for column in self.ordered_columns] != before:
            self._clear_caches()
            self.refresh()

    DEFAULT_CSS = """
    .empty-state {
        display: none;
    }
    .-empty > .empty-state {
        display: block;
    }
    .-empty > KeyedTable.-empty {
        display: none;
    }
    """

    empty: reactive[bool] = reactive(False)

    class CellClicked(Message):
        """The cell in ``column`` of row ``key`` was clicked (a ``CLICKABLE`` column)."""

        def __init__(self, table: KeyedTable, key: str, column: str) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.column = column

        @property
        def control(self) -> KeyedTable:  # lets ``@on(KeyedTable.CellClicked, "#id")`` match
            return self.table

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        columns: Sequence[tuple[str, str]] | None = None,
        empty_state: bool = True,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.columns_spec = tuple(columns if columns is not None else self.COLUMNS)
        self.column_keys = tuple(key for key, _label in self.columns_spec)
        self.empty_state = empty_state

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label in self.columns_spec:
            self.add_column(label, key=key)

    def set_columns(self, columns: Sequence[tuple[str, str]]) -> None:
        """Show these columns instead (a narrower set for a small terminal, say); the rows
        go with them: ``sync`` fills them again."""
        self.columns_spec = tuple(columns)
        self.column_keys = tuple(key for key, _label in self.columns_spec)
        self.clear(columns=True)
        self._add_columns()

    # -- rows -----------------------------------------------------------------------------------

    def sync(self, cells_by_key: Mapping[str, Sequence[Any]], *, empty: bool | None = None) -> None:
        """Bring the rows to ``cells_by_key`` (in its order), touching only what changed.

        ``empty`` defaults to "no rows"; a filtered table passes whether there is anything at
        all to show (no rows matching a filter is not the empty state)."""
        keep = self.highlighted_key
        with self.app.batch_update():
            for gone in [k for k in self.rows if k.value not in cells_by_key]:
                self.remove_row(gone)
            for key, cells in cells_by_key.items():
                if key in self.rows:
                    current = self.get_row(key)
                    for column, new, old in zip(self.column_keys, cells, current, strict=True):
                        if new != old:
                            self.update_cell(key, column, new, update_width=True)
                else:
                    self.add_row(*cells, key=key)
            if self._order() != list(cells_by_key):
                self._reorder(cells_by_key)
            self.select_key(keep)
        self.empty = not cells_by_key if empty is None else empty

    def _order(self) -> list[str | None]:
        return [row.key.value for row in self.ordered_rows]

    def _reorder(self, cells_by_key: Mapping[str, Sequence[Any]]) -> None:
        """Put the rows in ``order`` without rebuilding them (row keys and cursor survive).

        ``DataTable.sort`` hands its key function a row's cells, never its key; each row's
        cells are the very objects stored by ``add_row``/``update_cell``, so identity tells
        the rows apart. Rows sharing every cell object cannot be told apart: rebuilt."""
        order = list(cells_by_key)
        position = {tuple(map(id, self.get_row(k))): i for i, k in enumerate(order)}
        self.sort(key=lambda cells: position.get(tuple(map(id, cells)), len(order)))
        if self._order() != order:
            self.clear()
            for key in order:
                self.add_row(*cells_by_key[key], key=key)

    def select_key(self, key: str | None) -> None:
        """Put the cursor on row ``key`` if there is one."""
        if key is not None and key in self.rows:
            self.move_cursor(row=self.get_row_index(key))

    @property
    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def watch_empty(self, empty: bool) -> None:
        self.set_class(empty, "-empty")
        if self.empty_state and self.parent is not None:
            self.parent.set_class(empty, "-empty")
        if self.is_attached:
            self.screen.refresh_bindings()  # keys that need a row (the screen's check_action)

    # -- mouse ----------------------------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        if not self.CLICKABLE:
            return
        meta = event.style.meta
        row, column = meta.get("row"), meta.get("column")
        if row is None or column is None or row < 0 or column < 0 or meta.get("out_of_bounds"):
            return  # headers and empty space: DataTable's own handling
        column_key = self.ordered_columns[column].key.value
        row_key = self.ordered_rows[row].key.value
        if column_key not in self.CLICKABLE or row_key is None:
            return
        event.prevent_default()  # not DataTable's click: it would also "select" the row
        event.stop()
        self.move_cursor(row=row)
        self.post_message(self.CellClicked(self, row_key, column_key))
