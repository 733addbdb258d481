"""One order: every stored field, why it is an exception, Mark shipped and, for a local
pickup order, Mark picked up (``OrderService.pickup``, after a confirmation; refused in one
sentence like shipping, never posted twice).

Mark shipped posts ``/my/orders/selling/{n}/ship`` through ``OrderService.ship`` in an async
worker. The service refuses (one sentence, nothing changed) an order Reverb would not ship,
an empty tracking number, a disabled integration; Reverb's own refusal (a 4xx such as 422
with an ``errors`` body) is one sentence too. Those sentences appear under the form. The
carrier drop-down is Reverb's provider list (cached a day, with the documented list as the
fallback); it starts on the carrier of the order's mapped shipping service, else "Other".
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import (
    Button,
    Header,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Static,
    Switch,
)
from textual.worker import Worker, WorkerState

from ..clock import parse_ts
from ..safe_rich import safe_prompt
from ..services.shipping import channel_service_label
from ..text_safety import safe_text
from ..widgets.footer import AppFooter
from ..widgets.form_error import FormError
from .base import GROUP_DB, GROUP_VERIFY, ReverbScreen
from .confirm import confirm_apply_mappings
from .orders_format import EXCEPTION_STYLE, local_time, money, status_text

GROUP_PROVIDERS = "providers"


class OrderLoaded(Message):
    """``OrderService.detail`` of the order (a plain dict, no token)."""

    def __init__(self, view: dict[str, Any]) -> None:
        super().__init__()
        self.view = view


class ProvidersLoaded(Message):
    def __init__(self, providers: list[str], note: str | None) -> None:
        super().__init__()
        self.providers = providers
        self.note = note


class OrderShipped(Message):
    """Reverb accepted "shipped" for the order (or a re-read showed it shipped)."""

    def __init__(self, order_number: str, provider: str, tracking: str, notified: bool,
                 notes: list[str]) -> None:  # fmt: skip
        super().__init__()
        self.order_number = order_number
        self.provider = provider
        self.tracking = tracking
        self.notified = notified
        self.notes = notes


class OrderPickedUp(Message):
    """Reverb accepted "picked up" for the order (or a re-read showed it picked up)."""

    def __init__(self, order_number: str, notes: list[str]) -> None:
        super().__init__()
        self.order_number = order_number
        self.notes = notes


class OrderMappingsApplied(Message):
    def __init__(self, changed: int) -> None:
        super().__init__()
        self.changed = changed


def _when(view: dict[str, Any], key: str) -> str:
    return local_time(parse_ts(view.get(key)), seconds=True)


def _text(value: Any) -> Text:
    if value is None or value == "":
        return Text("—", style="dim")
    return Text(safe_text(value))


def fields_table(view: dict[str, Any]) -> Table:
    """Every stored field of the order, labelled."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    currency = view.get("currency")
    sku = view.get("sku")
    kit = view.get("kit") or 1
    if sku:
        local_sku = Text(safe_text(sku) + (f" (kit of {kit})" if kit > 1 else ""))
    elif view.get("channel_sku"):
        local_sku = Text("unlinked: no local SKU", style=EXCEPTION_STYLE)
    else:
        local_sku = Text("—", style="dim")
    method = view.get("channel_shipping_method")
    service = view.get("shipping_service")
    if service:
        carrier = view.get("shipping_service_carrier")
        local_service = Text(
            safe_text(service) + (f" (carrier {safe_text(carrier)})" if carrier else "")
        )
    elif method:
        local_service = Text("unmapped: no local shipping service", style=EXCEPTION_STYLE)
    else:
        local_service = Text("—", style="dim")
    address = view.get("shipping_address") or {}
    place = ", ".join(
        str(address[k])
        for k in ("name", "display_location", "locality", "region", "postal_code", "country_code")
        if address.get(k) not in (None, "")
    )
    rows: list[tuple[str, Text]] = [
        ("Integration", _text(view.get("channel"))),
        ("Order number", Text(safe_text(view["order_number"]), style="bold")),
        ("Status", status_text(view.get("status"))),
        ("Title", _text(view.get("title"))),
        ("Listing (product) ID", _text(view.get("product_id"))),
        ("Channel SKU", _text(view.get("channel_sku"))),
        ("Local SKU", local_sku),
        ("Quantity", _text(view.get("quantity"))),
        ("Unit price", _text(money(view.get("unit_cents"), currency))),
        ("Shipping charged", _text(money(view.get("shipping_cents"), currency))),
        ("Total", _text(money(view.get("total_cents"), currency))),
        ("Buyer", _text(view.get("buyer_name"))),
        ("Ship to", _text(place)),
        (
            "Sales channel shipping",
            _text(f"{channel_service_label(method)} ({method})" if method else None),
        ),
        ("Local shipping service", local_service),
        ("Shipping provider", _text(view.get("shipping_provider"))),
        ("Tracking number", _text(view.get("tracking_number"))),
        ("Created", _text(_when(view, "created_at"))),
        ("Paid", _text(_when(view, "paid_at"))),
        ("Shipped", _text(_when(view, "shipped_at"))),
        ("Updated on Reverb", _text(_when(view, "updated_at"))),
        ("First downloaded", _text(_when(view, "first_seen_at"))),
        ("Reverb UUID", _text(view.get("uuid"))),
    ]
    for label, value in rows:
        grid.add_row(label, value)
    return grid


