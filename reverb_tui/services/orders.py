"""The order book: paged queries, order JSON, detail, "apply current mappings", mark shipped.

Shared by the TUI (Orders screen, order detail) and the CLI (``reverb-tui orders …``). No
Textual here. Database functions are synchronous; ``ship`` talks to Reverb and is async.

Paging is keyset paging on ``(created_at DESC, id DESC)`` with every filter in SQL, so the
first page, any later page and a count stay fast with 100,000 orders (migration 0003 holds
the indexes). Orders without ``created_at`` come after all dated ones, newest id first.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Integer, Row, func, literal, or_, text, tuple_
from sqlalchemy import Select as CoreSelect
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from ..clock import Clock, iso, parse_ts, utcnow
from ..db.engine import session_scope
from ..db.models import ORDER_EXCEPTION_SQL, Channel, Order, ShippingService, row_id
from ..db.queries import channel_by_ref, mark_needs_reauth
from ..db.types import UTCDateTime
from ..domain import SHIPPABLE, SHIPPED, UNDONE, OrderStatus
from ..errors import AppError, NotFound, UserError
from ..reverb import payload
from ..text_safety import csv_cell
from .shipping import canonical_provider

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reverb.client import ClientFactory

log = logging.getLogger(__name__)

# The exceptions filter, identical to the partial index's WHERE (see db.models).
EXCEPTION_SQL = ORDER_EXCEPTION_SQL

MAX_TRACKING = 100
MAX_LIMIT = 10_000
STREAM_PAGE = 500

OrderKey = tuple[datetime | None, int]

# Every column of an order but the raw JSON, for lists.
LIST_COLUMNS = tuple(c for c in sa_inspect(Order).columns if c.name != "raw")


def is_exception(order: Any) -> bool:
    """Unlinked SKU or unmapped shipping method, exactly as ``EXCEPTION_SQL`` says."""
    return bool(
        (order.channel_sku and order.sku is None)
        or (order.channel_shipping_method and order.shipping_service_id is None)
    )


def exception_reasons(order: Any) -> list[str]:
    reasons = []
    if order.channel_sku and order.sku is None:
        reasons.append(f"The channel SKU {order.channel_sku!r} maps to no local SKU.")
    if order.channel_shipping_method and order.shipping_service_id is None:
        reasons.append(
            f"The shipping method {order.channel_shipping_method!r} maps to no local "
            "shipping service."
        )
    return reasons


def order_json(order: Any, channel_name: str, service_name: str | None) -> dict[str, Any]:
    """The CLI contract's order object (docs/cli.md "JSON objects") plus a few helpful keys."""
    return {
        "channel": channel_name,
        "order_number": order.order_number,
        "status": order.status,
        "channel_sku": order.channel_sku,
        "sku": order.sku,
        "quantity": order.quantity,
        "kit": order.kit,
        "total_cents": order.total_cents,
        "currency": order.currency,
        "channel_shipping_method": order.channel_shipping_method,
        "shipping_service": service_name,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "title": order.title,
        "buyer_name": order.buyer_name,
        "paid_at": iso(order.paid_at),
        "shipped_at": iso(order.shipped_at),
        "shipping_provider": order.shipping_provider,
        "tracking_number": order.tracking_number,
        "exception": is_exception(order),
    }


class OrderRow(NamedTuple):
    """One order with its integration's and local shipping service's names.

    From ``query``/``iter_rows``, ``order`` is a read-only row with the attributes of
    ``Order`` (all but ``raw``); from ``get``/``ship`` it is the ``Order`` itself.
    """

    order: Order
    channel_name: str
    service_name: str | None

    @property
    def key(self) -> OrderKey:
        return (self.order.created_at, row_id(self.order))

    @property
    def exception(self) -> bool:
        return is_exception(self.order)

    def to_json(self) -> dict[str, Any]:
        return order_json(self.order, self.channel_name, self.service_name)


@dataclass
class OrderPage:
    rows: list[OrderRow]
    # The key to pass as ``after`` for the next page; None when this was the last page.
    next_after: OrderKey | None = None


@dataclass
class ApplyResult:
    channel: str
    checked: int
    changed: int


@dataclass
class ShipResult:
    row: OrderRow
    provider: str
    tracking: str
    notified: bool
    confirmed_by_reread: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ShipItem:
    """One order of a bulk "mark shipped": its integration (name or id), number, tracking
    number and carrier (None: the carrier of its mapped shipping service, else Other)."""

    channel: str | int
    order_number: str
    tracking: str
    provider: str | None = None


@dataclass(frozen=True)
class ShipCandidate:
    """An order that can be marked shipped now, as the bulk ship form lists it."""

    order_id: int
    channel_id: int
    channel_name: str
    order_number: str
    title: str | None
    buyer_name: str | None
    default_provider: str


@dataclass
class ShipOutcome:
    item: ShipItem
    ok: bool
    message: str  # one sentence: what happened to this order
    exit_code: int  # 0 shipped; else the failure's code (2 refused, 1 anything else)
    result: ShipResult | None = None


