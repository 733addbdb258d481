"""Sales channel integrations: the list (logo, name, type, status, plus health)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Header, Static
from textual.worker import get_current_worker

from ..live import CHANNELS
from ..messages import ChangeKind, ChannelChanged, ChannelsLoaded, SyncRequested
from ..widgets.channel_table import ChannelTable
from ..widgets.footer import AppFooter
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen

if TYPE_CHECKING:
    from ..live import Change
    from ..sync.service import ChannelSummary, SyncProgress

TITLE = "Sales channel integrations"
EMPTY_TEXT = (
    "No sales channel integrations yet.\n\n"
    "Press [b]a[/b] (or click [b]Add sales channel[/b]) to connect a Reverb account. "
    "You will need its Personal Access Token from reverb.com/my/api_settings "
    "(Your account → API & Integrations).\n\n"
    "Press [b]ctrl+p[/b] for every command, [b]q[/b] to quit."
)
# Health columns change while a sync runs, possibly in another process (a daemon): re-read
# (and the times shown, "2 min ago", move on). What others commit shows at once (live.py).
REFRESH_SECONDS = 15.0


class ChannelListScreen(ReverbScreen):
    """One row per integration; space (or a click on the status) switches it on and off."""

    BINDINGS = [
        Binding("a", "add_channel", "Add sales channel", id="channels.add"),
        Binding("space", "toggle_status", "Enable/disable", id="channels.toggle-status"),
        Binding("r", "refresh", "Refresh", id="channels.refresh", show=False),  # every 15 s too
        Binding("s", "sync_now", "Sync now", id="channels.sync-now"),
        Binding("c", "cluster", "Sync daemons", id="channels.cluster", show=False),
        Binding("q", "app.quit", "Quit", id="channels.quit"),
    ]
    AUTO_FOCUS = "#channel-table"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="list-heading"):
            yield Static(TITLE, id="list-title", classes="screen-title")
            add = Button("Add sales channel", id="add-channel", variant="primary")
            add.can_focus = False  # the `a` key is the keyboard path; keep focus on the table
            yield add
        yield ChannelTable(id="channel-table")
        yield Static(EMPTY_TEXT, id="empty-state", classes="empty-state")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE
        # The rows the App read without the database stack (db/quick.py), for the first
        # frame; load_rows replaces them with the services' rows once the database is open.
        first = getattr(self.app, "first_rows", None)
        if first is not None:
            self.app.first_rows = None
            self.table.sync_rows(first, self.services.clock())
        self.set_interval(REFRESH_SECONDS, self.load_rows, name="refresh-channels")
        # The App publishes what the background sync does; this list shows it per row.
        self.app.sync_progress_signal.subscribe(self, self._sync_progressed)
        self.app.sync_finished_signal.subscribe(self, self._sync_finished)
        self.app.data_changed_signal.subscribe(self, self._data_changed)

    def _data_changed(self, change: Change) -> None:
        # An integration added, changed, enabled, disabled or synced elsewhere (resume reads).
        if self.is_current and change.concerns(CHANNELS):
            self.load_rows()

    def _sync_progressed(self, progress: SyncProgress) -> None:
        self.table.show_progress(progress.channel_id, progress)

    def _sync_finished(self, summaries: list[ChannelSummary]) -> None:
        for s in summaries:
            self.table.show_progress(s.channel_id, None)
        self.load_rows()

    def action_cluster(self) -> None:
        """The sync daemons sharing the database and what each holds (screens/cluster.py)."""
        from .cluster import ClusterModal

        self.app.push_screen(ClusterModal())

    def on_screen_resume(self) -> None:
        # First display and every return from the wizard or a detail screen.
        self.load_rows()

    @property
    def table(self) -> ChannelTable:
        return self.query_one(ChannelTable)

    # -- reading ------------------------------------------------------------------------------

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="load-channels")
    def load_rows(self) -> None:
        from ..views.channel import ChannelView

        rows = [ChannelView.of(ch) for ch in self.services.channels.list()]
        if not get_current_worker().is_cancelled:  # a newer read replaced this one
            self.post_message(ChannelsLoaded(rows, self.services.clock()))

    def on_channels_loaded(self, message: ChannelsLoaded) -> None:
        message.stop()
        table = self.table
        table.sync_rows(message.rows, message.now)
        if message.rows and self.focused is None:
            table.focus()  # the first row after an empty list: keys work at once

    # -- actions ------------------------------------------------------------------------------

    def action_add_channel(self) -> None:
        self.app.action_add_channel()

    def action_refresh(self) -> None:
        self.load_rows()

    def action_sync_now(self) -> None:
        self.post_message(SyncRequested(None))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """space is dimmed while there is no integration."""
        if action in ("toggle_status",) and self.table.empty:
            return None
        return True

    def action_toggle_status(self) -> None:
        channel_id = self.table.highlighted_id
        if channel_id is None:
            self.app.bell()
            return
        self._toggle(channel_id)

    def _toggle(self, channel_id: int) -> None:
        row = self.table.channel(channel_id)
        if row is not None:
            self.set_enabled(channel_id, not row.enabled)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="set-enabled")
    def set_enabled(self, channel_id: int, enabled: bool) -> None:
        ch = self.services.channels.set_enabled(channel_id, enabled)
        change = ChangeKind.ENABLED if enabled else ChangeKind.DISABLED
        self.post_message(ChannelChanged(int(ch.id), ch.name, change))

    def on_channel_changed(self, message: ChannelChanged) -> None:
        self.load_rows()  # then it bubbles to the app, which notifies

    def open_channel(self, channel_id: int) -> None:
        row = self.table.channel(channel_id)
        self.app.open_channel(channel_id, row)

    # -- table events -------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_channel(int(event.row_key.value))

    @on(ChannelTable.CellClicked, "#channel-table")
    def _cell_clicked(self, event: ChannelTable.CellClicked) -> None:
        if event.column == "status":
            self._toggle(int(event.key))
        else:  # the name
            self.open_channel(int(event.key))

    @on(Button.Pressed, "#add-channel")
    def _add_pressed(self) -> None:
        self.action_add_channel()
