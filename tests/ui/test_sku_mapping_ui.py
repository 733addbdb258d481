"""The integration's SKU mapping section (Map them, X, Save, Cancel, the link), the searchable
SKU pickers, the unlinked view (counts, auto-link, apply to waiting orders) and the dry-run
preview of a stock push."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import select
from textual.widgets import Collapsible, DataTable, Switch

from reverb_tui.clock import utcnow
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem, Listing, Order, SkuMapping
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.screens.stock_preview import StockPreviewModal
from reverb_tui.screens.unlinked import UnlinkedScreen
from reverb_tui.widgets.form_error import FormError
from reverb_tui.widgets.sku_mapping_section import SECTION_NOTE, SkuMappingSection
from reverb_tui.widgets.sku_picker import SkuPicker
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.ui.helpers import notifications, paste, press_button, screen_text, settle, type_text
from tests.ui.test_inventory_screen import RecordingApp

# -- set-up helpers ---------------------------------------------------------------------------


def add_listings(services, channel_id: int, *rows: tuple[str | None, str]) -> None:
    """Listings as a download would store them: (SKU, title)."""
    with session_scope(services.engine) as s:
        base = s.exec(select(Listing.id)).all()
        for n, (sku, title) in enumerate(rows, start=len(base) + 1):
            s.add(Listing(channel_id=channel_id, listing_id=str(9000 + n), sku=sku, title=title))


def add_order(services, channel_id: int, number: str, channel_sku: str, **kw) -> None:
    """An order stored without a local SKU (downloaded before its SKU was mapped)."""
    now = utcnow()
    with session_scope(services.engine) as s:
        s.add(
            Order(
                channel_id=channel_id,
                order_number=number,
                status=kw.get("status", "paid"),
                channel_sku=channel_sku,
                title=kw.get("title", "An order"),
                quantity=kw.get("quantity", 1),
                created_at=kw.get("paid_at", now),
                paid_at=kw.get("paid_at", now),
                first_seen_at=now,
            )
        )


def stored_mappings(services, channel_id: int) -> list[tuple[str, str, int]]:
    return [(m.channel_sku, m.sku, m.kit) for m in services.skus.mappings(channel_id)]


def mapping_rows(screen) -> list[tuple[str, ...]]:
    table = screen.query_one("#sku-mapping-table", DataTable)
    return [tuple(str(c).strip() for c in table.get_row_at(i)) for i in range(table.row_count)]


async def open_sku_mapping(pilot) -> ChannelDetailScreen:
    """From the list: open the (first) integration and expand its SKU mapping section."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChannelDetailScreen)
    screen.query_one("#sku-mapping", Collapsible).collapsed = False
    await settle(pilot)
    return screen


async def pick(pilot, picker_id: str, text: str) -> SkuPicker:
    """Paste into a picker, wait for its matches, press enter (picks the highlighted one)."""
    picker = pilot.app.screen.query_one(f"#{picker_id}", SkuPicker)
    if pilot.app.focused is not picker.input:
        picker.input.focus()
        await pilot.pause()
    await paste(pilot, text)
    await settle(pilot)
    await pilot.press("enter")
    await pilot.pause()
    return picker


# -- the mapping section ------------------------------------------------------------------------


async def test_map_them_then_save_persists_with_the_kit(services) -> None:
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("LOC-7", title="Local seven", on_hand=9)
    add_listings(services, ch.id, ("LST-7", "Listing seven"), ("OTHER-1", "Other"))
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        text = " ".join(screen_text(app).split())
        assert " ".join(SECTION_NOTE.split()) in text
        assert "No SKU mappings yet." in text

        picker = await pick(pilot, "sku-channel-picker", "lst")
        assert [c.value for c in picker.choices] == ["LST-7"]
        assert "Listing seven · 1 listing · unlinked" in picker.choices[0].detail
        assert picker.value == "LST-7"
        assert app.focused.id == "sku-local-picker-input"  # enter moves on, like a form
        local = await pick(pilot, "sku-local-picker", "loc")
        assert local.value == "LOC-7"
        assert app.focused.id == "sku-kit"
        await pilot.press("backspace", "3", "enter")  # enter in Kit: Map them
        await settle(pilot)
        assert mapping_rows(screen) == [
            ("LST-7", "→", "LOC-7", "Local seven", "×3", "new — Save adds it", "X")
        ]
        assert stored_mappings(services, ch.id) == []  # nothing until Save
        assert picker.value == "" and local.value == ""  # ready for the next pair

        await press_button(pilot, "#sku-save")
        await settle(pilot)
        assert stored_mappings(services, ch.id) == [("LST-7", "LOC-7", 3)]
        assert mapping_rows(screen) == [("LST-7", "→", "LOC-7", "Local seven", "×3", "", "X")]
        assert any(n.startswith("Saved the SKU mappings (1 added).") for n in notifications(app))
        assert app.sync_requests == [(ch.id, True)]  # listings follow the new mapping
        # The unlinked count on the detail screen follows the save.
        assert str(screen.query_one("#open-unlinked").label) == "Unlinked: 1 listing, 0 orders"


