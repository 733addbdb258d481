"""Orders: a window onto the order book, with filters, search, exceptions and mappings.

The table never holds the whole book (CONTRIBUTING.md "Lists that grow"): an ``OrderWindow``
(reverb_tui/views/order_window.py) decides which pages of ``PAGE_SIZE`` orders it holds and
which read comes next; each read is keyset paging (``OrderService.query(..., after=key)``,
every filter in SQL) by a thread worker in the ``table`` group (exclusive: the newest read
wins); the ``OrdersTable`` draws the window's rows and keeps the view on its order.

Exceptions (an unlinked SKU or an unmapped shipping method) are flagged in the last column;
"Apply current mappings" fills only the missing SKU and service of the highlighted order or
of every order marked with space, after a confirmation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, DataTable, Header, Input, Label, Select, Static, Switch
from textual.worker import Worker, WorkerState, get_current_worker

from ..live import CHANNELS, ORDERS, SHIPPING, Change
from ..views.order_filters import OrderFilters
from ..views.order_window import OrderWindow, Page, Read, RowOps
from ..widgets.footer import AppFooter
from ..widgets.orders_table import OrdersTable
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen
from .orders_format import (
    COLUMNS,
    MARK,
    NO_MARK,
    applied_text,
    count_text,
    empty_text,
    row_cells,
    status_options,
)

__all__ = ["OrdersScreen", "OrdersTable"]

TITLE = "Orders"
PAGE_SIZE = 100
WINDOW_PAGES = 5  # at most 500 orders in the table at once
NEAR_EDGE = 25  # rows from the window's edge at which the next page is read
SEARCH_DEBOUNCE = 0.3
REFRESH_SECONDS = 30.0  # without live screens: a sync (here or in a daemon) changes orders
GROUP_COUNT = "table-count"  # the count of matching orders (exclusive: newest wins)


# -- messages (past tense) -------------------------------------------------------------------


class OrderFiltersLoaded(Message):
    """The integrations and the statuses seen, for the filter drop-downs."""

    def __init__(self, channels: list[tuple[str, int]], statuses: list[str]) -> None:
        super().__init__()
        self.channels = channels
        self.statuses = statuses


class OrdersPageLoaded(Message):
    """Rows read for the table, with their cells (unmarked), made in the worker."""

    def __init__(self, page: Page, rows: list[Any], cells: list[tuple[Text, ...]]) -> None:
        super().__init__()
        self.page = page
        self.rows = rows
        self.cells = cells


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


class ShippingPlanned(Message):
    """The chosen orders that can be marked shipped now, and why the others cannot."""

    def __init__(self, ready: list[Any], left_out: list[str]) -> None:
        super().__init__()
        self.ready = ready
        self.left_out = left_out


# -- the screen --------------------------------------------------------------------------------


class OrdersScreen(ReverbScreen):
    """Downloaded orders: filter, search, exceptions, apply current mappings, open one."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="orders.back"),
        Binding("space", "toggle_mark", "Mark", id="orders.mark"),
        Binding(
            "a", "apply_mappings", "Apply", id="orders.apply", tooltip="Apply current mappings"
        ),
        Binding(
            "e",
            "toggle_exceptions",
            "Exceptions",
            id="orders.exceptions",
            tooltip="Exceptions only",
        ),
        Binding("slash", "search", "Search", id="orders.search"),
        Binding("f", "filters", "Filters", id="orders.filters"),
        Binding(
            "s",
            "ship_marked",
            "Ship",
            id="orders.ship",
            tooltip="Mark the marked (or highlighted) orders shipped",
        ),
        Binding("x", "export", "Export", id="orders.export", tooltip="Export these orders to CSV"),
        Binding("r", "refresh", "Refresh", id="orders.refresh", show=False),  # refreshes itself
        Binding("u", "unmark_all", "Unmark all", id="orders.unmark", show=False),
    ]
    AUTO_FOCUS = "#orders-table"

    def __init__(self) -> None:
        super().__init__()
        self.filters = OrderFilters()
        self.window = OrderWindow(PAGE_SIZE, WINDOW_PAGES, NEAR_EDGE)
        self._rows: dict[str, Any] = {}  # row key -> OrderRow, for the window only
        self._cells: dict[str, tuple[Text, ...]] = {}  # row key -> its cells, unmarked
        self._marked: dict[int, str] = {}  # order id -> order number
        self._count: int | None = None
        self._search_timer: Timer | None = None
        self._statuses: list[str] = []
        self._channels: list[tuple[str, int]] = []
        self._loaded_once = False
        self._can_apply = True  # an order is highlighted or marked (see _show_apply)
        self._shipping: list[Any] = []  # the orders of the open "mark shipped" form
        self._changed_while_reading = False  # a change came in while a read ran (live)

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
        yield OrdersTable(COLUMNS, id="orders-table")
        yield Static("", id="orders-empty")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE
        # What another process commits shows within a second or so (reverb_tui/live.py);
        # without the watcher, the window is read again every REFRESH_SECONDS instead.
        self.app.data_changed_signal.subscribe(self, self._data_changed)
        if not self.app.live:
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
    def _read(self, read: Read, filters: OrderFilters) -> None:
        result = self.services.orders.query(**filters.kwargs(), limit=read.limit, after=read.after)
        rows = result.rows
        page = Page(read, [str(r.order.id) for r in rows], [r.key for r in rows], result.next_after)
        # Rich cells are plain objects: building them here keeps the work off the UI.
        cells = [row_cells(row, False) for row in rows]
        if not get_current_worker().is_cancelled:
            self.post_message(OrdersPageLoaded(page, rows, cells))

    @work(group=GROUP_COUNT, exclusive=True, thread=True, exit_on_error=False, name="count-orders")
    def _count_orders(self, request: int, filters: OrderFilters) -> None:
        n = self.services.orders.count(**filters.kwargs())
        if not get_current_worker().is_cancelled:
            self.post_message(OrdersCounted(request, n))

    def _start_count(self) -> None:
        self._count_orders(self.window.count_started(), self.filters)

    def reload(self) -> None:
        """Filters changed: read the first page and the count again."""
        self._read(self.window.reset_request(), self.filters)
        self._start_count()

    def refresh_orders(self) -> None:
        """Read the rows now in the window again (and the count); rows update by key."""
        self._read(self.window.refresh_request(), self.filters)
        self._start_count()

    def _periodic_refresh(self) -> None:
        if self.is_current and self.window.loading is None:
            self.refresh_orders()

    def _data_changed(self, change: Change) -> None:
        """Orders were committed: the window is read again and rows update by key, the
        cursor on its order. Integrations changed: the filter's choices. Hidden, nothing is
        read (resume reads)."""
        if not self.is_current:
            return
        if change.concerns(CHANNELS, ORDERS):  # an integration added or removed, a status
            self.load_filters()
        if not change.concerns(ORDERS, SHIPPING):
            return
        if self.window.loading is None:
            self.refresh_orders()
        else:  # a read started before the commit may miss it: read again after it
            self._changed_while_reading = True

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
        if self.window.is_current_count(message.request):
            self._count = message.count
            self._show_count()

    def on_orders_page_loaded(self, message: OrdersPageLoaded) -> None:
        message.stop()
        ops = self.window.take(message.page)
        if ops is None:
            return  # a newer read replaced this one, or the window moved meanwhile
        self._take_rows(ops, message)
        self._show_empty()
        self._show_apply()
        self.call_after_refresh(self._check_edges)
        if self._changed_while_reading and self.window.loading is None:
            self._changed_while_reading = False
            self.refresh_orders()

    def _take_rows(self, ops: RowOps, message: OrdersPageLoaded) -> None:
        for key in ops.remove:
            self._rows.pop(key, None)
            self._cells.pop(key, None)
        wanted = {*ops.add, *ops.update}
        for row, cells in zip(message.rows, message.cells, strict=True):
            key = str(row.order.id)
            if key in wanted:
                self._rows[key] = row
                self._cells[key] = cells
        with self.app.batch_update():
            self.table.apply(ops, self._shown_cells)
        if ops.reset and ops.keys and self.focused is None:
            self.table.focus()

    def _shown_cells(self, key: str) -> tuple[Text, ...]:
        cells = self._cells[key]
        return (MARK, *cells[1:]) if int(key) in self._marked else cells

    def _check_edges(self) -> None:
        """Read the next (or previous) page when the view nears the window's edge."""
        table = self.table
        if table.settling or not table.row_count:
            return
        read = self.window.on_view(*table.view_rows())
        if read is not None:
            self._read(read, self.filters)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._check_edges()

    def on_orders_table_view_moved(self, event: OrdersTable.ViewMoved) -> None:
        self._check_edges()

    def _show_count(self) -> None:
        text = count_text(self._count, self.filters.active, len(self._marked))
        self.query_one("#orders-count", Static).update(text)

    def _show_empty(self) -> None:
        empty = self.table.row_count == 0
        box = self.query_one("#orders-empty", Static)
        if empty:
            box.update(empty_text(self.filters.active))
        self.set_class(empty, "-empty")  # orders.tcss swaps the table for the box

    # -- filters ---------------------------------------------------------------------------------

    def _set_filters(self, **changes: Any) -> None:
        new = dataclasses.replace(self.filters, **changes)
        if new != self.filters:
            self.filters = new
            self.reload()
            self._show_count()

    @on(Select.Changed, "#orders-channel")
    def _channel_chosen(self, event: Select.Changed) -> None:
        self._set_filters(channel_id=None if event.value is Select.NULL else event.value)

    @on(Select.Changed, "#orders-status")
    def _status_chosen(self, event: Select.Changed) -> None:
        self._set_filters(status=None if event.value is Select.NULL else event.value)

    @on(Switch.Changed, "#orders-exceptions")
    def _exceptions_switched(self, event: Switch.Changed) -> None:
        self._set_filters(exceptions_only=event.value)

    @on(Input.Changed, "#orders-search")
    def _search_typed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._apply_search)

    @on(Input.Submitted, "#orders-search")
    def _search_submitted(self) -> None:
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("apply_mappings", "ship_marked") and not self._can_apply:
            return None  # shown dimmed: there is no order to apply the mappings to, or ship
        return True

    def _marks_changed(self) -> None:
        self._show_count()
        self._show_apply()

    def _show_apply(self) -> None:
        """`a` and the Apply button are dimmed while there is no order to apply to (until
        the first rows are read they are not: most books have some, and each change of a
        key rebuilds the footer)."""
        can_apply = bool(self._marked or self.table.row_count)
        if can_apply != self._can_apply:
            self._can_apply = can_apply
            self.query_one("#orders-apply", Button).disabled = not can_apply
            self.refresh_bindings()

    def action_toggle_mark(self) -> None:
        key = self.table.highlighted_key
        row = self._rows.get(key) if key else None
        if key is None or row is None:
            self.app.bell()
            return
        order_id = int(row.order.id)
        if order_id in self._marked:
            del self._marked[order_id]
        else:
            self._marked[order_id] = row.order.order_number
        self.table.set_cell(key, "mark", self._shown_cells(key)[0])
        self._marks_changed()
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.action_cursor_down()

    def action_unmark_all(self) -> None:
        for order_id in list(self._marked):
            key = str(order_id)
            if key in self.table.rows:
                self.table.set_cell(key, "mark", NO_MARK)
        self._marked.clear()
        self._marks_changed()

    def _targets(self) -> list[int]:
        if self._marked:
            return sorted(self._marked)
        key = self.table.highlighted_key
        return [int(key)] if key in self._rows else []

    def action_apply_mappings(self) -> None:
        from .confirm import confirm_apply_mappings

        targets = self._targets()
        if not targets:  # `a` and the button are dimmed then; only a direct call gets here
            self.notify("There is no order to apply the mappings to.", severity="warning")
            return
        label = None
        if len(targets) == 1:
            row = self._rows.get(str(targets[0]))
            label = row.order.order_number if row is not None else self._marked.get(targets[0])
        self.app.push_screen(
            confirm_apply_mappings(len(targets), label),
            lambda ok: self.apply_mappings(targets) if ok else None,
        )

    @on(Button.Pressed, "#orders-apply")
    def _apply_pressed(self) -> None:
        self.action_apply_mappings()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="apply-mappings")
    def apply_mappings(self, order_ids: list[int]) -> None:
        changed = self.services.orders.apply_current_mappings(order_ids)
        self.post_message(OrdersApplied(len(order_ids), changed))

    def on_orders_applied(self, message: OrdersApplied) -> None:
        message.stop()
        text = applied_text(message.checked, message.changed)
        self.notify(text, title="Apply current mappings", markup=False)
        self.action_unmark_all()
        self.refresh_orders()

    # -- mark shipped for many, export (dialogs in orders_bulk.py) ---------------------------

    def action_ship_marked(self) -> None:
        targets = self._targets()
        if not targets:
            self.notify("There is no order to mark shipped.", severity="warning")
            return
        self.plan_shipping(targets)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="plan-shipping")
    def plan_shipping(self, order_ids: list[int]) -> None:
        ready, left_out = self.services.orders.ship_plan(order_ids)
        self.post_message(ShippingPlanned(ready, left_out))

    def on_shipping_planned(self, message: ShippingPlanned) -> None:
        message.stop()
        from .orders_bulk import ShipManyModal

        if not message.ready:
            text = " ".join(message.left_out) or "There is no order to mark shipped."
            self.notify(f"Nothing to ship: {text}", severity="warning", markup=False)
            return
        self._shipping = list(message.ready)
        self.app.push_screen(ShipManyModal(message.ready, message.left_out), self._shipped_many)

    def _shipped_many(self, result: Any) -> None:
        if result is None:
            return
        from .orders_bulk import ShipResultsModal

        self.notify(
            result.summary(), title="Mark shipped",
            severity="information" if not result.failed else "warning", markup=False,
        )  # fmt: skip
        # The outcomes come in the order of the form's rows: the shipped ones are unmarked,
        # the failures stay marked for another try.
        for outcome, candidate in zip(result.outcomes, self._shipping, strict=False):
            if outcome.ok and self._marked.pop(candidate.order_id, None) is not None:
                key = str(candidate.order_id)
                if key in self.table.rows:
                    self.table.set_cell(key, "mark", NO_MARK)
        self._marks_changed()
        self.refresh_orders()
        if result.failed:
            self.app.push_screen(ShipResultsModal(result))

    def action_export(self) -> None:
        from .orders_bulk import ExportOrdersModal

        count = "" if self._count is None else f"{self._count} "
        which = (
            f"The {count}orders matching the current filters."
            if self.filters.active
            else f"All {count}orders."
        )
        self.app.push_screen(ExportOrdersModal(self.filters, which), self._exported)

    def _exported(self, done: Any) -> None:
        if done is None:
            return
        path, count = done
        self.notify(
            f"Exported {count} order{'s' if count != 1 else ''} to {path}.",
            title="Export", markup=False,
        )  # fmt: skip

    # -- opening an order ------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self._rows.get(event.row_key.value) if event.row_key.value else None
        if row is not None:
            from .order_detail import OrderDetailScreen

            self.app.push_screen(
                OrderDetailScreen(int(row.order.channel_id), row.order.order_number)
            )

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == "load-orders" and state is WorkerState.ERROR:
            self.window.failed()  # the app says what went wrong; the old rows stay
