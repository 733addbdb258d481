"""SQLModel tables. Portable SQLAlchemy constructs only (SQLite today, PostgreSQL later).

Conventions:
- timestamps are ``UTCDateTime`` (aware UTC in Python, naive UTC in the database);
- money is integer cents plus a currency code;
- case-insensitive uniqueness uses a ``*_key`` column holding the folded value, so the same
  unique index works on every dialect. A removed channel gets ``name_key = NULL`` so its name
  can be used again while its history (orders, runs) stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Column, Index, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..domain import budget_in_force
from .types import EncryptedToken, UTCDateTime

# Named constraints, so later batch migrations on SQLite can find and alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _ts(nullable: bool = True, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def row_id(row: _Stored) -> int:
    """The primary key of a row read from the database (or flushed), as an ``int``: the
    column is ``int | None`` only because a new row has no id until it is flushed."""
    if row.id is None:
        raise ValueError(f"This {type(row).__name__} has no id yet; flush it first.")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """The Core ``Table`` of a model, for bulk statements (typed: SQLModel's stubs do not
    declare ``__table__``)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def fold(value: str) -> str:
    """The case-insensitive key of a name or SKU: trimmed and case-folded."""
    return value.strip().casefold()


class Channel(SQLModel, table=True):
    """A sales channel integration (one Reverb account)."""

    __tablename__ = "channel"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str | None = Field(default=None, unique=True)
    type: str = "reverb"
    enabled: bool = True
    stock_updates: bool = False
    currency: str = "USD"
    site: str = "production"  # production | sandbox | a custom API URL
    api_url: str
    # Encrypted at rest (db/crypto.py); the attribute is the plain token.
    token: str = Field(sa_column=Column(EncryptedToken(), nullable=False))
    seller_id: str | None = None
    shop_name: str | None = None
    shop_currency: str | None = None
    orders_since: datetime = Field(sa_column=_ts(nullable=False))
    buffer: int = 0
    max_quantity: int | None = None
    # Quantity rules (sync/stock.py ``quantity_for``); None is "off" for each.
    percent: int | None = None  # show this percentage of available (1-100)
    min_quantity: int | None = None  # show at least this many while any stock exists
    end_when: int | None = None  # show 0 once available is this or less
    interval_seconds: int = 60  # the full sync: orders, listings correction pass
    # A per-second ceiling on requests of either kind (``--rate-limit``). High enough by
    # default that the read and write budgets below are what binds.
    rate_limit: float = 40.0
    # Reverb's budgets as Reverb counts them, per minute (``--read-rate``, ``--write-rate``);
    # 80 % of the reported 2,000 reads and 600 writes by default.
    read_rate: int = Field(default=1600, sa_column_kwargs={"server_default": "1600"})
    write_rate: int = Field(default=480, sa_column_kwargs={"server_default": "480"})
    # What a 429 lowered each budget to (None: never lowered since it was last set); the
    # budget in force is the lower of the two.
    read_budget: int | None = None
    write_budget: int | None = None
    budget_lowered_at: datetime | None = Field(default=None, sa_column=_ts())
    # The quick orders check between full syncs (one request when nothing is new).
    orders_interval_seconds: int = Field(default=10, sa_column_kwargs={"server_default": "10"})
    needs_reauth: bool = False
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    error_count: int = 0
    last_order_sync_at: datetime | None = Field(default=None, sa_column=_ts())
    last_stock_push_at: datetime | None = Field(default=None, sa_column=_ts())
    order_cursor: datetime | None = Field(default=None, sa_column=_ts())
    lease_holder: str | None = None
    lease_expires_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts(nullable=False))
    removed_at: datetime | None = Field(default=None, sa_column=_ts())

    @property
    def reads_per_minute(self) -> int:
        """The read budget in force: the setting, or lower if a 429 taught us so."""
        return budget_in_force(self.read_rate, self.read_budget)

    @property
    def writes_per_minute(self) -> int:
        return budget_in_force(self.write_rate, self.write_budget)

    @property
    def token_hint(self) -> str:
        from ..errors import mask_token

        return mask_token(self.token)

    def __repr__(self) -> str:  # never show the token
        return f"Channel(id={self.id!r}, name={self.name!r}, enabled={self.enabled!r})"

    __str__ = __repr__


# An order is an "exception" when its channel SKU links to no local SKU or its shipping method
# maps to no local shipping service. Also the WHERE of a partial index: SQLite uses that index
# only when a query repeats this exact term (services/orders.py does).
ORDER_EXCEPTION_SQL = (
    "(channel_sku IS NOT NULL AND channel_sku <> '' AND sku IS NULL) OR "
    "(channel_shipping_method IS NOT NULL AND channel_shipping_method <> '' "
    "AND shipping_service_id IS NULL)"
)


