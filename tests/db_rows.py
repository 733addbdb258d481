"""The one place tests seed the database: rows written straight to it, and a clock to move.

Every helper takes either the test's ``Services`` or an ``Engine``. With services, times
default to the services' clock (so a screen shows the integration as just added); with a bare
engine, to ``T0``. Any column can be overridden by keyword::

    ch = add_channel(services, "Main shop")                     # the Channel row, detached
    add_channel(engine, "Shop B", stock_updates=True, currency="EUR")
    add_order(engine, ch.id, "1001", status="shipped")
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel, Order, ShippingService, fold
from reverb_tui.services.channels import DEFAULT_SINCE_DAYS
from reverb_tui.services.factory import Services
from tests.conftest import SECRET_TOKEN

API = "https://api.reverb.com/api"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """The services' clock, standing at ``now`` until a test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _engine_and_now(target: Services | Engine) -> tuple[Engine, datetime]:
    if isinstance(target, Services):
        return target.engine, target.clock()
    return target, T0


def add_channel(target: Services | Engine, name: str = "Main Shop", **overrides: Any) -> Channel:
    """An integration as the add wizard stores it once Reverb has verified its token.

    Enabled, stock updates off, on production with ``SECRET_TOKEN``, shop "Guitar Barn",
    orders fetched from 30 days before it was added. Returns the stored row.
    """
    engine, now = _engine_and_now(target)
    columns: dict[str, Any] = {
        "name": name,
        "name_key": fold(name),
        "currency": "USD",
        "site": "production",
        "api_url": API,
        "token": SECRET_TOKEN,
        "seller_id": "987",
        "shop_name": "Guitar Barn",
        "shop_currency": "USD",
        "orders_since": now - timedelta(days=DEFAULT_SINCE_DAYS),
        "created_at": now,
        "enabled": True,
    }
    with session_scope(engine) as s:
        ch = Channel(**(columns | overrides))
        s.add(ch)
        s.flush()
        return ch


def add_service(target: Services | Engine, name: str, carrier: str = "Other") -> int:
    """A local shipping service; returns its id."""
    engine, _ = _engine_and_now(target)
    with session_scope(engine) as s:
        row = ShippingService(name=name, name_key=fold(name), carrier=carrier)
        s.add(row)
        s.flush()
        return row.id


def add_order(target: Services | Engine, channel_id: int, number: str, **kw: Any) -> int:
    """A paid order first seen at T0 (``status``, ``created_at`` and any column in ``kw``)."""
    engine, _ = _engine_and_now(target)
    with session_scope(engine) as s:
        o = Order(
            channel_id=channel_id,
            order_number=number,
            status=kw.pop("status", "paid"),
            first_seen_at=T0,
            created_at=kw.pop("created_at", T0),
            **kw,
        )
        s.add(o)
        s.flush()
        return o.id


# -- reading back what a process wrote, on either backend ----------------------------------


def is_sqlite(target: Any) -> bool:
    """Is the test's ``db_path`` a SQLite file (rather than a PostgreSQL URL)?"""
    return "://" not in str(target)


def read(target: Any, sql: str, **params: Any) -> list[tuple]:
    """Rows of ``sql`` read straight from the test's database (a path or URL), through a
    connection of its own, as another process would see them."""
    from sqlalchemy import create_engine, text

    from reverb_tui.db.engine import to_url

    engine = create_engine(to_url(str(target)))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def untouched(target: Any) -> bool:
    """Nothing was created: no SQLite file, or no table in the (empty) PostgreSQL database."""
    if is_sqlite(target):
        return not Path(target).exists()
    return not read(target, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
