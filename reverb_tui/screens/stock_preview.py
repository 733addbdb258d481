"""A dry run of one integration's stock push, before stock updates are first switched on
(and on demand: the detail screen's p).

It reads the integration's listings from Reverb (``/my/listings?state=all``, every page) and
shows, for each, the quantity Reverb shows now, the one the push would write, what the push
would do: write, same (nothing to write), skip-ended (a one-of-a-kind listing that ended
cannot be relisted) or unlinked (no local SKU), and which quantity rule decided the value.
Nothing is written to Reverb.

Dismisses with True for OK, False for Cancel or Escape.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from ..domain import RunKind
from ..text_safety import safe_text
from ..widgets.form_error import FormError
from .base import GROUP_VERIFY, ReverbModal

MAX_ROWS = 1000  # rows shown; the counts cover every listing

# Each action: (display order, label, style).
ACTIONS: dict[str, tuple[int, str, str]] = {
    "write": (0, "write", "bold yellow"),
    "skip-ended": (1, "skip-ended", "dim"),
    "unlinked": (2, "unlinked", "italic dim"),
    "same": (3, "same", ""),
}

INTRO_CONFIRM = (
    "Stock updates are about to be switched on for {name!r}. This is what the first push would "
    "do to each listing (nothing has been written to Reverb). OK switches stock updates on and "
    "saves; Cancel leaves them off."
)
INTRO_PREVIEW = (
    "What a stock push would do to each listing of {name!r} now, with the saved quantity "
    "rules. This is a dry run: nothing is written to Reverb."
)

# The Rule column: which rule decided the new value (domain.QuantityRule's values).
RULES: dict[str, str] = {
    "available": "available",
    "percent": "percentage",
    "buffer": "buffer",
    "min": "minimum",
    "max": "maximum",
    "end-when": "end when",
    "one-of-a-kind": "one of a kind",
}


def plan_counts(plan: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(ACTIONS, 0)
    for row in plan:
        counts[row.get("action", "")] = counts.get(row.get("action", ""), 0) + 1
    return counts


def counts_text(plan: list[dict[str, Any]]) -> str:
    c = plan_counts(plan)
    n = len(plan)
    return (
        f"{n:,} listing{'s' if n != 1 else ''}: {c['write']:,} to write, "
        f"{c['same']:,} already right, {c['skip-ended']:,} skipped (ended, one of a kind), "
        f"{c['unlinked']:,} unlinked."
    )


class StockPreviewModal(ReverbModal):
    """Dry-run preview of a stock push: current and new value of each listing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="stock-preview.cancel")]

    class Planned(Message):
        """The dry run finished (posted by the worker)."""

        def __init__(self, summary: Any) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self, channel_id: int, channel_name: str, *, confirm: bool = False) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.channel_name = channel_name
        self.confirm = confirm
        self.plan: list[dict[str, Any]] | None = None

    def compose(self) -> ComposeResult:
        intro = INTRO_CONFIRM if self.confirm else INTRO_PREVIEW
        with Vertical(id="stock-preview-dialog"):
            yield Static(
                f"Preview stock push — {self.channel_name}", id="stock-preview-title", markup=False
            )
            yield Static(
                intro.format(name=self.channel_name), id="stock-preview-intro", markup=False
            )
            with Horizontal(id="stock-preview-busy"):
                yield LoadingIndicator()
                yield Static("Reading the listings from Reverb…")
            yield Static("", id="stock-preview-counts", markup=False)
            yield FormError(id="stock-preview-error")
            yield DataTable(id="stock-preview-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", id="stock-preview-ok", variant="primary")
                yield Button("Cancel", id="stock-preview-cancel")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("listing", "Listing"),
            ("sku", "SKU"),
            ("title", "Title"),
            ("local", "Local SKU"),
            ("current", "Current"),
            ("new", "New"),
            ("action", "Action"),
            ("rule", "Rule"),
        ):
            table.add_column(label, key=key)
        # OK waits for the plan in the confirming form; Cancel always works.
        self.query_one("#stock-preview-ok", Button).disabled = self.confirm
        self.query_one("#stock-preview-cancel", Button).focus()
        self.dry_run()

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="stock-dry-run")
    async def dry_run(self) -> None:
        summaries = await self.services.sync.run(RunKind.DRY_RUN, self.channel_name)
        self.post_message(self.Planned(summaries[0] if summaries else None))

    def on_stock_preview_modal_planned(self, message: StockPreviewModal.Planned) -> None:
        message.stop()
        summary = message.summary
        error = self.query_one(FormError)
        if summary is None:
            error.show(f"{self.channel_name!r} is not an enabled integration: nothing to preview.")
            return
        if summary.errors:
            more = len(summary.errors) - 1
            error.show(
                summary.errors[0]
                + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
            )
        if not summary.completed:
            return  # not read completely: a partial plan would mislead
        self.plan = plan = summary.plan
        counts = self.query_one("#stock-preview-counts", Static)
        text = counts_text(plan)
        if len(plan) > MAX_ROWS:
            text += f" The first {MAX_ROWS:,} are shown, writes first."
        counts.update(text)
        self.add_class("-planned")  # shows the counts and the table (stock_preview.tcss)
        table = self.query_one(DataTable)
        ordered = sorted(
            plan, key=lambda r: (ACTIONS.get(r["action"], (9, "", ""))[0], r.get("sku") or "")
        )
        for row in ordered[:MAX_ROWS]:
            _order, label, style = ACTIONS.get(row["action"], (9, row["action"], ""))
            new = row.get("new")
            rule = row.get("rule")
            table.add_row(
                Text(safe_text(row["listing_id"])),
                Text(safe_text(row.get("sku")))
                if row.get("sku")
                else Text("(no SKU)", style="dim italic"),
                Text(safe_text(row.get("title"))),
                Text(safe_text(row.get("local_sku"))),
                str(row.get("current")),
                Text("—", style="dim") if new is None else Text(str(new), style="bold"),
                Text(label, style=style),
                Text("—", style="dim") if not rule else Text(RULES.get(rule, safe_text(rule))),
                key=str(row["listing_id"]),
            )

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == "stock-dry-run" and state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.add_class("-done")  # the spinner goes
            self.query_one("#stock-preview-ok", Button).disabled = False

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == "stock-dry-run":
            self.query_one(FormError).show(message)
            return True
        return False

    # -- OK / Cancel ------------------------------------------------------------------------

    @on(Button.Pressed, "#stock-preview-ok")
    def _ok_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#stock-preview-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss(False)
