"""ReverbApp: the terminal UI. Services are injected; nothing here opens a database or a client.

Routing (see also messages.py and ui_workers.py):

- Screens run their work in named worker groups (``db``/``table`` threads for database
  functions, ``verify`` async workers for calls to Reverb, ``sync`` for background sync) with
  ``exit_on_error=False``. A worker posts a past-tense message to its screen when it succeeds;
  the screen reacts, then the message bubbles here and the app notifies.
- A worker that fails posts a bubbling ``WorkerFailed`` (ui_workers.py) that ends in
  ``report_worker_failure``, the one handler: the error's one-sentence message is shown inline
  by the screen that asked (a form), else as a notification. An unexpected exception is reported in one sentence too; its redacted
  traceback goes to a file, never to the screen.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from .errors import AppError, storage_fault
from .messages import (
    ChangeKind,
    ChannelAdded,
    ChannelChanged,
    ChannelRemoved,
    DataChanged,
    SyncFinished,
    SyncProgressed,
    SyncRequested,
    SyncScheduled,
)
from .screens.channel_list import ChannelListScreen
from .text_safety import safe_text
from .textual_fixes import apply as apply_textual_fixes
from .ui_workers import GROUP_DB, GROUP_SYNC, WorkerFailed, WorkerName
from .views.channel import ChannelView
from .widgets.badges import REVERB_ORANGE, STATUS_BLUE

if TYPE_CHECKING:
    from .background_sync import BackgroundSync
    from .config import TuiSettings
    from .live import Change, ChangeWatcher
    from .services.factory import Services
    from .sync.service import ChannelSummary, Due, SyncProgress, SyncWanted

# Nothing on the way to the first frame imports the database stack (SQLAlchemy, SQLModel,
# Alembic) or httpx: a lazy Services opens the database in a thread right after the first
# frame (see ReverbApp.first_rows), and the screens that need more are imported when opened.
# tests/unit/test_quick_read.py checks it.

REVERB_THEME = Theme(
    name="reverb",
    primary=REVERB_ORANGE,
    secondary=STATUS_BLUE,
    accent=REVERB_ORANGE,
    warning="#f5a623",
    error="#e5484d",
    success="#46a758",
    foreground="#e8e6e3",
    background="#18181a",
    surface="#212124",
    panel="#2b2b2f",
    dark=True,
)

CHANGE_NOTICES = {
    ChangeKind.ENABLED: "Enabled {name!r}: it downloads orders and updates listings again.",
    ChangeKind.DISABLED: (
        "Disabled {name!r}: it downloads no orders and updates no listings until enabled."
    ),
    ChangeKind.REAUTHORISED: "Reauthorised {name!r}: Reverb accepted the site and the token.",
    ChangeKind.SETTINGS: "Saved the additional settings of {name!r}.",
}


def describe_failure(error: BaseException | None) -> str:
    """One sentence for a failed worker; a bug's redacted traceback goes to a file."""
    if isinstance(error, AppError):
        return error.message
    fault = storage_fault(error)  # disk full, database locked or read-only: and the way out
    if fault is not None:
        return fault.message
    name = type(error).__name__ if error is not None else "error"
    where = _save_traceback(error)
    return f"An unexpected {name} occurred" + (
        f"; details were written to {where}." if where else "."
    )


def _save_traceback(error: BaseException | None) -> str | None:
    if error is None:
        return None
    try:
        from .logs import redact
        from .paths import error_report_path

        path = error_report_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(redact("".join(traceback.format_exception(error))))
        os.chmod(path, 0o600)
        return str(path)
    except OSError:
        return None


# The main screens besides the list, imported when first opened (they cost start-up time).


def _orders() -> type[Screen]:
    from .screens.orders import OrdersScreen

    return OrdersScreen


def _inventory() -> type[Screen]:
    from .screens.inventory import InventoryScreen

    return InventoryScreen


def _shipping() -> type[Screen]:
    from .screens.shipping_services import ShippingServicesScreen

    return ShippingServicesScreen


