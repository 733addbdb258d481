"""The Inventory screen: a page at a time, edit on hand (and the stock push it asks for),
refusals that save nothing, add, delete (refused while mapped), CSV import and export."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.widgets import DataTable, Input

from reverb_tui.app import ReverbApp
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem
from reverb_tui.messages import SyncRequested
from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.screens.inventory import PAGE_SIZE, InventoryScreen
from reverb_tui.screens.inventory_add import AddSkuModal
from reverb_tui.screens.inventory_csv import CsvFileModal
from reverb_tui.screens.inventory_on_hand import OnHandModal
from reverb_tui.widgets.form_error import FormError
from tests.db_rows import add_channel
from tests.ui.helpers import notifications, paste, press_button, settle, type_text


class RecordingApp(ReverbApp):
    """The app with its sync replaced by a record of what was asked for."""

    def __init__(self, services) -> None:
        super().__init__(services, start_sync=False)
        self.sync_requests: list[tuple[int | None, bool]] = []

    def on_sync_requested(self, message: SyncRequested) -> None:
        message.prevent_default()  # not ReverbApp's: no sync runs in these tests
        self.sync_requests.append((message.channel_id, message.stock_only))


def table_rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#inventory-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def stored(services) -> dict[str, tuple[str, int]]:
    with session_scope(services.engine) as s:
        return {i.sku: (i.title, i.on_hand) for i in s.exec(select(InventoryItem))}


async def open_inventory(pilot) -> InventoryScreen:
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InventoryScreen)
    return screen


async def test_edit_on_hand_saves_and_asks_for_a_stock_push(services) -> None:
    services.inventory.upsert("GTR-1", title="Strat", on_hand=5)
    services.inventory.upsert("GTR-2", title="Tele", on_hand=1)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_inventory(pilot)
        assert table_rows(app) == [
            ("GTR-1", "Strat", "5", "0", "5"),
            ("GTR-2", "Tele", "1", "0", "1"),
        ]
        await pilot.press("down", "e")  # the highlighted SKU: GTR-2
        await pilot.pause()
        assert isinstance(app.screen, OnHandModal)
        assert app.focused.value == "1"
        await pilot.press("1", "2", "enter")  # the field's text is selected: typing replaces
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert table_rows(app)[1] == ("GTR-2", "Tele", "12", "0", "12")
        assert app.screen.query_one("#inventory-table", DataTable).cursor_row == 1
        assert "On hand of 'GTR-2' is now 12 (reserved 0, available 12)." in notifications(app)
        assert app.sync_requests == [(None, True)]
    assert stored(services) == {"GTR-1": ("Strat", 5), "GTR-2": ("Tele", 12)}
    with session_scope(services.engine) as s:
        item = s.exec(select(InventoryItem).where(InventoryItem.sku == "GTR-2")).one()
        assert item.counted_at is not None  # setting on hand records the count


async def test_negative_or_fractional_stock_is_refused_and_nothing_is_saved(services) -> None:
    services.inventory.upsert("GTR-1", title="Strat", on_hand=5)
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_inventory(pilot)
        await pilot.press("enter")  # enter on a row edits it too
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, OnHandModal)
        error = modal.query_one(FormError)
        await pilot.press("minus", "3", "enter")
        await settle(pilot)
        assert app.screen is modal
        assert error.message == "On hand cannot be negative (-3)."
        modal.query_one(Input).value = ""
        await type_text(pilot, "2.5")
        await pilot.press("enter")
        await settle(pilot)
        assert error.message == "On hand '2.5' is not a whole number."
        await pilot.press("escape")  # Cancel
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert table_rows(app) == [("GTR-1", "Strat", "5", "0", "5")]
        assert app.sync_requests == []
    assert stored(services) == {"GTR-1": ("Strat", 5)}


async def test_a_page_at_a_time_with_search(services) -> None:
    with session_scope(services.engine) as s:
        s.add_all(
            InventoryItem(sku=f"SKU-{n:04d}", sku_key=f"sku-{n:04d}", title=f"Item {n}", on_hand=n)
            for n in range(250)
        )
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_inventory(pilot)
        page = screen.query_one("#inventory-page")
        assert len(table_rows(app)) == PAGE_SIZE
        assert str(page.render()) == "1–100 of 250 SKUs"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert table_rows(app)[0][0] == "SKU-0100"
        assert str(page.render()) == "101–200 of 250 SKUs"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert len(table_rows(app)) == 50
        await pilot.press("slash")
        assert app.focused.id == "inventory-search"
        await type_text(pilot, "sku-0042")
        await settle(pilot)
        assert table_rows(app) == [("SKU-0042", "Item 42", "42", "0", "42")]
        assert str(page.render()) == "1–1 of 1 SKU matching the search"
        await type_text(pilot, "x")
        await settle(pilot)
        assert table_rows(app) == []
        assert "No local SKU matches 'sku-0042x'." in str(
            screen.query_one("#inventory-empty").render()
        )


async def test_add_and_delete_and_the_refusal_when_mapped(services) -> None:
    ch = add_channel(services, "Main shop")
    services.inventory.upsert("MAPPED-1", title="Used by a mapping", on_hand=2)
    services.skus.map(ch.id, "REVERB-1", "MAPPED-1")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_inventory(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddSkuModal)
        await type_text(pilot, "NEW-7")
        await pilot.press("tab")
        await type_text(pilot, "Jazzmaster")
        await pilot.press("tab", "4", "enter")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert ("NEW-7", "Jazzmaster", "4", "0", "4") in table_rows(app)
        assert app.sync_requests == [(None, True)]  # a new SKU may link listings by SKU

        # The same SKU again, in another case: refused in one sentence.
        await pilot.press("a")
        await pilot.pause()
        await type_text(pilot, "new-7")
        await press_button(pilot, "#add-sku-save")
        await settle(pilot)
        assert app.screen.query_one(FormError).message == (
            "Local SKU 'NEW-7' already exists; edit its on hand instead (e)."
        )
        await pilot.press("escape")
        await settle(pilot)

        # Delete the mapped SKU (the first row; the cursor is on the new one): refused.
        assert table_rows(app)[app.screen.query_one(DataTable).cursor_row][0] == "NEW-7"
        await pilot.press("up", "d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.title_text == "Delete SKU"
        assert app.focused.id == "confirm-cancel"
        await pilot.press("shift+tab", "enter")  # OK
        await settle(pilot)
        assert notifications(app)[-1] == (
            "'MAPPED-1' cannot be deleted: SKU mappings use it ('REVERB-1' on 'Main shop'); "
            "unmap them first."
        )
        # Cancel keeps the SKU; OK deletes an unmapped one.
        await pilot.press("down", "d")
        await pilot.pause()
        await pilot.press("enter")  # Cancel
        await settle(pilot)
        assert "NEW-7" in stored(services)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("shift+tab", "enter")
        await settle(pilot)
        assert "Deleted local SKU 'NEW-7'." in notifications(app)
        assert [r[0] for r in table_rows(app)] == ["MAPPED-1"]
    assert stored(services) == {"MAPPED-1": ("Used by a mapping", 2)}


async def test_csv_import_lists_bad_lines_and_imports_nothing_then_a_good_file(
    services, tmp_path: Path
) -> None:
    services.inventory.upsert("KEEP-1", title="Kept", on_hand=3)
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,title,on_hand\nA-1,Alpha,3\nB-2,Beta,-1\nA-1,Again,2\nC-3,Gamma,x\n")
    good = tmp_path / "good.csv"
    good.write_text("sku,title,on_hand\nA-1,Alpha,3\nKEEP-1,Kept again,9\n")
    app = RecordingApp(services)
    async with app.run_test(size=(120, 45)) as pilot:
        await open_inventory(pilot)
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, CsvFileModal)
        await paste(pilot, str(bad))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal
        message = modal.query_one(FormError).message
        assert message.startswith(f"Nothing was imported from {bad}: 3 problems:")
        for line in ("line 3:", "line 4:", "line 5:"):
            assert line in message
        assert "line 2:" not in message
        assert stored(services) == {"KEEP-1": ("Kept", 3)}
        assert app.sync_requests == []

        modal.query_one(Input).value = ""
        await paste(pilot, str(good))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert f"Imported 2 rows from {good}: 1 new SKU, 1 updated." in notifications(app)
        assert table_rows(app) == [
            ("A-1", "Alpha", "3", "0", "3"),
            ("KEEP-1", "Kept again", "9", "0", "9"),
        ]
        assert app.sync_requests == [(None, True)]

        # Export: the file holds what the table shows.
        out = tmp_path / "out.csv"
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = ""
        await paste(pilot, str(out))
        await pilot.press("enter")
        await settle(pilot)
        assert f"Exported 2 local SKUs to {out}." in notifications(app)
    assert out.read_text() == "sku,title,on_hand\nA-1,Alpha,3\nKEEP-1,Kept again,9\n"
    assert stored(services) == {"A-1": ("Alpha", 3), "KEEP-1": ("Kept again", 9)}


async def test_csv_import_of_a_missing_file_is_one_sentence(services, tmp_path: Path) -> None:
    app = RecordingApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_inventory(pilot)
        assert screen_empty_text(app).startswith("No local SKUs yet.")
        await pilot.press("c")
        await pilot.pause()
        await paste(pilot, str(tmp_path / "nope.csv"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(FormError).message == (
            f"There is no file {str(tmp_path / 'nope.csv')!r}."
        )


def screen_empty_text(app) -> str:
    return str(app.screen.query_one("#inventory-empty").render())
