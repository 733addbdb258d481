"""The Orders screen (a keyset-paged window, filters, search, exceptions, apply current
mappings) and the order detail (every field, why it is an exception, Mark shipped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from rich.text import Text
from sqlmodel import select
from textual import events
from textual.geometry import Region
from textual.widgets import Button, Input, Select
from textual.widgets._select import SelectOverlay

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order, ShippingMapping
from reverb_tui.screens import orders as orders_module
from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.screens.order_detail import OrderDetailScreen
from reverb_tui.screens.orders import OrdersScreen, OrdersTable
from reverb_tui.widgets.form_error import FormError
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import FakeReverb
from tests.ui.helpers import make_app, notifications, screen_text, settle, type_text

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_order(services, channel_id: int, number: str, minutes: int = 0, **kw) -> int:
    """Store a downloaded order directly (as the sync would have)."""
    with session_scope(services.engine) as s:
        o = Order(
            channel_id=channel_id,
            order_number=number,
            status=kw.pop("status", "paid"),
            first_seen_at=T0,
            created_at=T0 + timedelta(minutes=minutes),
            quantity=kw.pop("quantity", 1),
            total_cents=kw.pop("total_cents", 12_345),
            currency=kw.pop("currency", "USD"),
            **kw,
        )
        s.add(o)
        s.flush()
        return int(o.id)


def flat(app) -> str:
    """The screen's words in one line, without box borders (for sentences that wrap)."""
    return " ".join(screen_text(app).replace("█", " ").replace("▊", " ").split())


def stored(services, number: str) -> Order:
    with session_scope(services.engine) as s:
        return s.exec(select(Order).where(Order.order_number == number)).one()


def table_numbers(app) -> list[str]:
    table = app.screen.query_one(OrdersTable)
    return [str(table.get_row_at(i)[2]) for i in range(table.row_count)]


async def open_orders(pilot) -> OrdersScreen:
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OrdersScreen)
    return screen


async def choose(pilot, selector: str, value) -> None:
    """Pick ``value`` in a Select by keys: open it, move the highlight, press enter."""
    widget = pilot.app.screen.query_one(selector, Select)
    widget.focus()
    await pilot.press("enter")
    await pilot.pause()
    overlay = widget.query_one(SelectOverlay)
    target = next(i for i, (_label, v) in enumerate(widget._options) if v == value)
    for _ in range(len(widget._options) + 2):
        if overlay.highlighted == target:
            break
        up = overlay.highlighted is not None and overlay.highlighted > target
        await pilot.press("up" if up else "down")
    await pilot.press("enter")
    await settle(pilot)
    assert widget.value == value


# -- the window ---------------------------------------------------------------------------------


async def test_first_page_then_more_on_scroll_within_a_bounded_window(
    services, monkeypatch
) -> None:
    monkeypatch.setattr(orders_module, "PAGE_SIZE", 20)
    monkeypatch.setattr(orders_module, "WINDOW_PAGES", 3)
    monkeypatch.setattr(orders_module, "NEAR_EDGE", 5)
    ch = add_channel(services, "Main shop")
    rows = [
        {"channel_id": ch.id, "order_number": str(5000 + i), "status": "paid",
         "first_seen_at": T0, "created_at": T0 + timedelta(minutes=i), "quantity": 1}
        for i in range(130)
    ]  # fmt: skip
    with services.engine.begin() as conn:
        conn.execute(Order.__table__.insert(), rows)
    newest, oldest = "5129", "5000"
    app = make_app(services)
    async with app.run_test(size=(160, 20)) as pilot:  # about 10 rows in view
        screen = await open_orders(pilot)
        table = screen.query_one(OrdersTable)
        assert table.row_count == 20
        assert table_numbers(app)[:2] == [newest, "5128"]
        assert "130 orders" in screen_text(app)
        assert app.focused is table

        seen_max = 0
        for _ in range(12):  # to the end of the book, a page at a time
            await pilot.press("ctrl+end")
            await settle(pilot)
            seen_max = max(seen_max, table.row_count)
        assert seen_max == 60  # never more than WINDOW_PAGES pages in the table
        numbers = table_numbers(app)
        assert numbers[-1] == oldest
        assert newest not in numbers  # the first pages left the table
        assert numbers == [str(n) for n in range(5000 + len(numbers) - 1, 4999, -1)]
        assert table.cursor_row == table.row_count - 1

        for _ in range(12):  # and back to the top: earlier pages are read again
            await pilot.press("ctrl+home")
            await settle(pilot)
            assert table.row_count <= 60
        numbers = table_numbers(app)
        assert numbers[0] == newest
        assert numbers == [str(n) for n in range(5129, 5129 - len(numbers), -1)]

        await pilot.press("enter")  # the cursor's order opens
        await settle(pilot)
        assert isinstance(app.screen, OrderDetailScreen)
        assert app.screen.order_number == table_numbers_at(table, table.cursor_row)


