"""The main screens at 80×24, the default terminal of an SSH session (pytest-textual-snapshot).

A small shop (two integrations, a few orders, one of them an exception, local SKUs, shipping
services, runs in the sync log) with every time relative to the fixed clock, so the pictures
do not change from run to run. Beside each picture, the words a person needs on that screen
are checked in its text: every column of the list, the detail's sections, the footer's keys.
Regenerate deliberately (``pytest tests/snapshots --snapshot-update``) and look first.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order, SyncError, SyncRun
from reverb_tui.services.factory import Services
from tests.conftest import SECRET_TOKEN
from tests.snapshots.shop import two_channels
from tests.ui.helpers import FIXED_NOW, make_app, screen_text, settle

ORDERS = (
    # number, minutes before now, status, title, channel SKU, local SKU, total (cents)
    ("1001", 20, "paid", "Fender Player Stratocaster", "STRAT-01", "GTR-STRAT", 74_999),
    ("1002", 95, "shipped", "Boss DS-1 Distortion", "DS1", "PED-DS1", 5_999),
    ("1003", 300, "paid", "Gibson Les Paul Studio", "LP-STUDIO", None, 149_900),
    ("1004", 2_000, "received", "Ernie Ball Slinky 6-pack", "EB-2221", "STR-EB", 3_450),
    ("1005", 5_000, "cancelled", "MXR Carbon Copy", "MXR-CC", "PED-CC", 14_999),
)


def small_shop(services: Services) -> tuple[int, int]:
    """Seed the shop; returns the two integrations' ids (main, vintage)."""
    main_id, vintage_id = two_channels(services)
    with session_scope(services.engine) as s:
        for number, minutes, status, title, channel_sku, sku, total in ORDERS:
            created = FIXED_NOW - timedelta(minutes=minutes)
            s.add(
                Order(
                    channel_id=main_id,
                    order_number=number,
                    status=status,
                    title=title,
                    channel_sku=channel_sku,
                    sku=sku,
                    quantity=1,
                    total_cents=total,
                    unit_cents=total,
                    currency="USD",
                    buyer_name="Sam Player",
                    channel_shipping_method="Standard",
                    created_at=created,
                    paid_at=created,
                    first_seen_at=created,
                )
            )
        ok = SyncRun(
            channel_id=main_id,
            status="ok",
            started_at=FIXED_NOW - timedelta(minutes=5),
            finished_at=FIXED_NOW - timedelta(minutes=5) + timedelta(seconds=3),
            requests=6,
            pages=2,
            orders_new=5,
            listings_seen=4,
            listings_pushed=3,
            listings_skipped=1,
        )
        failed = SyncRun(
            channel_id=vintage_id,
            status="failed",
            started_at=FIXED_NOW - timedelta(days=9),
            finished_at=FIXED_NOW - timedelta(days=9) + timedelta(seconds=1),
            requests=1,
            message="Reverb refused this token (401): The access token is invalid.",
        )
        s.add(ok)
        s.add(failed)
        s.flush()
        s.add(
            SyncError(
                run_id=int(failed.id),
                channel_id=vintage_id,
                item=None,
                message="Reverb refused this token (401): The access token is invalid.",
                created_at=FIXED_NOW - timedelta(days=9),
            )
        )
    for sku, title, on_hand in (
        ("GTR-STRAT", "Fender Player Stratocaster, 3-colour sunburst", 2),
        ("PED-DS1", "Boss DS-1 Distortion", 7),
        ("PED-CC", "MXR Carbon Copy analog delay", 0),
        ("STR-EB", "Ernie Ball Regular Slinky 10-46", 48),
    ):
        services.inventory.upsert(sku, title=title, on_hand=on_hand)
    services.shipping.add("UPS Ground", "UPS", "03")
    services.shipping.add("Local pickup", "Other")
    return main_id, vintage_id


SIZE = (80, 24)
SNAPSHOT_DIR = Path(__file__).parent / "__snapshots__" / Path(__file__).stem


def assert_no_token(pictures: list[str], test_name: str) -> None:
    saved = SNAPSHOT_DIR / f"{test_name}.svg"
    if saved.exists():
        pictures = [*pictures, saved.read_text()]
    assert pictures
    for picture in pictures:
        assert SECRET_TOKEN not in picture
        assert SECRET_TOKEN[:12] not in picture


def shoot(snap_compare, services, name: str, *keys: str, check=None) -> None:
    """Seed the shop, press ``keys`` (waiting for the work each starts), take the picture;
    ``check(text, app)`` reads the screen as text first."""
    small_shop(services)
    pictures: list[str] = []

    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            if key.startswith("#"):
                await pilot.click(key)
            else:
                await pilot.press(key)
            await settle(pilot)
        if check is not None:
            check(screen_text(pilot.app), pilot.app)
        pictures.append(pilot.app.export_screenshot())

    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=run_before)
    assert_no_token(pictures, name)


def footer(text: str) -> str:
    return " ".join(text.splitlines()[-1].split())


def test_list_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        heading = text.splitlines()[2]
        for label in ("Name", "Status", "Orders", "Stock push", "Reauth", "Errors"):
            assert label in heading  # every column shows
        assert "3 · Reverb" in text  # the errors, abbreviated
        assert footer(text).endswith("q Quit ▏^p palette")  # the list's keys, none cut

    shoot(snap_compare, fixed_services, "test_list_80x24", check=check)


def test_channel_detail_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        for section in ("Reauthorise", "Shipping mapping", "SKU mapping", "Additional settings"):
            assert f"▶ {section}" in text  # on screen without scrolling
        assert "Reverb production" in text and "Errors" in text  # the summary, in full
        assert "p Preview stock push" in footer(text)

    shoot(snap_compare, fixed_services, "test_channel_detail_80x24", "enter", check=check)


def test_orders_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "Search order #" in text and "Exceptions only" in text
        assert "f Filters" in footer(text)

    shoot(snap_compare, fixed_services, "test_orders_80x24", "o", check=check)


def test_order_detail_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "Order 1003" in text and "maps to no local SKU" in text

    shoot(
        snap_compare, fixed_services, "test_order_detail_80x24", "o", "down", "down", "enter",
        check=check,
    )  # fmt: skip


def test_inventory_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "GTR-STRAT" in text and "x Export" in footer(text)

    shoot(snap_compare, fixed_services, "test_inventory_80x24", "i", check=check)


def test_shipping_services_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "UPS Ground" in text and "r Refresh" in footer(text)

    shoot(snap_compare, fixed_services, "test_shipping_services_80x24", "v", check=check)


def test_sync_log_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "Run details" in text and "Vintage room" in text

    shoot(snap_compare, fixed_services, "test_sync_log_80x24", "l", check=check)


def test_reports_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "Totals per currency" in text and "2,343.48" in text

    shoot(snap_compare, fixed_services, "test_reports_80x24", "R", check=check)


def test_wizard_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "Step 3 of 3" in text and "Access token" in text

    shoot(
        snap_compare, fixed_services, "test_wizard_80x24", "a", "enter", *"Main", "enter",
        check=check,
    )  # fmt: skip


def test_remove_confirmation_80x24(snap_compare, fixed_services) -> None:
    def check(text: str, app) -> None:
        assert "Remove the integration 'Main shop'?" in text
        assert "OK" in text and "Cancel" in text  # the buttons, inside the screen

    shoot(
        snap_compare, fixed_services, "test_remove_confirmation_80x24", "enter", "#remove-account",
        check=check,
    )  # fmt: skip
