"""The detail screen: reauthorise, remove (OK / Cancel), additional settings, no token shown."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.channel_list import ChannelListScreen
from reverb_tui.screens.confirm import ConfirmModal
from reverb_tui.screens.stock_preview import StockPreviewModal
from reverb_tui.widgets.channel_table import ChannelTable
from reverb_tui.widgets.form_error import FormError
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel
from tests.fakes.reverb import OTHER_TOKEN
from tests.ui.helpers import (
    click_button,
    make_app,
    notifications,
    paste,
    press_button,
    screen_text,
    settle,
)


def summary_text(screen: ChannelDetailScreen) -> str:
    """The summary as shown, scrolled into view or not (the settings form is taller than
    the screen)."""
    return screen.query_one("#channel-summary").render().plain


async def open_detail(pilot) -> ChannelDetailScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChannelDetailScreen)
    return screen


async def open_reauthorise(pilot) -> None:
    await pilot.press("ctrl+r")
    assert pilot.app.focused.id == "reauth-seller-id"
    await pilot.press("tab", "tab")  # Site, then Auth key (the custom URL field is hidden)
    assert pilot.app.focused.id == "reauth-token-input"


async def test_detail_shows_the_channel_but_never_its_token(services) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await open_detail(pilot)
        text = screen_text(app)
        assert "Shop name           Guitar Barn" in text
        assert "Seller ID           987" in text
        assert "Access token        …" + SECRET_TOKEN[-4:] in text
        assert "Stock updates       Off (buffer 0, no maximum)" in text
        assert "Sync interval       every 60 s" in text
        # Sections are built when first opened: nothing of them exists yet.
        for section in ("reauthorise", "shipping-mapping", "sku-mapping", "settings"):
            assert not screen.query_one(f"#{section} Contents").children
        # Open every section, then look at everything rendered.
        for section in screen.query("Collapsible"):
            section.collapsed = False
        await settle(pilot)
        assert screen.query_one("#reauth-token-input").value == ""  # empty keeps the token
        assert screen.query_one("#reauth-seller-id").value == "987"
        for picture in (screen_text(app), app.export_screenshot()):
            assert SECRET_TOKEN not in picture
            assert SECRET_TOKEN[:12] not in picture
        for section in ("reauthorise", "shipping-mapping", "sku-mapping", "settings"):
            assert len(screen.query_one(f"#{section} Contents").children) == 1


async def test_reauthorise_with_a_new_token_applies_and_returns(services, fake_reverb) -> None:
    ch = add_channel(services, "Main shop")
    with session_scope(services.engine) as s:
        row = s.get(Channel, ch.id)
        row.needs_reauth, row.last_error = True, "Reverb refused this token (401)."
        s.add(row)
    app = make_app(services)
    async with app.run_test(size=(120, 50)) as pilot:
        await open_detail(pilot)
        await open_reauthorise(pilot)
        await paste(pilot, OTHER_TOKEN)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert any("Reauthorised 'Main shop'" in n for n in notifications(app))
        table = app.screen.query_one(ChannelTable)
        assert str(table.get_cell(str(ch.id), "reauth")) == "No"
    after = services.channels.get("Main shop")
    assert after.token == OTHER_TOKEN
    assert (after.needs_reauth, after.last_error, after.seller_id) == (False, None, "987")
    assert fake_reverb.requests[-1].headers["Authorization"] == f"Bearer {OTHER_TOKEN}"


async def test_reauthorise_failure_and_cancel_change_nothing(services, fake_reverb) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_detail(pilot)
        await open_reauthorise(pilot)
        await paste(pilot, "tok_REFUSED_BY_REVERB_0000")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        error = screen.query_one("#reauth-error", FormError)
        assert error.message.startswith("Reverb refused this token (401)")
        assert not screen.query_one("#reauth-save").disabled

        # A seller ID that is not the token's: refused too.
        screen.query_one("#reauth-token-input").value = ""
        screen.query_one("#reauth-seller-id").value = "424242"
        await press_button(pilot, "#reauth-save")
        await settle(pilot)
        assert "belongs to seller 987, not 424242" in error.message

        # Cancel puts the stored values back and closes the section.
        await pilot.click("#reauth-cancel")
        assert screen.query_one("#reauth-seller-id").value == "987"
        assert screen.query_one("#reauthorise").collapsed
        assert not error.display
    after = services.channels.get("Main shop")
    assert (after.token, after.seller_id, after.site) == (SECRET_TOKEN, "987", "production")


async def test_remove_cancel_keeps_and_ok_removes(services) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_detail(pilot)
        await click_button(pilot, "#remove-account")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert modal.title_text == "Remove account"
        text = " ".join(screen_text(app).split())
        assert "If you remove it and create it again, that is a new integration" in text
        assert "reports will not recognise its orders" in text
        assert app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Cancel
        await settle(pilot)
        assert app.screen is screen
        assert [c.name for c in services.channels.list()] == ["Main shop"]

        await click_button(pilot, "#remove-account")
        await pilot.pause()
        await pilot.press("escape")  # Escape backs out too
        await settle(pilot)
        assert app.screen is screen
        assert [c.name for c in services.channels.list()] == ["Main shop"]

        await click_button(pilot, "#remove-account")
        await pilot.pause()
        await pilot.press("shift+tab", "enter")  # OK
        await settle(pilot)
        assert isinstance(app.screen, ChannelListScreen)
        assert app.screen.query_one("#empty-state").display
        assert any("Removed 'Main shop'" in n for n in notifications(app))
    assert services.channels.list() == []
    # The name is free again: a re-created integration is a new one.
    assert services.channels.check_name("Main shop") == "Main shop"


async def test_additional_settings_persist_and_bad_values_change_nothing(services) -> None:
    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await open_detail(pilot)
        await pilot.press("e")  # opens Additional settings, focus on its first field
        await settle(pilot)
        assert not screen.query_one("#settings").collapsed
        assert app.focused.id == "stock-updates"
        error = screen.query_one("#settings-error", FormError)

        screen.query_one("#settings-buffer").value = "-1"
        await press_button(pilot, "#settings-save")
        await settle(pilot)
        assert error.message == "The buffer must be a whole number of 0 or more."

        screen.query_one("#settings-buffer").value = "2"
        screen.query_one("#settings-interval").value = "5"
        await press_button(pilot, "#settings-save")
        await settle(pilot)
        assert error.message == "The interval must be between 10 and 86400 seconds."
        unchanged = services.channels.get("Main shop")
        assert (unchanged.buffer, unchanged.interval_seconds) == (0, 60)

        screen.query_one("#stock-updates").focus()
        await pilot.press("space")
        # Switched on for the first time: the push is previewed (a dry run) before saving.
        await settle(pilot)
        assert isinstance(app.screen, StockPreviewModal)
        await press_button(pilot, "#stock-preview-ok")
        await settle(pilot)
        screen.query_one("#settings-interval").value = "120"
        screen.query_one("#settings-max").value = "5"
        screen.query_one("#settings-max").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not error.display
        assert app.screen is screen
        assert any("Saved the additional settings" in n for n in notifications(app))
        saved = services.channels.get("Main shop")
        assert (saved.stock_updates, saved.buffer, saved.max_quantity) == (True, 2, 5)
        assert saved.interval_seconds == 120
        text = summary_text(screen)  # the summary shows what was saved
        assert "Stock updates       On (buffer 2, maximum 5)" in text
        assert "Sync interval       every 120 s" in text

        screen.query_one("#settings-max").value = ""  # empty = no maximum
        await press_button(pilot, "#settings-save")
        await settle(pilot)
    assert services.channels.get("Main shop").max_quantity is None


def stored_row(services) -> tuple:
    with session_scope(services.engine) as s:
        (row,) = s.exec(select(Channel)).all()
        return tuple(sorted(row.model_dump().items()))


async def open_settings(pilot) -> ChannelDetailScreen:
    screen = await open_detail(pilot)
    await pilot.press("e")
    await settle(pilot)
    return screen


async def test_quantity_rules_and_budgets_saved_from_the_form(services) -> None:
    add_channel(services, "Main shop")
    services.channels.remember_budget("Main shop", writes=200)  # a 429 taught this
    app = make_app(services)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await open_settings(pilot)
        fields = {
            "#settings-percent": "70",
            "#settings-min": "1",
            "#settings-end-when": "2",
            "#settings-read-rate": "1200",
            "#settings-orders-interval": "30",
        }
        for field, text in fields.items():
            screen.query_one(field).value = text
        await press_button(pilot, "#settings-save")
        await settle(pilot)
        assert not screen.query_one("#settings-error", FormError).display
        saved = services.channels.get("Main shop")
        assert (saved.percent, saved.min_quantity, saved.end_when) == (70, 1, 2)
        assert (saved.read_rate, saved.orders_interval_seconds) == (1200, 30)
        # The write rate was not touched: what the 429 taught still holds.
        assert (saved.write_rate, saved.write_budget) == (480, 200)
        assert (
            "Stock updates       Off (70%, buffer 0, min 1, no maximum, end when ≤ 2)"
            in summary_text(screen)
        )

        # Empty turns a rule off; 100 % is all of it, stored as off.
        screen.query_one("#settings-min").value = ""
        screen.query_one("#settings-percent").value = "100"
        screen.query_one("#settings-write-rate").value = "300"
        await press_button(pilot, "#settings-save")
        await settle(pilot)
        saved = services.channels.get("Main shop")
        assert (saved.percent, saved.min_quantity, saved.end_when) == (None, None, 2)
        assert (saved.write_rate, saved.write_budget) == (300, None)
        assert "Stock updates       Off (buffer 0, no maximum, end when ≤ 2)" in summary_text(
            screen
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"#settings-percent": "0"}, "The percentage must be a whole number from 1 to 100."),
        ({"#settings-percent": "101"}, "The percentage must be a whole number from 1 to 100."),
        ({"#settings-percent": "most"}, "The percentage must be a whole number from 1 to 100."),
        ({"#settings-min": "-1"}, "The minimum must be a whole number of 0 or more."),
        ({"#settings-end-when": "-3"}, "The end-when level must be a whole number of 0 or more."),
        ({"#settings-end-when": "x"}, "The end-when level must be a whole number of 0 or more."),
        (
            {"#settings-min": "6", "#settings-max": "5"},
            "The minimum (6) is more than the maximum (5); lower the minimum or raise the maximum.",
        ),
        (
            {"#settings-read-rate": "5"},
            "The read rate must be a whole number of requests a minute between 6 and 100000.",
        ),
        (
            {"#settings-write-rate": "lots"},
            "The write rate must be a whole number of requests a minute between 6 and 100000.",
        ),
        (
            {"#settings-orders-interval": "2"},
            "The orders interval must be between 5 and 86400 seconds.",
        ),
    ],
)
async def test_a_bad_value_in_the_form_says_one_sentence_and_saves_nothing(
    services, fields, message
) -> None:
    add_channel(services, "Main shop")
    before = stored_row(services)
    app = make_app(services)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#settings-buffer").value = "3"  # valid, and not saved either
        for field, text in fields.items():
            screen.query_one(field).value = text
        await press_button(pilot, "#settings-save")
        await settle(pilot)
        assert screen.query_one("#settings-error", FormError).message == message
    assert stored_row(services) == before


async def test_keys_that_need_the_integration_are_dimmed_until_it_is_read(
    services, monkeypatch
) -> None:
    """check_action: p (preview stock push) and Remove wait for the first read."""
    ch = add_channel(services, "Main shop")
    read_allowed = threading.Event()
    get_by_id = services.channels.get_by_id

    def slow_read(channel_id: int):
        read_allowed.wait(10)
        return get_by_id(channel_id)

    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(services.channels, "get_by_id", slow_read)
        screen = ChannelDetailScreen(int(ch.id))  # nothing read yet
        await app.push_screen(screen)
        await pilot.pause()
        assert screen.check_action("preview_stock", ()) is None
        assert screen.check_action("remove", ()) is None
        assert screen.check_action("reauthorise", ()) is True
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is screen  # nothing opened
        read_allowed.set()
        await settle(pilot)
        assert screen.check_action("preview_stock", ()) is True
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, StockPreviewModal)  # the preview opened


async def test_summary_shows_the_budgets_in_force_and_counts_down_to_the_next_check(
    services,
) -> None:
    from datetime import timedelta

    from reverb_tui.messages import SyncScheduled
    from reverb_tui.sync.service import Due

    now = services.clock()
    lowered_at = now - timedelta(minutes=5)
    add_channel(
        services, "Main shop", write_rate=480, write_budget=384, budget_lowered_at=lowered_at
    )
    app = make_app(services)  # no background sync: nothing is due
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await open_detail(pilot)
        text = screen_text(app)
        assert (
            "Budget              1,600 reads, 384 writes a minute "
            f"(lowered after a 429 at {lowered_at.astimezone():%H:%M})" in text
        )
        assert "Next check          no background sync" in text
        # The background sync planned the next check 30 s from now: the summary says so, then
        # counts down as time passes.
        due = Due(check=services.clock() + timedelta(seconds=30), full=now + timedelta(hours=1))
        app.post_message(SyncScheduled({screen.channel_id: due}))
        await settle(pilot)
        await pilot.pause(1.2)  # the next once-a-second tick
        text = screen_text(app)
        line = next(ln for ln in text.splitlines() if "Next check" in ln)
        seconds = int(line.split("in ")[1].split(" s")[0])
        assert 20 <= seconds <= 29, line
        assert "(every 10 s)" in line


async def test_summary_at_80x24_puts_budget_and_next_check_on_one_line(services) -> None:
    from datetime import timedelta

    from reverb_tui.messages import SyncScheduled
    from reverb_tui.sync.service import Due

    add_channel(services, "Main shop")
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot)
        # Without a background sync there is no next check: the budget alone, on one line.
        lines = [ln.strip() for ln in screen_text(app).splitlines()]
        assert "Budget              1,600 reads, 480 writes a minute" in lines
        now = services.clock()
        due = Due(check=now + timedelta(seconds=40), full=now + timedelta(hours=1))
        app.post_message(SyncScheduled({screen.channel_id: due}))
        await pilot.pause(1.2)
        text = screen_text(app)
        assert "Budget              1,600 reads, 480 writes a minute · next check in 3" in text
        assert "Next check " not in text  # not a line of its own
        assert "▶ Additional settings" in text  # the sections still show without scrolling