def _sync_log() -> type[Screen]:
    from .screens.sync_log import SyncLogScreen

    return SyncLogScreen


def _reports() -> type[Screen]:
    from .screens.reports import ReportsScreen

    return ReportsScreen


@dataclass(frozen=True)
class MainScreen:
    screen: Callable[[], type[Screen]]
    title: str  # in the command palette
    help: str


MAIN_SCREENS: dict[str, MainScreen] = {
    "orders": MainScreen(
        _orders, "Orders", "Downloaded orders: filter, search, exceptions, mark shipped"
    ),
    "inventory": MainScreen(
        _inventory, "Inventory", "Local SKUs: on hand, reserved, available; CSV import and export"
    ),
    "shipping": MainScreen(
        _shipping, "Shipping services", "Local shipping services and their Reverb carriers"
    ),
    "sync_log": MainScreen(
        _sync_log, "Sync log", "Every sync run with counts, duration and each error"
    ),
    "reports": MainScreen(
        _reports, "Reports", "Orders and revenue per integration per day, as charts"
    ),
}


class ChannelCommands(Provider):
    """Command palette: "Open <integration>" for every integration."""

    async def startup(self) -> None:
        app: ReverbApp = self.app  # type: ignore[assignment]

        def read() -> list[ChannelView]:
            return [ChannelView.of(ch) for ch in app.services.channels.list()]

        try:
            self._channels = await asyncio.to_thread(read)
        except AppError as exc:
            app.notify(exc.message, severity="error", markup=False)
            self._channels = []

    def _commands(self) -> Iterable[tuple[str, Any, str]]:
        app: ReverbApp = self.app  # type: ignore[assignment]
        for row in self._channels:
            yield (
                f"Open {row.name}",
                partial(app.open_channel, row.id, row),
                "Open the integration",
            )

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)


# Seconds after start before the start-up heap is frozen (see ReverbApp._freeze_heap).
FREEZE_HEAP_AFTER = 1.0
# How long a sync's notification stays: a routine success goes soon (the list shows the
# result); errors and warnings stay long enough to be read (a click dismisses them).
ROUTINE_NOTICE_SECONDS = 3.0
PROBLEM_NOTICE_SECONDS = 60.0