class Order(SQLModel, table=True):
    """One Reverb order (one listing, one line) as downloaded."""

    __tablename__ = "reverb_order"
    __table_args__ = (
        UniqueConstraint("channel_id", "order_number", name="uq_order_channel_number"),
        Index("ix_order_channel_created", "channel_id", "created_at"),
        Index("ix_order_status", "status"),
        # Keyset paging of the order book under each filter (migration 0003).
        Index("ix_order_created_id", "created_at", "id"),
        Index("ix_order_status_created", "status", "created_at", "id"),
        Index("ix_order_channel_status_created", "channel_id", "status", "created_at", "id"),
        Index("ix_order_channel_method", "channel_id", "channel_shipping_method"),
        Index(
            "ix_order_exception_created",
            "created_at",
            "id",
            sqlite_where=text(ORDER_EXCEPTION_SQL),
            postgresql_where=text(ORDER_EXCEPTION_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    order_number: str
    uuid: str | None = None
    status: str
    product_id: str | None = None
    title: str | None = None
    channel_sku: str | None = Field(default=None, index=True)
    # Frozen at first download (docs/user-guide.md "Stock rules"): the local SKU, kit and service.
    sku: str | None = Field(default=None, index=True)
    kit: int = 1
    shipping_service_id: int | None = Field(default=None, foreign_key="shipping_service.id")
    quantity: int = 1
    unit_cents: int | None = None
    total_cents: int | None = None
    shipping_cents: int | None = None
    currency: str | None = None
    channel_shipping_method: str | None = None
    buyer_name: str | None = None
    shipping_provider: str | None = None
    tracking_number: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    paid_at: datetime | None = Field(default=None, sa_column=_ts())
    shipped_at: datetime | None = Field(default=None, sa_column=_ts())
    first_seen_at: datetime = Field(sa_column=_ts(nullable=False))
    raw: str | None = Field(default=None, sa_column=Column(Text))


class InventoryItem(SQLModel, table=True):
    """A local SKU. ``on_hand`` is what a person counted at ``counted_at``."""

    __tablename__ = "inventory_item"

    id: int | None = Field(default=None, primary_key=True)
    sku: str
    sku_key: str = Field(unique=True)
    title: str = ""
    on_hand: int = 0
    counted_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class StockMove(SQLModel, table=True):
    """Ledger of every change to on-hand caused by an order.

    The unique (order_id, reason) pair makes "takes stock exactly once" and "comes back exactly
    once" hold across retries and crashes: the move and the on-hand change commit together.
    """

    __tablename__ = "stock_move"
    __table_args__ = (UniqueConstraint("order_id", "reason", name="uq_stock_move_order_reason"),)

    id: int | None = Field(default=None, primary_key=True)
    sku_key: str = Field(index=True)
    delta: int
    reason: str  # sale | cancel
    order_id: int | None = Field(default=None, foreign_key="reverb_order.id")
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class Listing(SQLModel, table=True):
    """A Reverb listing of a channel, as last read or written."""

    __tablename__ = "listing"
    __table_args__ = (UniqueConstraint("channel_id", "listing_id", name="uq_listing_channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    listing_id: str
    sku: str | None = Field(default=None, index=True)
    title: str | None = None
    inventory: int = 0
    has_inventory: bool = False
    one_of_a_kind: bool = False
    condition: str | None = None
    state: str | None = None
    last_push_error: str | None = Field(default=None, sa_column=Column(Text))
    seen_at: datetime | None = Field(default=None, sa_column=_ts())
    pushed_at: datetime | None = Field(default=None, sa_column=_ts())


class SkuMapping(SQLModel, table=True):
    """Channel SKU -> local SKU for one channel, with a kit multiplier."""

    __tablename__ = "sku_mapping"
    __table_args__ = (
        UniqueConstraint("channel_id", "channel_sku_key", name="uq_sku_mapping_channel_sku"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    channel_sku: str
    channel_sku_key: str
    sku_key: str = Field(index=True)
    kit: int = 1
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class ShippingService(SQLModel, table=True):
    """A local shipping service; ``carrier`` is the Reverb provider name used to ship."""

    __tablename__ = "shipping_service"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True)
    carrier: str = "Other"
    code: str | None = None


class ShippingMapping(SQLModel, table=True):
    """Reverb ``shipping_method`` -> local shipping service, per channel."""

    __tablename__ = "shipping_mapping"
    __table_args__ = (
        UniqueConstraint("channel_id", "channel_service", name="uq_shipping_mapping_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    channel_service: str
    shipping_service_id: int = Field(foreign_key="shipping_service.id")
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class SyncRun(SQLModel, table=True):
    """One sync run of one channel (orders, stock, or both), for the sync log."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id", index=True)
    kind: str = "sync"  # sync | orders | stock | dry-run
    holder: str | None = None
    started_at: datetime = Field(sa_column=_ts(nullable=False, index=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts())
    status: str = "running"  # running | ok | partial | failed
    requests: int = 0
    pages: int = 0
    orders_new: int = 0
    orders_updated: int = 0
    listings_seen: int = 0
    listings_pushed: int = 0
    listings_skipped: int = 0
    listings_failed: int = 0
    # Records Reverb sent that could not be stored (each is also one of the run's errors).
    orders_invalid: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    listings_invalid: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    message: str | None = Field(default=None, sa_column=Column(Text))


class SyncError(SQLModel, table=True):
    """One failed item of a run, with the API's message."""

    __tablename__ = "sync_error"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="sync_run.id", index=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    item: str | None = None
    message: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class SyncDaemon(SQLModel, table=True):
    """A ``sync --watch`` process sharing the database: its heartbeat, on the database's
    clock. A daemon whose ``expires_at`` has passed is dead (sync/cluster.py)."""

    __tablename__ = "sync_daemon"

    holder: str = Field(primary_key=True)
    host: str
    pid: int
    lease_seconds: int
    started_at: datetime = Field(sa_column=_ts(nullable=False))
    heartbeat_at: datetime = Field(sa_column=_ts(nullable=False))
    expires_at: datetime = Field(sa_column=_ts(nullable=False, index=True))


class SyncClaim(SQLModel, table=True):
    """Which daemon runs an integration's scheduled syncs, until ``expires_at`` (the
    database's clock). The claim spreads the work; the channel's lease still keeps any two
    runs of one integration apart."""

    __tablename__ = "sync_claim"

    channel_id: int = Field(foreign_key="channel.id", primary_key=True)
    holder: str = Field(index=True)
    expires_at: datetime = Field(sa_column=_ts(nullable=False))
