"""One integration: summary, Reauthorise, mapping sections, additional settings, Remove account.

The token is never shown: the summary gives ``channel.token_hint`` (the last four characters
at most) and the Auth key field starts empty ("empty keeps the stored token").
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Collapsible,
    Footer,
    Header,
    Input,
    Label,
    LoadingIndicator,
    Static,
    Switch,
)
from textual.worker import Worker, WorkerState

from ..clock import parse_ts
from ..errors import AppError, UserError
from ..messages import ChannelChanged, ChannelLoaded, ChannelRemoved
from ..reverb.sites import SITE_LABELS
from ..widgets.badges import (
    errors_text,
    logo_badge,
    reauth_text,
    relative_time,
    status_text,
    type_label,
)
from ..widgets.form_error import FormError
from ..widgets.shipping_mapping_section import ShippingMappingSection
from ..widgets.site_picker import SitePicker
from ..widgets.sku_mapping_section import SkuMappingSection
from ..widgets.token_input import TokenInput
from .base import GROUP_DB, GROUP_VERIFY, ReverbScreen
from .confirm_remove import ConfirmRemoveModal
from .stock_preview import StockPreviewModal
from .unlinked import UnlinkedCountsButton, UnlinkedScreen

LIST_TITLE = "Sales channel integrations"


def parse_whole(text: str, what: str, *, empty_ok: bool = False) -> int | None:
    """A whole number >= 0 typed into a field; ``None`` for an empty field when allowed."""
    value = text.strip()
    if not value and empty_ok:
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        extra = " (or empty for none)" if empty_ok else ""
        raise UserError(f"The {what} must be a whole number of 0 or more{extra}.")
    return number


def site_text(site: str, api_url: str) -> str:
    label = SITE_LABELS.get(site)
    return f"{label} ({api_url})" if label else f"Custom API URL ({api_url})"


class ChannelDetailScreen(ReverbScreen):
    BINDINGS = [
        Binding("escape", "back", "Back to the list", id="channel-detail.back"),
        Binding("ctrl+r", "reauthorise", "Reauthorise", id="channel-detail.reauthorise"),
        Binding("u", "unlinked", "Unlinked", id="channel-detail.unlinked"),
        Binding("p", "preview_stock", "Preview stock push", id="channel-detail.preview-stock"),
    ]
    AUTO_FOCUS = "#back-link"

    def __init__(self, channel_id: int) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.view: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-body"):
            with Horizontal(id="detail-nav"):
                yield Button(f"← {LIST_TITLE}", id="back-link", classes="link")
            with Horizontal(id="detail-heading"):
                yield Static("", id="detail-title", classes="screen-title", markup=False)
                yield Button("Remove account", id="remove-account", variant="error")
            yield Static("", id="channel-summary")
            with Horizontal(id="stock-actions", classes="form-buttons"):
                yield UnlinkedCountsButton(self.channel_id)
                yield Button("Preview stock push", id="preview-stock-push")
            with Collapsible(title="Reauthorise", id="reauthorise", collapsed=True):
                yield Static(
                    "Check the Seller ID, the Site and the Auth key, then Save. Reverb checks "
                    "them first; nothing changes unless it accepts them.",
                    classes="field-help",
                )
                yield Label("Seller ID", classes="field-label")
                yield Input(id="reauth-seller-id", placeholder="Reverb shop (seller) ID")
                yield Label("Site", classes="field-label")
                yield SitePicker(id="reauth-site")
                yield Label("Auth key", classes="field-label")
                yield TokenInput(id="reauth-token", placeholder="Empty keeps the stored token")
                yield FormError(id="reauth-error")
                with Horizontal(classes="form-buttons"):
                    yield Button("Save", id="reauth-save", variant="primary")
                    yield Button("Cancel", id="reauth-cancel", classes="cancel")
                    yield LoadingIndicator(id="reauth-spinner", classes="spinner")
                    yield Static("Checking with Reverb…", id="reauth-status", classes="busy-text")
            with Collapsible(title="Shipping mapping", id="shipping-mapping", collapsed=True):
                # Built when first expanded (see on_collapsible_expanded): the two mapping
                # sections are most of this screen's widgets and slow its opening.
                yield Vertical(id="shipping-mapping-body", classes="section-body")
            with Collapsible(title="SKU mapping", id="sku-mapping", collapsed=True):
                yield Vertical(id="sku-mapping-body", classes="section-body")
            with Collapsible(
                title="Additional settings", id="additional-settings", collapsed=False
            ):
                with Horizontal(classes="setting-row"):
                    yield Label("Stock updates", classes="setting-label")
                    yield Switch(id="stock-updates")
                    yield Static(
                        "Push stock levels to this account's listings.", classes="field-help"
                    )
                with Horizontal(classes="setting-row"):
                    yield Label("Buffer", classes="setting-label")
                    yield Input(id="settings-buffer", classes="setting-input")
                    yield Static("Units held back from the quantity shown.", classes="field-help")
                with Horizontal(classes="setting-row"):
                    yield Label("Maximum", classes="setting-label")
                    yield Input(id="settings-max", placeholder="none", classes="setting-input")
                    yield Static("Largest quantity shown; empty for none.", classes="field-help")
                with Horizontal(classes="setting-row"):
                    yield Label("Sync interval", classes="setting-label")
                    yield Input(id="settings-interval", classes="setting-input")
                    yield Static("Seconds between syncs (10 to 86400).", classes="field-help")
                yield FormError(id="settings-error")
                with Horizontal(classes="form-buttons"):
                    yield Button("Save", id="settings-save", variant="primary")
            with Horizontal(id="detail-actions", classes="form-buttons"):
                yield Button("Cancel", id="detail-cancel", classes="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = LIST_TITLE
        self._show_busy(False)
        self.load_channel()

    # -- loading --------------------------------------------------------------------------------

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-channel")
    def load_channel(self) -> None:
        from ..services.channels import channel_json

        ch = self.services.channels.get_by_id(self.channel_id)
        self.post_message(ChannelLoaded(channel_json(ch)))

    def on_channel_loaded(self, message: ChannelLoaded) -> None:
        message.stop()
        first = self.view is None
        self.view = view = message.view
        self.query_one("#detail-title", Static).update(view["name"])
        self.sub_title = view["name"]
        self.query_one("#channel-summary", Static).update(self._summary(view))
        if first:
            self._reset_reauthorise()
            self._reset_settings()

    def _summary(self, view: dict[str, Any]) -> Table:
        now = self.services.clock()
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        badge = logo_badge(view["type"])
        badge.append(" " + type_label(view["type"]), style="")
        since = parse_ts(view["orders_since"])
        rows: list[tuple[str, Text | str]] = [
            ("Name", Text(view["name"])),
            ("Type", badge),
            ("Status", status_text(view["enabled"])),
            ("Shop name", Text(view["shop_name"] or "—")),
            ("Seller ID", Text(view["seller_id"] or "—")),
            ("Site", Text(site_text(view["site"], view["api_url"]))),
            ("Access token", Text(view["token"])),  # token_hint: last four characters at most
            ("Default currency", Text(view["currency"])),
            ("Orders since", Text(since.date().isoformat() if since else "—")),
            ("Last orders", Text(relative_time(parse_ts(view["last_order_sync_at"]), now))),
            (
                "Last stock push",
                Text(relative_time(parse_ts(view["last_stock_push_at"]), now)),
            ),
            ("Reauthorise needed", reauth_text(view["needs_reauth"])),
            ("Errors", errors_text(view["error_count"], view["last_error"], width=200)),
        ]
        for label, value in rows:
            grid.add_row(label, value)
        return grid

    # -- navigation -----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.workers.cancel_group(self, GROUP_VERIFY)
        self.leave(None)

    def action_reauthorise(self) -> None:
        section = self.query_one("#reauthorise", Collapsible)
        section.collapsed = False
        self.query_one("#reauth-seller-id", Input).focus()

    def action_remove(self) -> None:
        if self.view is None:
            return
        self.app.push_screen(ConfirmRemoveModal(self.view["name"]), self._confirmed_remove)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button in ("back-link", "detail-cancel"):
            self.action_back()
        elif button == "reauth-save":
            self._submit_reauthorise()
        elif button == "reauth-cancel":
            self._reset_reauthorise()
            self.query_one("#reauthorise", Collapsible).collapsed = True
        elif button == "settings-save":
            self._submit_settings()
        elif button == "remove-account":
            self.action_remove()
        elif button == "open-unlinked":
            self.action_unlinked()
        elif button == "preview-stock-push":
            self.action_preview_stock()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        field = event.input.id or ""
        if field.startswith("reauth-"):
            self._submit_reauthorise()
        elif field.startswith("settings-"):
            self._submit_settings()

    # -- reauthorise ----------------------------------------------------------------------------

    def _reset_reauthorise(self) -> None:
        """Put the stored values back (Cancel changes nothing)."""
        view = self.view or {}
        self.query_one("#reauth-seller-id", Input).value = view.get("seller_id") or ""
        self.query_one(SitePicker).set_site(view.get("site") or "production")
        self.query_one(TokenInput).clear()
        self.query_one("#reauth-error", FormError).clear()

    def _submit_reauthorise(self) -> None:
        if self.view is None or self.query_one("#reauth-save", Button).disabled:
            return
        error = self.query_one("#reauth-error", FormError)
        error.clear()
        token = self.query_one(TokenInput)
        try:
            site = self.query_one(SitePicker).value
        except AppError as exc:
            error.show(exc.message)
            return
        form = {
            "site": site,
            "seller_id": self.query_one("#reauth-seller-id", Input).value,
            "token": token.value if token.value.strip() else None,
        }
        token.hide()
        self._show_busy(True)
        self.reauthorise(form)

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="reauthorise")
    async def reauthorise(self, form: dict[str, Any]) -> None:
        ch = await self.services.channels.reauthorise(self.channel_id, **form)
        self.post_message(ChannelChanged(int(ch.id), ch.name, "reauthorised"))

    def _show_busy(self, busy: bool) -> None:
        for selector in ("#reauth-spinner", "#reauth-status"):
            self.query_one(selector).display = busy
        for selector in ("#reauth-save", "#reauth-seller-id", "#reauth-site", "#reauth-token"):
            self.query_one(selector).disabled = busy

    # -- additional settings --------------------------------------------------------------------

    def _reset_settings(self) -> None:
        view = self.view or {}
        self.query_one("#stock-updates", Switch).value = bool(view.get("stock_updates"))
        self.query_one("#settings-buffer", Input).value = str(view.get("buffer", 0))
        maximum = view.get("max")
        self.query_one("#settings-max", Input).value = "" if maximum is None else str(maximum)
        self.query_one("#settings-interval", Input).value = str(view.get("interval", 60))
        self.query_one("#settings-error", FormError).clear()

    def _submit_settings(self) -> None:
        error = self.query_one("#settings-error", FormError)
        error.clear()
        try:
            buffer = parse_whole(self.query_one("#settings-buffer", Input).value, "buffer")
            maximum = parse_whole(
                self.query_one("#settings-max", Input).value, "maximum", empty_ok=True
            )
            interval = parse_whole(
                self.query_one("#settings-interval", Input).value, "sync interval"
            )
        except AppError as exc:
            error.show(exc.message)
            return
        self.save_settings(
            {
                "stock_updates": self.query_one("#stock-updates", Switch).value,
                "buffer": buffer,
                "max_quantity": maximum,
                "interval_seconds": interval,
            }
        )

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="save-settings")
    def save_settings(self, settings: dict[str, Any]) -> None:
        ch = self.services.channels.update_settings(self.channel_id, **settings)
        self.post_message(ChannelChanged(int(ch.id), ch.name, "settings"))

    # -- remove ---------------------------------------------------------------------------------

    # -- mapping sections, built on first expansion ------------------------------------------

    async def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        builders = {
            "shipping-mapping": ("#shipping-mapping-body", ShippingMappingSection),
            "sku-mapping": ("#sku-mapping-body", SkuMappingSection),
        }
        if event.collapsible.id not in builders:
            return
        selector, section_class = builders[event.collapsible.id]
        body = self.query_one(selector, Vertical)
        if not body.children:
            await body.mount(section_class(self.channel_id))
            # The Collapsible scrolled itself into view after the refresh that followed its
            # expansion, when it was still empty; scroll again now it has its full height.
            self.call_after_refresh(event.collapsible.scroll_visible)

    def _confirmed_remove(self, confirmed: bool | None) -> None:
        if confirmed:
            self.remove_channel()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="remove-channel")
    def remove_channel(self) -> None:
        ch = self.services.channels.remove(self.channel_id)
        self.post_message(ChannelRemoved(int(ch.id), ch.name))

    # -- SKUs and stock push (unlinked view, dry-run preview) ----------------------------------

    def action_unlinked(self) -> None:
        self.app.push_screen(UnlinkedScreen(self.channel_id), self._unlinked_closed)

    def _unlinked_closed(self, changed: bool | None) -> None:
        self.query_one(UnlinkedCountsButton).refresh_counts()
        if changed:
            for section in self.query(SkuMappingSection):  # none until first expanded
                section.load()

    def on_sku_mapping_section_saved(self, message: SkuMappingSection.Saved) -> None:
        self.query_one(UnlinkedCountsButton).refresh_counts()

    def action_preview_stock(self) -> None:
        if self.view is not None:
            self.app.push_screen(StockPreviewModal(self.channel_id, self.view["name"]))

    def on_switch_changed(self, event: Switch.Changed) -> None:
        # Stock updates switched on for the first time: preview the push before saving.
        view = self.view
        if (
            event.switch.id == "stock-updates"
            and event.value
            and view is not None
            and not view["stock_updates"]
            and view["last_stock_push_at"] is None
        ):
            self.app.push_screen(
                StockPreviewModal(self.channel_id, view["name"], confirm=True),
                self._first_push_previewed,
            )

    def _first_push_previewed(self, ok: bool | None) -> None:
        if ok:
            self._submit_settings()
            return
        switch = self.query_one("#stock-updates", Switch)
        with switch.prevent(Switch.Changed):
            switch.value = False

    # -- results --------------------------------------------------------------------------------

    def on_channel_changed(self, message: ChannelChanged) -> None:
        if message.change == "reauthorised":
            self.leave(None)  # the seed: "You will be returned to the list"
        else:
            self.load_channel()

    def on_channel_removed(self, message: ChannelRemoved) -> None:
        self.leave(None)

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == "reauthorise" and state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._show_busy(False)

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == "reauthorise":
            self.query_one("#reauth-error", FormError).show(message)
            return True
        if worker.name == "save-settings":
            self.query_one("#settings-error", FormError).show(message)
            return True
        if worker.name == "load-channel":
            self.leave(None)  # it is gone (removed elsewhere); the app says so
        return False
