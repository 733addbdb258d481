"""Orders: a window onto the order book, with filters, search, exceptions and mappings.

The table never holds the whole book (ARCHITECTURE.md "Lists that grow"). It shows a window
of at most ``WINDOW_PAGES`` pages of ``PAGE_SIZE`` orders, each read with keyset paging
(``OrderService.query(..., after=key)``, every filter in SQL) by a thread worker in the
``table`` group (exclusive: the newest read wins). When the cursor or the view comes within
``NEAR_EDGE`` rows of the window's end the next page is read and appended, and the page at
the other end leaves the table; scrolling back up reads the earlier pages again from the
keys remembered on the way down. Refreshing re-reads the window and updates rows by key.

Exceptions (an unlinked SKU or an unmapped shipping method) are flagged in the last column;
"Apply current mappings" fills only the missing SKU and service of the highlighted order or
of every order marked with space, after a confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, DataTable, Header, Input, Label, Select, Static, Switch
from textual.worker import Worker, WorkerState, get_current_worker

from ..widgets.footer import AppFooter
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen
from .orders_format import (
    exception_text,
    local_sku_text,
    local_time,
    money,
    shipping_text,
    status_options,
    status_text,
)

TITLE = "Orders"
PAGE_SIZE = 100
WINDOW_PAGES = 5  # at most 500 orders in the table at once
NEAR_EDGE = 25  # rows from the window's edge at which the next page is read
SEARCH_DEBOUNCE = 0.3
REFRESH_SECONDS = 30.0  # a sync (here or in a daemon) adds and changes orders
GROUP_COUNT = "table-count"  # the count of matching orders (exclusive: newest wins)

# (key, label) in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", "✓"),
    ("channel", "Integration"),
    ("number", "Order #"),
    ("status", "Status"),
    ("created", "Created"),
    ("channel-sku", "Channel SKU"),
    ("sku", "Local SKU"),
    ("qty", "Qty"),
    ("total", "Total"),
    ("shipping", "Shipping"),
    ("exception", "Exception"),
)
COLUMN_KEYS = tuple(key for key, _label in COLUMNS)
MARK = Text("✓", style="bold #3d8ee8")
NO_MARK = Text("")


@dataclass(frozen=True)
class OrderFilters:
    channel_id: int | None = None
    status: str | None = None
    exceptions_only: bool = False
    search: str = ""

    def kwargs(self) -> dict[str, Any]:
        return {
            "channel": self.channel_id,
            "status": self.status,
            "exceptions_only": self.exceptions_only,
            "search": self.search.strip() or None,
        }

    @property
    def active(self) -> bool:
        return (
            self.channel_id is not None
            or self.status is not None
            or self.exceptions_only
            or bool(self.search.strip())
        )


def row_cells(row: Any, marked: bool) -> tuple[Text, ...]:
    """The table cells of one ``OrderRow``."""
    o = row.order
    return (
        MARK if marked else NO_MARK,
        Text(row.channel_name),
        Text(o.order_number, style="bold"),
        status_text(o.status),
        Text(local_time(o.created_at)),
        Text(o.channel_sku or "—", style="" if o.channel_sku else "dim"),
        local_sku_text(o),
        Text(str(o.quantity), justify="right"),
        Text(money(o.total_cents, o.currency), justify="right"),
        shipping_text(o.channel_shipping_method, row.service_name),
        exception_text(o),
    )


# -- messages (past tense) -------------------------------------------------------------------


class OrderFiltersLoaded(Message):
    """The integrations and the statuses seen, for the filter drop-downs."""

    def __init__(self, channels: list[tuple[str, int]], statuses: list[str]) -> None:
        super().__init__()
        self.channels = channels
        self.statuses = statuses


class OrdersPageLoaded(Message):
    """Rows read for the table. ``mode``: reset | refresh | append | prepend."""

    def __init__(
        self,
        request: int,
        mode: str,
        page: int,
        rows: list[Any],
        cells: list[tuple[Text, ...]],
        next_after: Any,
    ) -> None:
        super().__init__()
        self.request = request
        self.mode = mode
        self.page = page
        self.rows = rows
        self.cells = cells  # the table cells of each row (unmarked), made in the worker
        self.next_after = next_after


class OrdersCounted(Message):
    def __init__(self, request: int, count: int) -> None:
        super().__init__()
        self.request = request
        self.count = count


class OrdersApplied(Message):
    """Current mappings were applied to ``checked`` orders; ``changed`` of them changed."""

    def __init__(self, checked: int, changed: int) -> None:
        super().__init__()
        self.checked = checked
        self.changed = changed


# -- the table ---------------------------------------------------------------------------------


class OrdersTable(DataTable):
    """The order window; tells the screen when its view moves so it can read more rows."""

    class ViewMoved(Message):
        """The table scrolled (by the cursor, the mouse wheel or the scroll bar)."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", id="orders.open")]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

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

    def view_rows(self) -> tuple[int, int]:
        """The first and last row index in view (the cursor's row included)."""
        top = int(self.scroll_y)
        bottom = top + max(1, self.scrollable_content_region.height - 1)
        cursor = self.cursor_row
        return min(top, cursor), max(bottom, cursor)


