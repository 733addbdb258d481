"""The sync log: every run with its counts and duration, each error with the API's message.

Runs are read in the ``table`` worker group (newest read wins) every few seconds, since a
daemon in another process adds runs while this screen is open. Rows are keyed by the run id
and updated in place; new runs go on top and the cursor stays on the run it was on. The panel
under the table lists the highlighted run's errors in full. ``t`` (or *Retry*) asks the app to
sync the integration of a failed or partial run again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Header, Select, Static
from textual.worker import Worker, get_current_worker

from ..clock import parse_ts
from ..errors import NotFound, UserError
from ..live import CHANNELS, RUNS, Change
from ..messages import SyncRequested
from ..safe_rich import safe_prompt
from ..text_safety import safe_text
from ..widgets.footer import AppFooter
from ..widgets.keyed_table import KeyedTable
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen

TITLE = "Sync log"
# A daemon may add runs at any time: read them again this often (only while on screen).
REFRESH_SECONDS = 3.0
# The newest runs shown (the whole log is `reverb-tui log --limit 0`).
LOG_LIMIT = 300
ALL = 0  # the filter's "All integrations" value (channel ids start at 1)
RETRYABLE = frozenset({"failed", "partial", "interrupted"})

STATUS_STYLES = {
    "ok": "bold #46a758",
    "partial": "bold #f5a623",
    "failed": "bold #e5484d",
    "interrupted": "bold #f5a623",
    "running": "bold #3d8ee8",
}

# (key, label) in display order; "run" holds the run id and orders the rows.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("run", "Run"),
    ("started", "Started"),
    ("channel", "Integration"),
    ("kind", "Kind"),
    ("status", "Status"),
    ("errors", "Errors"),
    ("duration", "Duration"),
    ("requests", "Req"),
    ("orders-new", "New"),
    ("orders-updated", "Upd"),
    ("listings-seen", "Seen"),
    ("listings-pushed", "Pushed"),
    ("listings-skipped", "Skip"),
    ("listings-failed", "Fail"),
)

EMPTY_TEXT = (
    "No sync runs yet. Runs appear here as integrations sync, in this app or in a "
    "`reverb-tui sync --watch` daemon on the same database."
)


# -- cells ------------------------------------------------------------------------------------


def local_time(value: str | None) -> datetime | None:
    when = parse_ts(value)
    return when.astimezone() if when is not None else None


def started_text(value: str | None, *, full: bool = False) -> str:
    """A run's start in local time: ``03-14 15:09:26`` in the table, with the year in detail."""
    when = local_time(value)
    if when is None:
        return "—"
    return when.strftime("%Y-%m-%d %H:%M:%S" if full else "%m-%d %H:%M:%S")


def duration_text(seconds: float | None, status: str) -> str:
    if seconds is None:
        return "running" if status == "running" else "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def status_text(status: str) -> Text:
    return Text(safe_text(status), style=STATUS_STYLES.get(status, "bold"))


def _count(value: int | None, *, alert: bool = False) -> Text:
    n = int(value or 0)
    style = "bold #e5484d" if alert and n else ("dim" if not n else "")
    return Text(str(n), style=style, justify="right")


def run_cells(run: dict[str, Any]) -> tuple[Text, ...]:
    return (
        Text(str(run["id"]), style="dim", justify="right"),
        Text(started_text(run["started_at"])),
        Text(safe_text(run["channel"])),
        Text(safe_text(run["kind"])),
        status_text(run["status"]),
        _count(len(run["errors"]), alert=True),
        Text(duration_text(run["seconds"], run["status"]), justify="right"),
        _count(run["requests"]),
        _count(run["orders_new"]),
        _count(run["orders_updated"]),
        _count(run["listings_seen"]),
        _count(run["listings_pushed"]),
        _count(run["listings_skipped"]),
        _count(run["listings_failed"], alert=True),
    )


