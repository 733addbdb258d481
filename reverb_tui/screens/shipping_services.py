"""Local shipping services: name, carrier (the Reverb provider used to ship), code, usage.

Add, rename, change carrier and change code open ``ShippingServiceModal``; delete asks OK / Cancel first,
and is refused with one sentence while a shipping mapping or a downloaded order uses the
service (read fresh when the key is pressed; the service checks again when it deletes).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Header, Static
from textual.worker import Worker, get_current_worker

from ..text_safety import safe_text
from ..widgets.footer import AppFooter
from ..widgets.form_error import FormError
from ..widgets.keyed_table import KeyedTable
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen
from .confirm import confirm_delete_service

TITLE = "Shipping services"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("carrier", "Carrier"),
    ("code", "Code"),
    ("mappings", "Mappings"),
    ("orders", "Orders"),
)
EMPTY_TEXT = (
    "No local shipping services yet.\n\n"
    'Press [b]a[/b] to add one (for example "UPS Ground", carrier UPS). Then map Reverb\'s '
    "shipping methods to it in each integration's [b]Shipping mapping[/b] section, so that "
    "orders downloaded from then on carry it and are marked shipped with its carrier."
)


def in_use_refusal(info: Any) -> str | None:
    """Why ``info`` cannot be deleted (one sentence), or None when nothing uses it."""
    maps, orders = info.mappings, info.orders
    mapping_words = f"{maps} shipping mapping{'s' if maps != 1 else ''}"
    order_words = f"{orders} downloaded order{'s' if orders != 1 else ''}"
    if maps and orders:
        return (
            f"The shipping service {info.name!r} is used by {mapping_words} and recorded on "
            f"{order_words}, so it cannot be deleted; rename it instead."
        )
    if maps:
        return (
            f"The shipping service {info.name!r} is used by {mapping_words}; remove those "
            "mappings first (in the integrations' Shipping mapping sections)."
        )
    if orders:
        return (
            f"The shipping service {info.name!r} is recorded on {order_words}, so it cannot "
            "be deleted; rename it instead."
        )
    return None


def row_cells(info: Any) -> tuple[Text, ...]:
    return (
        Text(safe_text(info.name), style="bold"),
        Text(safe_text(info.carrier)),
        Text(safe_text(info.code) or "—", style="" if info.code else "dim"),
        Text(str(info.mappings), justify="right", style="" if info.mappings else "dim"),
        Text(f"{info.orders:,}", justify="right", style="" if info.orders else "dim"),
    )


class ServicesLoaded(Message):
    def __init__(self, services: list[Any]) -> None:
        super().__init__()
        self.services = services


class ServiceDeleteChecked(Message):
    """Fresh usage of the service about to be deleted (None: it is gone)."""

    def __init__(self, name: str, info: Any | None) -> None:
        super().__init__()
        self.name = name
        self.info = info


class ServiceDeleted(Message):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class ShippingServicesScreen(ReverbScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="shipping-services.back"),
        Binding("a", "add", "Add", id="shipping-services.add"),
        Binding("n", "rename", "Rename", id="shipping-services.rename"),
        Binding(
            "c", "carrier", "Carrier", id="shipping-services.carrier", tooltip="Change carrier"
        ),
        Binding("e", "code", "Code", id="shipping-services.code", tooltip="Change code"),
        Binding("d,delete", "delete", "Delete", id="shipping-services.delete"),
        Binding("r", "refresh", "Refresh", id="shipping-services.refresh"),
    ]
    AUTO_FOCUS = "#services-table"

    def __init__(self) -> None:
        super().__init__()
        self._services: dict[str, Any] = {}  # row key (id) -> ServiceInfo
        self._select_name: str | None = None  # put the cursor here after the next read

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="services-heading"):
            yield Static(TITLE, id="services-title", classes="screen-title")
            add = Button("Add shipping service", id="services-add", variant="primary")
            add.can_focus = False  # the `a` key is the keyboard path
            yield add
        yield Static(
            "Carrier is the Reverb shipping provider used when an order with this service is "
            "marked shipped. A service used by a mapping or an order cannot be deleted.",
            classes="field-help",
            id="services-help",
        )
        yield FormError(id="services-error")
        yield KeyedTable(id="services-table", columns=COLUMNS)
        yield Static(EMPTY_TEXT, id="services-empty", classes="empty-state")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE

    def on_screen_resume(self) -> None:
        self.load_services()

    table = getters.query_one("#services-table", KeyedTable)

    # -- reading ---------------------------------------------------------------------------------

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="load-services")
    def load_services(self) -> None:
        rows = self.services.shipping.list()
        if not get_current_worker().is_cancelled:
            self.post_message(ServicesLoaded(rows))

    def on_services_loaded(self, message: ServicesLoaded) -> None:
        message.stop()
        table = self.table
        self._services = {str(s.id): s for s in message.services}
        table.sync({k: row_cells(i) for k, i in self._services.items()})
        if self._select_name is not None:
            for key, info in self._services.items():
                if info.name == self._select_name:
                    table.select_key(key)
            self._select_name = None
        if message.services and self.focused is None:
            table.focus()

    @property
    def highlighted(self) -> Any | None:
        return self._services.get(self.table.highlighted_key or "")

    # -- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.leave(None)

    def action_refresh(self) -> None:
        self.query_one("#services-error", FormError).clear()
        self.load_services()

    def _open_form(self, mode: str) -> None:
        from .shipping_service_form import ShippingServiceModal

        self.query_one("#services-error", FormError).clear()
        service = None
        if mode != "add":
            service = self.highlighted
            if service is None:
                self.app.bell()
                return

        def saved(info: Any | None) -> None:
            if info is None:
                return
            done = {
                "add": "Added",
                "rename": "Renamed",
                "carrier": "Changed the carrier of",
                "code": "Changed the service code of",
            }
            text = f"{done[mode]} the shipping service {info.name!r}"
            if mode in ("add", "carrier"):
                text += f" (carrier {info.carrier})."
            elif mode == "code":
                text += f" (code {info.code})." if info.code else " (no code)."
            else:
                text += "."
            self.notify(text, markup=False)
            self._select_name = info.name
            self.load_services()

        self.app.push_screen(ShippingServiceModal(mode, service), saved)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys for the highlighted service are dimmed while there is none."""
        if action in ("rename", "carrier", "code", "delete") and self.table.empty:
            return None
        return True

    def action_add(self) -> None:
        self._open_form("add")

    def action_rename(self) -> None:
        self._open_form("rename")

    def action_carrier(self) -> None:
        self._open_form("carrier")

    def action_code(self) -> None:
        self._open_form("code")

    def action_delete(self) -> None:
        self.query_one("#services-error", FormError).clear()
        service = self.highlighted
        if service is None:
            self.app.bell()
            return
        self.check_delete(service.name)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="check-delete")
    def check_delete(self, name: str) -> None:
        fresh = next((s for s in self.services.shipping.list() if s.name == name), None)
        self.post_message(ServiceDeleteChecked(name, fresh))

    def on_service_delete_checked(self, message: ServiceDeleteChecked) -> None:
        message.stop()
        if message.info is None:
            self.query_one("#services-error", FormError).show(
                f"The shipping service {message.name!r} no longer exists."
            )
            self.load_services()
            return
        refusal = in_use_refusal(message.info)
        if refusal:
            self.query_one("#services-error", FormError).show(refusal)
            self.load_services()  # the counts may have changed
            return
        name = message.info.name
        self.app.push_screen(
            confirm_delete_service(name), lambda ok: self.delete_service(name) if ok else None
        )

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="delete-service")
    def delete_service(self, name: str) -> None:
        info = self.services.shipping.delete(name)
        self.post_message(ServiceDeleted(info.name))

    def on_service_deleted(self, message: ServiceDeleted) -> None:
        message.stop()
        self.notify(f"Deleted the shipping service {message.name!r}.", markup=False)
        self.load_services()

    @on(Button.Pressed, "#services-add")
    def _add_pressed(self) -> None:
        self.action_add()

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name in ("delete-service", "check-delete"):
            self.query_one("#services-error", FormError).show(message)
            self.load_services()
            return True
        return False