def table_numbers_at(table, row: int) -> str:
    return str(table.get_row_at(row)[2])


def cut_cells(table: OrdersTable) -> list[str]:
    """Cells wider than their column as the table would draw them now."""
    cut = []
    for row in range(table.row_count):
        for column, cell in zip(table.ordered_columns, table.get_row_at(row), strict=True):
            room = column.get_render_width(table) - 2 * table.cell_padding
            if Text(cell).cell_len > room if isinstance(cell, str) else cell.cell_len > room:
                cut.append(f"{column.key.value}={cell}")
    return cut


async def test_no_value_is_ever_cut_to_its_column(services, monkeypatch) -> None:
    """Every cell fits its column as soon as the rows are in the table, before any idle: on
    open, when a refresh during a sync brings longer values and new rows, and on every page
    read while scrolling. DataTable sized its columns on a later idle, and cells drawn in a
    frame before that stayed cached as drawn (the cache keys carry no column width): a demo
    once showed every column stuck at its header's width, order 24293216 as 2429321."""
    monkeypatch.setattr(orders_module, "PAGE_SIZE", 20)
    monkeypatch.setattr(orders_module, "NEAR_EDGE", 5)
    ch = add_channel(services, "Shop")
    for i in range(30):
        add_order(services, ch.id, str(100 + i), i, status="paid", total_cents=100)
    checked: list[list[str]] = []
    original = OrdersScreen.on_orders_page_loaded

    def checking(self, message) -> None:
        original(self, message)
        table = self.query_one(OrdersTable)
        checked.append(cut_cells(table))
        # A frame drawn now (before any idle): its cells are cached as drawn.
        table.render_lines(Region(0, 0, table.size.width, table.size.height))

    monkeypatch.setattr(OrdersScreen, "on_orders_page_loaded", checking)
    app = make_app(services)
    async with app.run_test(size=(250, 30)) as pilot:
        screen = await open_orders(pilot)
        assert checked and not any(checked)
        seen = len(checked)
        # A sync stores a long order and changes another one to longer values meanwhile.
        long = add_channel(services, "Northside Guitars and Amplifiers")
        add_order(services, long.id, "24293216", 99, status="payment_pending",
                  total_cents=187_600, currency="GBP", channel_sku="NS-LES-PAUL-1959-RI",
                  channel_shipping_method="expedited_shipping")  # fmt: skip
        with session_scope(services.engine) as s:
            o = s.exec(select(Order).where(Order.order_number == "120")).one()
            o.status, o.total_cents, o.channel_sku = "partially_paid", 123_456_789, "X" * 30
            s.add(o)
        await pilot.press("r")
        await settle(pilot)
        assert len(checked) > seen and not any(checked)
        seen = len(checked)
        table = screen.query_one(OrdersTable)
        assert table_numbers(app)[:2] == ["24293216", "129"]
        assert table_numbers_at(table, table.cursor_row) == "129"  # the cursor stayed on it
        table.move_cursor(row=0)
        await pilot.pause()
        text = screen_text(app)
        for words in ("24293216", "£1,876.00 GBP", "Payment pending", "Partially paid",
                      "$1,234,567.89 USD", "X" * 30, "Northside Guitars and Amplifiers"):  # fmt: skip
            assert words in text, words
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert len(checked) > seen and not any(checked)
        assert table.row_count == 31


