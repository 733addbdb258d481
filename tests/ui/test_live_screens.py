"""Live screens: what another process commits shows on the screen in view within 2 s,
without a key, the cursor and the view where the user left them; with nothing committed,
nothing is read. On SQLite and PostgreSQL (``postgres_too``: LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import event

from reverb_tui.app import ReverbApp
from reverb_tui.screens.orders import OrdersTable
from reverb_tui.services.factory import build_services
from tests.db_rows import T0, add_channel, add_order
from tests.ui.helpers import screen_text, settle
from tests.ui.test_orders_screen import open_orders, table_numbers

pytestmark = pytest.mark.postgres_too

LIMIT = 2.0  # seconds from another process's commit to the row on screen

# Another process: opens the database as any reverb-tui process does, stores one order
# (as the sync would), and prints the time of its commit.
WRITER = """
import sys, time
from datetime import datetime, timedelta, UTC
from reverb_tui.db.engine import make_engine
from tests.db_rows import add_order
engine = make_engine(sys.argv[1])
add_order(engine, int(sys.argv[2]), sys.argv[3],
          created_at=datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(minutes=int(sys.argv[4])))
print(time.time())
"""


def live_app(services) -> ReverbApp:
    return ReverbApp(services, start_sync=False)  # live screens on, as `reverb-tui` runs


async def write_order_elsewhere(db_path, channel_id: int, number: str, minutes: int) -> float:
    """Store an order from another process (the app runs on meanwhile); the wall-clock time
    it committed."""
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(db_path), str(channel_id), number, str(minutes),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(writer.communicate(), 60)
    assert writer.returncode == 0, err.decode()
    return float(out.decode().strip().splitlines()[-1])


async def wait_until(pilot, predicate, limit: float) -> float | None:
    """Let the app run (no key pressed) until ``predicate()``; the time.time() it held."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return time.time()
        await pilot.pause(0.02)
    return time.time() if predicate() else None


async def test_an_order_stored_by_another_process_shows_within_2_s(services, db_path) -> None:
    ch = add_channel(services, "Main shop")
    for i in range(60):
        add_order(services, ch.id, str(5000 + i), created_at=T0 + timedelta(minutes=i))
    app = live_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_orders(pilot)
        table = screen.query_one(OrdersTable)
        await pilot.press("down", "down")  # the user is on the third order, at the top
        await settle(pilot)
        assert table.highlighted_key is not None
        on = table.highlighted_key
        assert table_numbers(app)[:3] == ["5059", "5058", "5057"]
        assert app.live_watcher is not None and app.live_watcher.listening.wait(5)

        # The app runs on while the other process starts, commits and ends.
        writing = asyncio.ensure_future(write_order_elsewhere(db_path, int(ch.id), "9001", 120))
        seen = await wait_until(pilot, lambda: "9001" in table_numbers(app), 60)
        committed = await writing

        assert seen is not None, "the new order never showed"
        assert seen - committed < LIMIT, f"it took {seen - committed:.2f} s"
        await settle(pilot)
        assert "9001" in screen_text(app)
        assert table_numbers(app)[:4] == ["9001", "5059", "5058", "5057"]
        assert table.highlighted_key == on  # the cursor stays on the user's order
        assert table.cursor_row == 3 and table.scroll_y == 0  # the new one shows above it
        assert "61 orders" in screen_text(app)

        # Scrolled down the list: a new order above keeps the user's order where it is.
        table.move_cursor(row=30)
        await settle(pilot)
        on, top_before = table.highlighted_key, table.cursor_row - table.scroll_y
        assert table.scroll_y > 0
        writing = asyncio.ensure_future(write_order_elsewhere(db_path, int(ch.id), "9002", 121))
        seen = await wait_until(pilot, lambda: "9002" in table_numbers(app), 60)
        committed = await writing
        assert seen is not None and seen - committed < LIMIT
        await settle(pilot)
        assert table.highlighted_key == on
        assert table.cursor_row - table.scroll_y == top_before


async def test_nothing_is_read_while_nothing_changes(services, db_path) -> None:
    ch = add_channel(services, "Main shop")
    for i in range(5):
        add_order(services, ch.id, str(100 + i), created_at=T0 + timedelta(minutes=i))
    app = live_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_orders(pilot)
        watcher = app.live_watcher
        assert watcher is not None and watcher.listening.wait(5)
        statements: list[str] = []
        event.listen(services.engine, "before_cursor_execute", _record(statements))
        checks = watcher.checks

        await pilot.pause(5.0)  # five idle seconds

        assert statements == []
        if services.engine.dialect.name == "sqlite":
            assert watcher.checks - checks >= 8  # data_version, twice a second
        else:
            assert watcher.checks == 0  # LISTEN: no query at all
        # ...and it was watching all along: a commit elsewhere is read at once.
        other = build_services(str(db_path))
        try:
            add_order(other, ch.id, "200", created_at=T0 + timedelta(hours=3))
        finally:
            other.close()
        assert await wait_until(pilot, lambda: "200" in table_numbers(app), LIMIT)
        assert statements, "the change was shown without reading it?"


def _record(statements: list[str]):
    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    return before


async def test_an_integration_disabled_elsewhere_shows_on_the_list(services, db_path) -> None:
    ch = add_channel(services, "Main shop")
    add_channel(services, "Second shop")
    app = live_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.live_watcher is not None and app.live_watcher.listening.wait(5)
        assert "○ No" not in screen_text(app)
        other = build_services(str(db_path))
        try:
            other.channels.set_enabled(int(ch.id), False)
        finally:
            other.close()
        assert await wait_until(pilot, lambda: "○ No" in screen_text(app), LIMIT)


async def test_on_hand_counted_elsewhere_shows_in_the_inventory(services, db_path) -> None:
    services.inventory.upsert("GTR-1", title="Strat", on_hand=5)
    app = live_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert app.live_watcher is not None and app.live_watcher.listening.wait(5)
        other = build_services(str(db_path))
        try:
            other.inventory.upsert("GTR-2", title="Tele", on_hand=7)
        finally:
            other.close()
        assert await wait_until(pilot, lambda: "GTR-2" in screen_text(app), LIMIT)


async def test_an_integration_changed_elsewhere_shows_on_its_screen(services, db_path) -> None:
    ch = add_channel(services, "Main shop")
    app = live_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_channel(int(ch.id))
        await settle(pilot)
        assert app.live_watcher is not None and app.live_watcher.listening.wait(5)
        assert "every 60 s" in screen_text(app)
        other = build_services(str(db_path))
        try:
            other.channels.update_settings(int(ch.id), interval_seconds=300)
        finally:
            other.close()
        assert await wait_until(pilot, lambda: "every 300 s" in screen_text(app), LIMIT)