def run_detail(run: dict[str, Any]) -> Group:
    """The panel under the table: the run's counts, then every error with its full message."""
    head = Text()
    head.append(f"Run {run['id']}", style="bold")
    head.append(f" · {safe_text(run['channel'])} · {safe_text(run['kind'])} · ")
    head.append_text(status_text(run["status"]))
    if run["seconds"] is None:
        took = "still running" if run["status"] == "running" else "did not finish"
    else:
        took = "took " + duration_text(run["seconds"], run["status"])
    lines = [
        head,
        Text(
            f"Started {started_text(run['started_at'], full=True)} · {took} · "
            f"{run['requests']} requests"
        ),
        Text(
            f"Orders: {run['orders_new']} new, {run['orders_updated']} updated · "
            f"Listings: {run['listings_seen']} seen, {run['listings_pushed']} pushed, "
            f"{run['listings_skipped']} skipped, {run['listings_failed']} failed"
        ),
    ]
    invalid = [
        f"{n} {what}{'' if n == 1 else 's'}"
        for n, what in (
            (run.get("orders_invalid", 0), "order"),
            (run.get("listings_invalid", 0), "listing"),
        )
        if n
    ]
    if invalid:
        lines.append(
            Text(
                f"Not stored: {' and '.join(invalid)} Reverb sent could not be read; "
                "each is named below with the reason.",
                style="#e5484d",
            )
        )
    errors = run["errors"]
    if not errors:
        lines.append(Text("No errors.", style="dim"))
    else:
        lines.append(Text(f"Errors ({len(errors)}):", style="bold #e5484d"))
        for e in errors:
            line = Text("  ")
            when = local_time(e.get("at"))
            if when is not None:
                line.append(when.strftime("%H:%M:%S") + "  ", style="dim")
            if e.get("item"):
                line.append(f"{safe_text(e['item'])}: ", style="bold")
            # The API's message in full, never parsed as markup, its control characters
            # replaced (its line breaks kept).
            line.append(safe_text(e["message"], newlines=True))
            lines.append(line)
    if run["status"] in RETRYABLE:
        lines.append(Text("Press t (or Retry) to sync this integration again.", style="dim"))
    return Group(*lines)


# -- the screen -------------------------------------------------------------------------------


