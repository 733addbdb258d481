"""Who syncs what: the sync daemons sharing the database, their last heartbeats and the
integrations each holds, read-only (``reverb-tui cluster status`` in a dialog).

Read in a worker every few seconds (daemons on other hosts come, go and hand integrations
over while it is open); ``c`` on the integrations list or the command palette opens it,
Escape closes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, DataTable, Static

from ..text_safety import safe_text
from .base import GROUP_TABLE, ReverbModal

if TYPE_CHECKING:
    from ..sync.cluster import ClusterStatus

TITLE = "Sync daemons"
REFRESH_SECONDS = 3.0
NOBODY = (
    "No sync daemon shares this database, and no other process ran a sync in the last hour. "
    "Start one with: reverb-tui sync --watch"
)


def _ago(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "-"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def daemon_rows(st: ClusterStatus) -> list[tuple[str, str, str, str, str]]:
    """(host, process, state, heartbeat, holds) per daemon or other syncing process."""
    rows = []
    for d in st.daemons:
        if d.daemon:
            state = f"daemon, lease {d.lease_seconds}s" if d.alive else "daemon, dead"
        else:
            state = "syncing (not a daemon)" if d.syncing else "synced lately"
        holds = ", ".join(sorted(d.holds)) or "nothing"
        if d.syncing:
            holds += f" (syncing {', '.join(sorted(d.syncing))})"
        rows.append(
            (
                safe_text(d.host, max_len=40),
                str(d.pid) if d.pid is not None else "?",
                state,
                _ago(st.now, d.last_heartbeat),
                safe_text(holds, max_len=200),
            )
        )
    return rows


class ClusterModal(ReverbModal):
    """The sync daemons and what each holds; read-only."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="cluster.close"),
        Binding("r", "refresh", "Refresh", id="cluster.refresh"),
    ]
    AUTO_FOCUS = "#cluster-table"

    def compose(self) -> ComposeResult:
        with Vertical(id="cluster-dialog"):
            yield Static(TITLE, id="cluster-title")
            yield Static("Reading…", id="cluster-summary", markup=False)
            table: DataTable = DataTable(id="cluster-table", cursor_type="row")
            table.add_columns("Host", "PID", "State", "Heartbeat", "Holds")
            yield table
            yield Button("Close", id="cluster-close")

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh, name="refresh-cluster")

    def action_close(self) -> None:
        self.leave()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cluster-close":
            self.leave()

    def action_refresh(self) -> None:
        self._read()

    @work(thread=True, group=GROUP_TABLE, exclusive=True, exit_on_error=False)
    def _read(self) -> None:
        from ..sync.cluster import cluster_status

        st = cluster_status(self.app.services.engine)
        self.app.call_from_thread(self._show, st)

    def _show(self, st: ClusterStatus) -> None:
        if not self.is_attached:
            return
        table = self.query_one("#cluster-table", DataTable)
        table.clear()
        for row in daemon_rows(st):
            table.add_row(*(_plain(cell) for cell in row))
        live = sum(1 for d in st.daemons if d.daemon and d.alive)
        free = [i["channel"] for i in st.integrations if i["enabled"] and not i["claimed_by"]]
        if not st.daemons:
            text = NOBODY
        else:
            text = f"{live} live daemon{'' if live == 1 else 's'}"
            if free and live:
                text += f"; not held by any: {safe_text(', '.join(free), max_len=200)}"
            text += f". Database time {st.now:%H:%M:%S} UTC."
        self.query_one("#cluster-summary", Static).update(text)


def _plain(value: str):
    from rich.text import Text

    return Text(value)  # never markup: host names and integration names are data
