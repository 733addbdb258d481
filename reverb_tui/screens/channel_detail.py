"""One integration: summary, Reauthorise, mapping sections, additional settings, Remove account.

The token is never shown: the summary gives ``channel.token_hint`` (the last four characters
at most) and the Auth key field starts empty ("empty keeps the stored token").
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.widget import AwaitMount, Widget
from textual.widgets import (
    Button,
    Collapsible,
    Header,
    Static,
    Switch,
)
from textual.worker import Worker, WorkerState

from ..live import CHANNELS, LISTINGS, MAPPINGS, ORDERS
from ..messages import ChangeKind, ChannelChanged, ChannelLoaded, ChannelRemoved
from ..reverb.sites import SITE_LABELS
from ..text_safety import safe_text
from ..widgets.badges import (
    errors_text,
    logo_badge,
    reauth_text,
    relative_time,
    status_text,
    type_label,
)
from ..widgets.footer import AppFooter
from ..widgets.reauthorise_form import ReauthoriseForm
from ..widgets.schedule_text import budget_text, next_check_text
from ..widgets.settings_form import SettingsForm
from ..widgets.shipping_mapping_section import ShippingMappingSection
from ..widgets.sku_mapping_section import SkuMappingSection
from ..widgets.unlinked_counts import UnlinkedCountsButton
from .base import GROUP_DB, GROUP_VERIFY, SHORT_BELOW, ReverbScreen
from .confirm import confirm_remove_channel
from .stock_preview import StockPreviewModal
from .unlinked import UnlinkedScreen

if TYPE_CHECKING:
    from ..live import Change
    from ..services.channels import ChannelView

LIST_TITLE = "Sales channel integrations"
SUMMARY_LABEL_WIDTH = 20  # the longest label, "Reauthorise needed", and two spaces
# On a screen short of rows the summary's labels go two to a line where they fit.
TWO_COLUMN_LINES: list[tuple[str, ...]] = [
    ("Type", "Status"),  # the name is the screen's title
    ("Shop name", "Seller ID"),
    ("Access token", "Default currency"),
    ("Orders since", "Sync interval"),
    ("Last orders", "Last stock push"),
    ("Reauthorise needed", "Errors"),
    ("Site",),
    ("Stock updates",),
    ("Budget",),  # and the next check, on one line (budget_line)
]
LEFT_VALUE_WIDTH = 16
RIGHT_LABEL_WIDTH = 17  # "Default currency" and a space
TWO_COLUMNS_FROM = 76  # columns: narrower, one column (and the screen scrolls)
# Collapsible sections (id: title), mounted after the first frame (_mount_sections), their
# contents built when first opened (_build_section).
SECTIONS = {
    "reauthorise": "Reauthorise",
    "shipping-mapping": "Shipping mapping",
    "sku-mapping": "SKU mapping",
    "settings": "Additional settings",
}


def stock_text(view: ChannelView) -> Text:
    """The summary's "Stock updates" line: the switch and the quantity rules in force, in the
    order they apply (the optional ones only when set). Short enough that every rule fits
    the value column of an 80-column terminal."""
    rules = [f"{view.percent}%"] if view.percent is not None else []
    rules.append(f"buffer {view.buffer}")
    if view.min_quantity is not None:
        rules.append(f"min {view.min_quantity}")
    rules.append("no maximum" if view.max_quantity is None else f"maximum {view.max_quantity}")
    if view.end_when is not None:
        rules.append(f"end when ≤ {view.end_when}")
    state = Text("On", style="bold") if view.stock_updates else Text("Off", style="dim")
    return state + Text(f" ({', '.join(rules)})")


def site_text(site: str, api_url: str) -> str:
    label = SITE_LABELS.get(site)
    return f"{label} ({api_url})" if label else f"Custom API URL ({api_url})"


class ChannelDetailScreen(ReverbScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="channel-detail.back", tooltip="Back to the list"),
        Binding("ctrl+r", "reauthorise", "Reauthorise", id="channel-detail.reauthorise"),
        Binding("e", "settings", "Settings", id="channel-detail.settings"),
        Binding("u", "unlinked", "Unlinked", id="channel-detail.unlinked"),
        Binding("p", "preview_stock", "Preview stock push", id="channel-detail.preview-stock"),
    ]
    AUTO_FOCUS = "#back-link"
    body = getters.query_one("#detail-body", VerticalScroll)

    def __init__(self, channel_id: int, view: ChannelView | None = None) -> None:
        """``view``: the integration as the list last read it, so the first frame shows it;
        it is read again at once."""
        super().__init__()
        self.channel_id = channel_id
        self.view: ChannelView | None = view
        self.two_columns = False  # the summary's layout (on_resize)
        self._shown_check = ""  # the "Next check" the summary shows (_tick)
        self._sections: AwaitMount | None = None  # _mount_sections
        self._stale = False  # a change came in while another screen covered this one

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-body"):
            with Horizontal(id="detail-nav"):
                yield Button(f"← {LIST_TITLE}", id="back-link", classes="link")
            with Horizontal(id="detail-heading"):
                yield Static(
                    safe_text(self.view.name) if self.view else "",
                    id="detail-title",
                    classes="screen-title",
                    markup=False,
                )
                yield Button("Remove account", id="remove-account", variant="error")
            yield Static(self._summary(self.view) if self.view else "", id="channel-summary")
            with Horizontal(id="stock-actions", classes="form-buttons"):
                yield UnlinkedCountsButton(self.channel_id)
                yield Button("Preview stock push", id="preview-stock-push")
            # The sections and Cancel come after the first frame (_mount_sections), and each
            # section's contents when first expanded (_build_section): built at once they were
            # most of this screen's widgets, and opening an integration took over 100 ms.
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = self.view.name if self.view else LIST_TITLE
        self.load_channel()
        self.app.data_changed_signal.subscribe(self, self._data_changed)
        self.set_interval(1.0, self._tick, name="next-check")
        # The title and summary paint first; the four section headers and Cancel (over a
        # quarter of the first frame's work while a sync runs) follow in the next frame.
        self.call_after_refresh(self._mount_sections)

    async def _mount_sections(self) -> None:
        """Mount the (collapsed, empty) sections and the Cancel row once; every caller waits
        until they are."""
        if self._sections is None:
            below: list[Widget] = [
                Collapsible(title=title, id=section, collapsed=True)
                for section, title in SECTIONS.items()
            ]
            below.append(
                Horizontal(
                    Button("Cancel", id="detail-cancel", classes="cancel"),
                    id="detail-actions",
                    classes="form-buttons",
                )
            )
            self._sections = self.body.mount_all(below)
        await self._sections

    # -- loading --------------------------------------------------------------------------------

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-channel")
    def load_channel(self) -> None:
        from ..services.channels import ChannelView

        ch = self.services.channels.get_by_id(self.channel_id)
        self.post_message(ChannelLoaded(ChannelView.of(ch)))

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.load_channel()
            self.query_one(UnlinkedCountsButton).refresh_counts()

    def _data_changed(self, change: Change) -> None:
        """Another process changed this integration (a sync, a 429, disabled), its listings,
        orders or mappings: the summary and the unlinked counts are read again. The sections'
        forms keep what the user is typing."""
        if not change.concerns(CHANNELS, ORDERS, LISTINGS, MAPPINGS):
            return
        if not self.is_current:
            self._stale = True
            return
        if change.concerns(CHANNELS):
            self.load_channel()
        if change.concerns(ORDERS, LISTINGS, MAPPINGS):
            self.query_one(UnlinkedCountsButton).refresh_counts()

    def on_channel_loaded(self, message: ChannelLoaded) -> None:
        message.stop()
        if message.view == self.view:
            return  # what the list handed over and the first frame shows: no second layout
        first = self.view is None
        self.view = view = message.view
        self.query_one("#detail-title", Static).update(safe_text(view.name))
        self.sub_title = view.name
        self.query_one("#channel-summary", Static).update(self._summary(view))
        for settings in self.query(SettingsForm):
            settings.stored(view)
        if first:  # a form opened before anything was read: fill it in now
            self.refresh_bindings()  # p and Remove can run now (check_action)
            for form in self.query("ReauthoriseForm, SettingsForm"):
                form.reset(view)

    def on_resize(self, event: Resize) -> None:
        # Short of rows (80×24): the summary in two columns, so the sections below it show.
        two_columns = event.size.height < SHORT_BELOW and event.size.width >= TWO_COLUMNS_FROM
        if two_columns != self.two_columns:
            self.two_columns = two_columns
            if self.view is not None:
                self.query_one("#channel-summary", Static).update(self._summary(self.view))

    def _next_check(self, view: ChannelView) -> Text:
        due = self.app.sync_schedule.get(view.id)
        scheduled = self.app.start_sync or bool(self.app.sync_schedule)
        return next_check_text(view, due, self.services.clock(), scheduled=scheduled)

    def _tick(self) -> None:
        """Once a second: repaint the summary when its "next check" reads differently."""
        view = self.view
        if view is not None and self._next_check_now(view).plain != self._shown_check:
            self.query_one("#channel-summary", Static).update(self._summary(view))

    def _next_check_now(self, view: ChannelView) -> Text:
        text = self._next_check(view)
        if self.two_columns:  # one line with the budget: the check's rhythm is left out
            text.truncate(len(text.plain.split(" (every")[0]))
        return text

    def budget_lines(self, view: ChannelView) -> dict[str, Text]:
        """The summary's budget and next-check rows; one "Budget" line when in two columns."""
        check = self._next_check_now(view)
        self._shown_check = check.plain
        if self.two_columns:
            # One line: the next check joins the budget when it fits (the budget, and a 429
            # that lowered it, come first); "no background sync" and the like are left out.
            line = budget_text(view)
            room = self.size.width - SUMMARY_LABEL_WIDTH - 4  # the summary's padding
            if check.plain[:3] in ("in ", "due") and len(line) + 14 + len(check) <= room:
                line += Text(" · next check ") + check
            return {"Budget": line}
        return {"Budget": budget_text(view), "Next check": check}

    def _summary(self, view: ChannelView) -> Text:
        """Label and value lines as one Text: a Rich table here took a third of the time to
        open the screen (measuring its columns on every layout)."""
        now = self.services.clock()
        badge = logo_badge(view.type)
        badge.append(" " + type_label(view.type), style="")
        since = view.orders_since.astimezone(UTC).date().isoformat()
        row = {
            "Name": Text(safe_text(view.name)),
            "Type": badge,
            "Status": status_text(view.enabled),
            "Shop name": Text(safe_text(view.shop_name) or "—"),
            "Seller ID": Text(safe_text(view.seller_id) or "—"),
            "Site": Text(safe_text(site_text(view.site, view.api_url))),
            "Access token": Text(safe_text(view.token_hint)),  # the last four characters at most
            "Default currency": Text(safe_text(view.currency)),
            "Orders since": Text(since),
            "Last orders": Text(relative_time(view.last_order_sync_at, now)),
            "Last stock push": Text(relative_time(view.last_stock_push_at, now)),
            "Reauthorise needed": reauth_text(view.needs_reauth),
            "Stock updates": stock_text(view),
            "Sync interval": Text(f"every {view.interval_seconds} s"),
            "Errors": errors_text(
                view.error_count, view.last_error, width=14 if self.two_columns else 200
            ),
        }
        row.update(self.budget_lines(view))
        lines = TWO_COLUMN_LINES if self.two_columns else [(label,) for label in row]
        summary = Text()
        for i, labels in enumerate(lines):
            if i:
                summary.append("\n")
            for column, label in enumerate(labels):
                value = row[label]
                if column == 0 and len(labels) > 1:  # the left half: cut to its width
                    value = value.copy()
                    value.truncate(LEFT_VALUE_WIDTH, overflow="ellipsis", pad=True)
                    value.append("  ")
                width = SUMMARY_LABEL_WIDTH if column == 0 else RIGHT_LABEL_WIDTH
                summary.append(label.ljust(width), style="bold")
                summary.append_text(value)
        return summary

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that need the integration read are shown dimmed until it is (None)."""
        if action in ("preview_stock", "remove") and self.view is None:
            return None
        return True

    # -- navigation -----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.workers.cancel_group(self, GROUP_VERIFY)
        self.leave(None)

    async def action_reauthorise(self) -> None:
        await self._build_section("reauthorise")
        self.query_one("#reauthorise", Collapsible).collapsed = False
        self.query_one(ReauthoriseForm).focus_first()

    async def action_settings(self) -> None:
        await self._build_section("settings")
        self.query_one("#settings", Collapsible).collapsed = False
        self.query_one(SettingsForm).focus_first()

    def action_remove(self) -> None:
        if self.view is None:
            return
        self.app.push_screen(confirm_remove_channel(self.view.name), self._confirmed_remove)

    @on(Button.Pressed, "#back-link, #detail-cancel")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#remove-account")
    def _remove_pressed(self) -> None:
        self.action_remove()

    @on(Button.Pressed, "#open-unlinked")
    def _unlinked_pressed(self) -> None:
        self.action_unlinked()

    @on(Button.Pressed, "#preview-stock-push")
    def _preview_pressed(self) -> None:
        self.action_preview_stock()

    # -- reauthorise ----------------------------------------------------------------------------

    def on_reauthorise_form_submitted(self, message: ReauthoriseForm.Submitted) -> None:
        message.stop()
        self.reauthorise(message.form)

    def on_reauthorise_form_cancelled(self, message: ReauthoriseForm.Cancelled) -> None:
        message.stop()
        self.query_one(ReauthoriseForm).reset(self.view)  # Cancel changes nothing
        self.query_one("#reauthorise", Collapsible).collapsed = True

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="reauthorise")
    async def reauthorise(self, form: dict[str, Any]) -> None:
        ch = await self.services.channels.reauthorise(self.channel_id, **form)
        self.post_message(ChannelChanged(int(ch.id), ch.name, ChangeKind.REAUTHORISED))

    # -- additional settings --------------------------------------------------------------------

    def on_settings_form_submitted(self, message: SettingsForm.Submitted) -> None:
        message.stop()
        self.save_settings(message.settings)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="save-settings")
    def save_settings(self, settings: dict[str, Any]) -> None:
        ch = self.services.channels.update_settings(self.channel_id, **settings)
        self.post_message(ChannelChanged(int(ch.id), ch.name, ChangeKind.SETTINGS))

    # -- sections built on first expansion ------------------------------------------------

    async def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        if event.collapsible.id not in SECTIONS:
            return
        if await self._build_section(event.collapsible.id) is not None:
            # The Collapsible scrolled itself into view after the refresh that followed its
            # expansion, when it was still empty; scroll again now it has its full height.
            self.call_after_refresh(event.collapsible.scroll_visible)

    async def _build_section(self, section: str) -> Widget | None:
        """Mount the section's contents unless they are there: the new widget, else None."""
        await self._mount_sections()  # a key (ctrl+r, e) can come before the next frame
        body = self.query_one(f"#{section}", Collapsible).query_one(Collapsible.Contents)
        if body.children:  # built, or being built (mount() adds the child at once)
            return None
        widget: Widget
        if section == "reauthorise":
            widget = ReauthoriseForm(self.view)
        elif section == "settings":
            widget = SettingsForm(self.view)
        elif section == "shipping-mapping":
            widget = ShippingMappingSection(self.channel_id)
        else:
            widget = SkuMappingSection(self.channel_id)
        await body.mount(widget)
        return widget

    # -- remove ---------------------------------------------------------------------------------

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

    # -- Cancel in a mapping section: this screen decides ------------------------------------

    def on_sku_mapping_section_cancelled(self, message: SkuMappingSection.Cancelled) -> None:
        message.stop()
        message.section.discard()
        self.action_back()  # Cancel returns to the list, applying nothing

    def on_shipping_mapping_section_cancelled(
        self, message: ShippingMappingSection.Cancelled
    ) -> None:
        message.stop()
        message.section.discard()  # the changes go; the section stays open

    def action_preview_stock(self) -> None:
        if self.view is not None:
            self.app.push_screen(StockPreviewModal(self.channel_id, self.view.name))

    def on_switch_changed(self, event: Switch.Changed) -> None:
        # Stock updates switched on for the first time: preview the push before saving.
        view = self.view
        if (
            event.switch.id == "stock-updates"
            and event.value
            and view is not None
            and not view.stock_updates
            and view.last_stock_push_at is None
        ):
            self.app.push_screen(
                StockPreviewModal(self.channel_id, view.name, confirm=True),
                self._first_push_previewed,
            )

    def _first_push_previewed(self, ok: bool | None) -> None:
        form = self.query_one(SettingsForm)
        if ok:
            form.submit()
            return
        with form.stock_updates.prevent(Switch.Changed):
            form.stock_updates.value = False

    # -- results --------------------------------------------------------------------------------

    def on_channel_changed(self, message: ChannelChanged) -> None:
        if message.change is ChangeKind.REAUTHORISED:
            self.leave(None)  # the form promised "You will be returned to the list"
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
            for form in self.query(ReauthoriseForm):
                form.busy = False

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == "reauthorise":
            for form in self.query(ReauthoriseForm):
                form.error.show(message)
            return True
        if worker.name == "save-settings":
            for form in self.query(SettingsForm):
                form.error.show(message)
            return True
        if worker.name == "load-channel":
            self.leave(None)  # it is gone (removed elsewhere); the app says so
        return False