class ReverbApp(App[None]):
    """Sales channel integrations for Reverb, in a terminal."""

    # Every screen's stylesheet, parsed once at start: a screen with a CSS_PATH of its own
    # makes Textual re-parse and restyle the whole app the first time it opens.
    CSS_PATH = [
        os.path.join(os.path.dirname(__file__), sheet)  # absolute: subclasses inherit them
        for sheet in (
            "app.tcss",
            "screens/cluster.tcss",
            "screens/confirm.tcss",
            "screens/inventory_dialogs.tcss",
            "screens/keys_help.tcss",
            "screens/onboarding.tcss",
            "screens/order_detail.tcss",
            "screens/orders.tcss",
            "screens/reports.tcss",
            "screens/shipping_services.tcss",
            "screens/stock_preview.tcss",
            "screens/sync_log.tcss",
        )
    ]
    TITLE = "reverb-tui"
    SUB_TITLE = "Sales channel integrations"
    COMMANDS = App.COMMANDS | {ChannelCommands}
    BINDINGS = [
        Binding("o", "open('orders')", "Orders", id="app.orders"),
        Binding("i", "open('inventory')", "Inventory", id="app.inventory"),
        Binding("v", "open('shipping')", "Shipping services", id="app.shipping-services"),
        Binding("l", "open('sync_log')", "Sync log", id="app.sync-log"),
        # Not "g": in every table g goes to the first row.
        Binding("R", "open('reports')", "Reports", id="app.reports"),
        Binding(
            "question_mark,f1",
            "show_help_panel",
            "Keys",
            id="app.keys",
            show=False,
            tooltip="The keys of this screen, with what each does.",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            show=False,
            priority=True,
            tooltip="Quit reverb-tui.",
        ),
    ]

    def __init__(
        self,
        services: Services,
        *,
        start_sync: bool = True,
        first_rows: list[ChannelView] | None = None,
        settings: TuiSettings | None = None,
        live: bool = True,
    ) -> None:
        """``first_rows``: the integrations read without the database stack (db/quick.py),
        for the list's first frame while ``services`` opens the database (a lazy Services).
        ``settings``: the theme and keymap (config.tui_settings); without them the app starts
        with its own theme and keys and remembers no theme picked in the palette (tests).
        ``live``: watch the database for what other processes commit (reverb_tui/live.py)
        once it is open; the screens in view read again what concerns them."""
        apply_textual_fixes()  # once per process: render caches that outlive their use
        super().__init__()
        self.services = services
        # The background sync starts on mount when True (tests pass False), on a thread of
        # its own (background_sync.py) in the "sync" worker group.
        self.start_sync = start_sync
        self.first_rows = first_rows
        # Why the database could not be opened after the first frame (the App then exits
        # and `reverb-tui` reports it as it would have before starting the TUI).
        self.open_error: BaseException | None = None
        self._background_sync: BackgroundSync | None = None
        self._heap_frozen = False
        # What the background sync is doing, for the screens that show it (the list).
        self.sync_progress_signal: Signal[SyncProgress] = Signal(self, "sync-progress")
        self.sync_finished_signal: Signal[list[ChannelSummary]] = Signal(self, "sync-finished")
        # What was committed to the database, by anyone (reverb_tui/live.py).
        self.live = live
        self.live_watcher: ChangeWatcher | None = None
        self._unmounting = False
        self._live_lock = threading.Lock()
        self.data_changed_signal: Signal[Change] = Signal(self, "data-changed")
        # When each integration's next check and full sync are due, as the background sync
        # last planned them (empty until it has; always empty without it).
        self.sync_schedule: dict[int, Due] = {}
        self.register_theme(REVERB_THEME)
        self.settings = settings
        self.theme_problem: str | None = None  # an unknown theme asked for, said once started
        self.theme = self._starting_theme()
        if settings is not None and settings.keymap:
            self.set_keymap(settings.keymap)

    # -- theme and keymap -------------------------------------------------------------------------

    def _starting_theme(self) -> str:
        settings = self.settings
        if settings is None or settings.theme == REVERB_THEME.name:
            return REVERB_THEME.name
        if settings.theme in self.available_themes:
            return settings.theme
        where = {"config": "in the config file", "palette": "remembered"}.get(
            settings.theme_from, f"from {settings.theme_from}"
        )
        self.theme_problem = (
            f"Unknown theme {settings.theme!r} ({where}); using {REVERB_THEME.name!r}. "
            "Ctrl+P, then Theme, lists the themes."
        )
        return REVERB_THEME.name

    def watch_theme(self, theme: str) -> None:
        """A theme picked after start (the command palette's Theme) is remembered for the
        next start, in the state file; never in the user's config file."""
        settings = self.settings
        if settings is None or settings.state_file is None or not self.is_running:
            return
        self.run_worker(
            partial(self._remember_theme, settings.state_file, theme, settings.config_theme),
            group=GROUP_DB,
            name="remember-theme",
            thread=True,
            exit_on_error=False,
        )

    def _remember_theme(self, path: Any, theme: str, config_theme: str | None) -> None:
        from .config import remember_theme

        try:
            remember_theme(path, theme, config_theme)
        except OSError as exc:
            self.call_from_thread(
                self.notify,
                f"Could not remember the theme in {path}: {exc.strerror}.",
                severity="warning",
                markup=False,
            )

    def action_show_help_panel(self) -> None:
        """``?`` and F1 (and Keys in the command palette): the keys of the screen in front,
        with what each does, in a dialog; Textual's own side panel is not used."""
        from .screens.keys_help import KeysHelpModal, keys_of

        if isinstance(self.screen, KeysHelpModal):
            self.screen.dismiss(None)
            return
        self.push_screen(KeysHelpModal(keys_of(self.screen), self.screen))

    def get_default_screen(self) -> Screen:
        return ChannelListScreen()

    # -- navigation (also used by the command palette) -----------------------------------------

    def action_add_channel(self) -> None:
        from .screens.add_channel import AddChannelScreen

        if not any(isinstance(s, AddChannelScreen) for s in self.screen_stack):
            self.push_screen(AddChannelScreen())

    def open_channel(self, channel_id: int, view: ChannelView | None = None) -> None:
        """``view``: the integration as the caller last read it, if it has it (the first
        frame of the detail screen shows it while a fresh copy is read)."""
        from .screens.channel_detail import ChannelDetailScreen

        self.push_screen(ChannelDetailScreen(channel_id, view))

    def action_open(self, name: str) -> None:
        """Open one of the app's main screens (orders, inventory, shipping, sync_log, reports)."""
        screen_cls = MAIN_SCREENS[name].screen()
        for existing in self.screen_stack[1:]:
            if isinstance(existing, screen_cls):
                while self.screen is not existing:
                    self.pop_screen()
                return
        self.push_screen(screen_cls())

    def action_show_channels(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from .screens.channel_detail import ChannelDetailScreen

        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Add sales channel",
            "Connect a Reverb account with its personal access token",
            self.action_add_channel,
        )
        yield SystemCommand(
            "Sales channel integrations",
            "Back to the list of integrations",
            self.action_show_channels,
        )
        yield SystemCommand(
            "Sync now",
            "Download orders and push stock for every enabled integration",
            lambda: self.post_message(SyncRequested(None)),
        )
        for name, main in MAIN_SCREENS.items():
            yield SystemCommand(main.title, main.help, partial(self.action_open, name))
        if isinstance(screen, ChannelListScreen):
            yield SystemCommand(
                "Enable/disable the highlighted integration",
                "Flip the status switch of the row under the cursor",
                screen.action_toggle_status,
            )
            yield SystemCommand(
                "Refresh the list", "Read the integrations again", screen.action_refresh
            )
            yield SystemCommand(
                "Sync daemons",
                "Hosts and daemons sharing the database, their heartbeats, who holds what",
                screen.action_cluster,
            )
        if isinstance(screen, ChannelDetailScreen):
            yield SystemCommand(
                "Reauthorise",
                "Check the Seller ID, Site and Auth key of this integration",
                screen.action_reauthorise,
            )
            yield SystemCommand(
                "Unlinked listings and orders",
                "Listings and orders of this integration whose SKU maps to no local SKU",
                screen.action_unlinked,
            )
            yield SystemCommand(
                "Preview stock push",
                "Each listing's current and new stock, without writing anything",
                screen.action_preview_stock,
            )
            yield SystemCommand(
                "Remove account",
                "Remove this integration (asks OK / Cancel first)",
                screen.action_remove,
            )

    # -- text from strangers: notifications and the header ------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (``Widget.notify`` comes here too) with its message and title
        made safe: an API error text or a buyer name cannot put a control character on the
        terminal through a toast. The program's own line breaks in the message stay."""
        super().notify(
            safe_text(message, newlines=True),
            title=safe_text(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header's title and sub-title made safe (a screen's sub-title can name a
        channel or an order)."""
        return super().format_title(safe_text(title), safe_text(sub_title))

    # -- the one handler for failed workers ----------------------------------------------------

    def on_worker_failed(self, message: WorkerFailed) -> None:
        self.report_worker_failure(message.worker, message.origin)

    def report_worker_failure(self, worker: Worker, origin: DOMNode | None = None) -> None:
        message = describe_failure(worker.error)
        show_inline = getattr(origin, "show_worker_error", None)
        if show_inline is not None and origin is not None and show_inline(worker, message):
            return
        self.notify(message, title="Error", severity="error", timeout=10, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Workers run on the app itself (the sync area's, for one).
        if event.state is WorkerState.ERROR:
            self.report_worker_failure(event.worker)

    # -- app-wide reactions to what the screens did --------------------------------------------

    def on_channel_added(self, message: ChannelAdded) -> None:
        self.notify(
            f"Added {message.name!r}: it is enabled and will download orders.",
            title="Sales channel added",
            markup=False,
        )

    def on_channel_changed(self, message: ChannelChanged) -> None:
        template = CHANGE_NOTICES.get(message.change, "Changed {name!r}.")
        self.notify(template.format(name=message.name), markup=False)

    def on_channel_removed(self, message: ChannelRemoved) -> None:
        self.notify(
            f"Removed {message.name!r}. Its downloaded orders stay, under the removed integration.",
            title="Sales channel removed",
            markup=False,
        )

    # -- background sync ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_timer(FREEZE_HEAP_AFTER, self._freeze_heap, name="freeze-heap")
        if self.theme_problem:
            self.notify(self.theme_problem, severity="warning", timeout=10, markup=False)
        if self.start_sync:  # started after the first frame; "Sync now" queues until then
            from .background_sync import BackgroundSync

            self._background_sync = BackgroundSync(
                self.services,
                on_progress=lambda p: self.post_message(SyncProgressed(p)),
                on_run=lambda summaries, wanted: self.post_message(
                    SyncFinished(summaries, requested=wanted is not None)
                ),
                on_schedule=lambda due: self.post_message(SyncScheduled(due)),
            )
        # After the first frame: open the database if it is not yet (a lazy Services), import
        # what the next screens need and start the background sync, off the first frame's way.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.run_worker(
            self._open_database, group=GROUP_DB, name="open-database", thread=True,
            exit_on_error=False,
        )  # fmt: skip
        if self._background_sync is not None:
            self.run_worker(
                self._background_sync.run,
                group=GROUP_SYNC,
                name=WorkerName.SYNC_LOOP,
                thread=True,
                exit_on_error=False,
            )

    def _open_database(self) -> None:
        """Thread: open the database (a lazy Services), then import ahead of use what the
        next screens and the command palette need. A database that cannot be opened ends the
        App with ``open_error`` (``reverb-tui`` reports it as before the TUI existed)."""
        try:
            _ = self.services.engine
        except Exception as exc:
            self.call_from_thread(self._database_failed, exc)
            return
        _ = self.services.channels  # builds the service (imports its modules)
        if self.live:
            self._watch_changes()
        from .screens import add_channel, channel_detail  # noqa: F401

    def _watch_changes(self) -> None:
        """Thread: start the change watcher on a thread of its own (not a worker: it runs as
        long as the App does). It posts ``DataChanged``; the App publishes it. An App already
        unmounting starts none (the lock: unmount stops the one started, if any)."""
        from .live import ChangeWatcher

        with self._live_lock:
            if self._unmounting:
                return
            watcher = ChangeWatcher(
                self.services.engine, lambda change: self.post_message(DataChanged(change))
            )
            self.live_watcher = watcher
            watcher.start()

    def on_data_changed(self, message: DataChanged) -> None:
        self.data_changed_signal.publish(message.change)

    def _database_failed(self, error: BaseException) -> None:
        self.open_error = error
        self.exit(return_code=1)

    async def _sync_once(self, wanted: SyncWanted) -> None:
        summaries = await self.services.sync.run(
            wanted.kind,
            wanted.channels,
            on_progress=lambda p: self.post_message(SyncProgressed(p)),
        )
        self.post_message(SyncFinished(summaries, requested=True))

    def on_sync_requested(self, message: SyncRequested) -> None:
        from .sync.service import SyncWanted

        wanted = SyncWanted(message.channel_id, message.stock_only)
        if self._background_sync is not None:
            self._background_sync.request(wanted)
        else:  # no background loop (tests, or a user who turned it off): run it once
            self.run_worker(
                self._sync_once(wanted),
                group=GROUP_SYNC,
                name=WorkerName.SYNC_NOW,
                exit_on_error=False,
            )
        if not message.stock_only:
            self.notify("Syncing now…", timeout=3, markup=False)

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        self.sync_progress_signal.publish(message.progress)

    def on_sync_scheduled(self, message: SyncScheduled) -> None:
        self.sync_schedule = message.schedule  # the screens read it when they repaint

    def on_sync_finished(self, message: SyncFinished) -> None:
        """One short notification for the integrations that synced (it goes soon), one per
        integration with errors (it stays a minute; a click dismisses it)."""
        self.sync_finished_signal.publish(message.summaries)
        if message.requested and not message.summaries:
            self.notify("Nothing to sync: no enabled integration.", markup=False)
        synced = []
        for s in message.summaries:
            if s.errors:
                failed = not s.completed
                self.notify(
                    summary_text(s),
                    title=f"Sync of {s.channel}" + (" failed" if failed else ""),
                    severity="error" if failed else "warning",
                    timeout=PROBLEM_NOTICE_SECONDS,
                    markup=False,
                )
            elif message.requested or s.orders_new or s.orders_updated or s.listings_pushed:
                synced.append(s)
        if len(synced) == 1:
            title, text = f"Synced {synced[0].channel}", summary_text(synced[0])
        elif synced:
            title, text = f"Synced {len(synced)} integrations", summary_text(total(synced))
        if synced:
            self.notify(text, title=title, timeout=ROUTINE_NOTICE_SECONDS, markup=False)

    def _freeze_heap(self) -> None:
        """Once started, move what is alive (modules, stylesheets, the ORM's metadata: some
        140,000 objects) out of the garbage collector's reach. Each full collection walked
        them all and stopped the event loop for about 100 ms, a visible stall at any key;
        afterwards a full collection walks only what was made since (about 25 ms)."""
        if not self._heap_frozen:
            gc.collect()
            gc.freeze()
            self._heap_frozen = True

    async def on_unmount(self) -> None:
        if self._heap_frozen:  # hand them back: an app run in a longer process (tests)
            gc.unfreeze()
            self._heap_frozen = False
        with self._live_lock:
            self._unmounting = True
            watcher = self.live_watcher
        if watcher is not None:
            watcher.stop()
            await asyncio.to_thread(watcher.join)
        sync = self._background_sync
        if sync is not None:  # a run in progress lets go of its leases before the App ends
            sync.stop()
            await asyncio.to_thread(sync.join)

    async def action_quit(self) -> None:
        if self._background_sync is not None:
            self._background_sync.stop()
        self.exit()


def _count(n: int, noun: str) -> str:
    """``1 new order``, ``3 new orders``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_text(s: ChannelSummary) -> str:
    """One short sentence (a notification at 80 columns is about 36 wide): counts that are
    zero are left out, the new orders always said."""
    orders = _count(s.orders_new, "new order") + (
        f", {s.orders_updated} updated" if s.orders_updated else ""
    )
    parts = [orders]
    if s.listings_pushed or s.listings_skipped or s.listings_failed:
        listings = [_count(s.listings_pushed, "listing") + " updated"]
        listings += [
            f"{n} {what}"
            for n, what in ((s.listings_skipped, "skipped"), (s.listings_failed, "failed"))
            if n
        ]
        parts.append(", ".join(listings))
    if s.errors:
        parts.append(f"{_count(len(s.errors), 'error')}; first: {s.errors[0]}")
    return "; ".join(parts) + "."


def total(summaries: list[ChannelSummary]) -> ChannelSummary:
    """The counts of several integrations' runs added up (one notification for the run)."""
    from .sync.service import ChannelSummary

    total = ChannelSummary(channel="")
    for s in summaries:
        for count in COUNTS:
            setattr(total, count, getattr(total, count) + getattr(s, count))
    return total


COUNTS = ("orders_new", "orders_updated", "listings_pushed", "listings_skipped", "listings_failed")