@pytest.fixture
def book(services):
    """Two integrations; statuses, buyers, SKUs and exceptions to filter on."""
    a = add_channel(services, "Guitar shop")
    b = add_channel(services, "Pedal outlet")
    ups = services.shipping.add("UPS Ground", "UPS").id
    add_order(
        services,
        a.id,
        "1001",
        1,
        status="paid",
        channel_sku="GTR-1",
        sku="GTR-1",
        channel_shipping_method="shipped",
        shipping_service_id=ups,
        buyer_name="Ada Moss",
    )
    add_order(
        services,
        a.id,
        "1002",
        2,
        status="shipped",
        channel_sku="GTR-2",
        sku=None,
        channel_shipping_method="shipped",
        shipping_service_id=ups,
        buyer_name="Ben Quinn",
    )
    add_order(
        services,
        b.id,
        "2001",
        3,
        status="paid",
        channel_sku="PED-1",
        sku="PED-1",
        channel_shipping_method="expedited_shipping",
        buyer_name="Cleo Tanaka",
    )
    add_order(
        services,
        b.id,
        "2002",
        4,
        status="layaway",
        channel_sku="PED-2",
        sku="PED-2",
        channel_shipping_method="shipped",
        shipping_service_id=ups,
        buyer_name="Dev Singh",
    )
    return {"a": a, "b": b, "ups": ups}  # fmt: skip


async def test_rows_show_every_column(services, book) -> None:
    app = make_app(services)
    async with app.run_test(size=(200, 30)) as pilot:
        await open_orders(pilot)
        text = screen_text(app)
        for words in (
            "Integration", "Order #", "Status", "Created", "Channel SKU", "Local SKU", "Qty",
            "Total", "Shipping", "Exception", "$123.45 USD", "Standard shipping → UPS Ground",
            "Expedited shipping → unmapped", "unlinked", "⚠ SKU", "⚠ shipping", "Layaway",
            "4 orders",
        ):  # fmt: skip
            assert words in text, words
        assert table_numbers(app) == ["2002", "2001", "1002", "1001"]


async def test_filters_and_search_narrow_the_rows(services, book) -> None:
    app = make_app(services)
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_orders(pilot)
        await choose(pilot, "#orders-channel", book["a"].id)
        assert table_numbers(app) == ["1002", "1001"]
        assert "2 orders match the filters" in screen_text(app)

        await choose(pilot, "#orders-status", "paid")
        assert table_numbers(app) == ["1001"]

        await choose(pilot, "#orders-channel", Select.NULL)  # back to all integrations
        assert table_numbers(app) == ["2001", "1001"]

        await choose(pilot, "#orders-status", "layaway")  # a status seen only on an order
        assert table_numbers(app) == ["2002"]
        await choose(pilot, "#orders-status", Select.NULL)

        await pilot.press("slash")
        assert app.focused.id == "orders-search"
        await type_text(pilot, "tanaka")
        await pilot.press("enter")  # at once, without waiting for the typing pause
        await settle(pilot)
        assert table_numbers(app) == ["2001"]
        assert app.focused is screen.query_one(OrdersTable)

        await pilot.press("slash", "ctrl+u")
        await type_text(pilot, "gtr-2")  # a channel SKU, any case
        await pilot.press("enter")
        await settle(pilot)
        assert table_numbers(app) == ["1002"]

        await pilot.press("slash", "ctrl+u")
        await type_text(pilot, "100")  # part of an order number
        await pilot.press("enter")
        await settle(pilot)
        assert table_numbers(app) == ["1002", "1001"]

        await pilot.press("slash", "ctrl+u")
        await type_text(pilot, "nobody")
        await pilot.press("enter")
        await settle(pilot)
        assert "No orders match these filters." in screen_text(app)
        assert "0 orders match the filters" in screen_text(app)


