"""Text from strangers never drives the terminal: the TUI (issue 15).

One integration (its name as another host's database may hold it) with a hostile order, a
hostile listing, a hostile local shipping service and a failed sync run whose error text is
full of terminal control sequences. The app is driven over the channel list, the Orders
screen, the order detail, a notification, the SKU picker, the shipping-mapping drop-downs,
the Unlinked screen and the Sync log; on each, what the app would write to the terminal
holds none of the injected sequences, no drawn character is a control character, and Rich
markup in a title is shown as typed.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

from rich.console import Console
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Listing, Order, SyncError, SyncRun
from reverb_tui.screens.channel_detail import ChannelDetailScreen
from reverb_tui.screens.order_detail import OrderDetailScreen
from reverb_tui.screens.orders import OrdersScreen
from reverb_tui.screens.sync_log import SyncLogScreen
from reverb_tui.screens.unlinked import UnlinkedScreen
from reverb_tui.widgets.sku_picker import SkuPicker
from tests.db_rows import add_channel, add_service
from tests.hostile import (
    BLINK,
    CHANNEL_NAME,
    CLEAR,
    CSI_C1,
    METHOD,
    RLO,
    SKU,
    TITLE,
    TITLE_CHANGE,
)
from tests.ui.helpers import (
    FIXED_NOW,
    make_app,
    notifications,
    paste,
    screen_text,
    settle,
)

# The values of tests/unit/test_hostile_text.py (the shared ones in tests/hostile.py).
OSC52 = "\x1b]52;c;ZXZpbA=="  # set the clipboard to "evil" (BEL-terminated below)

BUYER = f"{OSC52}\x07Eve {TITLE_CHANGE}{CLEAR}Mallory"
ERROR = f"Inventory {OSC52}\x07is {CLEAR}invalid{CSI_C1}"
SERVICE = f"Fast {BLINK}post{RLO}"
NUMBER = f"1001{CLEAR}"

# Raw sequences that must never reach the terminal (the app's own styling uses other ESC
# sequences, so the raw output is searched for these; the drawn text for any control).
INJECTED = (OSC52, TITLE_CHANGE, CLEAR, "\x1b]8;;https://evil", BLINK, RLO, CSI_C1)
# Anything the terminal could act on: C0, DEL, C1, line separators, bidi overrides/isolates.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def seed(services) -> int:
    ch = add_channel(
        services, CHANNEL_NAME, last_error=ERROR, error_count=1, shop_name=f"Shop {BLINK}"
    )
    add_service(services, SERVICE, carrier=f"Carrier{CSI_C1}")
    with session_scope(services.engine) as s:
        s.add(
            Order(
                channel_id=ch.id,
                order_number=NUMBER,
                status="paid",
                title=TITLE,
                channel_sku=SKU,
                channel_shipping_method=METHOD,
                buyer_name=BUYER,
                quantity=1,
                total_cents=12_345,
                currency="USD",
                created_at=FIXED_NOW - timedelta(hours=1),
                paid_at=FIXED_NOW - timedelta(hours=1),
                first_seen_at=FIXED_NOW - timedelta(hours=1),
                raw=json.dumps({"shipping_address": {"name": BUYER, "locality": CLEAR}}),
            )
        )
        s.add(Listing(channel_id=ch.id, listing_id="9001", sku=SKU, title=TITLE, state=BLINK))
        started = FIXED_NOW - timedelta(minutes=5)
        run = SyncRun(
            channel_id=ch.id,
            kind="sync",
            status="failed",
            started_at=started,
            finished_at=started + timedelta(seconds=2),
        )
        s.add(run)
        s.flush()
        s.add(
            SyncError(
                run_id=run.id,
                channel_id=ch.id,
                item=SKU,
                message=ERROR,
                created_at=started + timedelta(seconds=1),
            )
        )
    return int(ch.id)


def assert_safe(app, where: str) -> None:
    """What the app would write for a full repaint of the current screen: no injected
    sequence in the bytes, no control character in any drawn segment."""
    update = app.screen._compositor.render_update(full=True)  # as the driver asks for it
    drawn = [
        segment.text
        for line in update.strips
        for strip in line
        for segment in strip
        if not segment.control
    ]
    bad = sorted({f"U+{ord(c):04X}" for text in drawn for c in UNSAFE.findall(text)})
    assert not bad, f"{where}: control characters drawn: {bad} in " + repr(
        [text for text in drawn if UNSAFE.search(text)][:5]
    )
    console = Console(
        file=io.StringIO(), force_terminal=True, color_system="truecolor", width=app.size[0]
    )
    raw = update.render_segments(console)
    found = [seq for seq in INJECTED if seq in raw]
    assert not found, f"{where}: injected sequences written raw: {found!r}"


def flat(app) -> str:
    return " ".join(screen_text(app).split())


async def test_orders_detail_and_notifications_show_hostile_text_safely(services) -> None:
    seed(services)
    app = make_app(services)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        assert_safe(app, "channel list")
        assert "Main �2J�Shop" in flat(app)  # the name, its controls replaced

        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        assert_safe(app, "orders")
        assert "1001␛[2J" in flat(app)

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderDetailScreen)
        assert_safe(app, "order detail")
        text = flat(app)
        assert "[b]markup[/b]" in text  # markup in a title is shown as typed
        assert "␛]52;c;ZXZpbA==␇Eve" in text  # the buyer, visible but inert

        app.notify(f"Reverb said: {ERROR}", title=CHANNEL_NAME, markup=False)
        await pilot.pause()
        assert_safe(app, "notification")
        assert notifications(app)[-1] == "Reverb said: Inventory ␛]52;c;ZXZpbA==␇is ␛[2Jinvalid�"


async def test_sku_picker_shipping_drop_downs_and_unlinked_show_hostile_text_safely(
    services,
) -> None:
    seed(services)
    app = make_app(services)
    async with app.run_test(size=(200, 80)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # open the integration
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChannelDetailScreen)
        assert_safe(app, "channel detail")

        screen.query_one("#sku-mapping").collapsed = False
        screen.query_one("#shipping-mapping").collapsed = False
        await settle(pilot)
        picker = screen.query_one("#sku-channel-picker", SkuPicker)
        picker.input.focus()
        await pilot.pause()
        await paste(pilot, "gtr")
        await settle(pilot)
        assert picker.choices, "the hostile listing's SKU is offered"
        assert_safe(app, "SKU picker")

        for select_id in ("#shipping-channel-service", "#shipping-local-service"):
            select = screen.query_one(select_id, Select)
            select.focus()
            await pilot.press("enter")  # open the drop-down
            await pilot.pause()
            assert select.query_one(SelectOverlay).display
            assert_safe(app, f"drop-down {select_id}")
            await pilot.press("escape")
            await pilot.pause()

        await pilot.press("u")  # the Unlinked screen
        await settle(pilot)
        assert isinstance(app.screen, UnlinkedScreen)
        assert_safe(app, "unlinked")
        assert "[b]markup[/b]" in flat(app)


async def test_sync_log_shows_hostile_error_text_safely(services) -> None:
    seed(services)
    app = make_app(services)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, SyncLogScreen)
        assert_safe(app, "sync log")
        assert "␛[2Jinvalid" in flat(app)  # the run's error, in the detail panel
        filter_select = app.screen.query_one("#sync-log-filter", Select)
        filter_select.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert_safe(app, "sync log filter")
