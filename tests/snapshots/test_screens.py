"""Pictures of the main screens (pytest-textual-snapshot), with a fixed clock.

Regenerate deliberately with ``pytest tests/snapshots --snapshot-update`` after a visible
change, and look at the pictures before committing them. Every picture is also checked for
the known token: it must never be on screen.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SECRET_TOKEN
from tests.snapshots.shop import two_channels
from tests.ui.helpers import make_app, paste, settle, type_text

SIZE = (120, 40)
SNAPSHOT_DIR = Path(__file__).parent / "__snapshots__" / Path(__file__).stem


def assert_no_token(pictures: list[str], test_name: str) -> None:
    saved = SNAPSHOT_DIR / f"{test_name}.svg"
    if saved.exists():
        pictures = [*pictures, saved.read_text()]
    assert pictures
    for picture in pictures:
        assert SECRET_TOKEN not in picture
        assert SECRET_TOKEN[:12] not in picture


def test_channel_list_with_two_channels(snap_compare, fixed_services) -> None:
    two_channels(fixed_services)
    pictures: list[str] = []

    async def run_before(pilot) -> None:
        await settle(pilot)
        pictures.append(pilot.app.export_screenshot())

    assert snap_compare(make_app(fixed_services), terminal_size=SIZE, run_before=run_before)
    assert_no_token(pictures, "test_channel_list_with_two_channels")


def test_wizard_configuration_step_with_a_token(snap_compare, fixed_services) -> None:
    pictures: list[str] = []

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("a", "enter")
        await type_text(pilot, "Main shop")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("tab")
        await paste(pilot, SECRET_TOKEN)
        assert pilot.app.focused.value == SECRET_TOKEN  # typed, and masked on screen
        pictures.append(pilot.app.export_screenshot())

    assert snap_compare(make_app(fixed_services), terminal_size=SIZE, run_before=run_before)
    assert_no_token(pictures, "test_wizard_configuration_step_with_a_token")


def test_channel_detail(snap_compare, fixed_services) -> None:
    two_channels(fixed_services)
    pictures: list[str] = []

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        pictures.append(pilot.app.export_screenshot())

    assert snap_compare(make_app(fixed_services), terminal_size=SIZE, run_before=run_before)
    assert_no_token(pictures, "test_channel_detail")
