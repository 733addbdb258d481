"""Shared fixtures: every test gets its own data dir and its own database.

A test that asks for ``db_path`` (directly or through ``make_services``) runs twice: on a
temporary SQLite file and on a PostgreSQL database of its own (tests/pg.py), so section 6 of
the product ("everything holds on PostgreSQL exactly as on SQLite") is proven by the same
tests. ``db_path`` is then a ``Path`` or a URL ``str``; pass ``str(db_path)`` wherever a
``--db`` or ``build_services`` target is wanted. A test about the SQLite file itself (its
permissions, its bytes) is marked ``@pytest.mark.sqlite_only``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reverb_tui.reverb.client import RetryPolicy, ReverbClient
from reverb_tui.services.factory import Services, build_services
from tests import pg

# A token that must never appear in full anywhere (logs, output, snapshots).
SECRET_TOKEN = "tok_SECRET_4f9a1c2b7e6d5a3f8b0c1d2e9f7a6b5c"
# The keys every channel object has in the CLI contract (docs/cli.md), written out
# here rather than read from the code, so a key the code drops fails the tests.
CHANNEL_KEYS = frozenset(
    {
        "name",
        "type",
        "enabled",
        "stock_updates",
        "currency",
        "site",
        "seller_id",
        "shop_name",
        "last_order_sync_at",
        "last_stock_push_at",
        "needs_reauth",
        "last_error",
    }
)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user data dir or a real token."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # the daemon's log file
    for name in (
        "REVERB_TOKEN",
        "REVERB_TUI_DB",
        "REVERB_TUI_LOG_DIR",
        "REVERB_TUI_CONFIG",
        "REVERB_TUI_THEME",
    ):
        monkeypatch.delenv(name, raising=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself; no PostgreSQL leg"
    )
    config.addinivalue_line(
        "markers",
        "postgres_too: a UI test that needs its PostgreSQL leg (e.g. LISTEN/NOTIFY live screens)",
    )
    config.addinivalue_line(
        "markers",
        "empty_database: db_path is a database with no schema at all (default: at head on "
        "PostgreSQL, a file not yet created on SQLite)",
    )
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller checked already
    status = pg.server()
    if status.url is None and os.environ.get("CI", "").lower() == "true" and not status.off:
        raise pytest.UsageError(f"CI=true and the PostgreSQL leg cannot run: {status.reason}")


def pytest_terminal_summary(terminalreporter) -> None:
    status = pg.server()
    if status.url is None:
        terminalreporter.write_line(f"PostgreSQL leg skipped: {status.reason}", yellow=True)


# UI tests drive screens over the same services the unit tests cover on both backends; they
# run on SQLite only unless REVERB_TUI_TEST_UI_PG=1 (see CONTRIBUTING.md). The snapshot
# pictures always do: their file names are the test names, which a [pg] id would change.
_UI_DIRS = ("tests/ui/",)
_SQLITE_ONLY_DIRS = ("tests/snapshots/",)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that use the database run as [sqlite] and [pg] when there is a server."""
    if "db_backend" not in metafunc.fixturenames or pg.server().url is None:
        return
    rel = Path(str(metafunc.definition.path)).as_posix()
    if any(d in rel for d in _SQLITE_ONLY_DIRS):
        return
    if (
        any(d in rel for d in _UI_DIRS)
        and os.environ.get("REVERB_TUI_TEST_UI_PG") not in ("1", "true")
        and metafunc.definition.get_closest_marker("postgres_too") is None
    ):
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        return
    metafunc.parametrize("db_backend", ["sqlite", "pg"], scope="function")


@pytest.fixture
def db_backend() -> str:
    """The backend of a test that runs on one only (no server, a UI test, sqlite_only)."""
    return "sqlite"


@pytest.fixture
def db_path(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:
    """The test's own database: a SQLite file (not yet created) or a PostgreSQL URL."""
    if db_backend == "sqlite":
        yield tmp_path / "data" / "reverb.db"
        return
    empty = request.node.get_closest_marker("empty_database") is not None
    with pg.database(empty=empty) as url:
        yield url


class UnthrottledClient(ReverbClient):
    """A client whose read and write budgets are lifted, as the factory lifts the ceiling:
    tests check what is sent, not Reverb's pace (tests/unit/test_ratelimit.py does that)."""

    def set_budgets(self, reads_per_minute: int, writes_per_minute: int) -> None:
        super().set_budgets(max(reads_per_minute, 100_000), max(writes_per_minute, 100_000))


def fast_client_factory(transport: httpx.AsyncBaseTransport | None = None):
    """A client factory with quick retries, optionally routed to a mock transport."""

    def factory(api_url: str, token: str, rate_limit: float) -> ReverbClient:
        return UnthrottledClient(
            api_url,
            token,
            rate_limit=max(rate_limit, 1000.0),
            transport=transport,
            retry=RetryPolicy(max_attempts=3, budget_seconds=1.0, base_delay=0.01, max_delay=0.05),
        )

    return factory


@pytest.fixture
def make_services(db_path: Path) -> Iterator:
    """Build services on the test's database; pass client_factory=… to route HTTP."""
    built: list[Services] = []

    def make(**kw) -> Services:
        kw.setdefault("client_factory", fast_client_factory())
        svc = build_services(str(db_path), **kw)
        built.append(svc)
        return svc

    yield make
    for svc in built:
        svc.close()
