"""The integration's "Shipping mapping" section: marketplace → local shipping services.

The existing mappings are listed, each with an X to delete it; a
*Sales channel shipping service* drop-down (Reverb's ``shipping_method`` values with readable
labels, plus any other value seen on this integration's orders) and a *local shipping service*
drop-down; *Map field* adds the pair. Nothing is stored until *Save*, which applies every
pending addition and removal at once (``ShippingService.save_mappings``: all or nothing);
*Cancel* posts ``Cancelled``: the screen decides (the detail screen discards the changes and
stays). A mapping affects only orders downloaded after it is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Select, Static
from textual.worker import Worker, WorkerState

from ..safe_rich import safe_prompt
from ..text_safety import safe_text
from ..ui_workers import GROUP_DB, WorkerRouting
from ..views.pending_edits import PendingEdits
from .form_error import FormError

NOTE = (
    "A mapping affects only orders downloaded after it is saved; it does not change orders "
    "already downloaded."
)
HELP = (
    "The shipping service the buyer chose on Reverb selects the local shipping service (and "
    "so the carrier used to mark the order shipped) when the order is downloaded."
)
NO_SERVICES = (
    "There are no local shipping services yet: add one on the Shipping services screen "
    "(press v), then map to it here."
)


@dataclass(frozen=True)
class Entry:
    """One line of the list: a saved mapping, one marked for removal, or a pending one."""

    key: str  # the channel service (Reverb shipping_method)
    label: str
    service: str
    carrier: str | None
    state: str  # saved | remove | add


class MappingsRead(Message):
    def __init__(self, mappings: list[Any], choices: list[tuple[str, str]],
                 services: list[Any]) -> None:  # fmt: skip
        super().__init__()
        self.mappings = mappings
        self.choices = choices
        self.services = services


class MappingsSaved(Message):
    def __init__(self, mappings: list[Any], added: int, removed: int) -> None:
        super().__init__()
        self.mappings = mappings
        self.added = added
        self.removed = removed


class UnmapButton(Button):
    """The X (or Undo) of one line; ``entry`` says which mapping it belongs to."""

    def __init__(self, entry: Entry) -> None:
        label = "Undo" if entry.state == "remove" else "X"
        super().__init__(
            label,
            classes="unmap",
            variant="default" if label == "Undo" else "error",
            compact=True,
        )
        self.entry = entry
        self.tooltip = (
            "Keep this mapping" if entry.state == "remove" else "Delete this mapping (then Save)"
        )


def entry_text(entry: Entry) -> Text:
    text = Text()
    text.append(safe_text(entry.label), style="bold")
    if entry.label != entry.key:
        text.append(f" ({safe_text(entry.key)})", style="dim")
    text.append("  →  ")
    text.append(safe_text(entry.service))
    if entry.carrier:
        text.append(f" · {safe_text(entry.carrier)}", style="dim")
    if entry.state == "remove":
        text.stylize("strike")
        text.append("   deleted when you Save", style="italic #f5a623")
    elif entry.state == "add":
        text.append("   new: saved when you Save", style="italic #f5a623")
    return text


class ShippingMappingSection(WorkerRouting, Vertical):
    """Child ids start with ``shipping-``; ``channel_id`` is the integration's id."""

    DEFAULT_CSS = """
    ShippingMappingSection { height: auto; }
    ShippingMappingSection #shipping-mappings-list { height: auto; margin: 1 0 0 0; }
    ShippingMappingSection .mapping-line { height: auto; }
    ShippingMappingSection .mapping-text { width: 1fr; height: auto; padding: 0 1; }
    ShippingMappingSection .unmap { min-width: 6; margin: 0 1; }
    ShippingMappingSection #shipping-mappings-empty {
        color: $text-muted; text-style: italic; display: none;
    }
    ShippingMappingSection.-empty #shipping-mappings-empty { display: block; }
    ShippingMappingSection .mapping-picker { width: 1fr; height: auto; margin-right: 2; }
    ShippingMappingSection #shipping-pickers { height: auto; max-width: 120; }
    ShippingMappingSection #shipping-pickers Select { max-width: 60; }
    ShippingMappingSection #shipping-map-field { margin-top: 1; }
    ShippingMappingSection #shipping-mapping-pending {
        width: auto; height: 3; content-align: left middle; color: $warning;
    }
    ShippingMappingSection #shipping-mapping-note { margin-top: 1; }
    """

    class Cancelled(Message):
        """Cancel was pressed; the screen decides what it does (``section.discard()``)."""

        def __init__(self, section: ShippingMappingSection) -> None:
            super().__init__()
            self.section = section

    def __init__(self, channel_id: int, *, id: str = "shipping-mapping-section") -> None:
        super().__init__(id=id)
        self.channel_id = channel_id
        # Channel service (Reverb shipping_method) -> local service name, saved and pending.
        self.pending: PendingEdits[str, str] = PendingEdits()
        self._labels: dict[str, str] = {}
        self._carriers: dict[str, str] = {}  # local service name -> carrier
        self._services: list[Any] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Static(HELP, classes="field-help")
        yield Vertical(id="shipping-mappings-list")
        yield Static("No shipping mappings yet.", id="shipping-mappings-empty")
        with Horizontal(id="shipping-pickers"):
            with Vertical(classes="mapping-picker"):
                yield Label("Sales channel shipping service", classes="field-label")
                yield Select[str]([], prompt="Choose…", id="shipping-channel-service")
            with Vertical(classes="mapping-picker"):
                yield Label("Local shipping service", classes="field-label")
                yield Select[str]([], prompt="Choose…", id="shipping-local-service")
        yield Button("Map field", id="shipping-map-field")
        yield FormError(id="shipping-mapping-error")
        with Horizontal(classes="form-buttons"):
            yield Button("Save", id="shipping-mapping-save", variant="primary")
            yield Button("Cancel", id="shipping-mapping-cancel", classes="cancel")
            yield Static("", id="shipping-mapping-pending")
        yield Static(NOTE, id="shipping-mapping-note", classes="field-help")

    def on_mount(self) -> None:
        self.load()
        # Back from the Shipping services screen (key v): read the services again.
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        self.app.screen_change_signal.unsubscribe(self)

    def _screen_changed(self, screen: Any) -> None:
        if self._loaded and screen is self.screen and self.is_attached:
            self.load()

    # -- reading ---------------------------------------------------------------------------------

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-shipping-mappings")
    def load(self) -> None:
        shipping = self.services.shipping
        mappings = shipping.mappings(self.channel_id)
        choices = shipping.channel_service_choices(self.channel_id)
        services = shipping.list()
        self.post_message(MappingsRead(mappings, choices, services))

    def on_mappings_read(self, message: MappingsRead) -> None:
        message.stop()
        self._loaded = True
        self._labels = dict(message.choices)
        self.pending.load(self._saved(message.mappings))
        self._services = list(message.services)
        self._carriers = {s.name: s.carrier for s in self._services}
        self._set_options(
            self.query_one("#shipping-channel-service", Select),
            [
                (safe_prompt(f"{label} ({key})" if label != key else key), key)
                for key, label in message.choices
            ],
        )
        self._set_options(
            self.query_one("#shipping-local-service", Select),
            [(safe_prompt(f"{s.name} · {s.carrier}"), s.name) for s in self._services],
        )
        error = self.query_one("#shipping-mapping-error", FormError)
        if not self._services:
            error.show(NO_SERVICES)
        elif error.message == NO_SERVICES:
            error.clear()
        self._show_list()

    def _saved(self, mappings: list[Any]) -> dict[str, str]:
        self._labels.update({m.channel_service: m.label for m in mappings})
        return {m.channel_service: m.service for m in mappings}

    @staticmethod
    def _set_options(select: Select, options: list[tuple[str | Text, str]]) -> None:
        current = select.value
        with select.prevent(Select.Changed):
            select.set_options(options)
            if current is not Select.NULL and any(v == current for _l, v in options):
                select.value = current

    # -- the list --------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        p = self.pending
        states = [(k, n, "remove" if k in p.removes else "saved") for k, n in p.saved.items()]
        states += [(k, n, "add") for k, n in p.adds.items()]
        return [
            Entry(key, self._labels.get(key, key), name, self._carriers.get(name), state)
            for key, name, state in states
        ]

    def _show_list(self, focus_index: int | None = None) -> None:
        box = self.query_one("#shipping-mappings-list", Vertical)
        box.remove_children()
        entries = self.entries()
        lines = []
        for entry in entries:
            line = Horizontal(
                Static(entry_text(entry), classes="mapping-text"),
                UnmapButton(entry),
                classes="mapping-line",
            )
            lines.append(line)
        if lines:
            box.mount_all(lines)
        self.set_class(not entries, "-empty")  # "No shipping mappings yet." (DEFAULT_CSS)
        pending = len(self.pending)
        self.query_one("#shipping-mapping-pending", Static).update(
            f"{pending} unsaved change{'s' if pending != 1 else ''}" if pending else ""
        )
        if focus_index is not None:
            self.call_after_refresh(self._focus_unmap, focus_index)

    def _focus_unmap(self, index: int) -> None:
        buttons = list(self.query(UnmapButton))
        if buttons:
            buttons[min(index, len(buttons) - 1)].focus()
        else:
            self.query_one("#shipping-channel-service", Select).focus()

    # -- actions ---------------------------------------------------------------------------------

    @on(Button.Pressed, "UnmapButton")
    def _unmap_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert isinstance(event.button, UnmapButton)
        self._unmap(event.button)

    @on(Button.Pressed, "#shipping-map-field")
    def _map_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.map_field()

    @on(Button.Pressed, "#shipping-mapping-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()

    @on(Button.Pressed, "#shipping-mapping-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Cancelled(self))

    def _unmap(self, button: UnmapButton) -> None:
        entry = button.entry
        index = list(self.query(UnmapButton)).index(button)
        error = self.query_one("#shipping-mapping-error", FormError)
        error.clear()
        if entry.state == "add":
            self.pending.drop_add(entry.key)
        elif entry.state == "remove":
            if not self.pending.keep(entry.key):
                label = self._labels.get(entry.key, entry.key)
                error.show(
                    f"The sales channel shipping service {label!r} has a new mapping waiting "
                    "to be saved; delete that one first to keep this one."
                )
                return
        else:
            self.pending.remove(entry.key)
        self._show_list(focus_index=index)

    def map_field(self) -> None:
        """The "Map field" button: add the chosen pair to the pending changes."""
        error = self.query_one("#shipping-mapping-error", FormError)
        error.clear()
        channel_select = self.query_one("#shipping-channel-service", Select)
        local_select = self.query_one("#shipping-local-service", Select)
        if not self._services:
            error.show(NO_SERVICES)
            return
        key, name = channel_select.value, local_select.value
        if key is Select.NULL or name is Select.NULL:
            error.show(
                "Choose a sales channel shipping service and a local shipping service, then "
                "Map field."
            )
            return
        key, name = str(key), str(name)
        current = self.pending.add(key, name)
        if current is not None:
            label = self._labels.get(key, key)
            error.show(
                f"The sales channel shipping service {label!r} is already mapped to "
                f"{current!r}; delete that mapping first (X)."
            )
            return
        with channel_select.prevent(Select.Changed):
            channel_select.clear()
        self._show_list()

    def discard(self) -> None:
        """Forget every change not saved, and what the drop-downs hold."""
        self.pending.clear()
        self.query_one("#shipping-mapping-error", FormError).clear()
        for select in self.query(Select):
            with select.prevent(Select.Changed):
                select.clear()
        if not self._services:
            self.query_one("#shipping-mapping-error", FormError).show(NO_SERVICES)
        self._show_list()

    def save(self) -> None:
        error = self.query_one("#shipping-mapping-error", FormError)
        error.clear()
        if not self.pending:
            error.show("There are no unsaved changes: Map field or X first, then Save.")
            return
        self.query_one("#shipping-mapping-save", Button).disabled = True
        self._save(list(self.pending.adds.items()), sorted(self.pending.removes))

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="save-shipping-mappings")
    def _save(self, adds: list[tuple[str, str]], removes: list[str]) -> None:
        mappings = self.services.shipping.save_mappings(self.channel_id, adds, removes)
        self.post_message(MappingsSaved(mappings, len(adds), len(removes)))

    def on_mappings_saved(self, message: MappingsSaved) -> None:
        message.stop()
        self.pending.saved_as(self._saved(message.mappings))
        self._show_list()
        parts = []
        if message.added:
            parts.append(f"{message.added} added")
        if message.removed:
            parts.append(f"{message.removed} deleted")
        self.notify(
            f"Saved the shipping mappings ({', '.join(parts)}). They apply to orders "
            "downloaded from now on; orders already downloaded keep their shipping service.",
            title="Shipping mapping",
            markup=False,
        )

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == "save-shipping-mappings" and worker.is_finished:
            self.query_one("#shipping-mapping-save", Button).disabled = False

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name in ("save-shipping-mappings", "load-shipping-mappings"):
            self.query_one("#shipping-mapping-error", FormError).show(message)
            return True
        return False