# -- the screen --------------------------------------------------------------------------------


class OrdersScreen(ReverbScreen):
    """Downloaded orders: filter, search, exceptions, apply current mappings, open one."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="orders.back"),
        Binding("space", "toggle_mark", "Mark", id="orders.mark"),
        Binding("a", "apply_mappings", "Apply current mappings", id="orders.apply"),
        Binding("e", "toggle_exceptions", "Exceptions only", id="orders.exceptions"),
        Binding("slash", "search", "Search", id="orders.search"),
        Binding("f", "filters", "Filters", id="orders.filters"),
        Binding("r", "refresh", "Refresh", id="orders.refresh"),
        Binding("u", "unmark_all", "Unmark all", id="orders.unmark", show=False),
    ]
    AUTO_FOCUS = "#orders-table"

    DEFAULT_CSS = """
    OrdersScreen #orders-filters { height: auto; padding: 0 1; }
    OrdersScreen .orders-filter { width: 28; margin-right: 1; }
    OrdersScreen #orders-exceptions-box { width: auto; height: 3; margin-right: 1; }
    OrdersScreen #orders-exceptions-label { height: 3; content-align: left middle; padding: 0 1; }
    OrdersScreen #orders-search { width: 1fr; max-width: 60; }
    OrdersScreen #orders-bar { height: 1; padding: 0 2; margin-bottom: 1; }
    OrdersScreen #orders-count { width: 1fr; height: 1; }
    OrdersScreen #orders-apply { min-width: 24; }
    OrdersScreen #orders-table { height: 1fr; margin: 0 1; }
    OrdersScreen #orders-empty {
        height: auto; margin: 1 2; padding: 1 2; border: round $primary;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.filters = OrderFilters()
        self._request = 0  # the newest table read; older answers are dropped
        self._count_request = 0
        self._loading: str | None = None  # mode of the read in flight
        self._starts: list[Any] = [None]  # keyset "after" key of page n at index n
        self._first_page = 0
        self._page_sizes: list[int] = []  # rows of each page in the window, in order
        self._more = False  # a page follows the window's last one
        self._rows: dict[str, Any] = {}  # row key -> OrderRow, for the window only
        self._cells: dict[str, tuple[Text, ...]] = {}  # row key -> its cells, unmarked
        self._marked: dict[int, str] = {}  # order id -> order number
        self._count: int | None = None
        self._search_timer: Timer | None = None
        self._statuses: list[str] = []
        self._channels: list[tuple[str, int]] = []
        self._loaded_once = False
        self._adjusting = False  # the window just moved; the view is being put back

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="orders-filters"):
            yield Select[int](
                [], prompt="All integrations", id="orders-channel", classes="orders-filter"
            )
            yield Select[str](
                status_options([]), prompt="All statuses", id="orders-status",
                classes="orders-filter",
            )  # fmt: skip
            with Horizontal(id="orders-exceptions-box"):
                yield Label("Exceptions only", id="orders-exceptions-label")
                yield Switch(False, id="orders-exceptions")
            yield Input(placeholder="Search order #, SKU or buyer", id="orders-search")
        with Horizontal(id="orders-bar"):
            yield Static("", id="orders-count")
            apply = Button(
                "Apply current mappings", id="orders-apply", variant="primary", compact=True
            )
            apply.can_focus = False  # the `a` key is the keyboard path; focus stays on the table
            yield apply
        yield OrdersTable(id="orders-table")
        yield Static("", id="orders-empty")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE
        self.query_one("#orders-empty").display = False
        self.set_interval(REFRESH_SECONDS, self._periodic_refresh, name="refresh-orders")

    def on_screen_resume(self) -> None:
        # First display and every return from an order (it may have been shipped or fixed).
        self.load_filters()
        if self._loaded_once:
            self.refresh_orders()
        else:
            self._loaded_once = True
            self.reload()

    @property
    def table(self) -> OrdersTable:
        return self.query_one(OrdersTable)

    # -- reading ---------------------------------------------------------------------------------

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-order-filters")
    def load_filters(self) -> None:
        channels = [(ch.name, int(ch.id)) for ch in self.services.channels.list()]
        statuses = self.services.orders.statuses()
        self.post_message(OrderFiltersLoaded(channels, statuses))

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="load-orders")
    def _read(
        self, request: int, mode: str, page: int, after: Any, limit: int, filters: OrderFilters
    ) -> None:
        result = self.services.orders.query(**filters.kwargs(), limit=limit, after=after)
        # Rich cells are plain objects: building them here keeps the work off the UI.
        cells = [row_cells(row, False) for row in result.rows]
        if not get_current_worker().is_cancelled:
            self.post_message(
                OrdersPageLoaded(request, mode, page, result.rows, cells, result.next_after)
            )

    @work(group=GROUP_COUNT, exclusive=True, thread=True, exit_on_error=False, name="count-orders")
    def _count_orders(self, request: int, filters: OrderFilters) -> None:
        n = self.services.orders.count(**filters.kwargs())
        if not get_current_worker().is_cancelled:
            self.post_message(OrdersCounted(request, n))

    def _start_read(self, mode: str, page: int, after: Any, limit: int) -> None:
        self._request += 1
        self._loading = mode
        self._read(self._request, mode, page, after, limit, self.filters)

    def _start_count(self) -> None:
        self._count_request += 1
        self._count_orders(self._count_request, self.filters)

    def reload(self) -> None:
        """Filters changed: read the first page and the count again."""
        self._start_read("reset", 0, None, PAGE_SIZE)
        self._start_count()

    def refresh_orders(self) -> None:
        """Read the rows now in the window again (and the count); rows update by key."""
        size = max(PAGE_SIZE, sum(self._page_sizes))
        self._start_read("refresh", self._first_page, self._starts[self._first_page], size)
        self._start_count()

    def _periodic_refresh(self) -> None:
        if self.is_current and self._loading is None:
            self.refresh_orders()

    # -- answers ---------------------------------------------------------------------------------

    def on_order_filters_loaded(self, message: OrderFiltersLoaded) -> None:
        message.stop()
        if message.channels != self._channels:
            self._channels = message.channels
            if not self._set_options(self.query_one("#orders-channel", Select), message.channels):
                self._set_filters(channel_id=None)  # its integration was removed
        if message.statuses != self._statuses:
            self._statuses = message.statuses
            self._set_options(
                self.query_one("#orders-status", Select), status_options(message.statuses)
            )

    @staticmethod
    def _set_options(select: Select, options: list[tuple[str, Any]]) -> bool:
        """New (label, value) options, keeping the choice when it is still offered, without a
        Changed event. False when the choice is no longer offered (it becomes "all")."""
        current = select.value
        kept = current is Select.NULL or any(v == current for _label, v in options)
        with select.prevent(Select.Changed):
            select.set_options(options)
            if current is not Select.NULL and kept:
                select.value = current
        return kept

    def on_orders_counted(self, message: OrdersCounted) -> None:
        message.stop()
        if message.request == self._count_request:
            self._count = message.count
            self._show_count()

    def on_orders_page_loaded(self, message: OrdersPageLoaded) -> None:
        message.stop()
        if message.request != self._request:
            return  # a newer read replaced this one
        self._loading = None
        if message.mode in ("reset", "refresh"):
            self._take_window(message)
        elif message.mode == "append":
            self._append_page(message)
        else:
            self._prepend_page(message)
        self._show_empty()
        self.call_after_refresh(self._check_edges)

    def _take_window(self, message: OrdersPageLoaded) -> None:
        rows = message.rows
        pages = [rows[i : i + PAGE_SIZE] for i in range(0, len(rows), PAGE_SIZE)]
        starts = self._starts[: message.page + 1]
        for chunk in pages[:-1]:
            starts.append(chunk[-1].key)
        if message.next_after is not None:
            starts.append(message.next_after)
        self._starts = starts
        self._first_page = message.page
        self._page_sizes = [len(p) for p in pages]
        self._more = message.next_after is not None
        table = self.table
        if message.mode == "refresh" and table.row_count:
            self._sync_rows(rows, message.cells)
            return
        table.clear()
        self._rows, self._cells = {}, {}
        self._add_rows(rows, message.cells)
        table.move_cursor(row=0)
        if rows and self.focused is None:
            table.focus()

    def _shown_cells(self, key: str) -> tuple[Text, ...]:
        cells = self._cells[key]
        return (MARK, *cells[1:]) if int(key) in self._marked else cells

    def _add_rows(self, rows: list[Any], cells: list[tuple[Text, ...]]) -> list[str]:
        """Append rows not in the table yet; return their keys."""
        table = self.table
        added = []
        for row, row_cells_ in zip(rows, cells, strict=True):
            key = str(row.order.id)
            if key in self._rows:
                continue  # the book changed between two reads: keep the row once
            self._rows[key] = row
            self._cells[key] = row_cells_
            table.add_row(*self._shown_cells(key), key=key)
            added.append(key)
        return added

    def _remove_rows(self, keys: list[str]) -> None:
        table = self.table
        for key in keys:
            table.remove_row(key)
            self._rows.pop(key, None)
            self._cells.pop(key, None)

    def _sync_rows(self, rows: list[Any], cells: list[tuple[Text, ...]]) -> None:
        """Refresh by row key: rows gone are removed, changed cells updated, new rows added
        and put in place; the cursor stays on its order and the view moves with it."""
        table = self.table
        keep, old_row, scroll_y = table.highlighted_key, table.cursor_row, table.scroll_y
        wanted = {str(r.order.id) for r in rows}
        self._remove_rows([r.key.value for r in table.ordered_rows if r.key.value not in wanted])
        fresh_rows, fresh_cells = [], []
        for row, row_cells_ in zip(rows, cells, strict=True):
            key = str(row.order.id)
            if key not in self._rows:
                fresh_rows.append(row)
                fresh_cells.append(row_cells_)
                continue
            self._rows[key] = row
            self._cells[key] = row_cells_
            shown = self._shown_cells(key)
            for column, value, was in zip(COLUMN_KEYS, shown, table.get_row(key), strict=True):
                if value != was:
                    table.update_cell(key, column, value, update_width=True)
        self._add_rows(fresh_rows, fresh_cells)
        self._sort_rows([str(r.order.id) for r in rows])
        if keep is not None and keep in table.rows:
            row = table.get_row_index(keep)
            self._restore_view(row, scroll_y + row - old_row)
        else:
            self._restore_view(min(old_row, max(0, table.row_count - 1)), scroll_y)

    def _sort_rows(self, keys: list[str]) -> None:
        """Put the table's rows in the order of ``keys`` (DataTable only appends)."""
        table = self.table
        if [r.key.value for r in table.ordered_rows] == keys:
            return
        # Rows are told apart by the identity of their order-number cell.
        order = {id(table.get_cell(key, "number")): i for i, key in enumerate(keys)}
        table.sort("number", key=lambda cell: order[id(cell)])

    def _append_page(self, message: OrdersPageLoaded) -> None:
        page = message.page
        if page != self._first_page + len(self._page_sizes):
            return  # the window moved meanwhile
        del self._starts[page + 1 :]
        if message.next_after is not None:
            self._starts.append(message.next_after)
        self._more = message.next_after is not None
        self._page_sizes.append(len(self._add_rows(message.rows, message.cells)))
        if len(self._page_sizes) > WINDOW_PAGES:
            self._drop_first_page()

    def _drop_first_page(self) -> None:
        """The window is full: the page at the top leaves the table (the view stays put)."""
        table = self.table
        n = self._page_sizes.pop(0)
        self._first_page += 1
        scroll_y = max(0.0, table.scroll_y - n)
        cursor = table.cursor_row - n
        if cursor < 0:  # the cursor was on a row that left: the first row in view
            cursor = int(scroll_y)
        self._remove_rows([r.key.value for r in table.ordered_rows[:n]])
        self._restore_view(cursor, scroll_y)

    def _prepend_page(self, message: OrdersPageLoaded) -> None:
        page = message.page
        if page != self._first_page - 1:
            return
        table = self.table
        cursor, scroll_y = table.cursor_row, table.scroll_y
        added = self._add_rows(message.rows, message.cells)  # at the bottom, then sorted up
        self._sort_rows(
            [*added, *(r.key.value for r in table.ordered_rows[: table.row_count - len(added)])]
        )
        self._first_page = page
        self._page_sizes.insert(0, len(added))
        if len(self._page_sizes) > WINDOW_PAGES:  # the page at the bottom leaves the table
            n = self._page_sizes.pop()
            self._remove_rows([r.key.value for r in table.ordered_rows[-n:]] if n else [])
            self._more = True
            del self._starts[self._first_page + len(self._page_sizes) + 1 :]
        self._restore_view(cursor + len(added), scroll_y + len(added))

    def _restore_view(self, cursor: int, scroll_y: float) -> None:
        """After the window moved: the cursor on the same order, the view where it was.

        The scroll is set at once (within the old height) and again once the table's new
        height has settled; until then scroll events are not taken as nearing an edge.
        """
        table = self.table
        self._adjusting = True
        table.scroll_to(y=scroll_y, animate=False, immediate=True)
        table.move_cursor(row=max(0, min(cursor, table.row_count - 1)), scroll=False)

        def settle() -> None:
            table.scroll_to(y=scroll_y, animate=False, immediate=True)
            self._adjusting = False
            self._check_edges()

        self.call_after_refresh(settle)

    def _check_edges(self) -> None:
        """Read the next (or previous) page when the view nears the window's edge."""
        if self._loading is not None or self._adjusting or not self.table.row_count:
            return
        top, bottom = self.table.view_rows()
        if self._more and bottom >= self.table.row_count - NEAR_EDGE:
            page = self._first_page + len(self._page_sizes)
            self._start_read("append", page, self._starts[page], PAGE_SIZE)
        elif self._first_page > 0 and top < NEAR_EDGE:
            page = self._first_page - 1
            self._start_read("prepend", page, self._starts[page], PAGE_SIZE)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._check_edges()

    def on_orders_table_view_moved(self, event: OrdersTable.ViewMoved) -> None:
        self._check_edges()

    def _show_count(self) -> None:
        text = Text()
        if self._count is not None:
            noun = "order" if self._count == 1 else "orders"
            text.append(f"{self._count:,} {noun}", style="bold")
            if self.filters.active:
                text.append(" match the filters")
        if self._marked:
            text.append(f" · {len(self._marked):,} marked", style="#3d8ee8")
        self.query_one("#orders-count", Static).update(text)

    def _show_empty(self) -> None:
        empty = self.table.row_count == 0
        box = self.query_one("#orders-empty", Static)
        if empty:
            box.update(
                "No orders match these filters."
                if self.filters.active
                else "No orders downloaded yet. Enabled integrations download their orders "
                "in the background; press r to look again."
            )
        box.display = empty
        self.table.display = not empty

    # -- filters ---------------------------------------------------------------------------------

    def _set_filters(self, **changes: Any) -> None:
        new = OrderFilters(**{**self.filters.__dict__, **changes})
        if new != self.filters:
            self.filters = new
            self.reload()
            self._show_count()

    def on_select_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else event.value
        if event.select.id == "orders-channel":
            self._set_filters(channel_id=value)
        elif event.select.id == "orders-status":
            self._set_filters(status=value)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        if event.switch.id == "orders-exceptions":
            self._set_filters(exceptions_only=event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "orders-search":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._apply_search)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "orders-search":
            self._apply_search()
            self.table.focus()

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self._set_filters(search=self.query_one("#orders-search", Input).value)

    def action_search(self) -> None:
        self.query_one("#orders-search", Input).focus()

    def action_filters(self) -> None:
        self.query_one("#orders-channel", Select).focus()

    def action_toggle_exceptions(self) -> None:
        self.query_one("#orders-exceptions", Switch).toggle()

    def action_refresh(self) -> None:
        self.load_filters()
        self.refresh_orders()

    def action_back(self) -> None:
        if self.focused is not None and self.focused is not self.table:
            self.table.focus()  # out of a filter first
            return
        self.leave(None)

    # -- marks and apply current mappings ------------------------------------------------------

    def action_toggle_mark(self) -> None:
        key = self.table.highlighted_key
        row = self._rows.get(key) if key else None
        if row is None:
            self.app.bell()
            return
        order_id = int(row.order.id)
        if order_id in self._marked:
            del self._marked[order_id]
        else:
            self._marked[order_id] = row.order.order_number
        self.table.update_cell(key, "mark", self._shown_cells(key)[0])
        self._show_count()
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.action_cursor_down()

    def action_unmark_all(self) -> None:
        for order_id in list(self._marked):
            key = str(order_id)
            if key in self.table.rows:
                self.table.update_cell(key, "mark", NO_MARK)
        self._marked.clear()
        self._show_count()

    def _targets(self) -> list[int]:
        if self._marked:
            return sorted(self._marked)
        key = self.table.highlighted_key
        return [int(key)] if key in self._rows else []

    def action_apply_mappings(self) -> None:
        from .confirm import confirm_apply_mappings

        targets = self._targets()
        if not targets:
            self.notify("There is no order to apply the mappings to.", severity="warning")
            return
        label = None
        if len(targets) == 1:
            key = str(targets[0])
            row = self._rows.get(key)
            label = row.order.order_number if row is not None else self._marked.get(targets[0])
        self.app.push_screen(
            confirm_apply_mappings(len(targets), label),
            lambda ok: self.apply_mappings(targets) if ok else None,
        )

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="apply-mappings")
    def apply_mappings(self, order_ids: list[int]) -> None:
        changed = self.services.orders.apply_current_mappings(order_ids)
        self.post_message(OrdersApplied(len(order_ids), changed))

    def on_orders_applied(self, message: OrdersApplied) -> None:
        message.stop()
        checked, changed = message.checked, message.changed
        noun = "order" if checked == 1 else "orders"
        if changed:
            text = (
                f"Applied the current mappings to {checked} {noun}: {changed} changed "
                "(missing local SKU or shipping service filled in)."
            )
        else:
            text = (
                f"Applied the current mappings to {checked} {noun}: none changed (no mapping "
                "covers their missing SKU or shipping method yet)."
            )
        self.notify(text, title="Apply current mappings", markup=False)
        self.action_unmark_all()
        self.refresh_orders()

    # -- opening an order ------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self._rows.get(event.row_key.value) if event.row_key.value else None
        if row is not None:
            from .order_detail import OrderDetailScreen

            self.app.push_screen(
                OrderDetailScreen(int(row.order.channel_id), row.order.order_number)
            )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "orders-apply":
            self.action_apply_mappings()

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == "load-orders" and state is WorkerState.ERROR:
            self._loading = None  # the app says what went wrong; the old rows stay
