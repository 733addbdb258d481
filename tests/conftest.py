"""Shared fixtures: every test gets its own data dir and temp-file database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reverb_tui.reverb.client import RetryPolicy, ReverbClient
from reverb_tui.services.factory import Services, build_services

# A token that must never appear in full anywhere (logs, output, snapshots).
SECRET_TOKEN = "tok_SECRET_4f9a1c2b7e6d5a3f8b0c1d2e9f7a6b5c"
# The keys every channel object has in the CLI contract (PRODUCT.md section 5), written out
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
    for name in ("REVERB_TOKEN", "REVERB_TUI_DB", "REVERB_TUI_LOG_DIR", "REVERB_TUI_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "reverb.db"


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
