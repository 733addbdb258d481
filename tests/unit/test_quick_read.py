"""The first frame's stdlib read of the integrations (db/quick.py) and the lazy Services.

The quick read must give exactly what ``ChannelService.list()`` gives as ``ChannelView``s, and
must step aside (``None``) whenever the database is not an SQLite file of ours at head, so
that the normal path opens, migrates or refuses it as it always did.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reverb_tui.cli.tui import quick_rows
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.db.quick import HEAD, read_channels
from reverb_tui.errors import StorageError
from reverb_tui.services.factory import Services, build_services
from reverb_tui.views.channel import VIEW_FIELDS, ChannelView
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel

# The quick read is for SQLite files (other URLs take the normal path): no PostgreSQL leg.
pytestmark = pytest.mark.sqlite_only


def service_rows(svc: Services) -> list[ChannelView]:
    return [ChannelView.of(ch) for ch in svc.channels.list()]


def test_quick_rows_equal_the_service_rows(make_services, db_path: Path) -> None:
    svc = make_services()
    a = add_channel(svc, "Shop A")
    add_channel(svc, "Shop B", enabled=False, site="sandbox")
    gone = add_channel(svc, "Removed shop")
    svc.channels.remove(gone.id)
    svc.channels.update_settings(
        a.id, stock_updates=True, buffer=2, max_quantity=5, interval_seconds=90, rate_limit=2.5
    )
    with session_scope(svc.engine) as s:  # every nullable health field set on one row
        ch = s.get(Channel, a.id)
        assert ch is not None
        ch.last_order_sync_at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
        ch.last_stock_push_at = datetime(2024, 5, 6, 7, 8, 10, tzinfo=UTC)
        ch.last_error = "Reverb said: no"
        ch.error_count = 3
        ch.needs_reauth = True
        s.add(ch)
    expected = service_rows(svc)
    assert [r.name for r in expected] == ["Shop A", "Shop B"]
    got = quick_rows(str(db_path))
    assert got == expected
    assert got is not None and got[0].max_quantity == 5 and got[0].last_error == "Reverb said: no"
    assert SECRET_TOKEN not in repr(got)  # the token only as its hint
    assert set(VIEW_FIELDS) == set(read_channels(db_path)[0])  # type: ignore[index]


def test_no_integrations_is_an_empty_list_not_none(make_services, db_path: Path) -> None:
    make_services()
    assert quick_rows(str(db_path)) == []


def test_quick_read_steps_aside_for_the_normal_path(make_services, tmp_path: Path) -> None:
    missing = tmp_path / "new" / "reverb.db"
    assert read_channels(missing) is None
    assert not missing.exists() and not missing.parent.exists()  # nothing created

    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("hello, this is not a database at all\n" * 50)
    assert read_channels(not_sqlite) is None

    theirs = tmp_path / "theirs.db"
    with sqlite3.connect(theirs) as conn:
        conn.execute("CREATE TABLE channel (id INTEGER)")
    assert read_channels(theirs) is None

    svc = make_services()
    add_channel(svc, "Shop A")
    path = Path(svc.db_target)
    assert read_channels(path) is not None
    with sqlite3.connect(path) as conn:  # an older schema: it must be migrated first
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    assert read_channels(path) is None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (HEAD,))
        conn.execute("UPDATE channel SET created_at = 'yesterday'")  # not what we write
    assert read_channels(path) is None

    assert quick_rows("postgresql://user@localhost/reverb") is None
    assert quick_rows(f"sqlite:///{path}") is None  # URLs take the normal path


def test_the_head_revision_is_alembics(db_path: Path) -> None:
    from reverb_tui.db.migrate import HEAD as MIGRATE_HEAD
    from reverb_tui.db.migrate import head_revision

    svc = build_services(str(db_path))
    try:
        assert head_revision(svc.engine) == HEAD == MIGRATE_HEAD
    finally:
        svc.close()


def test_lazy_services_open_once_on_first_use(db_path: Path) -> None:
    svc = build_services(str(db_path), lazy=True)
    try:
        assert not svc.opened and not db_path.exists()
        assert svc.clock() is not None  # no database needed for the clock
        engines = []
        threads = [threading.Thread(target=lambda: engines.append(svc.engine)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert svc.opened and len({id(e) for e in engines}) == 1
        assert svc.channels.list() == []
    finally:
        svc.close()


def test_lazy_services_repeat_the_opening_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-directory.db"
    folder.mkdir()
    svc = build_services(str(folder), lazy=True)
    for _ in range(2):
        with pytest.raises(StorageError, match="is a directory"):
            _ = svc.engine
    svc.close()
    with pytest.raises(ValueError):
        Services(None, "x")


def test_closed_lazy_services_do_not_open(db_path: Path) -> None:
    svc = build_services(str(db_path), lazy=True)
    svc.close()
    with pytest.raises(StorageError, match="closed"):
        _ = svc.engine
    assert not db_path.exists()


FIRST_FRAME = """
import asyncio, sys
from reverb_tui.app import ReverbApp
from reverb_tui.cli.tui import quick_rows
from reverb_tui.services.factory import build_services
from reverb_tui.widgets.channel_table import ChannelTable

rows = quick_rows(sys.argv[1])
assert rows, rows
svc = build_services(sys.argv[1], lazy=True)
app = ReverbApp(svc, start_sync=True, first_rows=rows)
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "httpx", "pydantic")
seen = {}
original = app._display

def display(screen, renderable):
    original(screen, renderable)
    if renderable is not None and not seen:
        table = app.screen.query_one(ChannelTable)
        seen["rows"] = table.row_count
        seen["heavy"] = sorted(m for m in HEAVY if m in sys.modules)

app._display = display

async def go():
    async with app.run_test(size=(120, 30)) as pilot:
        while not svc.opened:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete([w for w in app.workers if w.group == "db"])
        await pilot.pause()
        seen["after"] = app.screen.query_one(ChannelTable).row_count
        await app.action_quit()

asyncio.run(go())
svc.close()
print(seen)
"""


def test_first_frame_has_rows_without_the_database_stack(make_services, db_path: Path) -> None:
    """The first frame shows the integrations while SQLAlchemy, SQLModel, Alembic, httpx and
    pydantic are not even imported; the database opens after it."""
    svc = make_services()
    for name in ("Shop A", "Shop B"):
        ch = add_channel(svc, name)
        with session_scope(svc.engine) as s:  # no sync due, and nothing leaves the machine
            row = s.get(Channel, ch.id)
            assert row is not None
            row.api_url = row.site = "http://127.0.0.1:9/api"
            row.last_order_sync_at = datetime.now(UTC)
            row.interval_seconds = 86_400
            s.add(row)
    svc.close()
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(db_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = eval(done.stdout.strip().splitlines()[-1])
    assert seen == {"rows": 2, "heavy": [], "after": 2}


def test_importing_the_app_and_the_cli_imports_no_database_stack() -> None:
    code = (
        "import sys, reverb_tui.app, reverb_tui.__main__, reverb_tui.cli.tui\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'httpx', 'pydantic')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
