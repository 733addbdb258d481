"""Create SKUs from listings, from an integration's Unlinked view: the key and its footer
entry, the preview (what is created, what is left out, with counts), Cancel, both Create
buttons, the notification, and a second run with nothing left to create."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Button, DataTable

from reverb_tui.clock import utcnow
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem, Listing, Order
from reverb_tui.screens.onboarding import OnboardingModal
from reverb_tui.screens.unlinked import UnlinkedScreen
from tests.db_rows import add_channel
from tests.ui.helpers import notifications, press_button, screen_text, settle
from tests.ui.test_inventory_screen import RecordingApp
from tests.ui.test_sku_mapping_ui import open_sku_mapping


def seed(services) -> int:
    """A new seller's integration: four listings (two share a SKU), one local SKU."""
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("ABC-1", title="Counted by hand", on_hand=4)
    with session_scope(services.engine) as s:
        for n, (sku, title, inventory) in enumerate(
            [
                ("abc-1", "Linked by its SKU", 2),
                ("GTR-1", "Stratocaster", 3),
                (" gtr-1 ", "Stratocaster, second listing", 5),
                (None, "A listing without a SKU", 1),
            ],
            start=9001,
        ):
            s.add(
                Listing(
                    channel_id=ch.id,
                    listing_id=str(n),
                    sku=sku,
                    title=title,
                    inventory=inventory,
                    state="live",
                )
            )
        s.add(
            Order(
                channel_id=ch.id,
                order_number="1001",
                status="paid",
                channel_sku="GTR-1",
                title="An order",
                created_at=utcnow(),
                first_seen_at=utcnow(),
            )
        )
    return ch.id


def stored(services) -> dict[str, tuple[str, int]]:
    with session_scope(services.engine) as s:
        return {i.sku: (i.title, i.on_hand) for i in s.exec(select(InventoryItem))}


def rows(modal) -> list[tuple[str, ...]]:
    table = modal.query_one("#onboarding-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def open_unlinked(pilot) -> UnlinkedScreen:
    await open_sku_mapping(pilot)
    await pilot.press("u")
    await settle(pilot)
    view = pilot.app.screen
    assert isinstance(view, UnlinkedScreen)
    return view


async def open_preview(pilot) -> OnboardingModal:
    await pilot.press("c")
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, OnboardingModal)
    return modal


async def test_preview_then_create_from_the_unlinked_view(services) -> None:
    ch = seed(services)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_unlinked(pilot)
        assert "Create SKUs from listings" in screen_text(app)  # the footer and the button
        assert any(
            b.key == "c" and b.description == "Create SKUs"
            for _n, b, enabled, _t in view.active_bindings.values()
            if enabled
        )

        modal = await open_preview(pilot)
        counts = modal.query_one("#onboarding-counts").render().plain
        assert counts == (
            "1 local SKU to create, linking 2 listings. 1 listing without a SKU left out. "
            "1 listing already linked."
        )
        assert rows(modal) == [
            ("GTR-1", "5", "2", "create", "Stratocaster"),
            ("(no SKU)", "", "1", "skip: no SKU", "A listing without a SKU"),
        ]
        assert app.focused is not None and app.focused.id == "onboarding-cancel"
        await pilot.press("escape")  # Cancel: nothing created
        await settle(pilot)
        assert app.screen is view
        assert set(stored(services)) == {"ABC-1"}

        modal = await open_preview(pilot)
        await press_button(pilot, "#onboarding-create-zero")
        await settle(pilot)
        assert app.screen is view
        assert (
            "Created 1 local SKU, each mapped to its channel SKU, linking 2 listings of "
            "'Main shop'. 1 listing without a SKU left out. Orders already downloaded stay "
            "unlinked until you apply the mappings (w)." in notifications(app)
        )
        assert stored(services) == {
            "ABC-1": ("Counted by hand", 4),
            "GTR-1": ("Stratocaster", 0),
        }
        assert [(m.channel_sku, m.sku) for m in services.skus.mappings(ch)] == [("GTR-1", "GTR-1")]
        # The view re-read: only the listing without a SKU is unlinked; the order waits.
        assert view.query_one("#unlinked-counts").render().plain == ("Unlinked: 1 listing, 1 order")
        assert app.sync_requests == [(ch, True)]

        # A second time there is nothing to create, and the buttons say so.
        modal = await open_preview(pilot)
        assert (
            modal.query_one("#onboarding-counts")
            .render()
            .plain.startswith("Nothing to create: no unlinked listing has a usable SKU.")
        )
        assert modal.query_one("#onboarding-create", Button).disabled
        assert modal.query_one("#onboarding-create-zero", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
    assert stored(services)["GTR-1"] == ("Stratocaster", 0)


async def test_create_takes_on_hand_from_the_listings(services) -> None:
    seed(services)
    app = RecordingApp(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_unlinked(pilot)
        await open_preview(pilot)
        await press_button(pilot, "#onboarding-create")
        await settle(pilot)
        assert isinstance(app.screen, UnlinkedScreen)
    assert stored(services)["GTR-1"] == ("Stratocaster", 5)


async def test_the_key_is_dimmed_without_unlinked_listings(services) -> None:
    add_channel(services, "Main shop")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_unlinked(pilot)
        assert [
            enabled for _n, b, enabled, _t in view.active_bindings.values() if b.key == "c"
        ] == [False]
        assert view.query_one("#create-skus", Button).disabled
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is view  # no preview opened
