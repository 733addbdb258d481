"""Unlinked listings and orders of one integration.

A listing is unlinked when its SKU maps to no local SKU (no SKU mapping and no local SKU equal
to it trimmed and case-insensitively), so no stock is pushed to it; an order is unlinked when
it was stored without a local SKU, so it took no stock. From here:

- *Auto-link* maps every channel SKU equal to exactly one local SKU (trimmed,
  case-insensitive) and reports the ambiguous ones;
- *Apply mappings to waiting orders* is the one explicit way to link orders already
  downloaded (mappings otherwise apply only to orders downloaded after they were saved);
- *Create SKUs from listings* previews, then creates, one local SKU and mapping per distinct
  SKU of the unlinked listings (``screens.onboarding``, ``services.onboarding``).

The detail screen's way in is ``widgets.unlinked_counts.UnlinkedCountsButton``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Header, Label, Static

from ..messages import SyncRequested
from ..text_safety import safe_text
from ..ui_text import plural
from ..widgets.footer import AppFooter
from ..widgets.keyed_table import KeyedTable
from ..widgets.unlinked_counts import counts_label
from .base import GROUP_DB, GROUP_TABLE, ReverbScreen, WorkerName
from .confirm import confirm_apply_waiting

WINDOW = 200  # rows of each table shown at once
LISTING_COLUMNS = (
    ("listing", "Listing"),
    ("sku", "SKU"),
    ("title", "Title"),
    ("inventory", "Inventory"),
    ("state", "State"),
)
ORDER_COLUMNS = (
    ("order", "Order"),
    ("sku", "SKU"),
    ("title", "Title"),
    ("status", "Status"),
    ("quantity", "Qty"),
    ("created", "Created"),
)


class UnlinkedScreen(ReverbScreen):
    """Listings and orders of one integration whose SKU maps to nothing.

    Dismisses with True when it linked anything (the caller re-reads its mappings).
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="unlinked.back"),
        Binding("a", "auto_link", "Auto-link", id="unlinked.auto-link"),
        Binding("c", "create_skus", "Create SKUs", id="unlinked.create-skus"),
        Binding("w", "apply_waiting", "Apply mappings to waiting orders", id="unlinked.apply"),
        Binding("r", "refresh", "Refresh", id="unlinked.refresh"),
    ]
    AUTO_FOCUS = "#unlinked-listings"

    class Loaded(Message):
        def __init__(self, channel_name: str, report: Any) -> None:
            super().__init__()
            self.channel_name = channel_name
            self.report = report

    class AutoLinked(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Applied(Message):
        def __init__(self, linked: int) -> None:
            super().__init__()
            self.linked = linked

    class Onboarded(Message):
        def __init__(self, plan: Any) -> None:
            super().__init__()
            self.plan = plan

    def __init__(self, channel_id: int) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.channel_name = ""
        self.changed = False
        self.listing_count: int | None = None  # unlinked listings, once read

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="unlinked-body"):
            with Horizontal(id="unlinked-nav"):
                yield Button("← Integration", id="unlinked-back", classes="link")
            yield Static("Unlinked listings and orders", classes="screen-title")
            yield Static("", id="unlinked-counts", markup=False)
            yield Static(
                "Listings here get no stock pushed; orders here took no stock. Map their SKUs "
                "in the integration's SKU mapping section, auto-link the ones whose SKU "
                "equals a local SKU, or create local SKUs from the listings' SKUs. Mappings "
                'apply to orders downloaded afterwards; "Apply mappings to waiting orders" '
                "links the ones already downloaded.",
                classes="field-help",
            )
            with Horizontal(classes="form-buttons"):
                yield Button("Auto-link", id="auto-link", variant="primary")
                yield Button("Create SKUs from listings", id="create-skus", variant="primary")
                yield Button(
                    "Apply mappings to waiting orders", id="apply-waiting", variant="warning"
                )
            yield Static("", id="auto-link-report", markup=False)
            yield Label("Listings", id="unlinked-listings-label", classes="field-label")
            yield KeyedTable(id="unlinked-listings", columns=LISTING_COLUMNS, empty_state=False)
            yield Label("Orders", id="unlinked-orders-label", classes="field-label")
            yield KeyedTable(id="unlinked-orders", columns=ORDER_COLUMNS, empty_state=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = "Unlinked"
        self.load()

    # -- reading ----------------------------------------------------------------------------

    @work(group=GROUP_TABLE, exclusive=True, thread=True, exit_on_error=False, name="unlinked")
    def load(self) -> None:
        name = self.services.skus.channel(self.channel_id).name
        report = self.services.skus.unlinked(self.channel_id, limit=WINDOW)
        self.post_message(self.Loaded(name, report))

    def on_unlinked_screen_loaded(self, message: UnlinkedScreen.Loaded) -> None:
        message.stop()
        self.channel_name = message.channel_name
        self.sub_title = f"{message.channel_name} · Unlinked"
        self.query_one("#unlinked-back", Button).label = Text(
            f"← {safe_text(message.channel_name)}"
        )
        r = message.report
        self.listing_count = r.listing_count
        # Nothing to create SKUs from: the key is dimmed and the button disabled.
        self.query_one("#create-skus", Button).disabled = r.listing_count == 0
        self.refresh_bindings()
        self.query_one("#unlinked-counts", Static).update(
            counts_label(r.listing_count, r.order_count)
        )
        self.query_one("#unlinked-listings-label", Label).update(
            self._heading("Listings", len(r.listings), r.listing_count)
        )
        self.query_one("#unlinked-orders-label", Label).update(
            self._heading("Orders", len(r.orders), r.order_count)
        )
        self.query_one("#unlinked-listings", KeyedTable).sync(
            {
                f"listing:{x.listing_id}": (
                    Text(safe_text(x.listing_id)),
                    Text(safe_text(x.sku)) if x.sku else Text("(no SKU)", style="dim italic"),
                    Text(safe_text(x.title)),
                    str(x.inventory),
                    Text(safe_text(x.state)),
                )
                for x in r.listings
            }
        )
        self.query_one("#unlinked-orders", KeyedTable).sync(
            {
                f"order:{o.order_number}": (
                    Text(safe_text(o.order_number)),
                    Text(safe_text(o.channel_sku))
                    if o.channel_sku
                    else Text("(no SKU)", style="dim italic"),
                    Text(safe_text(o.title)),
                    Text(safe_text(o.status)),
                    str(o.quantity),
                    o.created_at.strftime("%Y-%m-%d %H:%M") if o.created_at else "",
                )
                for o in r.orders
            }
        )

    @staticmethod
    def _heading(what: str, shown: int, total: int) -> str:
        if shown < total:
            return f"{what} ({total:,}; the first {shown:,} shown)"
        return f"{what} ({total:,})"

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """c is dimmed while no unlinked listing is known (none, or not read yet)."""
        if action == "create_skus" and not self.listing_count:
            return None
        return True

    def action_back(self) -> None:
        self.leave(self.changed)

    def action_refresh(self) -> None:
        self.load()

    def action_auto_link(self) -> None:
        self.auto_link()

    def action_apply_waiting(self) -> None:
        name = self.channel_name or "this integration"
        self.app.push_screen(confirm_apply_waiting(name), self._apply_confirmed)

    def _apply_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self.apply_waiting()

    def action_create_skus(self) -> None:
        from .onboarding import OnboardingModal

        name = self.channel_name or "this integration"
        self.app.push_screen(OnboardingModal(self.channel_id, name), self._create_chosen)

    def _create_chosen(self, on_hand_from: str | None) -> None:
        if on_hand_from:
            self.create_skus(on_hand_from)

    @on(Button.Pressed, "#unlinked-back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#auto-link")
    def _auto_link_pressed(self) -> None:
        self.action_auto_link()

    @on(Button.Pressed, "#create-skus")
    def _create_skus_pressed(self) -> None:
        self.action_create_skus()

    @on(Button.Pressed, "#apply-waiting")
    def _apply_waiting_pressed(self) -> None:
        self.action_apply_waiting()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="auto-link")
    def auto_link(self) -> None:
        self.post_message(self.AutoLinked(self.services.skus.auto_link(self.channel_id)))

    def on_unlinked_screen_auto_linked(self, message: UnlinkedScreen.AutoLinked) -> None:
        message.stop()
        r = message.result
        n = len(r.linked)
        text = f"Auto-link mapped {plural(n, 'channel SKU')} to the local SKU of the same name"
        if r.linked:
            shown = ", ".join(f"{cs} → {sku}" for cs, sku in r.linked[:5])
            text += f" ({shown}{', …' if n > 5 else ''})"
        text += "."
        if r.ambiguous:
            shown = "; ".join(f"{cs} matches {', '.join(skus)}" for cs, skus in r.ambiguous[:5])
            text += (
                f" {plural(len(r.ambiguous), 'channel SKU')} matched more than one local SKU "
                f"and stayed unmapped ({shown}): map them by hand."
            )
        if r.unmatched:
            text += f" {plural(r.unmatched, 'channel SKU')} matched no local SKU."
        report = self.query_one("#auto-link-report", Static)
        report.update(text)
        self.add_class("-auto-linked")  # shows the report (app.tcss)
        self.app.notify(text, title="Auto-link", markup=False)
        if n:
            self.changed = True
            self.post_message(SyncRequested(self.channel_id, stock_only=True))
        self.load()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="apply-waiting")
    def apply_waiting(self) -> None:
        self.post_message(self.Applied(self.services.skus.apply_to_waiting_orders(self.channel_id)))

    def on_unlinked_screen_applied(self, message: UnlinkedScreen.Applied) -> None:
        message.stop()
        n = message.linked
        if n:
            text = (
                f"Linked {plural(n, 'waiting order')} of {self.channel_name!r} to local SKUs; "
                "stock follows the sale rules."
            )
            self.changed = True
            # Stock may have moved: every integration's listings may need the new figure.
            self.post_message(SyncRequested(None, stock_only=True))
        else:
            text = "No waiting order has a mapped SKU yet: nothing was linked."
        self.app.notify(text, title="Apply mappings to waiting orders", markup=False)
        self.load()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name=WorkerName.ONBOARD_CREATE)
    def create_skus(self, on_hand_from: str) -> None:
        plan = self.services.onboarding.create(self.channel_id, on_hand_from)
        self.post_message(self.Onboarded(plan))

    def on_unlinked_screen_onboarded(self, message: UnlinkedScreen.Onboarded) -> None:
        message.stop()
        plan = message.plan
        text = plan.summary()
        if plan.created:
            text += " Orders already downloaded stay unlinked until you apply the mappings (w)."
            self.changed = True
            # The new SKUs' listings are linked now: their stock can be pushed.
            self.post_message(SyncRequested(self.channel_id, stock_only=True))
        self.app.notify(text, title="Create SKUs from listings", markup=False)
        self.load()
