"""The preview of onboarding from listings (services/onboarding.py), opened from an
integration's Unlinked view.

It reads the plan (nothing is written) and lists each local SKU that would be created, with
its title, starting on hand and how many listings it links, then each listing left out and
why (no SKU first). *Create* starts each new SKU's on hand at its listing's inventory (the
column shown), *Create, on hand 0* at 0; Cancel and Escape change nothing.

Dismisses with the chosen source of on hand ("listing" or "zero"), or None for Cancel.
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

from ..text_safety import safe_text
from ..ui_text import plural
from ..widgets.form_error import FormError
from .base import GROUP_TABLE, SHORT_BELOW, ReverbModal, WorkerName

MAX_ROWS = 1000  # rows shown; the counts cover every listing

INTRO = (
    "One local SKU for each distinct SKU of {name!r}'s unlinked listings (ignoring case and "
    "surrounding spaces), titled after its listing and mapped to its channel SKU, all in one "
    "go. Existing local SKUs are never changed; listings without a SKU are left out. Create "
    "starts on hand at the listing's inventory (the column below); Create, on hand 0 starts "
    "at 0. Orders already downloaded stay unlinked until you apply the mappings to them."
)


def counts_text(plan: Any) -> str:
    n = len(plan.skus)
    if not plan.listings:
        return plan.summary()
    if n:
        text = f"{plural(n, 'local SKU')} to create, linking {plural(plan.listings_linked, 'listing')}."
    else:
        text = "Nothing to create: no unlinked listing has a usable SKU."
    others = len(plan.skipped) - plan.without_sku
    if plan.without_sku:
        text += f" {plural(plan.without_sku, 'listing')} without a SKU left out."
    if others:
        text += f" {plural(others, 'listing')} skipped for another reason."
    if plan.already_linked:
        text += f" {plural(plan.already_linked, 'listing')} already linked."
    return text


class OnboardingModal(ReverbModal):
    """Preview, then Create / Create, on hand 0 / Cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="onboarding.cancel")]
    # Below 32 rows (an SSH session's 80x24) the intro gives way to the table.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_BELOW, "-tall")]

    class Planned(Message):
        def __init__(self, plan: Any) -> None:
            super().__init__()
            self.plan = plan

    def __init__(self, channel_id: int, channel_name: str) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.channel_name = channel_name
        self.plan: Any = None

    def compose(self) -> ComposeResult:
        with Vertical(id="onboarding-dialog"):
            yield Static(
                safe_text(f"Create SKUs from listings — {self.channel_name}"),
                id="onboarding-title",
                markup=False,
            )
            yield Static(
                safe_text(INTRO.format(name=self.channel_name)), id="onboarding-intro", markup=False
            )
            with Horizontal(id="onboarding-busy"):
                yield LoadingIndicator()
                yield Static("Reading the integration's listings…")
            yield Static("", id="onboarding-counts", markup=False)
            yield FormError(id="onboarding-error")
            yield DataTable(id="onboarding-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="form-buttons"):
                yield Button("Create", id="onboarding-create", variant="primary", disabled=True)
                yield Button(
                    "Create, on hand 0",
                    id="onboarding-create-zero",
                    variant="primary",
                    disabled=True,
                )
                yield Button("Cancel", id="onboarding-cancel")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("sku", "SKU"),
            ("on_hand", "On hand"),
            ("listings", "Listings"),
            ("action", "Action"),
            ("title", "Title"),
        ):
            table.add_column(label, key=key)
        self.query_one("#onboarding-cancel", Button).focus()
        self.load_plan()

    @work(
        group=GROUP_TABLE,
        exclusive=True,
        thread=True,
        exit_on_error=False,
        name=WorkerName.ONBOARD_PLAN,
    )
    def load_plan(self) -> None:
        self.post_message(self.Planned(self.services.onboarding.preview(self.channel_id)))

    def on_onboarding_modal_planned(self, message: OnboardingModal.Planned) -> None:
        message.stop()
        self.plan = plan = message.plan
        text = counts_text(plan)
        rows = len(plan.skus) + len(plan.skipped)
        if rows > MAX_ROWS:
            text += f" The first {MAX_ROWS:,} rows are shown, SKUs to create first."
        self.query_one("#onboarding-counts", Static).update(text)
        self.add_class("-planned")  # shows the counts and the table (onboarding.tcss)
        table = self.query_one(DataTable)
        shown = 0
        for p in plan.skus:
            if shown >= MAX_ROWS:
                break
            table.add_row(
                Text(safe_text(p.sku)),
                str(p.on_hand),
                str(len(p.listing_ids)),
                Text("create", style="bold"),
                Text(safe_text(p.title)),
                key=f"sku:{p.sku}",
            )
            shown += 1
        for x in sorted(plan.skipped, key=lambda x: x.reason != "no SKU"):
            if shown >= MAX_ROWS:
                break
            table.add_row(
                Text(safe_text(x.channel_sku))
                if x.channel_sku
                else Text("(no SKU)", style="dim italic"),
                "",
                "1",
                Text(f"skip: {x.reason}", style="dim"),
                Text(safe_text(x.title)),
                key=f"listing:{x.listing_id}",
            )
            shown += 1
        can_create = bool(plan.skus)
        self.query_one("#onboarding-create", Button).disabled = not can_create
        self.query_one("#onboarding-create-zero", Button).disabled = not can_create

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == WorkerName.ONBOARD_PLAN and state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.add_class("-done")  # the spinner goes

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == WorkerName.ONBOARD_PLAN:
            self.query_one(FormError).show(message)
            return True
        return False

    # -- the buttons --------------------------------------------------------------------------

    @on(Button.Pressed, "#onboarding-create")
    def _create_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("listing")

    @on(Button.Pressed, "#onboarding-create-zero")
    def _create_zero_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("zero")

    @on(Button.Pressed, "#onboarding-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss(None)
