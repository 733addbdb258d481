"""Shipping services screen (add, rename, change carrier, delete with its refusal) and the
integration's Shipping mapping section (Map field, X, Save, Cancel, the note)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select
from textual.widgets import DataTable, Select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order, ShippingMapping
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.screens.shipping_service_form import ShippingServiceModal
from reverb_tui.screens.shipping_services import ShippingServicesScreen
from reverb_tui.widgets.form_error import FormError
from reverb_tui.widgets.shipping_mapping_section import (
    NO_SERVICES,
    NOTE,
    ShippingMappingSection,
    UnmapButton,
)
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, notifications, press_button, screen_text, settle, type_text
from tests.ui.test_orders_screen import choose

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def service_rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#services-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def stored_services(services) -> list[tuple[str, str, str | None]]:
    return [(s.name, s.carrier, s.code) for s in services.shipping.list()]


def stored_mappings(services, channel_id: int) -> list[tuple[str, str]]:
    return [(m.channel_service, m.service) for m in services.shipping.mappings(channel_id)]


async def open_services(pilot) -> ShippingServicesScreen:
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ShippingServicesScreen)
    return screen


# -- the shipping services screen -------------------------------------------------------------


async def test_add_a_service_with_a_carrier_and_a_code(services) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_services(pilot)
        assert "No local shipping services yet." in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ShippingServiceModal)
        assert app.focused.id == "service-name"
        await type_text(pilot, "UPS Ground")
        await choose(pilot, "#service-carrier", "UPS")
        app.screen.query_one("#service-code").focus()
        await type_text(pilot, "03")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShippingServicesScreen)
        assert service_rows(app) == [("UPS Ground", "UPS", "03", "0", "0")]
        assert any("Added the shipping service 'UPS Ground' (carrier UPS)." in n
                   for n in notifications(app))  # fmt: skip

        # The same name again (any case): refused under the form; the dialog stays open.
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "ups ground")
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ShippingServiceModal)
        assert modal.query_one("#service-error", FormError).message == (
            "A local shipping service named 'ups ground' already exists."
        )
        await pilot.press("escape")  # Cancel adds nothing
        await settle(pilot)
        assert isinstance(app.screen, ShippingServicesScreen)
    assert stored_services(services) == [("UPS Ground", "UPS", "03")]


async def test_rename_and_change_carrier(services) -> None:
    services.shipping.add("Ground", "Other")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_services(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.focused.value == "Ground"
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "FedEx Ground")
        await pilot.press("enter")
        await settle(pilot)
        assert service_rows(app)[0][:2] == ("FedEx Ground", "Other")

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ShippingServiceModal)
        await choose(pilot, "#service-carrier", "FedEx")
        await press_button(pilot, "#service-save")
        await settle(pilot)
        assert service_rows(app)[0][:2] == ("FedEx Ground", "FedEx")
        assert any("Changed the carrier of the shipping service 'FedEx Ground'" in n
                   for n in notifications(app))  # fmt: skip

        await pilot.press("e")  # the service code
        await settle(pilot)
        assert app.focused.id == "service-code"
        await type_text(pilot, "FXG")
        await pilot.press("enter")
        await settle(pilot)
        assert service_rows(app)[0][:3] == ("FedEx Ground", "FedEx", "FXG")
    assert stored_services(services) == [("FedEx Ground", "FedEx", "FXG")]


async def test_delete_is_refused_while_in_use_and_confirmed_otherwise(services) -> None:
    ch = add_channel(services, "Main shop")
    services.shipping.add("Courier", "DHL")
    services.shipping.add("Spare", "Other")
    services.shipping.map(ch.id, "shipped", "Courier")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_services(pilot)
        assert service_rows(app) == [
            ("Courier", "DHL", "—", "1", "0"),
            ("Spare", "Other", "—", "0", "0"),
        ]
        error = screen.query_one("#services-error", FormError)
        await pilot.press("d")  # Courier: used by a mapping
        await settle(pilot)
        assert isinstance(app.screen, ShippingServicesScreen)  # no confirmation offered
        assert error.message == (
            "The shipping service 'Courier' is used by 1 shipping mapping; remove those "
            "mappings first (in the integrations' Shipping mapping sections)."
        )

        await pilot.press("down", "d")  # Spare: unused, asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.title_text == "Delete shipping service"
        assert app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Cancel
        await settle(pilot)
        assert [r[0] for r in service_rows(app)] == ["Courier", "Spare"]

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("shift+tab", "enter")  # OK
        await settle(pilot)
        assert [r[0] for r in service_rows(app)] == ["Courier"]
        assert any("Deleted the shipping service 'Spare'." in n for n in notifications(app))

        # Recorded on a downloaded order (its mapping gone): still refused.
        services.shipping.unmap(ch.id, "shipped")
        with session_scope(services.engine) as s:
            s.add(Order(channel_id=ch.id, order_number="1001", status="paid", first_seen_at=T0,
                        shipping_service_id=services.shipping.get("Courier").id))  # fmt: skip
        await pilot.press("d")
        await settle(pilot)
        assert error.message == (
            "The shipping service 'Courier' is recorded on 1 downloaded order, so it cannot be "
            "deleted; rename it instead."
        )
    assert [s[0] for s in stored_services(services)] == ["Courier"]


# -- the shipping mapping section -------------------------------------------------------------


async def open_section(pilot) -> ShippingMappingSection:
    await settle(pilot)
    await pilot.press("enter")  # open the integration
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChannelDetailScreen)
    title = screen.query_one("#shipping-mapping").query_one("CollapsibleTitle")
    title.focus()
    await pilot.press("enter")  # expand "Shipping mapping"
    await settle(pilot)
    section = screen.query_one(ShippingMappingSection)
    assert section.region.height > 0
    return section


async def test_map_field_then_save_persists_and_x_then_save_deletes(services) -> None:
    ch = add_channel(services, "Main shop")
    services.shipping.add("UPS Ground", "UPS")
    services.shipping.add("Royal Mail 24", "Royal Mail")
    with session_scope(services.engine) as s:  # a method seen on a downloaded order
        s.add(Order(channel_id=ch.id, order_number="1001", status="paid", first_seen_at=T0,
                    channel_shipping_method="freight"))  # fmt: skip
    app = make_app(services)
    async with app.run_test(size=(140, 80)) as pilot:
        section = await open_section(pilot)
        text = " ".join(screen_text(app).split())
        assert "No shipping mappings yet." in text
        assert NOTE in text
        channel_select = section.query_one("#shipping-channel-service", Select)
        assert [v for _l, v in channel_select._options[1:]] == [
            "shipped", "expedited_shipping", "local", "freight"]  # fmt: skip
        assert channel_select._options[1][0] == "Standard shipping (shipped)"

        await choose(pilot, "#shipping-channel-service", "shipped")
        await choose(pilot, "#shipping-local-service", "UPS Ground")
        await press_button(pilot, "#shipping-map-field")
        await pilot.pause()
        await choose(pilot, "#shipping-channel-service", "freight")
        await choose(pilot, "#shipping-local-service", "Royal Mail 24")
        await press_button(pilot, "#shipping-map-field")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Standard shipping (shipped) → UPS Ground · UPS new: saved when you Save" in text
        assert "2 unsaved changes" in text
        assert stored_mappings(services, ch.id) == []  # nothing until Save

        await press_button(pilot, "#shipping-mapping-save")
        await settle(pilot)
        assert stored_mappings(services, ch.id) == [
            ("freight", "Royal Mail 24"), ("shipped", "UPS Ground")]  # fmt: skip
        assert any("They apply to orders downloaded from now on" in n for n in notifications(app))
        text = " ".join(screen_text(app).split())
        assert "new: saved when you Save" not in text and "unsaved" not in text
        # The order downloaded before the mapping keeps no service: mappings are frozen at download.
        with session_scope(services.engine) as s:
            assert s.exec(select(Order.shipping_service_id)).one() is None

        # X on "shipped", then Save: deleted.
        buttons = list(section.query(UnmapButton))
        x = next(b for b in buttons if b.entry.key == "shipped")
        x.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "deleted when you Save" in " ".join(screen_text(app).split())
        assert len(stored_mappings(services, ch.id)) == 2
        await press_button(pilot, "#shipping-mapping-save")
        await settle(pilot)
        assert stored_mappings(services, ch.id) == [("freight", "Royal Mail 24")]


async def test_cancel_discards_and_bad_input_is_one_sentence(services) -> None:
    ch = add_channel(services, "Main shop")
    services.shipping.add("UPS Ground", "UPS")
    services.shipping.map(ch.id, "shipped", "UPS Ground")
    app = make_app(services)
    async with app.run_test(size=(140, 80)) as pilot:
        section = await open_section(pilot)
        error = section.query_one("#shipping-mapping-error", FormError)

        await press_button(pilot, "#shipping-map-field")  # nothing chosen
        assert error.message == (
            "Choose a sales channel shipping service and a local shipping service, then Map field."
        )
        await choose(pilot, "#shipping-channel-service", "shipped")  # mapped already
        await choose(pilot, "#shipping-local-service", "UPS Ground")
        await press_button(pilot, "#shipping-map-field")
        assert error.message == (
            "The sales channel shipping service 'Standard shipping' is already mapped to "
            "'UPS Ground'; delete that mapping first (X)."
        )
        await press_button(pilot, "#shipping-mapping-save")
        assert error.message.startswith("There are no unsaved changes")

        # X and a new mapping, then Cancel: nothing stored changes, the list is as saved.
        next(iter(section.query(UnmapButton))).focus()
        await pilot.press("enter")
        await choose(pilot, "#shipping-channel-service", "local")
        await choose(pilot, "#shipping-local-service", "UPS Ground")
        await press_button(pilot, "#shipping-map-field")
        await pilot.pause()
        assert (section.pending.adds, section.pending.removes) == (
            {"local": "UPS Ground"},
            {"shipped"},
        )
        await press_button(pilot, "#shipping-mapping-cancel")
        await settle(pilot)
        assert (section.pending.adds, section.pending.removes) == ({}, set())
        text = " ".join(screen_text(app).split())
        assert "Standard shipping (shipped) → UPS Ground · UPS" in text
        assert "Local pickup" not in text.split("Sales channel shipping service")[0]
        assert "unsaved" not in text
    assert stored_mappings(services, ch.id) == [("shipped", "UPS Ground")]
    with session_scope(services.engine) as s:
        assert len(s.exec(select(ShippingMapping)).all()) == 1


async def test_without_local_services_the_section_says_what_to_do(services) -> None:
    ch = add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(140, 80)) as pilot:
        section = await open_section(pilot)
        error = section.query_one("#shipping-mapping-error", FormError)
        assert error.message == NO_SERVICES
        await choose(pilot, "#shipping-channel-service", "local")
        await press_button(pilot, "#shipping-map-field")
        assert error.message == NO_SERVICES
        assert section.pending.adds == {}

        # Add one on the Shipping services screen (v), come back: it is offered.
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Pickup desk")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelDetailScreen)
        assert not error.display
        await choose(pilot, "#shipping-local-service", "Pickup desk")
        assert section.query_one("#shipping-channel-service", Select).value == "local"  # kept
        await press_button(pilot, "#shipping-map-field")
        await press_button(pilot, "#shipping-mapping-save")
        await settle(pilot)
    assert stored_mappings(services, ch.id) == [("local", "Pickup desk")]
