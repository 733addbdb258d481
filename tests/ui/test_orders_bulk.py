"""Local pickup on the order detail, and on the Orders screen: mark shipped for many and
export to CSV (screens/orders_bulk.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input, Switch

from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.screens.orders import OrdersTable
from reverb_tui.screens.orders_bulk import ExportOrdersModal, ShipManyModal, ShipResultsModal
from reverb_tui.widgets.form_error import FormError
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import FakeReverb
from tests.ui.helpers import make_app, notifications, settle, type_text
from tests.ui.test_orders_screen import (
    add_order,
    flat,
    open_detail,
    open_orders,
    stored,
    table_numbers,
)


@pytest.fixture
def fake() -> FakeReverb:
    return FakeReverb()


@pytest.fixture
def services(make_services, fake):
    return make_services(client_factory=fast_client_factory(fake.transport))


# -- local pickup -------------------------------------------------------------------------------


async def test_mark_picked_up_after_a_confirmation(services, fake) -> None:
    number = fake.add_order(method="local")["order_number"]
    ch = add_channel(services, "Main shop")
    add_order(services, ch.id, number, channel_shipping_method="local")
    app = make_app(services)
    async with app.run_test(size=(140, 70)) as pilot:
        detail = await open_detail(pilot, number)
        assert "The buyer collects this order." in flat(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # Cancel: nothing sent
        await settle(pilot)
        assert fake.count("mark_picked_up") == 0
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")  # OK has the focus
        await settle(pilot)
        assert app.screen is detail
        assert fake.count("mark_picked_up") == 1
        o = stored(services, number)
        assert (o.status, o.tracking_number) == ("picked_up", "PersonalCollection")
        assert any(f"Marked order {number} picked up on Reverb." in n for n in notifications(app))
        text = flat(app)
        assert "Status Picked up" in text
        assert f"Mark picked up is not available: Order {number} is already picked up." in text
        assert not detail.query_one("#pickup-submit").region.width  # the button is gone


async def test_reverbs_refusal_of_a_pickup_is_one_sentence(services, fake) -> None:
    number = fake.add_order(method="local", status="cancelled")["order_number"]
    ch = add_channel(services, "Main shop")
    add_order(services, ch.id, number, channel_shipping_method="local")  # stale: paid here
    app = make_app(services)
    async with app.run_test(size=(140, 70)) as pilot:
        await open_detail(pilot, number)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert any(
            f"Reverb refused to mark order {number} picked up: This order cannot be marked as "
            "picked up; status order is cancelled (local)." in n
            for n in notifications(app)
        )
        assert stored(services, number).status == "paid"


async def test_pickup_is_not_offered_for_a_shipped_order(services, fake) -> None:
    ch = add_channel(services, "Main shop")
    add_order(services, ch.id, "1001", channel_shipping_method="shipped")
    app = make_app(services)
    async with app.run_test(size=(140, 70)) as pilot:
        detail = await open_detail(pilot, "1001")
        assert detail.check_action("mark_picked_up", ()) is False
        assert "Local pickup" not in flat(app)
        await pilot.press("p")
        await settle(pilot)
        assert app.screen is detail and fake.count("mark_picked_up") == 0


# -- mark shipped for many ---------------------------------------------------------------------


@pytest.fixture
def book(services) -> int:
    ch = add_channel(services, "Main shop")
    ups = services.shipping.add("UPS Ground", "UPS").id
    for i, n in enumerate(("1001", "1002", "1003")):
        add_order(services, ch.id, n, minutes=i, channel_shipping_method="shipped",
                  shipping_service_id=ups)  # fmt: skip
    add_order(services, ch.id, "1004", minutes=3, status="shipped")
    return ch.id


async def mark(pilot, *numbers: str) -> None:
    table = pilot.app.screen.query_one(OrdersTable)
    for n in numbers:
        table.move_cursor(row=table_numbers(pilot.app).index(n))
        await pilot.press("space")
    await settle(pilot)


async def test_ship_the_marked_orders_with_a_tracking_number_each(services, fake, book) -> None:
    app = make_app(services)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_orders(pilot)
        await mark(pilot, "1001", "1004", "1003")
        await pilot.press("s")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ShipManyModal)
        assert [c.order_number for c in modal.ready] == ["1001", "1003"]
        assert "Left out: Order 1004 is already shipped." in flat(app)
        assert app.focused.id == "ship-many-tracking-0"
        await type_text(pilot, "1Z1")
        await pilot.press("enter")  # to the next order's tracking number
        assert app.focused.id == "ship-many-tracking-1"
        await type_text(pilot, "1Z3")
        await pilot.press("enter")  # the last one: ship
        await settle(pilot)
        assert app.screen is screen
        assert fake.posts() == [
            {"provider": "UPS", "tracking_number": "1Z1", "send_notification": True},
            {"provider": "UPS", "tracking_number": "1Z3", "send_notification": True},
        ]
        assert [stored(services, n).status for n in ("1001", "1002", "1003")] == [
            "shipped", "paid", "shipped"]  # fmt: skip
        assert "Marked 2 of 2 orders shipped." in notifications(app)
        assert list(screen._marked.values()) == ["1004"]  # only the left-out one stays marked


async def test_a_missing_tracking_number_sends_nothing(services, fake, book) -> None:
    app = make_app(services)
    async with app.run_test(size=(140, 50)) as pilot:
        await open_orders(pilot)
        await mark(pilot, "1001", "1002")
        await pilot.press("s")
        await settle(pilot)
        await type_text(pilot, "1Z1")
        app.screen.query_one("#ship-many-go").press()
        await settle(pilot)
        assert isinstance(app.screen, ShipManyModal)
        assert "The tracking number is empty (order 1002); nothing was sent." in str(
            app.screen.query_one(FormError).render()
        )
        assert fake.posts() == []


async def test_failures_are_listed_at_the_end(services, fake, book) -> None:
    fake.ship_response = httpx.Response(422, json={"message": "Tracking number is invalid"})
    app = make_app(services)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_orders(pilot)
        await mark(pilot, "1002")
        await pilot.press("s")
        await settle(pilot)
        await type_text(pilot, "BAD")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShipResultsModal)
        text = flat(app)
        assert "Marked 0 of 1 order shipped; 1 failed." in text
        assert "Reverb refused to mark order 1002 shipped: Tracking number is invalid." in text
        assert len(fake.posts()) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and list(screen._marked.values()) == ["1002"]


# -- export -------------------------------------------------------------------------------------


async def set_path(pilot, path: Path) -> None:
    field = pilot.app.screen.query_one("#export-path", Input)
    field.value = str(path)
    field.focus()


async def test_export_writes_the_filtered_orders(services, book, tmp_path) -> None:
    out = tmp_path / "exports" / "o.csv"
    out.parent.mkdir()
    app = make_app(services)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await open_orders(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExportOrdersModal)
        assert "All 4 orders." in flat(app)
        await set_path(pilot, out)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert f"Exported 4 orders to {out}." in notifications(app)
        with out.open(newline="") as fh:
            assert [r["order_number"] for r in csv.DictReader(fh)] == [
                "1001", "1002", "1003", "1004"]  # fmt: skip

        # With a status filter, into the same file: refused until "replace" is on.
        screen.filters = screen.filters.__class__(status="shipped")
        await pilot.press("x")
        await settle(pilot)
        await set_path(pilot, out)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportOrdersModal)
        assert "already exists; nothing was written" in str(
            app.screen.query_one(FormError).render()
        )
        app.screen.query_one("#export-replace", Switch).value = True
        app.screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        with out.open(newline="") as fh:
            assert [r["order_number"] for r in csv.DictReader(fh)] == ["1004"]
