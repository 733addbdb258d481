"""The Orders screen's dialogs for many orders at once: export to CSV, and mark shipped.

``ExportOrdersModal`` asks for a file path and writes the orders matching the screen's
current filters (``OrderService.export_csv`` in a thread worker); it dismisses with
``(path, count)``. An existing file is replaced only when "Replace an existing file" is on.

``ShipManyModal`` lists the chosen paid orders, each with a carrier drop-down (starting on
the carrier of its mapped shipping service, else Other) and a tracking number field. Ship
sends one request per order, in turn (``OrderService.ship_many``): a form with a missing
tracking number sends nothing; an order Reverb refuses or whose answer is lost is listed
at the end, never posted again. It dismisses with the ``BulkShipResult``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, LoadingIndicator, Select, Static, Switch

from ..errors import UserError
from ..safe_rich import safe_prompt
from ..services.orders import BulkShipResult, ShipCandidate, ShipItem, ShipOutcome
from ..text_safety import safe_text
from ..views.order_filters import OrderFilters
from ..widgets.form_error import FormError
from .base import GROUP_DB, GROUP_PROVIDERS, GROUP_VERIFY, FormModal, ReverbModal

EXPORT_HELP = (
    "Writes the orders the screen's filters show, oldest first, one row per order line: "
    "money as decimals beside the currency, times in UTC, the mapped local SKU and shipping "
    "service (UTF-8, spreadsheet-safe)."
)


def default_export_path() -> str:
    return str(Path.cwd() / f"orders-{date.today().isoformat()}.csv")


class ExportOrdersModal(FormModal):
    """Dismisses with ``(path, count)``, or None for Cancel/Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="orders-export.cancel")]
    AUTO_FOCUS = "#export-path"
    SUBMIT_BUTTON = "export-go"
    CANCEL_BUTTON = "export-cancel"

    def __init__(self, filters: OrderFilters, described: str) -> None:
        super().__init__()
        self.filters = filters
        self.described = described

    def compose(self) -> ComposeResult:
        with Vertical(classes="orders-dialog"):
            yield Static("Export orders to CSV", classes="orders-dialog-title")
            yield Static(EXPORT_HELP, classes="orders-dialog-text", markup=False)
            yield Static(safe_text(self.described), id="export-which", markup=False)
            yield Label("File", classes="field-label")
            yield Input(default_export_path(), id="export-path", placeholder="path/to/orders.csv")
            with Horizontal(classes="setting-row"):
                yield Label("Replace an existing file", classes="setting-label")
                yield Switch(False, id="export-replace")
            yield FormError(id="export-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Export", id="export-go", variant="primary")
                yield Button("Cancel", id="export-cancel")

    def run_form(self) -> None:
        self.export(
            self.query_one("#export-path", Input).value,
            self.query_one("#export-replace", Switch).value,
        )

    @work(group=GROUP_DB, exclusive=True, thread=True, exit_on_error=False, name="export-orders")
    def export(self, text: str, replace: bool) -> None:
        if not text.strip():
            raise UserError("Type the path of the CSV file.")
        path = str(Path(text.strip()).expanduser())
        count = self.services.orders.export_csv(path, **self.filters.kwargs(), overwrite=replace)
        self.post_message(self.Done((path, count)))


# -- mark shipped for many ----------------------------------------------------------------------


class ShipProgress(Message):
    def __init__(self, outcome: ShipOutcome, done: int, total: int) -> None:
        super().__init__()
        self.outcome = outcome
        self.done = done
        self.total = total


class ProvidersRead(Message):
    def __init__(self, providers: list[str]) -> None:
        super().__init__()
        self.providers = providers


def _order_label(c: ShipCandidate) -> Text:
    text = Text(safe_text(c.order_number), style="bold")
    for extra in (c.buyer_name, c.title):
        if extra:
            text.append(" · " + safe_text(extra, max_len=40))
    return text