class OrderDetailScreen(ReverbScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="order-detail.back", tooltip="Back to orders"),
        Binding("s", "mark_shipped", "Mark shipped", id="order-detail.mark-shipped"),
        Binding(
            "a",
            "apply_mappings",
            "Apply mappings",
            id="order-detail.apply",
            tooltip="Apply current mappings",
        ),
        Binding(
            "p",
            "mark_picked_up",
            "Picked up",
            id="order-detail.picked-up",
            tooltip="Mark this local pickup order picked up",
        ),
        Binding("r", "reload", "Reload", id="order-detail.reload"),
    ]
    busy: reactive[bool] = reactive(False)  # marking shipped on Reverb (watch_busy)
    AUTO_FOCUS = "#order-back"

    def __init__(self, channel_id: int, order_number: str) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.order_number = order_number
        self.view: dict[str, Any] | None = None
        self._providers_asked = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="order-body"):
            with Horizontal(id="order-nav"):
                yield Button("← Orders", id="order-back", classes="link")
            yield Static(
                Text(f"Order {safe_text(self.order_number)}"),
                id="order-title",
                classes="screen-title",
            )
            yield Static("", id="order-exception")
            with Horizontal(id="order-exception-actions", classes="form-buttons"):
                yield Button("Apply current mappings", id="order-apply", variant="primary")
            yield Static("", id="order-fields")
            with Vertical(id="pickup-box"):
                yield Static("Local pickup", classes="section-title")
                yield Static("", id="pickup-text", markup=False)
                with Horizontal(id="pickup-actions", classes="form-buttons"):
                    yield Button("Mark picked up", id="pickup-submit", variant="primary")
                    yield LoadingIndicator(id="pickup-spinner", classes="spinner")
            yield Static("Mark shipped", id="ship-title", classes="section-title")
            yield Static("", id="ship-refusal", markup=False)
            with Vertical(id="ship-form"):
                yield Label("Carrier", classes="field-label")
                yield Select[str]([("Other", "Other")], allow_blank=False, id="ship-carrier")
                yield Static("", id="ship-carrier-note", classes="field-help", markup=False)
                yield Label("Tracking number", classes="field-label")
                yield Input(id="ship-tracking", placeholder="The carrier's tracking number")
                with Horizontal(classes="setting-row", id="ship-notify-row"):
                    yield Label("Notify buyer", classes="setting-label")
                    yield Switch(True, id="ship-notify")
                    yield Static(
                        "Reverb emails the buyer the carrier and tracking number.",
                        classes="field-help",
                    )
                yield FormError(id="ship-error")
                with Horizontal(classes="form-buttons"):
                    yield Button("Ship", id="ship-submit", variant="primary")
                    yield LoadingIndicator(id="ship-spinner", classes="spinner")
                    yield Static(
                        "Marking shipped on Reverb…", id="ship-status", classes="busy-text"
                    )
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = "Orders"
        self.load_order()

    # -- loading ---------------------------------------------------------------------------------

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-order")
    def load_order(self) -> None:
        self.post_message(
            OrderLoaded(self.services.orders.detail(self.channel_id, self.order_number))
        )

    @work(group=GROUP_PROVIDERS, exclusive=True, exit_on_error=False, name="load-providers")
    async def load_providers(self) -> None:
        info = await self.services.shipping.providers_info(self.channel_id)
        self.post_message(ProvidersLoaded(info.providers, info.note))

    def on_order_loaded(self, message: OrderLoaded) -> None:
        message.stop()
        first = self.view is None
        self.view = view = message.view
        self.query_one("#order-title", Static).update(
            Text.assemble(
                ("Order ", ""),
                (safe_text(view["order_number"]), "bold"),
                f" · {safe_text(view['channel'])}",
            )
        )
        self.sub_title = f"Order {view['order_number']}"
        self.query_one("#order-fields", Static).update(fields_table(view))
        reasons = view.get("exception_reasons") or []
        exception = self.query_one("#order-exception", Static)
        if reasons:
            text = Text("Exception: ", style=EXCEPTION_STYLE)
            text.append(safe_text(" ".join(reasons)))
            text.append(
                " Map it in the integration's mapping sections, then apply the current "
                "mappings to this order (a mapping never changes orders already downloaded "
                "by itself).",
                style="dim",
            )
            exception.update(text)
        shippable = bool(view.get("shippable"))
        # The exception box and the ship form show by these classes (order_detail.tcss).
        self.set_class(bool(reasons), "-exception")
        self.set_class(shippable, "-shippable")
        self.query_one("#ship-refusal", Static).update(
            ""
            if shippable
            else safe_text(f"Mark shipped is not available: {view.get('ship_refusal')}")
        )
        can_pickup = bool(view.get("can_pickup"))
        self.set_class(bool(view.get("local_pickup")), "-local-pickup")
        self.set_class(can_pickup, "-can-pickup")
        self.query_one("#pickup-text", Static).update(
            "The buyer collects this order. Mark it picked up once they have it."
            if can_pickup
            else safe_text(f"Mark picked up is not available: {view.get('pickup_refusal')}")
        )
        self.refresh_bindings()  # s, p and a follow the order (check_action)
        default = view.get("default_provider") or "Other"
        if first:
            self._set_carriers([default], default)
        if shippable and not self._providers_asked:
            self._providers_asked = True
            self.load_providers()

    def _set_carriers(self, providers: list[str], choose: str) -> None:
        names = list(dict.fromkeys([*providers, choose]))
        select = self.query_one("#ship-carrier", Select)
        select.set_options([(safe_prompt(n), n) for n in names])
        select.value = choose

    def on_providers_loaded(self, message: ProvidersLoaded) -> None:
        message.stop()
        select = self.query_one("#ship-carrier", Select)
        current = select.value if select.value is not Select.NULL else "Other"
        self._set_carriers(message.providers, str(current))
        self.query_one("#ship-carrier-note", Static).update(safe_text(message.note))

    # -- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.busy:
            self.notify(
                "Marking shipped is in progress; wait for Reverb's answer.", severity="warning"
            )
            return
        self.workers.cancel_group(self, GROUP_PROVIDERS)
        self.leave(None)

    def action_reload(self) -> None:
        self.load_order()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """s and a are dimmed until the order is read; a also on an order that is not an
        exception (nothing to apply)."""
        if action not in ("mark_shipped", "apply_mappings", "mark_picked_up"):
            return True
        if self.view is None:
            return None
        if action == "mark_picked_up" and not self.view.get("local_pickup"):
            return False  # not a local pickup order: the key is not offered at all
        if action == "apply_mappings" and not self.view.get("exception_reasons"):
            return None
        return True

    def action_mark_shipped(self) -> None:
        if self.view is None:
            return
        if not self.view.get("shippable"):
            self.notify(
                f"Mark shipped is not available: {self.view.get('ship_refusal')}",
                severity="warning",
                markup=False,
            )
            return
        self.query_one("#ship-tracking", Input).focus()

    def action_mark_picked_up(self) -> None:
        if self.view is None or self.busy:
            return
        if not self.view.get("can_pickup"):
            self.notify(
                f"Mark picked up is not available: {self.view.get('pickup_refusal')}",
                severity="warning",
                markup=False,
            )
            return
        from .confirm import ConfirmModal

        self.app.push_screen(
            ConfirmModal(
                "Mark picked up",
                f"Tell Reverb that the buyer collected order {self.order_number}? This cannot "
                "be undone from here.",
                ok_label="Mark picked up",
                variant="primary",
                focus="ok",
            ),
            lambda ok: self._start_pickup() if ok else None,
        )

    def _start_pickup(self) -> None:
        self.query_one("#ship-status", Static).update("Marking picked up on Reverb…")
        self.busy = True
        self.pickup()

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="pickup")
    async def pickup(self) -> None:
        result = await self.services.orders.pickup(self.channel_id, self.order_number)
        self.post_message(OrderPickedUp(result.row.order.order_number, list(result.notes)))

    def on_order_picked_up(self, message: OrderPickedUp) -> None:
        message.stop()
        text = f"Marked order {message.order_number} picked up on Reverb."
        if message.notes:
            text += " " + " ".join(message.notes)
        self.notify(text, title="Picked up", markup=False, timeout=8)
        self.load_order()

    @on(Button.Pressed, "#pickup-submit")
    def _pickup_pressed(self) -> None:
        self.action_mark_picked_up()

    def action_apply_mappings(self) -> None:
        self.app.push_screen(
            confirm_apply_mappings(1, self.order_number),
            lambda ok: self.apply_mappings() if ok else None,
        )

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="apply-mappings")
    def apply_mappings(self) -> None:
        row = self.services.orders.get(self.channel_id, self.order_number)
        changed = self.services.orders.apply_current_mappings([int(row.order.id)])
        self.post_message(OrderMappingsApplied(changed))

    def on_order_mappings_applied(self, message: OrderMappingsApplied) -> None:
        message.stop()
        if message.changed:
            text = f"Applied the current mappings to order {self.order_number}: it changed."
        else:
            text = (
                f"Applied the current mappings to order {self.order_number}: nothing changed "
                "(no mapping covers its missing SKU or shipping method yet)."
            )
        self.notify(text, title="Apply current mappings", markup=False)
        self.load_order()

    @on(Button.Pressed, "#order-back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#ship-submit")
    def _ship_pressed(self) -> None:
        self._submit_ship()

    @on(Button.Pressed, "#order-apply")
    def _apply_pressed(self) -> None:
        self.action_apply_mappings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ship-tracking":
            self._submit_ship()

    # -- mark shipped ----------------------------------------------------------------------------

    def _submit_ship(self) -> None:
        if self.view is None or self.busy or not self.view.get("shippable"):
            return
        error = self.query_one("#ship-error", FormError)
        error.clear()
        carrier = self.query_one("#ship-carrier", Select).value
        form = {
            "tracking": self.query_one("#ship-tracking", Input).value,
            "provider": None if carrier is Select.NULL else str(carrier),
            "notify": self.query_one("#ship-notify", Switch).value,
        }
        self.query_one("#ship-status", Static).update("Marking shipped on Reverb…")
        self.busy = True
        self.ship(form)

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="ship")
    async def ship(self, form: dict[str, Any]) -> None:
        result = await self.services.orders.ship(self.channel_id, self.order_number, **form)
        self.post_message(
            OrderShipped(
                result.row.order.order_number,
                result.provider,
                result.tracking,
                result.notified,
                list(result.notes),
            )
        )

    def on_order_shipped(self, message: OrderShipped) -> None:
        message.stop()
        buyer = "Reverb notified the buyer" if message.notified else "the buyer was not notified"
        text = (
            f"Marked order {message.order_number} shipped on Reverb with {message.provider}, "
            f"tracking {message.tracking}; {buyer}."
        )
        if message.notes:
            text += " " + " ".join(message.notes)
        self.notify(text, title="Shipped", markup=False, timeout=8)
        self.query_one("#ship-tracking", Input).value = ""
        self.load_order()

    def watch_busy(self, busy: bool) -> None:
        """While Reverb marks the order shipped: the -busy class shows the spinner and its
        line (app.tcss), the form waits."""
        self.set_class(busy, "-busy")
        for selector in ("#ship-submit", "#ship-carrier", "#ship-tracking", "#ship-notify",
                         "#pickup-submit"):  # fmt: skip
            self.query_one(selector).disabled = busy
        if not busy and self.focused is None and self.has_class("-shippable"):
            self.query_one("#ship-tracking", Input).focus()  # disabling took the focus away

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name in ("ship", "pickup") and state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.busy = False

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == "ship":
            self.query_one("#ship-error", FormError).show(message)
            self.load_order()  # Reverb's answer may have changed what is shippable
            return True
        if worker.name == "pickup":
            self.notify(message, title="Not picked up", severity="error", markup=False)
            self.load_order()
            return True
        if worker.name == "load-order" and self.view is None:
            self.leave(None)  # it is gone; the app says so
        return False
