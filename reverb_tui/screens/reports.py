"""Reports: orders and revenue per integration per day as charts, totals per currency, top SKUs.

The numbers are ``services.reports.report`` (the same as ``reverb-tui report --json``),
computed in a thread worker while a loading indicator covers the body. Each integration row is
its own series: a removed integration is labelled "(removed)" and a re-created one with the
same name is a separate section. Money is never added across currencies.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Header, Input, Label, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..errors import UserError
from ..safe_rich import safe_prompt
from ..services.reports import format_cents, parse_day, resolve_range
from ..text_safety import safe_text
from ..widgets.footer import AppFooter
from ..widgets.form_error import FormError
from ..widgets.report_chart import ReportChart
from .base import GROUP_TABLE, ReverbScreen

TITLE = "Reports"
RANGES: tuple[tuple[str, str], ...] = (
    ("Last 7 days", "7"),
    ("Last 30 days", "30"),
    ("Last 90 days", "90"),
    ("Custom range", "custom"),
)
DEFAULT_RANGE = "30"
ALL = ""  # the integration filter's "All integrations" value (a name is never empty)
ORDERS_COLOUR = (242, 107, 33)  # Reverb orange
REVENUE_COLOUR = (61, 142, 232)  # status blue
NOTE = (
    "Orders, units and revenue count paid, shipped, picked-up and received orders; "
    '"All orders" counts every status. Days are UTC days of payment (else creation).'
)


def money(cents_by_currency: dict[str, int]) -> str:
    return ", ".join(f"{cur} {format_cents(c)}" for cur, c in cents_by_currency.items()) or "—"


def _num(n: int) -> Text:
    return Text(f"{n:,}", justify="right")


def _days(report: dict[str, Any]) -> list[date]:
    start = date.fromisoformat(report["range"]["start"])
    return [start + timedelta(days=i) for i in range(report["range"]["days"])]


def _slug(block: dict[str, Any]) -> str:
    return f"channel-{block['id']}"


class ReportsScreen(ReverbScreen):
    """Orders and revenue per integration per day over a chosen range."""

    class ReportLoaded(Message):
        """A report was computed for ``request`` (range choice, dates, integration filter)."""

        def __init__(self, report: dict[str, Any], names: list[str], request: tuple) -> None:
            super().__init__()
            self.report = report
            self.names = names
            self.request = request

    BINDINGS = [
        Binding("escape", "back", "Back", id="reports.back"),
        Binding("1", "range('7')", "7 days", id="reports.range-7"),
        Binding("2", "range('30')", "30 days", id="reports.range-30"),
        Binding("3", "range('90')", "90 days", id="reports.range-90"),
        Binding("c", "range('custom')", "Custom range", id="reports.range-custom"),
        Binding("r", "refresh", "Refresh", id="reports.refresh"),
    ]
    # Nothing at first: the body is loading (a loading widget takes no focus); it gets the
    # focus when the first report arrives, so arrows and page keys scroll it.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self.range_choice = DEFAULT_RANGE
        self.custom_range: tuple[date, date] | None = None
        self.channel_filter: str | None = None
        self.report: dict[str, Any] | None = None
        self._report_worker: Worker | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="report-controls"):
            yield Select(RANGES, allow_blank=False, value=DEFAULT_RANGE, id="report-range")
            yield Select(
                [("All integrations", ALL)], allow_blank=False, value=ALL, id="report-channel"
            )
        with Horizontal(id="report-custom"):
            yield Label("From")
            yield Input(id="report-from", placeholder="YYYY-MM-DD", max_length=10)
            yield Label("To")
            yield Input(id="report-to", placeholder="YYYY-MM-DD", max_length=10)
            yield Button("Show", id="report-apply", variant="primary")
        yield FormError(id="report-error")
        yield Static("", id="report-summary", markup=False)
        with VerticalScroll(id="report-body"):
            yield Static("Totals per currency", classes="report-heading")
            totals: DataTable = DataTable(id="report-totals", cursor_type="none")
            totals.can_focus = False
            yield totals
            yield Static(NOTE, id="report-note", markup=False)
            yield Vertical(id="report-sections")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = TITLE
        totals = self.query_one("#report-totals", DataTable)
        for key, label in (
            ("channel", "Integration"),
            ("currency", "Currency"),
            ("orders", "Orders"),
            ("units", "Units"),
            ("revenue", "Revenue"),
            ("orders-all", "All orders"),
        ):
            totals.add_column(label, key=key)
        self.load_report()

    # -- the request --------------------------------------------------------------------------

    def _request(self) -> tuple:
        return (self.range_choice, self.custom_range, self.channel_filter)

    def _dates(self, today: date) -> tuple[date, date]:
        if self.range_choice == "custom" and self.custom_range is not None:
            return self.custom_range
        days = int(self.range_choice) if self.range_choice != "custom" else int(DEFAULT_RANGE)
        return today - timedelta(days=days - 1), today

    def _today(self) -> date:
        return self.services.clock().astimezone(UTC).date()

    def load_report(self) -> None:
        self._report_worker = self._compute(self._request())

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="report")
    def _compute(self, request: tuple) -> None:
        _choice, _custom, channel = request
        start, end = self._dates(self._today())
        report = self.services.reports.report(start, end, channel=channel)
        names = {ch.name for ch in self.services.channels.list()}
        names.update(block["name"] for block in report["channels"])
        if not get_current_worker().is_cancelled:  # a newer request replaced this one
            self.post_message(self.ReportLoaded(report, sorted(names, key=str.casefold), request))

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker is not self._report_worker:
            return
        self.query_one("#report-body").loading = state in (WorkerState.PENDING, WorkerState.RUNNING)

    # -- controls -----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.leave()

    def action_refresh(self) -> None:
        self.load_report()

    def action_range(self, choice: str) -> None:
        select = self.query_one("#report-range", Select)
        if select.value != choice:
            select.value = choice  # on_select_changed does the rest
        elif choice == "custom":
            self.query_one("#report-from", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "report-range":
            self._choose_range(str(event.value))
        elif event.select.id == "report-channel":
            channel = str(event.value) or None
            if channel != self.channel_filter:
                self.channel_filter = channel
                self.load_report()

    def _choose_range(self, choice: str) -> None:
        self.set_class(choice == "custom", "-custom")  # shows the dates' row (reports.tcss)
        if choice == "custom":
            self._fill_custom_inputs()
            self.query_one("#report-from", Input).focus()
            return  # nothing changes until the dates are given
        self.query_one("#report-error", FormError).clear()
        if choice != self.range_choice:
            self.range_choice = choice
            self.load_report()

    def _fill_custom_inputs(self) -> None:
        """Start the custom inputs from the range shown, so a person edits rather than types."""
        start, end = self.custom_range or self._dates(self._today())
        for selector, value in (("#report-from", start), ("#report-to", end)):
            field = self.query_one(selector, Input)
            if not field.value:
                field.value = value.isoformat()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "report-from":
            self.query_one("#report-to", Input).focus()
        elif event.input.id == "report-to":
            self.apply_custom()

    @on(Button.Pressed, "#report-apply")
    def _apply_pressed(self) -> None:
        self.apply_custom()

    def apply_custom(self) -> None:
        """Check the custom dates; a bad one is one sentence under them and changes nothing."""
        error = self.query_one("#report-error", FormError)
        try:
            start = parse_day(self.query_one("#report-from", Input).value, "start date")
            end = parse_day(self.query_one("#report-to", Input).value, "end date")
            if start is None:
                raise UserError("Enter a start date in the form YYYY-MM-DD.")
            start, end = resolve_range(start, end, self._today())
        except UserError as exc:
            error.show(exc.message)
            return
        error.clear()
        self.range_choice = "custom"
        self.custom_range = (start, end)
        self.load_report()
        self.query_one("#report-body").focus()

    # -- showing ------------------------------------------------------------------------------

    async def on_reports_screen_report_loaded(self, message: ReportsScreen.ReportLoaded) -> None:
        message.stop()
        if message.request != self._request():
            return  # computed for a request that has changed since
        self.report = report = message.report
        self._update_channel_options(message.names)
        rng = report["range"]
        self.query_one("#report-summary", Static).update(
            f"{rng['start']} to {rng['end']} · {rng['days']} days (UTC)"
            + (f" · {report['channel']}" if report["channel"] else "")
        )
        self._fill_totals(report)
        sections = self.query_one("#report-sections", Vertical)
        await sections.remove_children()
        await sections.mount_all(self._sections(report))
        body = self.query_one("#report-body")
        body.loading = False  # the worker's own "finished" may come after this message
        if self.focused is None:
            body.focus()

    def _update_channel_options(self, names: list[str]) -> None:
        select = self.query_one("#report-channel", Select)
        options: list[tuple[str | Text, str]] = [
            ("All integrations", ALL),
            *((safe_prompt(n), n) for n in names),
        ]
        if self.channel_filter is not None and self.channel_filter not in names:
            options.append((safe_prompt(self.channel_filter), self.channel_filter))
        if getattr(self, "_channel_options", None) == options:
            return
        self._channel_options = options
        with self.prevent(Select.Changed):
            select.set_options(options)
            select.value = self.channel_filter or ALL

    def _fill_totals(self, report: dict[str, Any]) -> None:
        table = self.query_one("#report-totals", DataTable)
        table.clear()
        for block in report["channels"]:
            label_style = "dim" if block["removed"] else ""
            for cur, t in block["totals"].items():
                table.add_row(
                    Text(safe_text(block["label"]), style=label_style),
                    Text(safe_text(cur)),
                    _num(t["orders"]),
                    _num(t["units"]),
                    Text(format_cents(t["revenue_cents"]), justify="right"),
                    _num(t["orders_all"]),
                    key=f"{block['id']}:{cur}",
                )
        if len(report["channels"]) > 1 or not report["channels"]:
            for cur, t in report["totals"].items():
                table.add_row(
                    Text("All integrations", style="bold"),
                    Text(safe_text(cur), style="bold"),
                    _num(t["orders"]),
                    _num(t["units"]),
                    Text(format_cents(t["revenue_cents"]), justify="right", style="bold"),
                    _num(t["orders_all"]),
                    key=f"all:{cur}",
                )

    def _sections(self, report: dict[str, Any]) -> list[Vertical]:
        days = _days(report)
        if not report["channels"]:
            return [
                Vertical(
                    Static(
                        "No integrations to report on yet: add one on the list, and its orders "
                        "appear here once downloaded.",
                        classes="report-empty",
                    ),
                    classes="report-section",
                )
            ]
        out = []
        for block in report["channels"]:
            slug = _slug(block)
            heading = Static(
                f"{safe_text(block['label'])} · {block['orders']:,} orders · {block['units']:,} units · "
                f"{money({c: t['revenue_cents'] for c, t in block['totals'].items()})}",
                classes="report-heading" + (" report-removed" if block["removed"] else ""),
                markup=False,
            )
            charts = [
                ReportChart(
                    "Orders",
                    days,
                    [d["orders"] for d in block["daily"]],
                    color=ORDERS_COLOUR,
                    id=f"{slug}-orders",
                    classes="orders-chart",
                )
            ]
            for cur in block["currencies"]:
                charts.append(
                    ReportChart(
                        f"Revenue ({cur})",
                        days,
                        [d["revenue_cents"].get(cur, 0) / 100 for d in block["daily"]],
                        color=REVENUE_COLOUR,
                        whole=False,
                        id=f"{slug}-revenue-{cur.lower()}",
                        classes="revenue-chart",
                    )
                )
            section = Vertical(
                heading,
                Horizontal(*charts, classes="chart-row"),
                self._top_skus(block),
                id=slug,
                classes="report-section",
            )
            section.styles.height = "auto"
            out.append(section)
        return out

    @staticmethod
    def _top_skus(block: dict[str, Any]) -> DataTable | Static:
        if not block["top_skus"]:
            return Static("No sales in this range.", classes="report-empty")
        table: DataTable = DataTable(
            id=f"{_slug(block)}-skus", cursor_type="none", classes="top-skus"
        )
        table.can_focus = False
        table.add_column("Top SKUs", key="sku")
        table.add_column("Orders", key="orders")
        table.add_column("Units", key="units")
        table.add_column("Revenue", key="revenue")
        for entry in block["top_skus"]:
            sku = Text(safe_text(entry["sku"]))
            if not entry["linked"]:
                sku.append(" (unlinked)", style="dim")
            table.add_row(
                sku,
                _num(entry["orders"]),
                _num(entry["units"]),
                Text(money(entry["revenue_cents"]), justify="right"),
                key=f"{entry['sku']}:{int(entry['linked'])}",
            )
        return table