async def test_refresh_updates_rows_by_key_and_keeps_the_cursor_on_its_order(
    services, book
) -> None:
    app = make_app(services)
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_orders(pilot)
        table = screen.query_one(OrdersTable)
        table.move_cursor(row=table_numbers(app).index("1002"))
        await pilot.pause()
        # Meanwhile a sync downloads a new order and another changes on Reverb.
        add_order(services, book["a"].id, "1003", 30, status="paid")
        with session_scope(services.engine) as s:
            o = s.exec(select(Order).where(Order.order_number == "1001")).one()
            o.status = "shipped"
            s.add(o)
        await pilot.press("r")
        await settle(pilot)
        assert table_numbers(app) == ["1003", "2002", "2001", "1002", "1001"]
        assert table_numbers_at(table, table.cursor_row) == "1002"  # still on its order
        assert str(table.get_row_at(4)[3]) == "Shipped"
        assert "5 orders" in screen_text(app)


async def test_search_waits_for_a_pause_in_typing(services, book, monkeypatch) -> None:
    app = make_app(services)
    reads = []
    # What had been read when the last key reached the search field. Taken then, not after
    # type_text returns: on a loaded machine the pause after the last key can outlast the
    # debounce before the test looks, and the (correct) read of "moss" would already be in.
    at_last_key: list[list] = []

    def on_message(message) -> None:
        changed = isinstance(message, Input.Changed) and message.input.id == "orders-search"
        if changed and message.value == "moss" and not at_last_key:
            at_last_key.append(list(reads))

    async with app.run_test(size=(200, 30), message_hook=on_message) as pilot:
        screen = await open_orders(pilot)
        original = services.orders.query

        def counting(*a, **kw):
            reads.append(kw.get("search"))
            return original(*a, **kw)

        monkeypatch.setattr(services.orders, "query", counting)
        await pilot.press("slash")
        # Four keys as a person types them, back to back. (Pilot's press waits for the app to
        # be idle after each key: on a loaded machine that wait alone can outlast the
        # debounce, which tests the machine, not the screen.)
        for char in "moss":
            app.post_message(events.Key(char, char))
        await pilot.pause()
        assert at_last_key == [[]]  # nothing read while typing
        await pilot.pause(orders_module.SEARCH_DEBOUNCE + 0.1)  # the debounce timer
        await settle(pilot)
        assert reads == ["moss"]
        assert table_numbers(app) == ["1001"]
        assert screen.filters.search == "moss"


