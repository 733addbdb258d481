"""An integration as the screens show it, without the database stack.

``ChannelView`` lives here, not beside ``ChannelService``, so that the TUI's first frame can
show the integrations without importing SQLAlchemy (reverb_tui/db/quick.py reads the rows).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain import budget_in_force

if TYPE_CHECKING:
    from ..db.models import Channel


@dataclass(frozen=True)
class ChannelView:
    """An integration as the screens show it: plain values detached from any session, the
    token only as its hint (the last four characters at most)."""

    id: int
    name: str
    type: str
    enabled: bool
    stock_updates: bool
    currency: str
    site: str
    api_url: str
    seller_id: str | None
    shop_name: str | None
    shop_currency: str | None
    token_hint: str
    orders_since: datetime
    buffer: int
    max_quantity: int | None
    percent: int | None
    min_quantity: int | None
    end_when: int | None
    interval_seconds: int
    orders_interval_seconds: int
    rate_limit: float
    read_rate: int
    write_rate: int
    read_budget: int | None
    write_budget: int | None
    budget_lowered_at: datetime | None
    last_order_sync_at: datetime | None
    last_stock_push_at: datetime | None
    needs_reauth: bool
    last_error: str | None
    error_count: int
    created_at: datetime

    @classmethod
    def of(cls, ch: Channel) -> ChannelView:
        assert ch.id is not None, "a channel that was never saved has no view"
        return cls(
            id=ch.id,
            name=ch.name,
            type=ch.type,
            enabled=ch.enabled,
            stock_updates=ch.stock_updates,
            currency=ch.currency,
            site=ch.site,
            api_url=ch.api_url,
            seller_id=ch.seller_id,
            shop_name=ch.shop_name,
            shop_currency=ch.shop_currency,
            token_hint=ch.token_hint,
            orders_since=ch.orders_since,
            buffer=ch.buffer,
            max_quantity=ch.max_quantity,
            percent=ch.percent,
            min_quantity=ch.min_quantity,
            end_when=ch.end_when,
            interval_seconds=ch.interval_seconds,
            orders_interval_seconds=ch.orders_interval_seconds,
            rate_limit=ch.rate_limit,
            read_rate=ch.read_rate,
            write_rate=ch.write_rate,
            read_budget=ch.read_budget,
            write_budget=ch.write_budget,
            budget_lowered_at=ch.budget_lowered_at,
            last_order_sync_at=ch.last_order_sync_at,
            last_stock_push_at=ch.last_stock_push_at,
            needs_reauth=ch.needs_reauth,
            last_error=ch.last_error,
            error_count=ch.error_count,
            created_at=ch.created_at,
        )

    @property
    def reads_per_minute(self) -> int:
        """The read budget in force: the setting, or lower if a 429 taught us so."""
        return budget_in_force(self.read_rate, self.read_budget)

    @property
    def writes_per_minute(self) -> int:
        return budget_in_force(self.write_rate, self.write_budget)


# The names of ChannelView's fields, in order (reverb_tui/db/quick.py reads exactly these).
VIEW_FIELDS = tuple(f.name for f in fields(ChannelView))
