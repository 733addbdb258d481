"""Order download: walk ``/my/orders/selling/all`` incrementally and upsert idempotently.

The rules (PRODUCT.md section 3, "Orders" and "Reverb API manners"):

- poll by ``updated_start_date`` from the channel's cursor minus an overlap (the first sync
  starts at the channel's "download orders since");
- walk every page (50 a page), following ``_links.next.href`` on the site's own host, falling
  back to ``page+1`` while ``current_page < total_pages``;
- pages after the first are fetched concurrently, so a sale landing mid-walk could make an
  old order slide across a page boundary unseen; every page reports ``total`` and a walk in
  which any page's total differs from the first page's is *incomplete*: it is repeated (a
  bounded number of times, the last one sequential, which can only see duplicates), and the
  cursor never moves past an incomplete walk;
- upsert by (channel, order_number): overlap, retries, shifts and re-runs never duplicate or
  lose an order; the local SKU, kit and shipping service are frozen at first download.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select

from ..clock import Clock, parse_ts, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, Order
from ..domain import SALE, UNDONE
from ..reverb.client import PER_PAGE, ReverbClient
from ..reverb.payload import next_href, positive, text

log = logging.getLogger("reverb_tui.sync")

ORDERS_PATH = "/my/orders/selling/all"
OVERLAP = timedelta(minutes=10)
MAX_WALKS = 3  # concurrent walks before the last, sequential one
PAGE_CONCURRENCY = 4


@dataclass
class OrdersResult:
    new: int = 0
    updated: int = 0
    pages: int = 0
    walks: int = 0
    seen: int = 0
    errors: list[str] = field(default_factory=list)
    cursor: datetime | None = None
    complete: bool = False


@dataclass
class WalkProgress:
    pages_done: int
    pages_total: int
    orders_seen: int


class WalkShifted(Exception):
    """A page reported a different ``total`` than the first: orders moved during the walk."""


class WalkStopped(Exception):
    """A stop was requested between pages."""


# -- parsing ------------------------------------------------------------------------------------


def _cents(money: Any) -> int | None:
    if not isinstance(money, dict):
        return None
    cents = money.get("amount_cents")
    if isinstance(cents, int) and not isinstance(cents, bool):
        return cents
    if isinstance(cents, str) and cents.strip().lstrip("-").isdigit():
        return int(cents)
    amount = money.get("amount")
    if isinstance(amount, int | float | str):
        try:
            return int((Decimal(str(amount)) * 100).to_integral_value())
        except InvalidOperation:
            return None
    return None


def _currency(*moneys: Any) -> str | None:
    for m in moneys:
        if isinstance(m, dict) and isinstance(m.get("currency"), str) and m["currency"]:
            return m["currency"]
    return None


def parse_order(raw: Any) -> dict[str, Any] | None:
    """The stored fields of one order object; None when it has no order number."""
    if not isinstance(raw, dict):
        return None
    number = text(raw.get("order_number"))
    if number is None:
        return None
    buyer = text(raw.get("buyer_name")) or " ".join(
        p for p in (text(raw.get("buyer_first_name")), text(raw.get("buyer_last_name"))) if p
    )
    return {
        "order_number": number,
        "uuid": text(raw.get("uuid")),
        "status": text(raw.get("status")) or "unknown",
        "product_id": text(raw.get("product_id")),
        "title": text(raw.get("title")),
        "channel_sku": text(raw.get("sku")),
        "quantity": positive(raw.get("quantity"), 1),
        "unit_cents": _cents(raw.get("amount_product")),
        "total_cents": _cents(raw.get("total")),
        "shipping_cents": _cents(raw.get("shipping")),
        "currency": _currency(
            raw.get("total"), raw.get("amount_product"), raw.get("amount_product_subtotal")
        ),
        "channel_shipping_method": text(raw.get("shipping_method")),
        "buyer_name": buyer or None,
        "shipping_provider": text(raw.get("shipping_provider")),
        "tracking_number": text(raw.get("shipping_code")),
        "created_at": parse_ts(raw.get("created_at")),
        "updated_at": parse_ts(raw.get("updated_at")),
        "paid_at": parse_ts(raw.get("paid_at")),
        "shipped_at": parse_ts(raw.get("shipped_at")),
    }


UPDATABLE = (
    "uuid", "status", "product_id", "title", "channel_sku", "quantity", "unit_cents",
    "total_cents", "shipping_cents", "currency", "channel_shipping_method", "buyer_name",
    "shipping_provider", "tracking_number", "created_at", "updated_at", "paid_at", "shipped_at",
)  # fmt: skip


# -- storing ------------------------------------------------------------------------------------


def store_orders(
    engine, channel_id: int, raws: list[Any], now: datetime
) -> tuple[int, int, list[str]]:  # noqa: ANN001
    """Upsert one page of orders in one transaction. Returns (new, updated, item errors).

    Safe to call again with the same page (a retry or an overlap): an order already stored is
    updated only when Reverb's copy is not older than ours. Local SKU, kit and shipping
    service are set only on first download (the seed's rule: mappings affect only orders
    downloaded after they were saved).
    """
    from ..db.models import ShippingMapping
    from .stock import SkuResolver, apply_order_stock

    parsed: list[dict[str, Any]] = []
    errors: list[str] = []
    for raw in raws:
        data = parse_order(raw)
        if data is None:
            errors.append("An order without an order number was skipped.")
            continue
        parsed.append(data)
    # The same order twice on one page (a shift) keeps the newest copy.
    by_number: dict[str, dict[str, Any]] = {}
    for data in parsed:
        prev = by_number.get(data["order_number"])
        if prev is None or _newer_or_same(data.get("updated_at"), prev.get("updated_at")):
            by_number[data["order_number"]] = data
    new = updated = 0
    if not by_number:
        return new, updated, errors
    with session_scope(engine) as s:
        # A page costs a handful of queries, not a few per order: SKUs, shipping mappings
        # and the stored copies are read once, the new orders flushed together.
        existing = {
            o.order_number: o
            for o in s.exec(
                select(Order).where(
                    col(Order.channel_id) == channel_id,
                    col(Order.order_number).in_(list(by_number)),
                )
            ).all()
        }
        resolve_sku = SkuResolver(s, channel_id)
        services = dict(
            s.exec(
                select(ShippingMapping.channel_service, ShippingMapping.shipping_service_id).where(
                    col(ShippingMapping.channel_id) == channel_id
                )
            ).all()
        )
        touched: list[Order] = []
        for number, data in by_number.items():
            order = existing.get(number)
            if order is None:
                sku, kit = resolve_sku(data["channel_sku"])
                method = (data["channel_shipping_method"] or "").strip()
                order = Order(
                    channel_id=channel_id,
                    sku=sku,
                    kit=kit,
                    shipping_service_id=services.get(method) if method else None,
                    first_seen_at=now,
                    **data,
                )
                s.add(order)
                new += 1
                # A new order can only move stock by taking it now (it has no moves yet).
                status = (order.status or "").strip().lower()
                if sku and (status in SALE or status in UNDONE):
                    touched.append(order)
            else:
                if not _newer_or_same(data.get("updated_at"), order.updated_at):
                    continue  # a stale copy from a shifted page: keep ours
                changed = False
                for key in UPDATABLE:
                    value = data[key]
                    if value is None and key in ("created_at", "paid_at", "shipped_at"):
                        continue  # never forget a timestamp we knew
                    if getattr(order, key) != value:
                        setattr(order, key, value)
                        changed = True
                if changed:
                    s.add(order)
                    updated += 1
                    touched.append(order)
        s.flush()
        for order in touched:
            apply_order_stock(s, order, now)
    return new, updated, errors


def _newer_or_same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return True
    return a >= b


def store_with_retry(
    engine, channel_id: int, raws: list[Any], now: datetime
) -> tuple[int, int, list[str]]:  # noqa: ANN001
    """``store_orders`` retried when another writer raced us or held the database lock."""
    delay = 0.2
    for attempt in range(6):
        try:
            return store_orders(engine, channel_id, raws, now)
        except IntegrityError:
            if attempt >= 2:
                raise
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt >= 5:
                raise
        import time

        time.sleep(delay)
        delay *= 2
    raise RuntimeError("unreachable")


# -- walking ------------------------------------------------------------------------------------


def _page_url(template: str, page: int) -> str:
    parts = urlsplit(template)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _fmt(dt: datetime) -> str:
    """UTC as ``2026-01-31T12:00:00-00:00``: Reverb's own example form, and no ``+`` that an
    unencoded link would turn into a space (reverb-api.md section 1.3)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


