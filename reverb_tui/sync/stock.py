"""Stock arithmetic (docs/user-guide.md "Stock rules"): SKU resolution, the stock ledger,
reserved/available levels and the quantity a listing should show.

Every function here is synchronous and takes the caller's ``Session``; nothing commits. The
``StockMove`` ledger, unique on ``(order_id, reason)``, is what makes "takes stock exactly once"
and "comes back exactly once" hold across re-runs, crashes and concurrent writers: the move and
the ``on_hand`` change are written in one SAVEPOINT, and a duplicate move (another writer got
there first) rolls back only that savepoint.

Hosts sharing one database also race a count against a sale: whoever touches a SKU's stock
locks its row first (``lock_item``: ``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on
SQLite), so a sale decides "paid after the last count?" against the count that will stand,
and a count (``record_count``) sees every sale already stored. A sale paid after the count
moment but stored before it is kept off the counted figure, so neither write is lost.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..db.models import InventoryItem, Order, SkuMapping, StockMove, fold, row_id, table_of
from ..domain import PENDING, SALE, SHIPPED, UNDONE, OrderStatus, QuantityRule

# Ledger reasons. "shipped" is a zero-delta marker: it remembers that an order which took stock
# was seen shipped (Reverb's ``shipped_at`` is absent on picked-up orders), so a later
# cancellation (after a refund) never gives the stock back.
REASON_SALE = "sale"
REASON_CANCEL = "cancel"
REASON_SHIPPED = "shipped"


@dataclass(frozen=True)
class StockLevel:
    sku: str
    title: str
    on_hand: int
    reserved: int
    available: int


# -- SKU resolution ---------------------------------------------------------------------------


def resolve_sku(
    session: Session, channel_id: int, channel_sku: str | None
) -> tuple[str | None, int]:
    """The local SKU (as stored) and kit for a channel SKU.

    The channel's SKU mapping if there is one, else the one local SKU equal to it trimmed and
    case-insensitively, else ``(None, 1)`` (unlinked).
    """
    if channel_sku is None or not channel_sku.strip():
        return None, 1
    key = fold(channel_sku)
    mapping = session.exec(
        select(SkuMapping).where(
            col(SkuMapping.channel_id) == channel_id, col(SkuMapping.channel_sku_key) == key
        )
    ).first()
    if mapping is not None:
        item_sku = session.exec(
            select(InventoryItem.sku).where(col(InventoryItem.sku_key) == mapping.sku_key)
        ).first()
        # A mapping whose local SKU is gone resolves to nothing (never to a same-named SKU).
        return (item_sku, mapping.kit) if item_sku is not None else (None, 1)
    item_sku = session.exec(
        select(InventoryItem.sku).where(col(InventoryItem.sku_key) == key)
    ).first()
    return (item_sku, 1) if item_sku is not None else (None, 1)


class SkuResolver:
    """``resolve_sku`` for many channel SKUs of one channel with two queries in all.

    With ``keys`` (folded channel SKUs), only what those SKUs can resolve to is read: a page
    of 50 orders reads a few rows, not the whole catalogue."""

    def __init__(
        self, session: Session, channel_id: int, keys: Iterable[str] | None = None
    ) -> None:
        mq = select(SkuMapping.channel_sku_key, SkuMapping.sku_key, SkuMapping.kit).where(
            col(SkuMapping.channel_id) == channel_id
        )
        iq = select(InventoryItem.sku_key, InventoryItem.sku)
        wanted: list[str] | None = None
        if keys is not None:
            wanted = sorted(set(keys))
            mq = mq.where(col(SkuMapping.channel_sku_key).in_(wanted))
        self.mappings: dict[str, tuple[str, int]] = {
            ck: (sk, kit) for ck, sk, kit in session.exec(mq)
        }
        if wanted is not None:
            targets = sorted(set(wanted) | {sk for sk, _ in self.mappings.values()})
            iq = iq.where(col(InventoryItem.sku_key).in_(targets))
        self.items: dict[str, str] = {key: sku for key, sku in session.exec(iq)}

    def __call__(self, channel_sku: str | None) -> tuple[str | None, int]:
        if channel_sku is None or not channel_sku.strip():
            return None, 1
        key = fold(channel_sku)
        if key in self.mappings:
            sku_key, kit = self.mappings[key]
            sku = self.items.get(sku_key)
            return (sku, kit) if sku is not None else (None, 1)
        sku = self.items.get(key)
        return (sku, 1) if sku is not None else (None, 1)


# -- the ledger ---------------------------------------------------------------------------------


def _move(session: Session, order_id: int, reason: str) -> StockMove | None:
    return session.exec(
        select(StockMove).where(
            col(StockMove.order_id) == order_id, col(StockMove.reason) == reason
        )
    ).first()


def _record(
    session: Session, order_id: int, reason: str, sku_key: str, delta: int, now: datetime
) -> bool:
    """Insert one ledger move and apply its delta to on-hand, atomically. False if the move
    already exists (another run or writer recorded it first): nothing is changed then."""
    _ensure_begun(session, sku_key)
    try:
        with session.begin_nested():
            session.add(
                StockMove(
                    sku_key=sku_key, delta=delta, reason=reason, order_id=order_id, created_at=now
                )
            )
            session.flush()
            if delta:
                session.execute(
                    update(InventoryItem)
                    .where(col(InventoryItem.sku_key) == sku_key)
                    .values(on_hand=InventoryItem.on_hand + delta, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
    except IntegrityError:
        return False
    return True


def _ensure_begun(session: Session, sku_key: str) -> None:
    """Make sure the SQLite connection is inside a real transaction before a SAVEPOINT.

    The sqlite3 module opens its implicit transaction only at the first INSERT/UPDATE/DELETE;
    a SAVEPOINT issued before that becomes the outermost transaction and its RELEASE commits,
    which would commit behind the caller's back. A no-op UPDATE opens the real transaction
    (and takes the write lock this function is about to need anyway).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        session.execute(
            update(InventoryItem)
            .where(col(InventoryItem.sku_key) == sku_key)
            .values(on_hand=InventoryItem.on_hand)
            .execution_options(synchronize_session=False)
        )


