"""Add a local shipping service, rename one, change its carrier or its code (one modal).

The carrier drop-down lists Reverb's shipping providers (``ShippingService.providers_info``:
cached a day, else live, else the documented list); it starts with the documented list so it
is usable at once. The change is saved by a worker here, so a refusal ("already exists") is
shown under the form and the dialog stays open; on success it closes with the saved service.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker

from ..safe_rich import safe_prompt
from ..sync.shipping import FALLBACK_PROVIDERS
from ..text_safety import safe_text
from ..widgets.form_error import FormError
from .base import GROUP_DB, ReverbModal

GROUP_PROVIDERS = "providers"
TITLES = {
    "add": "Add shipping service",
    "rename": "Rename shipping service",
    "carrier": "Change carrier",
    "code": "Change service code",
}


class CarriersLoaded(Message):
    def __init__(self, providers: list[str], note: str | None) -> None:
        super().__init__()
        self.providers = providers
        self.note = note


class ServiceSaved(Message):
    def __init__(self, info: Any) -> None:
        super().__init__()
        self.info = info


class ShippingServiceModal(ReverbModal):
    """``mode`` is add | rename | carrier | code; dismisses with the saved ``ServiceInfo`` or
    None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="shipping-service-form.cancel")]

    def __init__(self, mode: str, service: Any | None = None) -> None:
        super().__init__()
        if mode not in TITLES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.service = service

    @property
    def _carrier_now(self) -> str:
        return self.service.carrier if self.service is not None else "Other"

    def compose(self) -> ComposeResult:
        with Vertical(id="service-dialog"):
            title = TITLES[self.mode]
            if self.service is not None:
                title += f": {self.service.name}"
            yield Static(safe_text(title), id="service-dialog-title", markup=False)
            if self.mode in ("add", "rename"):
                yield Label("Name", classes="field-label")
                yield Input(
                    value=self.service.name if self.mode == "rename" and self.service else "",
                    placeholder="e.g. UPS Ground",
                    id="service-name",
                )
            if self.mode in ("add", "carrier"):
                yield Label("Carrier", classes="field-label")
                names = list(dict.fromkeys([*FALLBACK_PROVIDERS, self._carrier_now]))
                yield Select[str](
                    [(n, n) for n in names],
                    allow_blank=False,
                    value=self._carrier_now,
                    id="service-carrier",
                )
                yield Static(
                    "The Reverb shipping provider named when an order with this service is "
                    "marked shipped; Other when Reverb does not know the carrier.",
                    id="service-carrier-note",
                    classes="field-help",
                    markup=False,
                )
            if self.mode in ("add", "code"):
                yield Label("Service code (optional)", classes="field-label")
                yield Input(
                    value=(self.service.code or "") if self.mode == "code" and self.service else "",
                    placeholder="e.g. 03; empty for none",
                    id="service-code",
                )
            yield FormError(id="service-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Save", id="service-save", variant="primary")
                yield Button("Cancel", id="service-cancel")

    def on_mount(self) -> None:
        if self.mode in ("add", "rename"):
            self.query_one("#service-name", Input).focus()
        elif self.mode == "code":
            self.query_one("#service-code", Input).focus()
        else:
            self.query_one("#service-carrier", Select).focus()
        if self.mode in ("add", "carrier"):
            self.load_carriers()

    @work(group=GROUP_PROVIDERS, exclusive=True, exit_on_error=False, name="load-carriers")
    async def load_carriers(self) -> None:
        info = await self.services.shipping.providers_info()
        self.post_message(CarriersLoaded(info.providers, info.note))

    def on_carriers_loaded(self, message: CarriersLoaded) -> None:
        message.stop()
        select = self.query_one("#service-carrier", Select)
        current = select.value if select.value is not Select.NULL else self._carrier_now
        names = list(dict.fromkeys([*message.providers, str(current)]))
        with select.prevent(Select.Changed):
            select.set_options([(safe_prompt(n), n) for n in names])
            select.value = current
        if message.note:
            self.query_one("#service-carrier-note", Static).update(safe_text(message.note))

    # -- saving ----------------------------------------------------------------------------------

    @on(Button.Pressed, "#service-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#service-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def _submit(self) -> None:
        if self.query_one("#service-save", Button).disabled:
            return
        self.query_one("#service-error", FormError).clear()
        form: dict[str, Any] = {}
        if self.mode in ("add", "rename"):
            form["name"] = self.query_one("#service-name", Input).value
        if self.mode in ("add", "carrier"):
            carrier = self.query_one("#service-carrier", Select).value
            form["carrier"] = "Other" if carrier is Select.NULL else str(carrier)
        if self.mode in ("add", "code"):
            form["code"] = self.query_one("#service-code", Input).value
        self.query_one("#service-save", Button).disabled = True
        self.save(form)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="save-service")
    def save(self, form: dict[str, Any]) -> None:
        shipping = self.services.shipping
        if self.mode == "add":
            info = shipping.add(form["name"], form["carrier"], form["code"])
        elif self.mode == "rename":
            info = shipping.rename(self.service.name, form["name"])
        elif self.mode == "code":
            info = shipping.set_code(self.service.name, form["code"])
        else:
            info = shipping.set_carrier(self.service.name, form["carrier"])
        self.post_message(ServiceSaved(info))

    def on_service_saved(self, message: ServiceSaved) -> None:
        message.stop()
        self.dismiss(message.info)

    def worker_state_changed(self, worker: Worker, state: Any) -> None:
        if worker.name == "save-service" and worker.is_finished:
            for button in self.query("#service-save"):  # none once the dialog has closed
                button.disabled = False

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == "save-service":
            self.query_one("#service-error", FormError).show(message)
            return True
        if worker.name == "load-carriers":
            self.query_one("#service-carrier-note", Static).update(
                safe_text(f"{message} Showing Reverb's documented carriers.")
            )
            return True
        return False

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, GROUP_PROVIDERS)
        self.dismiss(None)