class OrderDownloader:
    """Downloads one channel's orders. One instance per channel per sync."""

    def __init__(
        self,
        client: ReverbClient,
        engine,  # noqa: ANN001
        channel_id: int,
        *,
        clock: Clock = utcnow,
        on_progress: Callable[[WalkProgress], None] | None = None,
        stop: asyncio.Event | None = None,
        overlap: timedelta = OVERLAP,
        concurrency: int = PAGE_CONCURRENCY,
    ) -> None:
        self.client = client
        self.engine = engine
        self.channel_id = channel_id
        self.clock = clock
        self.on_progress = on_progress
        self.stop = stop
        self.overlap = overlap
        self.concurrency = max(1, concurrency)

    def _start(self) -> datetime:
        with session_scope(self.engine) as s:
            ch = s.get(Channel, self.channel_id)
            if ch is None:
                raise LookupError("channel vanished")
            if ch.order_cursor is not None:
                return max(ch.order_cursor - self.overlap, ch.orders_since)
            return ch.orders_since

    def _save_cursor(self, cursor: datetime) -> None:
        with session_scope(self.engine) as s:
            ch = s.get(Channel, self.channel_id)
            if ch is not None and (ch.order_cursor is None or cursor > ch.order_cursor):
                ch.order_cursor = cursor
                s.add(ch)

    async def run(self) -> OrdersResult:
        result = OrdersResult()
        start = await asyncio.to_thread(self._start)
        for walk in range(1, MAX_WALKS + 2):
            sequential = walk > MAX_WALKS
            result.walks = walk
            try:
                max_updated = await self._walk(start, result, sequential=sequential)
            except WalkShifted:
                log.info(
                    "order walk %d of channel %s saw orders move; walking again",
                    walk,
                    self.channel_id,
                )
                continue
            result.complete = True
            if max_updated is not None:
                result.cursor = max_updated
                await asyncio.to_thread(self._save_cursor, max_updated)
            return result
        raise AssertionError("the sequential walk cannot shift")  # pragma: no cover

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise WalkStopped()

    async def _fetch(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._check_stop()
        return await self.client.page(url, params, items="orders")

    async def _walk(
        self, start: datetime, result: OrdersResult, *, sequential: bool
    ) -> datetime | None:
        params = {"updated_start_date": _fmt(start), "per_page": PER_PAGE, "page": 1}
        first = await self._fetch(ORDERS_PATH, params)
        total = first.get("total")
        total_pages = positive(first.get("total_pages"), 1) if first.get("total_pages") else None
        max_updated: datetime | None = None
        seen = 0
        pages_done = 0

        async def absorb(body: dict[str, Any]) -> None:
            nonlocal max_updated, seen, pages_done
            orders = body.get("orders") or []
            now = self.clock()
            new, updated, errors = await asyncio.to_thread(
                store_with_retry, self.engine, self.channel_id, orders, now
            )
            result.new += new
            result.updated += updated
            result.errors.extend(e for e in errors if e not in result.errors)
            result.pages += 1
            pages_done += 1
            seen += len(orders)
            result.seen = max(result.seen, seen)
            for raw in orders:
                ts = parse_ts(raw.get("updated_at")) if isinstance(raw, dict) else None
                if ts is not None and (max_updated is None or ts > max_updated):
                    max_updated = ts
            if self.on_progress is not None:
                self.on_progress(WalkProgress(pages_done, total_pages or pages_done, seen))

        await absorb(first)

        if sequential or total_pages is None:
            # Follow the links one page at a time: a shift can only repeat an order here.
            # A server that keeps sending "next" forever must not keep us forever.
            walk = self.client.pages(
                ORDERS_PATH,
                params,
                items="orders",
                max_pages=2 * total_pages + 5 if total_pages else 100_000,
                first=first,
                before_request=self._check_stop,
            )
            async with aclosing(walk) as pages:
                async for body in pages:
                    if body is first:
                        continue  # absorbed above
                    await absorb(body)
                    if not body.get("orders"):
                        break
            return max_updated

        if total_pages <= 1:
            return max_updated
        href = next_href(first)
        template = self.client.url(href) if href else None
        sem = asyncio.Semaphore(self.concurrency)
        shifted = False

        async def one(page: int) -> None:
            nonlocal shifted
            async with sem:
                if shifted:
                    return
                if template is not None:
                    body = await self._fetch(_page_url(template, page))
                else:
                    body = await self._fetch(ORDERS_PATH, {**params, "page": page})
                if body.get("total") != total:
                    shifted = True
                await absorb(body)

        tasks = [asyncio.create_task(one(p)) for p in range(2, total_pages + 1)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if shifted:
            raise WalkShifted()
        return max_updated