def lock_item(session: Session, sku_key: str) -> InventoryItem | None:
    """The local SKU's row, read fresh and locked until the caller's transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE``, so a count and a sale of one SKU on two hosts take
    turns. SQLite: the database's write lock (``_ensure_begun``), which serialises writers.
    """
    _ensure_begun(session, sku_key)
    return session.exec(
        select(InventoryItem)
        .where(col(InventoryItem.sku_key) == sku_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def record_count(session: Session, sku_key: str, on_hand: int, now: datetime) -> InventoryItem:
    """A person counted ``on_hand`` of a SKU at ``now``; returns the updated row.

    On hand becomes the count plus the net moves of orders paid at or after the count moment
    that are already stored (another host, or the same second, got there first): those sales
    are after the count by the rule of ``apply_order_stock`` and are not in the counted figure.
    Orders paid before the count are in it, and orders stored later move on-hand themselves.
    """
    item = lock_item(session, sku_key)
    if item is None:
        raise LookupError(f"no local SKU {sku_key!r}")
    counted = _whole_second(now)
    paid = func.coalesce(Order.paid_at, Order.created_at)
    after = session.exec(
        select(func.coalesce(func.sum(StockMove.delta), 0))
        .join(Order, col(Order.id) == col(StockMove.order_id))
        .where(
            col(StockMove.sku_key) == sku_key,
            or_(paid.is_(None), paid >= counted),
        )
    ).one()
    item.on_hand = on_hand + int(after or 0)
    item.counted_at = now
    item.updated_at = now
    session.add(item)
    session.flush()
    return item


def _whole_second(dt: datetime) -> datetime:
    return dt.replace(microsecond=0)


def _after_count(order: StockFacts, counted_at: datetime | None) -> bool:
    """Was the order paid after the SKU's last count? Same second counts as after; when the
    order carries no time at all, take stock (it errs against overselling)."""
    if counted_at is None:
        return True
    paid = order.paid_at or order.created_at
    if paid is None:
        return True
    return _whole_second(paid) >= _whole_second(counted_at)


def apply_order_stock(session: Session, order: Order, now: datetime) -> int:
    """Apply the stock rules (docs/user-guide.md) to one stored order; returns the net on-hand change made.

    Call after every insert or update of an order (its ``sku``/``kit`` frozen, ``status``
    current, ``id`` assigned). Idempotent: re-running it changes nothing.
    """
    if order.id is None:
        session.flush()
    if order.id is None or not order.sku:
        return 0
    status = (order.status or "").strip().lower()
    sale = _move(session, order.id, REASON_SALE)
    net = 0

    # A sale the sync never saw in a sale status (it went paid -> refunded/cancelled between
    # two downloads) still happened if the order was paid: take it, and the cancel branch
    # below gives it back unless it was shipped. Otherwise on-hand stays too high and oversells.
    if sale is None and (status in SALE or (status in UNDONE and order.paid_at)):
        sku_key = fold(order.sku)
        item = lock_item(session, sku_key)
        if item is not None and _after_count(order, item.counted_at):
            delta = -max(0, int(order.quantity or 0)) * max(1, int(order.kit or 1))
            if _record(session, order.id, REASON_SALE, sku_key, delta, now):
                net += delta
            sale = _move(session, order.id, REASON_SALE)

    if sale is None:
        return net

    if status in SHIPPED and _move(session, order.id, REASON_SHIPPED) is None:
        _record(session, order.id, REASON_SHIPPED, sale.sku_key, 0, now)

    if status == OrderStatus.CANCELLED and not _was_shipped(session, order):
        if _move(session, order.id, REASON_CANCEL) is None:
            delta = -sale.delta
            if _record(session, order.id, REASON_CANCEL, sale.sku_key, delta, now):
                net += delta
    return net


class StockFacts(Protocol):
    """What the stock rules read of an order (an ``Order``, or a row of one)."""

    @property
    def id(self) -> int | None: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def kit(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def paid_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def shipped_at(self) -> datetime | None: ...


def apply_stock_bulk(
    session: Session,
    orders: Sequence[StockFacts],
    now: datetime,
    fresh: Collection[int] = (),
) -> int:
    """``apply_order_stock`` for a page of stored orders with a handful of statements: the
    existing moves and the SKUs' counts read once, the new moves inserted together (a move
    another writer recorded first is skipped by the unique (order, reason) pair, as the
    one-at-a-time version's savepoint does), and one on-hand update per SKU for the moves
    actually inserted, in the caller's transaction. Same rules, same result; returns the net
    on-hand change. ``fresh``: ids of orders inserted in this transaction (they have no
    moves yet, so none are looked up)."""
    linked = [o for o in orders if o.id is not None and o.sku]
    if not linked:
        return 0
    ids = [row_id(o) for o in linked if o.id not in fresh]
    moves = _moves_of(session, ids) if ids else {}
    keys = sorted({fold(o.sku or "") for o in linked})
    # The SKUs' rows locked until the caller commits, in key order (no deadlock between two
    # storers), as ``lock_item`` does for one: a count on another host waits for these moves,
    # or these moves see its count moment. SQLite: its write lock, taken first.
    _ensure_begun(session, keys[0])
    counted = dict(
        session.exec(
            select(InventoryItem.sku_key, InventoryItem.counted_at)
            .where(col(InventoryItem.sku_key).in_(keys))
            .order_by(col(InventoryItem.sku_key))
            .with_for_update()
        ).all()
    )

    # Phase 1: sales not recorded yet.
    sales: list[dict[str, Any]] = []
    for o in linked:
        oid, status = row_id(o), (o.status or "").strip().lower()
        if (oid, REASON_SALE) in moves:
            continue
        if status in SALE or (status in UNDONE and o.paid_at):
            key = fold(o.sku or "")
            if key in counted and _after_count(o, counted[key]):
                delta = -max(0, int(o.quantity or 0)) * max(1, int(o.kit or 1))
                sales.append(_move_row(oid, REASON_SALE, key, delta, now))
    inserted = _insert_moves(session, sales)
    if len(inserted) < len(sales):  # another writer recorded some first: read theirs
        moves.update(_moves_of(session, [r["order_id"] for r in sales]))
    for r in sales:
        if (r["order_id"], REASON_SALE) in inserted:
            moves[(r["order_id"], REASON_SALE)] = (r["sku_key"], r["delta"])

    # Phase 2: the shipped marker and the cancellation of orders that took stock.
    later: list[dict[str, Any]] = []
    for o in linked:
        oid, status = row_id(o), (o.status or "").strip().lower()
        sale = moves.get((oid, REASON_SALE))
        if sale is None:
            continue
        if status in SHIPPED and (oid, REASON_SHIPPED) not in moves:
            later.append(_move_row(oid, REASON_SHIPPED, sale[0], 0, now))
        if (
            status == OrderStatus.CANCELLED
            and o.shipped_at is None
            and (oid, REASON_SHIPPED) not in moves
            and (oid, REASON_CANCEL) not in moves
        ):
            later.append(_move_row(oid, REASON_CANCEL, sale[0], -sale[1], now))
    inserted |= _insert_moves(session, later)

    deltas: dict[str, int] = {}
    for r in (*sales, *later):
        if (r["order_id"], r["reason"]) in inserted and r["delta"]:
            deltas[r["sku_key"]] = deltas.get(r["sku_key"], 0) + r["delta"]
    if deltas:
        t = table_of(InventoryItem)
        session.execute(
            update(t)
            .where(t.c.sku_key == bindparam("k"))
            .values(on_hand=t.c.on_hand + bindparam("d"), updated_at=now),
            [{"k": k, "d": d} for k, d in sorted(deltas.items())],
        )
    return sum(deltas.values())


def _move_row(order_id: int, reason: str, sku_key: str, delta: int, now: datetime) -> dict:
    return {
        "order_id": order_id,
        "reason": reason,
        "sku_key": sku_key,
        "delta": delta,
        "created_at": now,
    }


def _moves_of(session: Session, order_ids: list[int]) -> dict[tuple[int, str], tuple[str, int]]:
    out: dict[tuple[int, str], tuple[str, int]] = {}
    for i in range(0, len(order_ids), 500):
        for oid, reason, key, delta in session.exec(
            select(StockMove.order_id, StockMove.reason, StockMove.sku_key, StockMove.delta).where(
                col(StockMove.order_id).in_(order_ids[i : i + 500])
            )
        ):
            if oid is not None:
                out[(oid, reason)] = (key, delta)
    return out


def _insert_moves(session: Session, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """Insert ledger moves, skipping any whose (order, reason) exists; the inserted pairs."""
    if not rows:
        return set()
    t = table_of(StockMove)
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(t).on_conflict_do_nothing(index_elements=["order_id", "reason"])
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(t).on_conflict_do_nothing(index_elements=["order_id", "reason"])
    else:  # pragma: no cover - the two supported databases are above
        raise NotImplementedError(f"no bulk ledger insert for {dialect}")
    stmt = stmt.returning(t.c.order_id, t.c.reason)
    done = {(oid, reason) for oid, reason in session.execute(stmt, rows)}
    return done


def _was_shipped(session: Session, order: Order) -> bool:
    if order.shipped_at is not None:
        return True
    return _move(session, row_id(order), REASON_SHIPPED) is not None


# -- levels -------------------------------------------------------------------------------------


def stock_levels(session: Session, sku_keys: Iterable[str] | None = None) -> dict[str, StockLevel]:
    """On hand, reserved and available per local SKU, keyed by ``sku_key``.

    Reserved is the quantity × kit of linked orders now in a pending status, summed in SQL.
    """
    q = select(InventoryItem)
    keys: list[str] | None = None
    if sku_keys is not None:
        keys = sorted({fold(k) for k in sku_keys})
        if not keys:
            return {}
        q = q.where(col(InventoryItem.sku_key).in_(keys))
    items = list(session.exec(q))
    if not items:
        return {}
    by_stored = {it.sku: it.sku_key for it in items}
    wanted = {it.sku_key for it in items}

    rq = (
        select(Order.sku, func.coalesce(func.sum(Order.quantity * Order.kit), 0))
        .where(col(Order.sku).is_not(None), col(Order.status).in_(sorted(PENDING)))
        .group_by(col(Order.sku))
    )
    if keys is not None:
        rq = rq.where(
            or_(col(Order.sku).in_(sorted(by_stored)), func.lower(func.trim(Order.sku)).in_(keys))
        )
    reserved: dict[str, int] = {}
    for sku, total in session.exec(rq):
        if sku is None:
            continue  # never: the query takes linked orders only
        key = by_stored.get(sku) or fold(sku)
        if key in wanted:
            reserved[key] = reserved.get(key, 0) + int(total or 0)

    out: dict[str, StockLevel] = {}
    for it in items:
        r = reserved.get(it.sku_key, 0)
        out[it.sku_key] = StockLevel(
            sku=it.sku,
            title=it.title or "",
            on_hand=it.on_hand,
            reserved=r,
            available=it.on_hand - r,
        )
    return out


@dataclass(frozen=True)
class QuantityRules:
    """An integration's quantity rules. ``None`` is "off" for the optional ones, and the
    defaults leave ``floor(available / kit)`` unchanged."""

    buffer: int = 0
    maximum: int | None = None
    percent: int | None = None  # 1-100
    minimum: int | None = None  # shown while floor(available / kit) >= 1
    end_when: int | None = None  # 0 once floor(available / kit) <= this

    @classmethod
    def of(cls, ch: Any) -> QuantityRules:
        """The rules stored on a ``Channel`` (or anything with its attributes)."""
        return cls(
            buffer=ch.buffer,
            maximum=ch.max_quantity,
            percent=ch.percent,
            minimum=ch.min_quantity,
            end_when=ch.end_when,
        )


def quantity_for(
    available: int, kit: int, rules: QuantityRules, one_of_a_kind: bool = False
) -> tuple[int, QuantityRule]:
    """What a linked listing should show, and which rule decided it.

    From ``a = floor(available / kit)``, in this order: a percentage ``p`` gives
    ``floor(a * p / 100)``; minus the buffer; at least the minimum while ``a >= 1``; capped
    by the maximum; 0 when ``a <= end_when``; never below 0; a one-of-a-kind listing takes
    0 or 1 of the result. The rule reported is the last one that changed the value
    (``available`` when none did)."""
    if kit < 1:
        raise ValueError("kit must be 1 or more")
    a = available // kit
    value, rule = a, QuantityRule.AVAILABLE

    def step(new: int, by: QuantityRule) -> None:
        nonlocal value, rule
        if new != value:
            value, rule = new, by

    if rules.percent is not None:
        step(a * max(0, rules.percent) // 100, QuantityRule.PERCENT)
    if rules.buffer > 0:
        step(value - rules.buffer, QuantityRule.BUFFER)
    if rules.minimum is not None and a >= 1 and value < rules.minimum:
        step(rules.minimum, QuantityRule.MINIMUM)
    if rules.maximum is not None and value > max(0, rules.maximum):
        step(max(0, rules.maximum), QuantityRule.MAXIMUM)
    if rules.end_when is not None and a <= rules.end_when:
        step(0, QuantityRule.END_WHEN)
    value = max(0, value)  # the rule that took it below 0 (or no stock at all) decided it
    if one_of_a_kind and value > 1:
        step(1, QuantityRule.ONE_OF_A_KIND)
    return value, rule


def target_quantity(
    available: int, kit: int, buffer: int, maximum: int | None, one_of_a_kind: bool
) -> int:
    """``quantity_for`` with a buffer and maximum only: ``max(0, floor(available / kit) -
    buffer)``, capped by the maximum if set; a one-of-a-kind listing shows 0 or 1."""
    rules = QuantityRules(buffer=max(0, buffer), maximum=maximum)
    return quantity_for(available, kit, rules, one_of_a_kind)[0]


__all__ = [
    "QuantityRules",
    "StockLevel",
    "SkuResolver",
    "apply_order_stock",
    "apply_stock_bulk",
    "lock_item",
    "quantity_for",
    "record_count",
    "resolve_sku",
    "stock_levels",
    "target_quantity",
]