async def test_refusals_are_one_sentence_and_add_nothing(services) -> None:
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("LOC-7", title="Local seven", on_hand=9)
    services.skus.map(ch.id, "OLD-1", "LOC-7")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        section = screen.query_one(SkuMappingSection)
        error = section.query_one(FormError)
        channel = section.query_one("#sku-channel-picker", SkuPicker)
        local = section.query_one("#sku-local-picker", SkuPicker)
        kit = section.query_one("#sku-kit")

        await press_button(pilot, "#sku-map")
        assert error.message == "Choose the sales channel SKU to map."

        # A channel SKU not downloaded yet can be typed in full; an unknown local SKU cannot.
        await pick(pilot, "sku-channel-picker", "NEW-1")
        await pick(pilot, "sku-local-picker", "nope")
        assert local.value == "nope"
        await pilot.press("enter")  # in Kit
        await settle(pilot)
        assert (
            error.message == "There is no local SKU 'nope'; add it on the Inventory screen first."
        )

        local.set_value("LOC-7")
        kit.value = "0"
        await press_button(pilot, "#sku-map")
        await settle(pilot)
        assert error.message == "The kit multiplier must be a whole number of 1 or more."

        channel.set_value(" old-1 ")
        kit.value = "1"
        await press_button(pilot, "#sku-map")
        await settle(pilot)
        assert error.message == (
            "Channel SKU 'OLD-1' is already mapped to 'LOC-7' (kit 1); delete that mapping "
            "first (X), then map it again."
        )
        assert [r[0] for r in mapping_rows(screen)] == ["OLD-1"]  # nothing pending

        await press_button(pilot, "#sku-save")
        await settle(pilot)
        assert error.message.startswith("There are no changes to save")
    assert stored_mappings(services, ch.id) == [("OLD-1", "LOC-7", 1)]
    assert app.sync_requests == []


async def test_x_then_save_deletes(services) -> None:
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("LOC-1", title="One", on_hand=1)
    services.inventory.upsert("LOC-2", title="Two", on_hand=2)
    services.skus.map(ch.id, "A-1", "LOC-1")
    services.skus.map(ch.id, "B-2", "LOC-2", kit=2)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        screen.query_one("#sku-mapping-table").focus()
        await pilot.press("x")  # the X of A-1
        await pilot.pause()
        assert mapping_rows(screen)[0][5] == "deleted — Save applies"
        await pilot.press("x")  # the X again takes it back
        await pilot.pause()
        assert mapping_rows(screen)[0][5] == ""
        await pilot.press("x")
        await pilot.pause()
        assert screen.query_one("#sku-pending").render().plain == "Not saved yet: 1 to delete."
        assert stored_mappings(services, ch.id) == [("A-1", "LOC-1", 1), ("B-2", "LOC-2", 2)]
        await press_button(pilot, "#sku-save")
        await settle(pilot)
        assert mapping_rows(screen) == [("B-2", "→", "LOC-2", "Two", "×2", "", "X")]
    assert stored_mappings(services, ch.id) == [("B-2", "LOC-2", 2)]


async def test_by_mouse_a_click_picks_a_match_and_a_click_on_x_deletes(services) -> None:
    ch = add_channel(services, "Main shop")
    for n in range(3):
        services.inventory.upsert(f"LOC-{n}", title=f"Local {n}", on_hand=1)
    services.skus.map(ch.id, "A-1", "LOC-0")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        local = screen.query_one("#sku-local-picker", SkuPicker)
        local.input.focus()
        await settle(pilot)
        assert [c.value for c in local.choices] == ["LOC-0", "LOC-1", "LOC-2"]
        await pilot.click(local.options, offset=(3, 2))  # the third match
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)  # the click landed on the list
        assert local.value == "LOC-2"

        table = screen.query_one("#sku-mapping-table", DataTable)
        x = sum(c.get_render_width(table) for c in table.ordered_columns[:-1]) + 1
        await pilot.click(table, offset=(x, 1))  # the X of the first row
        await pilot.pause()
        assert mapping_rows(screen)[0][5] == "deleted — Save applies"
        await press_button(pilot, "#sku-save")
        await settle(pilot)
    assert stored_mappings(services, ch.id) == []


