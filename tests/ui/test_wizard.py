"""The Add sales channel wizard, driven by keys; outcomes checked in the database."""

from __future__ import annotations

import httpx

from reverb_tui.screens.add_channel import AddChannelScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.widgets.channel_table import ChannelTable
from reverb_tui.widgets.form_error import FormError
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel
from tests.ui.helpers import make_app, notifications, paste, press_button, settle, type_text


async def open_config_step(pilot, name: str = "Main shop") -> None:
    """From the list: a → Add (Reverb) → name → Next, ending on the configuration step."""
    app = pilot.app
    await pilot.press("a")
    assert isinstance(app.screen, AddChannelScreen)
    assert app.focused.id == "add-reverb"
    await pilot.press("enter")
    assert app.focused.id == "channel-name"
    await type_text(pilot, name)
    await pilot.press("enter")
    await settle(pilot)
    assert app.screen.step == "step-config"
    assert app.focused.id == "currency"


async def test_wizard_adds_an_enabled_channel_by_keys(services, fake_reverb) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_config_step(pilot)
        # Default currency: open the list and take the next one after USD.
        await pilot.press("enter", "down", "enter")
        await pilot.press("tab")
        assert app.focused.id == "access-token-input"
        assert app.focused.password  # masked while typed
        await type_text(pilot, SECRET_TOKEN)
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, ChannelListScreen)
        table = app.screen.query_one(ChannelTable)
        assert table.row_count == 1
        assert "Main shop" in str(table.get_row_at(0)[2])
        assert app.focused is table  # space / enter work on the new row at once
        assert any("Added 'Main shop'" in n for n in notifications(app))

    [ch] = services.channels.list()
    assert (ch.name, ch.enabled, ch.currency) == ("Main shop", True, "CAD")
    assert ch.token == SECRET_TOKEN
    assert (ch.seller_id, ch.shop_name, ch.site) == ("987", "Guitar Barn", "production")
    paths = [r.url.path for r in fake_reverb.requests]
    assert paths == ["/api/my/account", "/api/shop"]


async def test_escape_and_cancel_at_every_step_save_nothing(services, fake_reverb) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # Step 1: Escape.
        await pilot.press("a", "escape")
        assert isinstance(app.screen, ChannelListScreen)
        # Step 2: the Cancel button (by mouse).
        await pilot.press("a", "enter")
        await type_text(pilot, "Main shop")
        await pilot.click("#cancel-name")
        assert isinstance(app.screen, ChannelListScreen)
        # Step 3 with a token typed: Escape.
        await open_config_step(pilot)
        await pilot.press("tab")
        await paste(pilot, SECRET_TOKEN)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        # Step 3 again: the Cancel button by keys.
        await open_config_step(pilot)
        app.screen.query_one("#cancel-config").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert app.screen.query_one("#empty-state").display

    assert services.channels.list() == []
    assert fake_reverb.requests == []  # nothing was even sent


async def test_refused_token_is_shown_inline_and_nothing_is_saved(services, fake_reverb) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_config_step(pilot)
        await pilot.press("tab")
        await paste(pilot, "tok_NOT_KNOWN_TO_REVERB_123")
        await pilot.press("enter")
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, AddChannelScreen)
        error = screen.query_one("#config-error", FormError)
        assert error.display
        assert error.message.startswith("Reverb refused this token (401)")
        assert not screen.query_one("#config-next").disabled  # the form is usable again
        assert not screen.query_one("#verify-spinner").display
        assert services.channels.list() == []

        # Correct the token and go on: the same form now succeeds.
        screen.query_one("#access-token-input").value = SECRET_TOKEN
        screen.query_one("#access-token-input").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
    assert [c.name for c in services.channels.list()] == ["Main shop"]


async def test_unreachable_reverb_is_shown_inline(services, fake_reverb) -> None:
    fake_reverb.outage = httpx.ConnectError("connection refused")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_config_step(pilot)
        await pilot.press("tab")
        await paste(pilot, SECRET_TOKEN)
        await pilot.press("enter")
        await settle(pilot)
        error = app.screen.query_one("#config-error", FormError)
        assert error.message.startswith("Cannot reach Reverb at api.reverb.com")
        assert isinstance(app.screen, AddChannelScreen)
    assert services.channels.list() == []


async def test_bad_names_are_refused_on_the_name_step(services) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a", "enter")
        screen = app.screen
        error = screen.query_one("#name-error", FormError)

        await type_text(pilot, "   ")
        await pilot.press("enter")
        await settle(pilot)
        assert error.message == "The integration name is empty."
        assert screen.step == "step-name"

        screen.query_one("#channel-name").value = ""
        await type_text(pilot, "main SHOP")
        await pilot.click("#name-next")
        await settle(pilot)
        assert error.message == "An integration named 'main SHOP' already exists."
        assert screen.step == "step-name"

        screen.query_one("#channel-name").value = ""
        await type_text(pilot, "Second shop")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.step == "step-config"
        assert not error.display  # the old error is gone
    assert [c.name for c in services.channels.list()] == ["Main shop"]


async def test_custom_site_and_bad_dates_are_checked_before_reverb(services, fake_reverb) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_config_step(pilot)
        screen = app.screen
        screen.query_one("#access-token-input").value = SECRET_TOKEN
        error = screen.query_one("#config-error", FormError)

        # Custom API URL chosen, URL left empty.
        screen.query_one("#site-select").focus()
        await pilot.press("enter", "down", "down", "enter")
        assert screen.query_one("#site-url").display
        assert app.focused.id == "site-url"  # ready for the URL
        screen.query_one("#config-next").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert error.message.startswith("Enter the custom API URL")

        # Plain http to a host that is not loopback.
        screen.query_one("#site-url").value = "http://reverb.example.com/api"
        await press_button(pilot, "#config-next")
        await settle(pilot)
        assert "only https is allowed" in error.message

        screen.query_one("#site-url").value = "https://sandbox.example.com/api"
        screen.query_one("#orders-since").value = "last tuesday"
        await press_button(pilot, "#config-next")
        await settle(pilot)
        assert error.message == "The date 'last tuesday' is not an ISO date such as 2026-01-31."
        assert isinstance(app.screen, AddChannelScreen)
    assert services.channels.list() == []
    assert fake_reverb.requests == []


async def test_check_toggle_never_shows_the_token_in_full(services) -> None:
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_config_step(pilot)
        field = app.screen.query_one("#access-token-input")
        field.value = SECRET_TOKEN + " "
        await pilot.click("#access-token-reveal")
        await pilot.pause()
        assert field.password  # the field itself stays masked
        hint = str(app.screen.query_one("#access-token-hint").render())
        assert f"Ends …{SECRET_TOKEN[-4:]}, {len(SECRET_TOKEN)} characters." in hint
        assert "Spaces at the ends will be removed." in hint
        assert SECRET_TOKEN not in hint and SECRET_TOKEN[:8] not in hint
        await pilot.click("#access-token-reveal")
        await pilot.pause()
        assert not app.screen.query_one("#access-token-hint").display