class SyncLogScreen(ReverbScreen):
    """Sync runs, newest first; the highlighted run's errors below; retry a failed run."""

    class RunsLoaded(Message):
        """The newest runs were read (``channel_id`` is the filter they were read with)."""

        def __init__(self, runs: list[dict[str, Any]], channel_id: int | None) -> None:
            super().__init__()
            self.runs = runs
            self.channel_id = channel_id

    class FilterLoaded(Message):
        """The integrations to filter by: (name, id) pairs."""

        def __init__(self, options: list[tuple[str | Text, int]]) -> None:
            super().__init__()
            self.options = options

    BINDINGS = [
        Binding("escape", "back", "Back", id="sync-log.back"),
        Binding("t", "retry", "Retry", id="sync-log.retry"),
        Binding("r", "refresh", "Refresh", id="sync-log.refresh"),
        Binding("f", "focus_filter", "Filter", id="sync-log.filter"),
    ]
    AUTO_FOCUS = "#sync-log-table"

    def __init__(self) -> None:
        super().__init__()
        self.channel_filter: int | None = None
        self._runs: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="sync-log-heading"):
            yield Static(TITLE, id="sync-log-title", classes="screen-title")
            yield Select(
                [("All integrations", ALL)],
                allow_blank=False,
                value=ALL,
                id="sync-log-filter",
            )
            retry = Button("Retry", id="sync-log-retry", variant="warning", disabled=True)
            retry.can_focus = False  # the `t` key is the keyboard path; focus stays on the table
            yield retry
        yield Static("", id="sync-log-status", markup=False)
        yield KeyedTable(id="sync-log-table", columns=COLUMNS)
        yield Static(EMPTY_TEXT, id="sync-log-empty", classes="empty-state", markup=False)
        with VerticalScroll(id="run-detail"):
            yield Static("", id="run-detail-text")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE
        self.query_one("#run-detail").border_title = "Run details"
        self.set_interval(REFRESH_SECONDS, self._tick, name="refresh-sync-log")
        self.app.data_changed_signal.subscribe(self, self._data_changed)

    def _data_changed(self, change: Change) -> None:
        # A run started, finished or failed elsewhere: shown now, not at the next tick.
        if self.is_current and change.concerns(RUNS, CHANNELS):
            if change.concerns(CHANNELS):
                self.load_filter()
            self.load_rows()

    def on_screen_resume(self) -> None:
        self.load_filter()
        self.load_rows()

    table = getters.query_one("#sync-log-table", KeyedTable)

    def _tick(self) -> None:
        if self.is_current:  # not while another screen covers this one
            self.load_rows()

    # -- reading ------------------------------------------------------------------------------

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="load-runs")
    def load_rows(self) -> None:
        channel_id = self.channel_filter
        runs = self.services.sync_log.runs(limit=LOG_LIMIT, channel_id=channel_id)
        if not get_current_worker().is_cancelled:  # a newer read replaced this one
            self.post_message(self.RunsLoaded(runs, channel_id))

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="load-log-filter")
    def load_filter(self) -> None:
        options = [(safe_prompt(ch.name), int(ch.id)) for ch in self.services.channels.list()]
        self.post_message(self.FilterLoaded(options))

    def on_sync_log_screen_filter_loaded(self, message: SyncLogScreen.FilterLoaded) -> None:
        message.stop()
        select = self.query_one("#sync-log-filter", Select)
        options: list[tuple[str | Text, int]] = [("All integrations", ALL), *message.options]
        current = select.value
        with self.prevent(Select.Changed):
            select.set_options(options)
            legal = {value for _label, value in options}
            select.value = current if current in legal else ALL
        if select.value != (self.channel_filter or ALL):
            # The integration filtered by was removed: show every integration again.
            self.channel_filter = None
            self.load_rows()

    def on_sync_log_screen_runs_loaded(self, message: SyncLogScreen.RunsLoaded) -> None:
        message.stop()
        if message.channel_id != self.channel_filter:
            return  # read for a filter that has changed since
        self._sync_rows(message.runs)
        status = self.query_one("#sync-log-status", Static)
        status.remove_class("-error")
        shown = len(message.runs)
        more = f" (the newest {LOG_LIMIT})" if shown >= LOG_LIMIT else ""
        now = self.services.clock().astimezone().strftime("%H:%M:%S")
        status.update(
            f"{shown} run{'s' if shown != 1 else ''}{more}, newest first · "
            f"refreshed {now}, every {REFRESH_SECONDS:g} s"
        )

    def _sync_rows(self, runs: list[dict[str, Any]]) -> None:
        """Bring the table to ``runs`` by row key; the cursor stays on its run."""
        table = self.table
        wanted = {str(r["id"]): r for r in runs}  # the service's order: newest first
        table.sync({k: run_cells(r) for k, r in wanted.items()})
        self._runs = wanted
        if runs and self.focused is None:
            table.focus()
        self._show_detail()

    # -- the detail panel ---------------------------------------------------------------------

    @property
    def highlighted_run(self) -> dict[str, Any] | None:
        key = self.table.highlighted_key
        return self._runs.get(key) if key is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        run = self.highlighted_run
        panel = self.query_one("#run-detail-text", Static)
        if run is None:
            panel.update(Text("Highlight a run to see its errors.", style="dim"))
        else:
            panel.update(run_detail(run))
        self.query_one("#sync-log-retry", Button).disabled = not (
            run is not None and run["status"] in RETRYABLE
        )

    # -- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.leave()

    def action_refresh(self) -> None:
        self.load_rows()

    def action_focus_filter(self) -> None:
        self.query_one("#sync-log-filter", Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "sync-log-filter":
            return
        value = event.value
        channel_id = int(value) if isinstance(value, int) and value != ALL else None
        if channel_id == self.channel_filter:
            return
        self.channel_filter = channel_id
        self.load_rows()
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """t is dimmed while the log is empty (on a run that did not fail it says why)."""
        if action in ("retry",) and self.table.empty:
            return None
        return True

    def action_retry(self) -> None:
        run = self.highlighted_run
        if run is None or run["status"] not in RETRYABLE:
            self.app.bell()
            self.notify(
                "Only a failed or partial run can be retried.", severity="warning", markup=False
            )
            return
        self.retry(int(run["channel_id"]))

    @on(Button.Pressed, "#sync-log-retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="retry-run")
    def retry(self, channel_id: int) -> None:
        try:
            ch = self.services.channels.get_by_id(channel_id)
        except NotFound:
            raise UserError(
                "That run's integration was removed; a removed integration does not sync."
            ) from None
        if not ch.enabled:
            raise UserError(f"{ch.name!r} is disabled; enable it on the list to sync it again.")
        if ch.needs_reauth:
            raise UserError(f"{ch.name!r} needs reauthorising before it can sync again.")
        self.post_message(SyncRequested(int(ch.id)))

    # -- failures -----------------------------------------------------------------------------

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name != "load-runs":
            return False  # the app notifies (a refused retry, the filter)
        # A failed periodic read (a locked database, say) shows on the status line: the next
        # read replaces it, and a notification every few seconds would bury the screen.
        status = self.query_one("#sync-log-status", Static)
        status.add_class("-error")
        status.update(message)
        return True