async def test_cancel_discards_and_returns_to_the_list(services) -> None:
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("LOC-1", title="One", on_hand=1)
    services.skus.map(ch.id, "A-1", "LOC-1")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        screen.query_one("#sku-mapping-table").focus()
        await pilot.press("x")
        await pick(pilot, "sku-channel-picker", "C-3")
        await pick(pilot, "sku-local-picker", "LOC-1")
        await pilot.press("enter")
        await settle(pilot)
        assert len(mapping_rows(screen)) == 2  # one pending add, one pending delete
        await press_button(pilot, "#sku-cancel")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert stored_mappings(services, ch.id) == [("A-1", "LOC-1", 1)]

        # Open again: nothing of the discarded changes is left.
        screen = await open_sku_mapping(pilot)
        assert mapping_rows(screen) == [("A-1", "→", "LOC-1", "One", "×1", "", "X")]
    assert app.sync_requests == []


async def test_leaving_by_the_link_or_escape_applies_nothing(services) -> None:
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("LOC-1", title="One", on_hand=1)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        for leave in ("link", "escape"):
            await open_sku_mapping(pilot)
            await pick(pilot, "sku-channel-picker", "C-3")
            await pick(pilot, "sku-local-picker", "LOC-1")
            await pilot.press("enter")
            await settle(pilot)
            if leave == "link":
                await press_button(pilot, "#back-link")  # "← Sales channel integrations"
            else:
                await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ChannelListScreen)
            assert notifications(app)[-1] == (
                "1 SKU mapping change was not saved and did not apply."
            )
            assert stored_mappings(services, ch.id) == []
    assert app.sync_requests == []


async def test_the_pickers_find_one_sku_among_5000(services) -> None:
    ch = add_channel(services, "Main shop")
    with session_scope(services.engine) as s:
        s.execute(
            insert(InventoryItem),
            [
                {"sku": f"SKU-{n:05d}", "sku_key": f"sku-{n:05d}", "title": f"Guitar {n}"}
                for n in range(5000)
            ],
        )
        s.execute(
            insert(Listing),
            [
                {
                    "channel_id": ch.id,
                    "listing_id": str(n),
                    "sku": f"REV-{n:05d}",
                    "title": f"Amp {n}",
                }
                for n in range(5000)
            ],
        )
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        local = screen.query_one("#sku-local-picker", SkuPicker)
        local.input.focus()
        await settle(pilot)
        assert len(local.choices) == 50  # a bounded first screenful, never the catalogue
        assert local.query_one(".picker-status").render().plain == (
            "The first 50 matches; type more to narrow them."
        )
        await type_text(pilot, "sku-04321")
        await settle(pilot)
        assert [(c.value, c.detail) for c in local.choices] == [("SKU-04321", "Guitar 4321")]
        assert local.options.option_count == 1

        channel = await pick(pilot, "sku-channel-picker", "amp 1234")  # titles match too
        assert [c.value for c in channel.choices] == ["REV-01234"]
        assert channel.value == "REV-01234"


# -- the unlinked view --------------------------------------------------------------------------


async def seed_unlinked(services):
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("ABC-1", title="Matches by SKU", on_hand=4)
    add_listings(
        services,
        ch.id,
        (" abc-1 ", "Resolves by SKU, not mapped"),
        ("ZZZ-9", "No local SKU"),
        (None, "No SKU at all"),
    )
    later = utcnow() + timedelta(minutes=5)  # paid after the count: it takes stock
    add_order(services, ch.id, "1001", "NEW-1", paid_at=later, quantity=2)
    add_order(services, ch.id, "1002", "ZZZ-9")
    # The local SKU arrives after order 1001 was downloaded without one.
    services.inventory.upsert("NEW-1", title="Added later", on_hand=10)
    return ch