async def test_exceptions_only(services, book) -> None:
    app = make_app(services)
    async with app.run_test(size=(200, 30)) as pilot:
        await open_orders(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert table_numbers(app) == ["2001", "1002"]
        await pilot.press("e")
        await settle(pilot)
        assert len(table_numbers(app)) == 4


async def test_apply_current_mappings_changes_only_the_selected(services, book) -> None:
    a = book["a"].id
    for n in ("3001", "3002", "3003"):
        add_order(services, a, n, 10 + int(n[-1]), channel_shipping_method="courier")
    # Mapped after these orders were downloaded: they stay unmapped until asked.
    services.shipping.add("Courier", "DHL")
    services.shipping.map(a, "courier", "Courier")
    app = make_app(services)
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_orders(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert table_numbers(app)[:3] == ["3003", "3002", "3001"]
        await pilot.press("space", "space")  # mark 3003 and 3002 (the cursor moves down)
        assert "2 marked" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        text = " ".join(str(app.screen.query_one("#confirm-text").content).split())
        assert "the 2 selected orders" in text
        assert "changes only the selected orders" in text
        await pilot.press("escape")  # Cancel: nothing changes
        await settle(pilot)
        assert stored(services, "3003").shipping_service_id is None

        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # OK
        await settle(pilot)
        assert app.screen is screen
        assert any("2 changed" in n for n in notifications(app))
        courier = services.shipping.get("Courier").id
        assert stored(services, "3003").shipping_service_id == courier
        assert stored(services, "3002").shipping_service_id == courier
        assert stored(services, "3001").shipping_service_id is None  # not selected
        assert stored(services, "2001").shipping_service_id is None
        # Refreshed: the fixed orders left the exceptions filter; the marks are gone.
        assert "3003" not in table_numbers(app) and "3002" not in table_numbers(app)
        assert "marked" not in screen_text(app)

        # Without marks: the highlighted order only.
        screen.query_one(OrdersTable).move_cursor(row=table_numbers(app).index("3001"))
        await pilot.press("a")
        await pilot.pause()
        assert "mappings to order 3001?" in str(app.screen.query_one("#confirm-text").content)
        await pilot.press("enter")
        await settle(pilot)
        assert stored(services, "3001").shipping_service_id == courier
        assert stored(services, "1002").sku is None  # another exception, untouched


async def test_apply_is_dimmed_while_there_is_no_order_to_apply_to(services) -> None:
    ch = add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_orders(pilot)
        assert "No orders downloaded yet" in screen_text(app)
        apply = screen.query_one("#orders-apply", Button)
        assert apply.disabled
        assert screen.active_bindings["a"].enabled is False  # the footer shows it dimmed
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen and notifications(app) == []  # nothing to confirm

        add_order(services, ch.id, "1001")  # a sync downloads an order
        await pilot.press("r")
        await settle(pilot)
        assert not apply.disabled
        assert screen.active_bindings["a"].enabled is True
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "mappings to order 1001?" in str(app.screen.query_one("#confirm-text").content)


# -- order detail and Mark shipped --------------------------------------------------------------


@pytest.fixture
def fake_ship() -> FakeReverb:
    """Reverb's carrier list and ship endpoint, recording each request."""
    return FakeReverb()


@pytest.fixture
def ship_services(make_services, fake_ship):
    return make_services(client_factory=fast_client_factory(fake_ship.transport))


async def open_detail(pilot, number: str) -> OrderDetailScreen:
    screen = await open_orders(pilot)
    table = screen.query_one(OrdersTable)
    table.move_cursor(row=table_numbers(pilot.app).index(number))
    await pilot.press("enter")
    await settle(pilot)
    detail = pilot.app.screen
    assert isinstance(detail, OrderDetailScreen)
    return detail


async def test_detail_shows_every_field_and_why_it_is_an_exception(services, book) -> None:
    app = make_app(services)
    async with app.run_test(size=(140, 70)) as pilot:
        await open_detail(pilot, "1002")
        text = flat(app)
        for words in (
            "Order 1002 · Guitar shop", "Status Shipped", "Channel SKU GTR-2",
            "Local SKU unlinked: no local SKU", "Total $123.45 USD", "Buyer Ben Quinn",
            "Sales channel shipping Standard shipping (shipped)",
            "Local shipping service UPS Ground (carrier UPS)",
            "Exception: The channel SKU 'GTR-2' maps to no local SKU.",
            "Mark shipped is not available: Order 1002 is already shipped.",
        ):  # fmt: skip
            assert words in text, words
        assert not app.screen.query_one("#ship-form").display
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)


async def test_mark_shipped_posts_and_updates_the_order(ship_services, fake_ship) -> None:
    ch = add_channel(ship_services, "Main shop")
    ups = ship_services.shipping.add("UPS Ground", "UPS").id
    add_order(ship_services, ch.id, "1001", channel_shipping_method="shipped",
              shipping_service_id=ups)  # fmt: skip
    app = make_app(ship_services)
    async with app.run_test(size=(140, 70)) as pilot:
        detail = await open_detail(pilot, "1001")
        carrier = detail.query_one("#ship-carrier", Select)
        assert carrier.value == "UPS"  # the mapped service's carrier
        assert ("Royal Mail", "Royal Mail") in carrier._options  # Reverb's list, loaded
        assert detail.query_one("#ship-notify").value is True
        await pilot.press("s")
        assert app.focused.id == "ship-tracking"
        await type_text(pilot, "1Z999AA10123456784")
        await pilot.press("enter")
        await settle(pilot)
        assert fake_ship.posts() == [
            {"provider": "UPS", "tracking_number": "1Z999AA10123456784",
             "send_notification": True}
        ]  # fmt: skip
        o = stored(ship_services, "1001")
        assert (o.status, o.shipping_provider, o.tracking_number) == (
            "shipped", "UPS", "1Z999AA10123456784")  # fmt: skip
        assert any("Marked order 1001 shipped on Reverb with UPS" in n for n in notifications(app))
        text = flat(app)
        assert "Status Shipped" in text and "Tracking number 1Z999AA10123456784" in text
        assert "Mark shipped is not available: Order 1001 is already shipped." in text
        assert not detail.query_one("#ship-form").display

        await pilot.press("escape")  # the list shows it shipped too
        await settle(pilot)
        assert "Shipped" in str(app.screen.query_one(OrdersTable).get_row_at(0)[3])


async def test_mark_shipped_with_another_carrier_and_no_notification(
    ship_services, fake_ship
) -> None:
    ch = add_channel(ship_services, "Main shop")
    add_order(ship_services, ch.id, "1001", channel_shipping_method="local")
    app = make_app(ship_services)
    async with app.run_test(size=(140, 70)) as pilot:
        detail = await open_detail(pilot, "1001")
        assert detail.query_one("#ship-carrier", Select).value == "Other"  # nothing mapped
        await choose(pilot, "#ship-carrier", "Royal Mail")
        detail.query_one("#ship-notify").focus()
        await pilot.press("space")
        detail.query_one("#ship-tracking").focus()
        await type_text(pilot, "RM123")
        await pilot.press("enter")
        await settle(pilot)
        assert fake_ship.posts() == [
            {"provider": "Royal Mail", "tracking_number": "RM123", "send_notification": False}
        ]
        assert any("the buyer was not notified" in n for n in notifications(app))
    assert stored(ship_services, "1001").status == "shipped"


async def test_ship_refusals_are_one_sentence_inline_and_change_nothing(
    ship_services, fake_ship
) -> None:
    ch = add_channel(ship_services, "Main shop")
    add_order(ship_services, ch.id, "1001")
    app = make_app(ship_services)
    async with app.run_test(size=(140, 70)) as pilot:
        detail = await open_detail(pilot, "1001")
        error = detail.query_one("#ship-error", FormError)
        await pilot.press("s", "enter")  # no tracking number
        await settle(pilot)
        assert error.message == "The tracking number is empty."
        assert fake_ship.posts() == []

        fake_ship.ship_response = httpx.Response(
            422,
            json={"message": "Order could not be shipped",
                  "errors": {"tracking_number": ["is invalid"]}},
        )  # fmt: skip
        await type_text(pilot, "BAD")
        await pilot.press("enter")
        await settle(pilot)
        assert error.message == (
            "Reverb refused to mark order 1001 shipped: Order could not be shipped; "
            "tracking_number is invalid."
        )
        assert len(fake_ship.posts()) == 1
        assert detail.query_one("#ship-form").display  # still offered; nothing changed
        assert not detail.query_one("#ship-submit").disabled
        assert notifications(app) == []
    o = stored(ship_services, "1001")
    assert (o.status, o.tracking_number, o.shipping_provider) == ("paid", None, None)


async def test_ship_not_offered_for_a_disabled_integration(ship_services, fake_ship) -> None:
    ch = add_channel(ship_services, "Main shop", enabled=False)
    add_order(ship_services, ch.id, "1001")
    app = make_app(ship_services)
    async with app.run_test(size=(140, 70)) as pilot:
        detail = await open_detail(pilot, "1001")
        assert not detail.query_one("#ship-form").display
        text = flat(app)
        assert "Mark shipped is not available: The integration 'Main shop' is disabled" in text
        await pilot.press("s")
        await settle(pilot)
        assert any("is disabled" in n for n in notifications(app))
    assert fake_ship.requests == []


async def test_detail_applies_current_mappings_to_its_order(services, book) -> None:
    services.shipping.map(book["b"].id, "expedited_shipping", "UPS Ground")
    app = make_app(services)
    async with app.run_test(size=(140, 70)) as pilot:
        await open_detail(pilot, "2001")
        assert "Exception:" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.title_text == "Apply current mappings"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderDetailScreen)
        text = flat(app)
        assert "Exception:" not in text
        assert "Local shipping service UPS Ground (carrier UPS)" in text
    assert stored(services, "2001").shipping_service_id == book["ups"]
    with session_scope(services.engine) as s:
        assert len(s.exec(select(ShippingMapping)).all()) == 1