class ShipManyModal(FormModal):
    """Dismisses with the ``BulkShipResult``, or None for Cancel/Escape before Ship."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="orders-ship-many.cancel")]
    SUBMIT_BUTTON = "ship-many-go"
    CANCEL_BUTTON = "ship-many-cancel"

    def __init__(self, ready: list[ShipCandidate], left_out: list[str]) -> None:
        super().__init__()
        self.ready = ready
        self.left_out = left_out
        self.busy = False
        self.AUTO_FOCUS = "#ship-many-tracking-0"  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        n = len(self.ready)
        with Vertical(classes="orders-dialog", id="ship-many-dialog"):
            yield Static(
                f"Mark {n} order{'s' if n != 1 else ''} shipped", classes="orders-dialog-title"
            )
            yield Static(
                "One request per order, in turn. Type each tracking number; an order Reverb "
                "refuses is listed at the end and never sent twice.",
                classes="orders-dialog-text",
                markup=False,
            )
            if self.left_out:
                yield Static(
                    "Left out: " + " ".join(safe_text(t) for t in self.left_out),
                    id="ship-many-left-out",
                    markup=False,
                )
            with VerticalScroll(id="ship-many-rows"):
                for i, c in enumerate(self.ready):
                    with Horizontal(classes="ship-many-row"):
                        yield Static(_order_label(c), classes="ship-many-order")
                        yield Select[str](
                            [(safe_prompt(c.default_provider), c.default_provider)],
                            allow_blank=False,
                            value=c.default_provider,
                            id=f"ship-many-carrier-{i}",
                            classes="ship-many-carrier",
                        )
                        yield Input(
                            id=f"ship-many-tracking-{i}",
                            placeholder="Tracking number",
                            classes="ship-many-tracking",
                        )
            with Horizontal(classes="setting-row"):
                yield Label("Notify buyers", classes="setting-label")
                yield Switch(True, id="ship-many-notify")
            yield Static("", id="ship-many-status", markup=False)
            yield FormError(id="ship-many-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Ship", id="ship-many-go", variant="primary")
                yield LoadingIndicator(id="ship-many-spinner", classes="spinner")
                yield Button("Cancel", id="ship-many-cancel")

    def on_mount(self) -> None:
        self.query_one("#ship-many-spinner").display = False
        if self.ready:
            self.load_providers(self.ready[0].channel_id)

    @work(group=GROUP_PROVIDERS, exclusive=True, exit_on_error=False, name="load-providers")
    async def load_providers(self, channel_id: int) -> None:
        info = await self.services.shipping.providers_info(channel_id)
        self.post_message(ProvidersRead(info.providers))

    def on_providers_read(self, message: ProvidersRead) -> None:
        message.stop()
        for i, c in enumerate(self.ready):
            select = self.query_one(f"#ship-many-carrier-{i}", Select)
            current = select.value if select.value is not Select.NULL else c.default_provider
            names = list(dict.fromkeys([*message.providers, str(current)]))
            select.set_options([(safe_prompt(n), n) for n in names])
            select.value = str(current)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next order's tracking number; on the last one it ships."""
        event.stop()
        event.prevent_default()  # FormModal's handler would submit at once
        ident = event.input.id or ""
        if ident.startswith("ship-many-tracking-"):
            nxt = int(ident.rsplit("-", 1)[1]) + 1
            if nxt < len(self.ready):
                self.query_one(f"#ship-many-tracking-{nxt}", Input).focus()
                return
        self.submit()

    def run_form(self) -> None:
        if self.busy:
            return
        items = []
        for i, c in enumerate(self.ready):
            carrier = self.query_one(f"#ship-many-carrier-{i}", Select).value
            items.append(
                ShipItem(
                    c.channel_id,
                    c.order_number,
                    self.query_one(f"#ship-many-tracking-{i}", Input).value,
                    None if carrier is Select.NULL else str(carrier),
                )
            )
        self._set_busy(True)
        self.ship(items, self.query_one("#ship-many-notify", Switch).value)

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="ship-many")
    async def ship(self, items: list[ShipItem], notify: bool) -> None:
        def progress(outcome: ShipOutcome, done: int, total: int) -> None:
            self.post_message(ShipProgress(outcome, done, total))

        result = await self.services.orders.ship_many(items, notify=notify, progress=progress)
        self.post_message(self.Done(result))

    def on_ship_progress(self, message: ShipProgress) -> None:
        message.stop()
        mark = "✓" if message.outcome.ok else "✗"
        self.query_one("#ship-many-status", Static).update(
            f"Shipping… {message.done} of {message.total} ({mark} order "
            f"{safe_text(message.outcome.item.order_number)})"
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#ship-many-spinner").display = busy
        for widget in self.query("Input, Select, Switch, Button"):
            widget.disabled = busy

    def show_worker_error(self, worker: Any, message: str) -> bool:
        self._set_busy(False)
        self.query_one("#ship-many-status", Static).update("")
        return super().show_worker_error(worker, message)

    def action_cancel(self) -> None:
        if self.busy:
            self.notify(
                "Orders are being marked shipped; wait for Reverb's answers.", severity="warning"
            )
            return
        super().action_cancel()


class ShipResultsModal(ReverbModal):
    """What a bulk "mark shipped" did: the count, and each failure's sentence."""

    BINDINGS = [Binding("escape", "close", "Close", id="orders-ship-results.close")]
    AUTO_FOCUS = "#ship-results-ok"

    def __init__(self, result: BulkShipResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        with Vertical(classes="orders-dialog"):
            yield Static(self.result.summary(), classes="orders-dialog-title", markup=False)
            with VerticalScroll(id="ship-results-list"):
                for outcome in self.result.failed:
                    yield Static(
                        "✗ " + safe_text(outcome.message), classes="ship-result-failed",
                        markup=False,
                    )  # fmt: skip
                for outcome in self.result.shipped:
                    yield Static("✓ " + safe_text(outcome.message), markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", id="ship-results-ok", variant="primary")

    @on(Button.Pressed, "#ship-results-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
