"""The order book: paged queries, order JSON, detail, "apply current mappings", mark shipped.

Shared by the TUI (Orders screen, order detail) and the CLI (``reverb-tui orders …``). No
Textual here. Database functions are synchronous; ``ship`` talks to Reverb and is async.

Paging is keyset paging on ``(created_at DESC, id DESC)`` with every filter in SQL, so the
first page, any later page and a count stay fast with 100,000 orders (migration 0003 holds
the indexes). Orders without ``created_at`` come after all dated ones, newest id first.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
from ..errors import NotFound, UserError
from ..reverb import payload
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
class _ShipContext:
    channel_id: int
    channel_name: str
    api_url: str
    token: str
    rate_limit: float
    order_id: int
    order_number: str
    default_provider: str


def ship_refusal(order: Order, channel: Channel) -> str | None:
    """Why this order cannot be marked shipped now (one sentence), or None."""
    if channel.removed_at is not None:
        return f"The integration {channel.name!r} was removed."
    if not channel.enabled:
        return (
            f"The integration {channel.name!r} is disabled; enable it before marking orders "
            "shipped."
        )
    status = (order.status or "").strip().lower()
    n = order.order_number
    if status in SHIPPED:
        return f"Order {n} is already {status.replace('_', ' ')}."
    if status in UNDONE:
        return f"Order {n} is {status}; it cannot be shipped."
    if status not in SHIPPABLE:
        return f"Order {n} is {status or 'without a status'!r}; Reverb ships only paid orders."
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
                "shipping_address": _address(o.raw),
            }
        )
        return doc

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
        from ..reverb.errors import (
            AuthError,
            BadResponseError,
            NetworkError,
            RefusedError,
            ReverbError,
            ServerError,
        )

        track = (tracking or "").strip()
        if not track:
            raise UserError("The tracking number is empty.")
        if len(track) > MAX_TRACKING:
            raise UserError(f"The tracking number is longer than {MAX_TRACKING} characters.")
        if any(ord(c) < 32 for c in track):
            raise UserError("The tracking number contains control characters.")
        chosen = None
        if provider is not None:
            if not provider.strip():
                raise UserError("The shipping provider is empty.")
            chosen = canonical_provider(provider)
        ctx = await asyncio.to_thread(self._ship_context, channel, order_number)
        prov = chosen or ctx.default_provider
        n = ctx.order_number
        notes: list[str] = []
        reread = False
        client = self.client_factory(ctx.api_url, ctx.token, ctx.rate_limit)
        try:
            try:
                answer = await client.ship_order(n, prov, track, notify)
            except RefusedError as exc:
                if isinstance(exc, AuthError):
                    await asyncio.to_thread(self._mark_reauth, ctx.channel_id, exc.message)
                    raise
                from ..reverb.errors import describe_body

                said = describe_body(exc.body) or exc.message
                raise UserError(
                    f"Reverb refused to mark order {n} shipped: {said.rstrip('.')}."
                ) from exc
            except (NetworkError, ServerError, BadResponseError) as exc:
                if isinstance(exc, NetworkError) and not exc.sent:
                    raise ReverbError(
                        f"Order {n} was not marked shipped: {exc.message.rstrip('.')}."
                    ) from exc
                # The POST may have reached Reverb: re-read, never post again blindly.
                try:
                    current = await client.get_order(n)
                except ReverbError as exc2:
                    raise ReverbError(
                        f"Marking order {n} shipped may not have reached Reverb "
                        f"({exc.message.rstrip('.')}) and re-reading it failed too "
                        f"({exc2.message.rstrip('.')}); check the order on Reverb before "
                        "trying again."
                    ) from exc
                status = (payload.text(current.get("status")) or "").lower()
                if status not in SHIPPED:
                    raise ReverbError(
                        f"Order {n} was not marked shipped ({exc.message.rstrip('.')}); Reverb "
                        f"still shows it as {status or 'unknown'!r}. Nothing was retried; "
                        "try again."
                    ) from exc
                data: dict[str, Any] | None = current
                reread = True
                notes.append(
                    f"Reverb's answer was lost ({exc.message.rstrip('.')}), but re-reading "
                    "the order shows it shipped."
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
                        log.warning("Re-reading order %s after shipping failed: %s", n, exc)
        finally:
            await client.aclose()
        row = await asyncio.to_thread(self._record_shipped, ctx.order_id, data, prov, track)
        return ShipResult(row, prov, track, notify, reread, notes)

    def _ship_context(self, channel: str | int, order_number: str) -> _ShipContext:
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
            refusal = ship_refusal(o, ch)
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

    def _record_shipped(
        self, order_id: int, data: dict[str, Any] | None, provider: str, tracking: str
    ) -> OrderRow:
        from ..sync.stock import apply_order_stock

        now = self.clock()
        data = data or {}
        with session_scope(self.engine) as s:
            o = s.get(Order, order_id)
            if o is None:
                raise NotFound("That order no longer exists.")
            status = (payload.text(data.get("status")) or "").lower()
            o.status = status if status in SHIPPED else OrderStatus.SHIPPED
            o.shipping_provider = payload.text(data.get("shipping_provider")) or provider
            o.tracking_number = payload.text(data.get("shipping_code")) or tracking
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
