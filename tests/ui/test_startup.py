"""Start-up: the first frame's rows, the database opened after it, and an opening error."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from reverb_tui.__main__ import main
from reverb_tui.app import ReverbApp
from reverb_tui.errors import StorageError
from reverb_tui.services.factory import Services, build_services
from reverb_tui.views.channel import ChannelView
from reverb_tui.widgets.channel_table import ChannelTable
from tests.db_rows import add_channel
from tests.ui.helpers import settle


async def test_first_rows_paint_first_then_the_services_rows_replace_them(
    make_services, db_path: Path
) -> None:
    svc = make_services()
    real = ChannelView.of(add_channel(svc, "Shop A"))
    quick = dataclasses.replace(real, name="Read before the database opened")
    lazy = build_services(str(db_path), lazy=True)
    app = ReverbApp(lazy, start_sync=False, first_rows=[quick])
    first_frame: list[str] = []
    original = app._display

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if renderable is not None and not first_frame:
            table = app.screen.query_one(ChannelTable)
            first_frame.append(str(table.get_cell(str(real.id), "name")))
            first_frame.append(str(lazy.opened))

    app._display = display  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            table = app.screen.query_one(ChannelTable)
            assert "Shop A" in str(table.get_cell(str(real.id), "name"))
            assert lazy.opened
    finally:
        lazy.close()
    assert "Read before the database opened" in first_frame[0]
    assert first_frame[1] == "False"  # the database opened after the first frame
    assert app.first_rows is None  # handed over once


async def test_a_database_that_cannot_be_opened_ends_the_app_with_its_error() -> None:
    def cannot_open():
        raise StorageError("Cannot write the database at /x/reverb.db: permission denied.")

    svc = Services(None, "/x/reverb.db", opener=cannot_open)
    app = ReverbApp(svc, start_sync=True, first_rows=[])
    async with app.run_test(size=(120, 30)):
        for _ in range(250):
            if app.open_error is not None:
                break
            await asyncio.sleep(0.02)
    assert isinstance(app.open_error, StorageError)
    assert app.return_code == 1


def test_reverb_tui_reports_an_opening_error_as_before(
    monkeypatch: pytest.MonkeyPatch, make_services, db_path: Path, capsys
) -> None:
    """`reverb-tui` raises the App's opening error after it ends: one sentence, exit 1."""
    make_services()  # a database at head: the quick path is taken

    def run(self: ReverbApp) -> None:
        assert self.first_rows == [] and not self.services.opened
        self.open_error = StorageError("Cannot write the database at X: it is read-only.")

    monkeypatch.setattr(ReverbApp, "run", run)
    assert main(["--db", str(db_path)]) == 1
    assert capsys.readouterr().err == "Error: Cannot write the database at X: it is read-only.\n"


def test_reverb_tui_opens_a_new_database_before_the_tui(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    """No quick read for a database that does not exist yet: it is created and migrated
    first, as ever, and the App starts with it open."""
    seen: list[tuple[bool, object]] = []

    def run(self: ReverbApp) -> None:
        seen.append((self.services.opened, self.first_rows))

    monkeypatch.setattr(ReverbApp, "run", run)
    assert main(["--db", str(db_path)]) == 0
    assert seen == [(True, None)] and db_path.exists()