@dataclass
class BulkShipResult:
    outcomes: list[ShipOutcome]

    @property
    def shipped(self) -> list[ShipOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[ShipOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def exit_code(self) -> int:
        """0 when every order shipped; 1 when any failed for a reason other than a refusal
        (network, Reverb 5xx); else 2 (every failure was refused)."""
        codes = {o.exit_code for o in self.failed}
        if not codes:
            return 0
        return 1 if codes - {2} else 2

    def summary(self) -> str:
        n, total = len(self.shipped), len(self.outcomes)
        text = f"Marked {n} of {total} order{'s' if total != 1 else ''} shipped"
        failed = len(self.failed)
        return text + (f"; {failed} failed." if failed else ".")


@dataclass
class PickupResult:
    row: OrderRow
    confirmed_by_reread: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _ShipContext:
    channel_id: int
    channel_name: str
    api_url: str
    token: str
    rate_limit: float
    order_id: int
    order_number: str
    default_provider: str


def _integration_refusal(channel: Channel, marking: str) -> str | None:
    """Why no order of this integration can be marked ``marking`` now, or None."""
    if channel.removed_at is not None:
        return f"The integration {channel.name!r} was removed."
    if not channel.enabled:
        return (
            f"The integration {channel.name!r} is disabled; enable it before marking orders "
            f"{marking}."
        )
    return None


def ship_refusal(order: Order, channel: Channel) -> str | None:
    """Why this order cannot be marked shipped now (one sentence), or None."""
    if (refused := _integration_refusal(channel, "shipped")) is not None:
        return refused
    status = (order.status or "").strip().lower()
    n = order.order_number
    if status in SHIPPED:
        return f"Order {n} is already {status.replace('_', ' ')}."
    if status in UNDONE:
        return f"Order {n} is {status}; it cannot be shipped."
    if status not in SHIPPABLE:
        return f"Order {n} is {status or 'without a status'!r}; Reverb ships only paid orders."
    return None


def is_local_pickup(order: Any) -> bool:
    """The buyer collects it: Reverb's ``shipping_method`` is ``local`` (or the stored order
    says ``local_pickup``)."""
    if (order.channel_shipping_method or "").strip().lower() == "local":
        return True
    raw = getattr(order, "raw", None)
    if not raw or "local_pickup" not in raw:
        return False
    try:
        doc = json.loads(raw)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("local_pickup") is True


def pickup_refusal(order: Order, channel: Channel) -> str | None:
    """Why this order cannot be marked picked up now (one sentence), or None."""
    if (refused := _integration_refusal(channel, "picked up")) is not None:
        return refused
    status = (order.status or "").strip().lower()
    n = order.order_number
    if status == OrderStatus.PICKED_UP:
        return f"Order {n} is already picked up."
    if not is_local_pickup(order):
        return f"Order {n} is not a local pickup order; mark it shipped instead."
    if status in SHIPPED:
        return f"Order {n} is already {status.replace('_', ' ')}."
    if status in UNDONE:
        return f"Order {n} is {status}; it cannot be picked up."
    if status not in SHIPPABLE:
        return (
            f"Order {n} is {status or 'without a status'!r}; Reverb marks only paid orders "
            "picked up."
        )
    return None


def _clean_search(search: str | None) -> str | None:
    value = (search or "").strip()
    return value or None


def _like_pattern(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _order_in_answer(answer: Any) -> dict[str, Any] | None:
    """The order object in the ship POST's answer, if it carries one."""
    if isinstance(answer, dict):
        if payload.text(answer.get("order_number")):
            return answer
        inner = answer.get("order")
        if isinstance(inner, dict) and payload.text(inner.get("order_number")):
            return inner
    return None


class OrderService:
    def __init__(
        self, engine: Engine, client_factory: ClientFactory, clock: Clock = utcnow
    ) -> None:
        self.engine = engine
        self.client_factory = client_factory
        self.clock = clock

    # -- filters ----------------------------------------------------------------------------

    @staticmethod
    def _channel(s: Session, ref: str | int) -> Channel:
        # The order book keeps a removed integration's orders: its id still finds it.
        return channel_by_ref(s, ref, include_removed=True)

    def _where(
        self,
        s: Session,
        channel: str | int | None,
        status: str | Sequence[str] | None,
        exceptions_only: bool,
        search: str | None,
    ) -> list[Any]:
        clauses: list[Any] = []
        if channel is not None:
            clauses.append(col(Order.channel_id) == self._channel(s, channel).id)
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            values = sorted({v.strip().lower() for v in wanted if v and v.strip()})
            if not values:
                raise UserError("The status filter is empty.")
            clauses.append(
                col(Order.status) == values[0]
                if len(values) == 1
                else col(Order.status).in_(values)
            )
        if exceptions_only:
            clauses.append(text(f"({EXCEPTION_SQL})"))
        term = _clean_search(search)
        if term is not None:
            pattern = _like_pattern(term)
            cols = tuple(
                col(c) for c in (Order.order_number, Order.channel_sku, Order.sku, Order.buyer_name)
            )
            if self.engine.dialect.name == "sqlite":
                # SQLite's LIKE already ignores (ASCII) case, and lower() would cost a
                # function call per column per row: half the time of a search.
                clauses.append(or_(*(c.like(pattern, escape="\\") for c in cols)))
            else:
                clauses.append(or_(*(c.ilike(pattern, escape="\\") for c in cols)))
        return clauses

    # -- reads --------------------------------------------------------------------------------

    def query(
        self,
        channel: str | int | None = None,
        status: str | Sequence[str] | None = None,
        exceptions_only: bool = False,
        search: str | None = None,
        limit: int = 100,
        after: OrderKey | None = None,
    ) -> OrderPage:
        """One page of orders, newest first; ``after`` is the previous page's ``next_after``."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise UserError(f"The page size must be between 1 and {MAX_LIMIT}.")
        with session_scope(self.engine) as s:
            where = self._where(s, channel, status, exceptions_only, search)
            rows = self._page(s, where, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        return OrderPage(rows, rows[-1].key if more and rows else None)

    @staticmethod
    def _base(where: list[Any]) -> CoreSelect[Any]:
        # Plain rows, not ORM objects: a list streams 100,000 orders, and identity-mapped
        # instances cost several times more per row. ``raw`` is never read here.
        q = (
            core_select(*LIST_COLUMNS, col(Channel.name).label("channel_name"),
                        col(ShippingService.name).label("service_name"))
            .join(Channel, col(Channel.id) == Order.channel_id)
            .outerjoin(ShippingService, col(ShippingService.id) == Order.shipping_service_id)
        )  # fmt: skip
        for clause in where:
            q = q.where(clause)
        return q

    def _page(self, s: Session, where: list[Any], n: int, after: OrderKey | None) -> list[OrderRow]:
        rows: list[OrderRow] = []
        conn = s.connection()  # Core rows: no ORM loading for a list
        # Dated orders first (created_at DESC, id DESC) ...
        if after is None or after[0] is not None:
            q = self._base(where).where(col(Order.created_at).is_not(None))
            if after is not None:
                cursor = tuple_(literal(after[0], UTCDateTime()), literal(int(after[1]), Integer()))
                q = q.where(tuple_(col(Order.created_at), col(Order.id)) < cursor)
            q = q.order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(n)
            rows.extend(_list_row(r) for r in conn.execute(q))
        # ... then undated ones (id DESC).
        if len(rows) < n:
            q = self._base(where).where(col(Order.created_at).is_(None))
            if after is not None and after[0] is None:
                q = q.where(col(Order.id) < after[1])
            q = q.order_by(col(Order.id).desc()).limit(n - len(rows))
            rows.extend(_list_row(r) for r in conn.execute(q))
        return rows

    def count(
        self,
        channel: str | int | None = None,
        status: str | Sequence[str] | None = None,
        exceptions_only: bool = False,
        search: str | None = None,
    ) -> int:
        with session_scope(self.engine) as s:
            q = select(func.count()).select_from(Order)
            for clause in self._where(s, channel, status, exceptions_only, search):
                q = q.where(clause)
            return int(s.exec(q).one())

    def statuses(self) -> list[str]:
        """Every status stored on some order, sorted (the Orders screen's status filter)."""
        with session_scope(self.engine) as s:
            return sorted(v for v in s.exec(select(Order.status).distinct()).all() if v)

    def iter_rows(
        self,
        channel: str | int | None = None,
        status: str | Sequence[str] | None = None,
        exceptions_only: bool = False,
        search: str | None = None,
        limit: int | None = None,
        page_size: int = STREAM_PAGE,
    ) -> Iterator[OrderRow]:
        """Every matching order (or the first ``limit``), newest first, read page by page so
        memory stays flat however many orders there are."""
        if limit is not None and limit < 0:
            raise UserError("The limit must be 0 or more.")
        left = limit
        after: OrderKey | None = None
        while left is None or left > 0:
            size = page_size if left is None else min(page_size, left)
            page = self.query(channel, status, exceptions_only, search, size, after)
            yield from page.rows
            if left is not None:
                left -= len(page.rows)
            if page.next_after is None:
                return
            after = page.next_after

    def get(self, channel: str | int, order_number: str) -> OrderRow:
        number = (order_number or "").strip()
        if not number:
            raise UserError("The order number is empty.")
        with session_scope(self.engine) as s:
            ch = self._channel(s, channel)
            found = s.exec(
                select(Order, ShippingService.name)
                .outerjoin(ShippingService, col(ShippingService.id) == Order.shipping_service_id)
                .where(col(Order.channel_id) == ch.id, col(Order.order_number) == number)
            ).first()
            if found is None:
                raise NotFound(f"There is no order {number!r} on {ch.name!r}.")
            return OrderRow(found[0], ch.name, found[1])

    def get_by_id(self, order_id: int) -> OrderRow:
        with session_scope(self.engine) as s:
            found = s.exec(
                select(Order, Channel.name, ShippingService.name)
                .join(Channel, col(Channel.id) == Order.channel_id)
                .outerjoin(ShippingService, col(ShippingService.id) == Order.shipping_service_id)
                .where(col(Order.id) == order_id)
            ).first()
            if found is None:
                raise NotFound("That order no longer exists.")
            return OrderRow(*found)

    def detail(self, channel: str | int, order_number: str) -> dict[str, Any]:
        """Everything the order detail view shows, as one dict."""
        row = self.get(channel, order_number)
        o = row.order
        with session_scope(self.engine) as s:
            ch = s.get(Channel, o.channel_id)
            svc = s.get(ShippingService, o.shipping_service_id) if o.shipping_service_id else None
            refusal = ship_refusal(o, ch) if ch is not None else "The integration is gone."
            no_pickup = pickup_refusal(o, ch) if ch is not None else "The integration is gone."
        doc = row.to_json()
        doc.update(
            {
                "uuid": o.uuid,
                "product_id": o.product_id,
                "unit_cents": o.unit_cents,
                "shipping_cents": o.shipping_cents,
                "first_seen_at": iso(o.first_seen_at),
                "shipping_service_carrier": svc.carrier if svc else None,
                "default_provider": svc.carrier if svc else "Other",
                "exception_reasons": exception_reasons(o),
                "shippable": refusal is None,
                "ship_refusal": refusal,
                "local_pickup": is_local_pickup(o),
                "can_pickup": no_pickup is None,
                "pickup_refusal": no_pickup,
                "shipping_address": _address(o.raw),
            }
        )
        return doc

    # -- CSV export --------------------------------------------------------------------------------

    def export_csv(
        self,
        path: str | os.PathLike[str],
        channel: str | int | None = None,
        status: str | Sequence[str] | None = None,
        since: str | datetime | None = None,
        exceptions_only: bool = False,
        search: str | None = None,
        overwrite: bool = False,
    ) -> int:
        """Write the matching orders to a CSV file, oldest first; returns how many.

        One row per order line (a Reverb order is one listing), the columns of
        ``EXPORT_COLUMNS``: money as decimals beside the currency, times in UTC ISO 8601, the
        local SKU and shipping service frozen at download. Rows are streamed from the
        database and written as they come, so memory stays flat however many orders match.
        Every cell goes through ``text_safety.csv_cell`` (no spreadsheet formulas). The file
        is written beside the target and renamed into place at the end: a failure leaves no
        half-written file. An existing file is replaced only with ``overwrite``."""
        target = Path(path)
        since_at = parse_since(since)
        parent = _export_target(target, overwrite)
        count = 0
        with session_scope(self.engine) as s:
            where = self._where(s, channel, status, exceptions_only, search)
        if since_at is not None:
            where.append(col(Order.created_at) >= since_at)
        tmp = _make_temp(parent, target)
        try:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(EXPORT_COLUMNS)
                for r in self._stream(where):
                    w.writerow(export_row(r))
                    count += 1
                fh.flush()
                os.fsync(fh.fileno())
            _move_into_place(tmp, target, overwrite)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, PermissionError):
                raise UserError(f"Cannot write {str(target)!r}: permission denied.") from None
            if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
                raise AppError(f"Cannot write {str(target)!r}: {exc.strerror}.") from None
            raise
        return count

    def _stream(self, where: list[Any]) -> Iterator[Row[Any]]:
        """Every matching order, dated ones oldest first then undated ones, from a
        server-side cursor read a batch at a time (each query runs off an index: no sort
        of the whole book in memory)."""
        dated = col(Order.created_at)
        queries = (
            self._base(where).where(dated.is_not(None)).order_by(dated, col(Order.id)),
            self._base(where).where(dated.is_(None)).order_by(col(Order.id)),
        )
        with self.engine.connect() as conn:
            streaming = conn.execution_options(stream_results=True, yield_per=EXPORT_BATCH)
            for q in queries:
                yield from streaming.execute(q)

    # -- apply current mappings ------------------------------------------------------------------

    def apply_current_mappings(self, order_ids: Iterable[int]) -> int:
        """The explicit action on selected exception orders: fill a missing local SKU (and
        kit) and a missing shipping service from today's mappings. Fields already set are
        never changed. A newly linked order takes stock as the stock rules say. Returns how
        many orders changed."""
        from ..sync.shipping import resolve_shipping_service

        ids = sorted({int(i) for i in order_ids})
        changed = 0
        now = self.clock()
        with session_scope(self.engine) as s:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for o in s.exec(select(Order).where(col(Order.id).in_(chunk))).all():
                    touched = False
                    if o.sku is None and o.channel_sku:
                        from ..sync.stock import apply_order_stock, resolve_sku

                        sku, kit = resolve_sku(s, o.channel_id, o.channel_sku)
                        if sku is not None:
                            o.sku, o.kit = sku, kit
                            s.add(o)
                            s.flush()
                            apply_order_stock(s, o, now)
                            touched = True
                    if o.shipping_service_id is None and o.channel_shipping_method:
                        sid = resolve_shipping_service(s, o.channel_id, o.channel_shipping_method)
                        if sid is not None:
                            o.shipping_service_id = sid
                            s.add(o)
                            touched = True
                    changed += touched
        return changed

    def apply_for_channel(
        self, channel: str | int, order_numbers: Sequence[str] | None = None
    ) -> ApplyResult:
        """``orders apply``: the given orders of a channel, or all its exception orders."""
        numbers = [n.strip() for n in (order_numbers or []) if n and n.strip()]
        with session_scope(self.engine) as s:
            ch = self._channel(s, channel)
            if numbers:
                found = dict(
                    s.exec(
                        select(Order.order_number, Order.id).where(
                            col(Order.channel_id) == ch.id, col(Order.order_number).in_(numbers)
                        )
                    ).all()
                )
                missing = [n for n in dict.fromkeys(numbers) if n not in found]
                if missing:
                    shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
                    raise NotFound(f"{ch.name!r} has no order numbered {shown}; nothing changed.")
                ids = [i for i in found.values() if i is not None]
            else:
                exceptions = select(Order.id).where(
                    col(Order.channel_id) == ch.id, text(f"({EXCEPTION_SQL})")
                )
                ids = [i for i in s.exec(exceptions).all() if i is not None]
            name = ch.name
        return ApplyResult(name, checked=len(ids), changed=self.apply_current_mappings(ids))

    # -- mark shipped ----------------------------------------------------------------------------

    async def ship(
        self,
        channel: str | int,
        order_number: str,
        tracking: str | None,
        provider: str | None = None,
        notify: bool = True,
    ) -> ShipResult:
        """Mark an order shipped on Reverb, then store Reverb's answer.

        The POST is never repeated: after a timeout or a 5xx the order is re-read, and only
        Reverb saying "shipped" counts as success. A refusal (4xx) changes nothing locally.
        """
        track = clean_tracking(tracking)
        chosen = None
        if provider is not None:
            if not provider.strip():
                raise UserError("The shipping provider is empty.")
            chosen = canonical_provider(provider)
        ctx = await asyncio.to_thread(self._ship_context, channel, order_number)
        prov = chosen or ctx.default_provider
        data, reread, notes = await self._post_confirmed(
            ctx, "shipped", SHIPPED, lambda client: client.ship_order(
                ctx.order_number, prov, track, notify)
        )  # fmt: skip
        row = await asyncio.to_thread(
            self._record_done, ctx.order_id, data, OrderStatus.SHIPPED, SHIPPED, prov, track
        )
        return ShipResult(row, prov, track, notify, reread, notes)

    def ship_plan(self, order_ids: Iterable[int]) -> tuple[list[ShipCandidate], list[str]]:
        """The chosen orders split into those that can be marked shipped now (with their
        default carrier) and one sentence for each that cannot, in the order given."""
        ready: list[ShipCandidate] = []
        left_out: list[str] = []
        with session_scope(self.engine) as s:
            for order_id in dict.fromkeys(int(i) for i in order_ids):
                o = s.get(Order, order_id)
                if o is None:
                    left_out.append("An order chosen is no longer stored.")
                    continue
                ch = s.get(Channel, o.channel_id)
                refusal = ship_refusal(o, ch) if ch is not None else "The integration is gone."
                if refusal:
                    left_out.append(refusal)
                    continue
                assert ch is not None
                svc = (
                    s.get(ShippingService, o.shipping_service_id) if o.shipping_service_id else None
                )
                ready.append(ShipCandidate(
                    order_id=order_id, channel_id=row_id(ch), channel_name=ch.name,
                    order_number=o.order_number, title=o.title, buyer_name=o.buyer_name,
                    default_provider=(svc.carrier or "Other") if svc else "Other",
                ))  # fmt: skip
        return ready, left_out

    async def ship_many(
        self,
        items: Sequence[ShipItem],
        notify: bool = True,
        progress: Callable[[ShipOutcome, int, int], None] | None = None,
    ) -> BulkShipResult:
        """Mark several orders shipped, one POST each, in turn (each exactly as ``ship``:
        never posted twice, a doubt settled by re-reading).

        The request as a whole is checked first: no orders, an order listed twice or a
        tracking number ``ship`` would refuse is one sentence and nothing is sent. Then an
        order that cannot be shipped (refused here or by Reverb, or lost on the way) is
        listed with its sentence and the rest go on; after Reverb refuses the token, or when
        it cannot be reached at all, the orders not yet sent are listed as not sent.
        ``progress(outcome, done, total)`` is called after each order."""
        from ..reverb.errors import AuthError, NetworkError

        checked = check_ship_items(items)
        outcomes: list[ShipOutcome] = []
        stop: str | None = None
        for item in checked:
            if stop is not None:
                outcome = ShipOutcome(item, False, f"Order {item.order_number} was not sent: "
                                      f"{stop}", 1)  # fmt: skip
            else:
                try:
                    res = await self.ship(
                        item.channel, item.order_number, item.tracking, item.provider, notify
                    )
                except AppError as exc:
                    outcome = ShipOutcome(item, False, str(exc), exc.exit_code)
                    cause = exc.__cause__
                    if isinstance(exc, AuthError):
                        stop = "Reverb refused the access token; reauthorise the integration."
                    elif isinstance(cause, NetworkError) and not cause.sent:
                        stop = "Reverb could not be reached."
                else:
                    o = res.row.order
                    text = f"Order {o.order_number} shipped with {res.provider} {res.tracking}."
                    if res.notes:
                        text += " " + " ".join(res.notes)
                    outcome = ShipOutcome(item, True, text, 0, res)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome, len(outcomes), len(checked))
        return BulkShipResult(outcomes)

    async def pickup(self, channel: str | int, order_number: str) -> PickupResult:
        """Mark a local pickup order picked up on Reverb, then store Reverb's answer.

        Like ``ship``: refused locally (one sentence, no request) unless the order is a paid
        local pickup order; the POST is never repeated, a doubt is settled by re-reading."""
        ctx = await asyncio.to_thread(self._ship_context, channel, order_number, pickup=True)
        done = frozenset({OrderStatus.PICKED_UP, OrderStatus.RECEIVED})
        data, reread, notes = await self._post_confirmed(
            ctx, "picked up", done, lambda client: client.mark_picked_up(ctx.order_number)
        )
        row = await asyncio.to_thread(
            self._record_done, ctx.order_id, data, OrderStatus.PICKED_UP, done, None, None
        )
        return PickupResult(row, reread, notes)

    async def _post_confirmed(
        self,
        ctx: _ShipContext,
        verb: str,
        done: frozenset[OrderStatus],
        post: Callable[[Any], Awaitable[Any]],
    ) -> tuple[dict[str, Any] | None, bool, list[str]]:
        """One non-idempotent POST about an order, and what Reverb says the order is now.

        Returns (the order as Reverb gave it or None, whether a re-read settled a doubt,
        notes). Raises one sentence when the order was not marked ``verb``: Reverb refused
        (exit 2), the request never left (exit 1), or it may have left and a re-read shows
        it did not take or cannot tell (exit 1). Nothing is posted twice."""
        from ..reverb.errors import (
            AuthError,
            BadResponseError,
            NetworkError,
            RefusedError,
            ReverbError,
            ServerError,
            describe_body,
        )

        n = ctx.order_number
        notes: list[str] = []
        reread = False
        data: dict[str, Any] | None
        client = self.client_factory(ctx.api_url, ctx.token, ctx.rate_limit)
        try:
            try:
                answer = await post(client)
            except RefusedError as exc:
                if isinstance(exc, AuthError):
                    await asyncio.to_thread(self._mark_reauth, ctx.channel_id, exc.message)
                    raise
                said = describe_body(exc.body) or exc.message
                raise UserError(
                    f"Reverb refused to mark order {n} {verb}: {said.rstrip('.')}."
                ) from exc
            except (NetworkError, ServerError, BadResponseError) as exc:
                if isinstance(exc, NetworkError) and not exc.sent:
                    raise ReverbError(
                        f"Order {n} was not marked {verb}: {exc.message.rstrip('.')}."
                    ) from exc
                # The POST may have reached Reverb: re-read, never post again blindly.
                try:
                    current = await client.get_order(n)
                except ReverbError as exc2:
                    raise ReverbError(
                        f"Marking order {n} {verb} may not have reached Reverb "
                        f"({exc.message.rstrip('.')}) and re-reading it failed too "
                        f"({exc2.message.rstrip('.')}); check the order on Reverb before "
                        "trying again."
                    ) from exc
                status = (payload.text(current.get("status")) or "").lower()
                if status not in done:
                    raise ReverbError(
                        f"Order {n} was not marked {verb} ({exc.message.rstrip('.')}); Reverb "
                        f"still shows it as {status or 'unknown'!r}. Nothing was retried; "
                        "try again."
                    ) from exc
                data = current
                reread = True
                notes.append(
                    f"Reverb's answer was lost ({exc.message.rstrip('.')}), but re-reading "
                    f"the order shows it {verb}."
                )
            else:
                data = _order_in_answer(answer)
                if data is None:
                    try:
                        data = await client.get_order(n)
                    except ReverbError as exc:
                        notes.append(
                            "Reverb accepted it, but re-reading the order failed "
                            f"({exc.message.rstrip('.')}); the next sync refreshes it."
                        )
                        log.warning("Re-reading order %s after marking it %s failed: %s",
                                    n, verb, exc)  # fmt: skip
        finally:
            await client.aclose()
        return data, reread, notes

    def _ship_context(
        self, channel: str | int, order_number: str, *, pickup: bool = False
    ) -> _ShipContext:
        number = (order_number or "").strip()
        if not number:
            raise UserError("The order number is empty.")
        with session_scope(self.engine) as s:
            ch = self._channel(s, channel)
            o = s.exec(
                select(Order).where(
                    col(Order.channel_id) == ch.id, col(Order.order_number) == number
                )
            ).first()
            if o is None:
                raise NotFound(f"There is no order {number!r} on {ch.name!r}.")
            refusal = pickup_refusal(o, ch) if pickup else ship_refusal(o, ch)
            if refusal:
                raise UserError(refusal)
            svc = s.get(ShippingService, o.shipping_service_id) if o.shipping_service_id else None
            return _ShipContext(
                channel_id=row_id(ch),
                channel_name=ch.name,
                api_url=ch.api_url,
                token=ch.token,
                rate_limit=ch.rate_limit,
                order_id=row_id(o),
                order_number=o.order_number,
                default_provider=(svc.carrier or "Other") if svc else "Other",
            )

    def _mark_reauth(self, channel_id: int, message: str) -> None:
        with session_scope(self.engine) as s:
            mark_needs_reauth(s, channel_id, message)

    def _record_done(
        self,
        order_id: int,
        data: dict[str, Any] | None,
        status_if_unsaid: OrderStatus,
        done: frozenset[OrderStatus],
        provider: str | None,
        tracking: str | None,
    ) -> OrderRow:
        """Store what Reverb said after a ship or pickup: its status (when it is one of
        ``done``), carrier, tracking and times; then the stock rules."""
        from ..sync.stock import apply_order_stock

        now = self.clock()
        data = data or {}
        with session_scope(self.engine) as s:
            o = s.get(Order, order_id)
            if o is None:
                raise NotFound("That order no longer exists.")
            status = (payload.text(data.get("status")) or "").lower()
            o.status = status if status in done else status_if_unsaid
            o.shipping_provider = (
                payload.text(data.get("shipping_provider")) or provider or o.shipping_provider
            )
            o.tracking_number = (
                payload.text(data.get("shipping_code")) or tracking or o.tracking_number
            )
            o.shipped_at = parse_ts(data.get("shipped_at")) or o.shipped_at or now
            # Only Reverb's own updated_at: a local clock here could hide its next change
            # from the downloader's "not older than ours" rule.
            o.updated_at = parse_ts(data.get("updated_at")) or o.updated_at
            s.add(o)
            s.flush()
            apply_order_stock(s, o, now)
            ch = s.get(Channel, o.channel_id)
            svc = s.get(ShippingService, o.shipping_service_id) if o.shipping_service_id else None
            return OrderRow(o, ch.name if ch else "", svc.name if svc else None)


def check_ship_items(items: Sequence[ShipItem]) -> list[ShipItem]:
    """A bulk ship request, cleaned, or one sentence on what is wrong with it (nothing is
    sent then): no orders, an order twice, an empty or unusable tracking number or carrier."""
    if not items:
        raise UserError("There are no orders to ship.")
    seen: set[tuple[str, str]] = set()
    cleaned = []
    for item in items:
        n = (item.order_number or "").strip()
        if not n:
            raise UserError("An order number is empty; nothing was sent.")
        key = (str(item.channel).strip().lower(), n)
        if key in seen:
            raise UserError(f"Order {n} is listed twice; nothing was sent.")
        seen.add(key)
        try:
            track = clean_tracking(item.tracking)
        except UserError as exc:
            raise UserError(f"{str(exc).rstrip('.')} (order {n}); nothing was sent.") from None
        provider = (item.provider or "").strip() or None
        cleaned.append(ShipItem(item.channel, n, track, provider))
    return cleaned


def read_ship_csv(path: str | os.PathLike[str], channel: str | int) -> list[ShipItem]:
    """A CSV of ``order_number,tracking_number[,provider]`` (a header line first) as ship
    items for ``channel``; one sentence naming the line when the file cannot be used."""
    from .inventory import _decode, _read_bytes

    source = Path(path)
    text_value = _decode(_read_bytes(source), str(source))
    rows = list(csv.reader(io.StringIO(text_value)))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise UserError(f"{str(source)!r} is empty; nothing was sent.")
    header = [c.strip().lower() for c in rows[0]]
    aliases = {"tracking": "tracking_number", "carrier": "provider", "order": "order_number"}
    header = [aliases.get(c, c) for c in header]
    for needed in ("order_number", "tracking_number"):
        if needed not in header:
            raise UserError(
                f"{str(source)!r} has no {needed} column; the first line must name the columns "
                "order_number,tracking_number and optionally provider."
            )
    at: dict[str, int] = {
        name: header.index(name)
        for name in ("order_number", "tracking_number", "provider")
        if name in header
    }
    items: list[ShipItem] = []
    lines: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = at.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        number = cell("order_number")
        if not number:
            raise UserError(f"Line {line} has no order number; nothing was sent.")
        if number in lines:
            raise UserError(
                f"Order {number} is on lines {lines[number]} and {line}; nothing was sent."
            )
        lines[number] = line
        tracking = cell("tracking_number")
        try:
            clean_tracking(tracking)
        except UserError as exc:
            raise UserError(
                f"Line {line} (order {number}): {str(exc)[0].lower()}{str(exc)[1:].rstrip('.')}; "
                "nothing was sent."
            ) from None
        items.append(ShipItem(channel, number, tracking, cell("provider") or None))
    if not items:
        raise UserError(f"{str(source)!r} lists no orders; nothing was sent.")
    return items


def clean_tracking(tracking: str | None) -> str:
    """A tracking number as sent to Reverb, or one sentence why it cannot be."""
    track = (tracking or "").strip()
    if not track:
        raise UserError("The tracking number is empty.")
    if len(track) > MAX_TRACKING:
        raise UserError(f"The tracking number is longer than {MAX_TRACKING} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in track):
        raise UserError("The tracking number contains control characters.")
    return track


EXPORT_COLUMNS = (
    "channel", "order_number", "status", "created_at", "paid_at", "shipped_at", "updated_at",
    "title", "product_id", "channel_sku", "sku", "kit", "quantity", "unit_price", "shipping",
    "total", "currency", "channel_shipping_method", "shipping_service", "shipping_provider",
    "tracking_number", "buyer_name", "uuid",
)  # fmt: skip
EXPORT_BATCH = 1000


def decimal_amount(cents: int | None) -> Decimal | None:
    """Reverb's hundredths as a decimal amount: ``123456`` -> ``1234.56``."""
    return None if cents is None else Decimal(int(cents)).scaleb(-2)


def export_row(r: Any) -> list[Any]:
    """One order's CSV cells, in ``EXPORT_COLUMNS`` order, each through ``csv_cell``."""
    values = (
        r.channel_name, r.order_number, r.status, iso(r.created_at), iso(r.paid_at),
        iso(r.shipped_at), iso(r.updated_at), r.title, r.product_id, r.channel_sku, r.sku,
        r.kit, r.quantity, decimal_amount(r.unit_cents), decimal_amount(r.shipping_cents),
        decimal_amount(r.total_cents), r.currency, r.channel_shipping_method, r.service_name,
        r.shipping_provider, r.tracking_number, r.buyer_name, r.uuid,
    )  # fmt: skip
    return [csv_cell(v) for v in values]


def parse_since(value: str | datetime | None) -> datetime | None:
    """``--since``: a date (midnight UTC) or an ISO 8601 time; one sentence when neither."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    text_value = value.strip()
    if not text_value:
        raise UserError("The date after --since is empty.")
    found = parse_ts(text_value)
    if found is None:
        raise UserError(
            f"{text_value!r} is not a date; give one as YYYY-MM-DD (or an ISO 8601 time)."
        )
    return found


def _export_target(target: Path, overwrite: bool) -> Path:
    """The folder to write in, or one sentence why ``target`` cannot be written."""
    if not str(target).strip() or target.name in ("", ".", ".."):
        raise UserError("The file name is empty.")
    if target.is_dir():
        raise UserError(f"{str(target)!r} is a directory; give a file name.")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"The folder {str(parent)!r} does not exist.")
    if target.exists() and not overwrite:
        raise UserError(_exists_text(target))
    return parent


def _exists_text(target: Path) -> str:
    return f"The file {str(target)!r} already exists; nothing was written (--force replaces it)."


def _make_temp(parent: Path, target: Path) -> str:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=parent)
    except PermissionError:
        raise UserError(f"Cannot write in {str(parent)!r}: permission denied.") from None
    except OSError as exc:
        raise AppError(f"Cannot write in {str(parent)!r}: {exc.strerror}.") from None
    os.close(fd)
    return tmp


def _move_into_place(tmp: str, target: Path, overwrite: bool) -> None:
    """Rename the finished file onto ``target``; without ``overwrite`` a file that appeared
    there meanwhile is kept (a hard link fails rather than replace it)."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise UserError(_exists_text(target)) from None
    except OSError:
        # A file system without hard links: the check before writing has to do.
        if target.exists():
            raise UserError(_exists_text(target)) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _list_row(r: Row[Any]) -> OrderRow:
    # A Core row with Order's attributes, read-only (see OrderRow).
    return OrderRow(cast(Order, r), r.channel_name, r.service_name)


def _address(raw: str | None) -> dict[str, Any] | None:
    """Name and place of the shipping address from the stored raw order, when there is one."""
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    addr = doc.get("shipping_address") if isinstance(doc, dict) else None
    if not isinstance(addr, dict):
        return None
    keys = ("name", "display_location", "locality", "region", "postal_code", "country_code")
    return {k: addr[k] for k in keys if isinstance(addr.get(k), str | int)}