async def test_unlinked_view_counts_and_auto_link(services) -> None:
    ch = await seed_unlinked(services)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        button = screen.query_one("#open-unlinked")
        assert str(button.label) == "Unlinked: 2 listings, 2 orders"
        await pilot.press("u")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, UnlinkedScreen)
        assert view.query_one("#unlinked-counts").render().plain == (
            "Unlinked: 2 listings, 2 orders"
        )
        listings = view.query_one("#unlinked-listings", DataTable)
        assert [str(listings.get_row_at(i)[1]) for i in range(listings.row_count)] == [
            "ZZZ-9",
            "(no SKU)",
        ]
        orders = view.query_one("#unlinked-orders", DataTable)
        assert sorted(str(orders.get_row_at(i)[0]) for i in range(orders.row_count)) == [
            "1001",
            "1002",
        ]

        await pilot.press("a")  # Auto-link
        await settle(pilot)
        report = view.query_one("#auto-link-report").render().plain
        assert report.startswith("Auto-link mapped 2 channel SKUs to the local SKU of the same")
        assert "abc-1 → ABC-1" in report and "NEW-1 → NEW-1" in report
        assert "1 channel SKU matched no local SKU." in report
        assert app.sync_requests == [(ch.id, True)]
        # Auto-link maps; it never links orders already downloaded (mappings are frozen at download).
        assert view.query_one("#unlinked-counts").render().plain == (
            "Unlinked: 2 listings, 2 orders"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # The section shows the new mappings (it re-read them) and the counts follow.
        assert [r[0] for r in mapping_rows(screen)] == ["abc-1", "NEW-1"]
    assert stored_mappings(services, ch.id) == [("abc-1", "ABC-1", 1), ("NEW-1", "NEW-1", 1)]
    with session_scope(services.engine) as s:
        assert s.exec(select(Order.sku).where(Order.order_number == "1001")).one() is None


async def test_apply_to_waiting_orders_links_an_order_stored_without_a_sku(services) -> None:
    ch = await seed_unlinked(services)
    services.skus.map(ch.id, "NEW-1", "NEW-1", kit=1)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        await press_button(pilot, "#open-unlinked")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, UnlinkedScreen)

        await pilot.press("w")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        text = " ".join(modal.query_one("#confirm-text").render().plain.split())
        assert "downloaded without a local SKU" in text
        assert "This changes orders already downloaded" in text
        assert "takes its quantity (× kit) from on hand now" in text
        assert app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Cancel: nothing linked
        await settle(pilot)
        with session_scope(services.engine) as s:
            assert s.exec(select(Order.sku).where(Order.order_number == "1001")).one() is None

        await pilot.press("w")
        await pilot.pause()
        await press_button(pilot, "#confirm-ok")
        await settle(pilot)
        assert app.screen is view
        assert (
            "Linked 1 waiting order of 'Main shop' to local SKUs; stock follows the sale rules."
            in notifications(app)
        )
        assert view.query_one("#unlinked-counts").render().plain == (
            "Unlinked: 2 listings, 1 order"
        )
        assert app.sync_requests == [(None, True)]
        await pilot.press("escape")
        await settle(pilot)
        assert str(screen.query_one("#open-unlinked").label) == "Unlinked: 2 listings, 1 order"
    with session_scope(services.engine) as s:
        order = s.exec(select(Order).where(Order.order_number == "1001")).one()
        assert (order.sku, order.kit) == ("NEW-1", 1)
        other = s.exec(select(Order).where(Order.order_number == "1002")).one()
        assert other.sku is None
    # Paid after the count: the linked order took its 2 units from stock.
    assert services.inventory.get("NEW-1").on_hand == 8


# -- the dry-run preview ------------------------------------------------------------------------

LISTINGS_PAGE = {
    "total": 4,
    "current_page": 1,
    "total_pages": 1,
    "listings": [
        {
            "id": 101,
            "sku": "LOC-1",
            "title": "Strat",
            "inventory": 3,
            "has_inventory": True,
            "condition": {"display_name": "Brand New"},
            "state": {"slug": "live"},
        },
        {
            "id": 102,
            "sku": "SAME-1",
            "title": "Tele",
            "inventory": 2,
            "has_inventory": True,
            "condition": {"display_name": "Brand New"},
            "state": {"slug": "live"},
        },
        {
            "id": 103,
            "sku": "NOPE-9",
            "title": "Unknown here",
            "inventory": 1,
            "has_inventory": True,
            "condition": {"display_name": "Brand New"},
            "state": {"slug": "live"},
        },
        {
            "id": 104,
            "sku": "ONE-1",
            "title": "Vintage, sold and ended",
            "inventory": 0,
            "has_inventory": False,
            "condition": {"display_name": "Used"},
            "state": {"slug": "ended"},
        },
    ],
}


