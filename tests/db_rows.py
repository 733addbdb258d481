"""For service tests: a clock they can move, and rows written straight to the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel, Order, ShippingService, fold
from tests.conftest import SECRET_TOKEN

API = "https://api.reverb.com/api"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """The services' clock, standing at ``now`` until a test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def add_channel(
    engine, name: str = "Main Shop", *, enabled: bool = True, api_url: str = API
) -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        ch = Channel(
            name=name,
            name_key=fold(name),
            api_url=api_url,
            token=SECRET_TOKEN,
            orders_since=T0 - timedelta(days=30),
            created_at=T0,
            enabled=enabled,
        )
        s.add(ch)
        s.flush()
        return ch.id


def add_service(engine, name: str, carrier: str = "Other") -> int:  # noqa: ANN001
    with session_scope(engine) as s:
        row = ShippingService(name=name, name_key=fold(name), carrier=carrier)
        s.add(row)
        s.flush()
        return row.id


def add_order(engine, channel_id: int, number: str, **kw) -> int:  # noqa: ANN001, ANN003
    """A paid order first seen at T0 (``status``, ``created_at`` and any column in ``kw``)."""
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