def listing_services(make_services, fake_reverb):
    """Services whose Reverb has the listings of LISTINGS_PAGE (and records every request)."""
    fake_reverb.listings = {str(x["id"]): x for x in LISTINGS_PAGE["listings"]}
    services = make_services(client_factory=fast_client_factory(fake_reverb.transport))
    services.inventory.upsert("LOC-1", title="Strat", on_hand=7)
    services.inventory.upsert("SAME-1", title="Tele", on_hand=2)
    services.inventory.upsert("ONE-1", title="Vintage", on_hand=1)
    return services


def preview_rows(app) -> dict[str, tuple[str, str, str]]:
    table = app.screen.query_one("#stock-preview-table", DataTable)
    rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    return {r[0]: (r[4], r[5], r[6]) for r in rows}  # listing -> (current, new, action)


EXPECTED_PLAN = {
    "101": ("3", "7", "write"),
    "102": ("2", "2", "same"),
    "103": ("1", "—", "unlinked"),
    "104": ("0", "1", "skip-ended"),
}


async def test_switching_stock_updates_on_first_previews_the_push(
    make_services, fake_reverb
) -> None:
    services = listing_services(make_services, fake_reverb)
    add_channel(services, "Main shop")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_sku_mapping(pilot)
        await pilot.press("e")  # Additional settings, focus on the Stock updates switch
        await settle(pilot)
        switch = screen.query_one("#stock-updates", Switch)
        assert app.focused is switch
        await pilot.press("space")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, StockPreviewModal)
        await settle(pilot)
        assert preview_rows(app) == EXPECTED_PLAN
        assert modal.query_one("#stock-preview-counts").render().plain == (
            "4 listings: 1 to write, 1 already right, 1 skipped (ended, one of a kind), 1 unlinked."
        )
        intro = modal.query_one("#stock-preview-intro").render().plain
        assert "OK switches stock updates on and saves; Cancel leaves them off." in intro
        assert [r.method for r in fake_reverb.requests] == ["GET"]  # a read, never a PUT

        await press_button(pilot, "#stock-preview-cancel")
        await settle(pilot)
        assert app.screen is screen
        assert switch.value is False  # Cancel: back off, nothing saved
        assert services.channels.get("Main shop").stock_updates is False

        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, StockPreviewModal)
        await press_button(pilot, "#stock-preview-ok")
        await settle(pilot)
        assert app.screen is screen
        assert switch.value is True
    assert services.channels.get("Main shop").stock_updates is True
    assert all(r.method == "GET" for r in fake_reverb.requests)


async def test_preview_stock_push_key_shows_values_and_writes_nothing(
    make_services, fake_reverb
) -> None:
    services = listing_services(make_services, fake_reverb)
    ch = add_channel(services, "Main shop")
    services.channels.update_settings(ch.id, stock_updates=True)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, StockPreviewModal)
        assert preview_rows(app) == EXPECTED_PLAN
        intro = app.screen.query_one("#stock-preview-intro").render().plain
        assert "This is a dry run: nothing is written to Reverb." in " ".join(intro.split())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)
    assert [r.method for r in fake_reverb.requests] == ["GET"]
    after = services.channels.get("Main shop")
    assert after.last_stock_push_at is None  # a dry run is not a push
    with session_scope(services.engine) as s:
        assert s.exec(select(SkuMapping)).all() == []


async def test_preview_names_the_rule_that_decided_each_value(make_services, fake_reverb) -> None:
    services = listing_services(make_services, fake_reverb)
    ch = add_channel(services, "Main shop")
    services.channels.update_settings(ch.id, stock_updates=True, percent=50, end_when=2)
    app = RecordingApp(services)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        table = app.screen.query_one("#stock-preview-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        got = {r[0]: (r[5], r[6], r[7]) for r in rows}  # listing -> (new, action, rule)
    assert got == {
        "101": ("3", "same", "percentage"),  # floor(7 * 50 / 100), what Reverb shows
        "102": ("0", "write", "end when"),  # 2 available, at the end-when level
        "103": ("—", "unlinked", "—"),
        "104": ("0", "skip-ended", "percentage"),  # 1 available: the 50 % made it 0 first
    }
    assert [r.method for r in fake_reverb.requests] == ["GET"]
