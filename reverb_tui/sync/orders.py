"""Order download: walk ``/my/orders/selling/all`` incrementally and upsert idempotently.

The rules (docs/user-guide.md "How the sync works"):

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

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ..clock import Clock, parse_ts, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, Order, fold, table_of
from ..reverb.client import PER_PAGE, ReverbClient
from ..reverb.payload import next_href, positive, text

log = logging.getLogger("reverb_tui.sync")

ORDERS_PATH = "/my/orders/selling/all"
OVERLAP = timedelta(minutes=10)
MAX_WALKS = 3  # concurrent walks before the last, sequential one
PAGE_CONCURRENCY = 4  # pages asked for at once by a client that does not say


@dataclass
class OrdersResult:
    new: int = 0
    updated: int = 0
    pages: int = 0
    walks: int = 0
    seen: int = 0
    # Orders that could not be stored, once each however often a walk saw them.
    skipped: list[Skipped] = field(default_factory=list)
    cursor: datetime | None = None
    complete: bool = False
    # Local SKUs (folded) whose stock the stored orders may have moved: new orders, and
    # orders whose status or quantity changed.
    skus: set[str] = field(default_factory=set)


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


@dataclass(frozen=True)
class Skipped:
    """A record Reverb sent that could not be stored: which one, and why (one sentence)."""

    item: str  # "order <uuid>", "order #<number>", "listing <id>", or where it was on its page
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


# Money fields an order may carry: when one is present, it must read as an amount.
_MONEY_FIELDS = (("total", "total"), ("amount_product", "price"), ("shipping", "shipping"))


def preview(value: Any, limit: int = 40) -> str:
    out = repr(value)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def order_label(raw: Any, position: int, page: int | None = None) -> str:
    """How the log names an order: its uuid, else its number, else its place on the page."""
    if isinstance(raw, dict):
        uuid = text(raw.get("uuid"))
        if uuid:
            return f"order {uuid}"
        number = text(raw.get("order_number"))
        if number:
            return f"order #{number}"
    where = f"page {page}" if page is not None else "its page"
    return f"order at position {position} of {where} (no uuid or order number)"


def order_problem(raw: Any) -> str | None:
    """Why this order object cannot be stored, as a sentence; None when it can."""
    if not isinstance(raw, dict):
        return f"Reverb sent {preview(raw)} where an order was expected; it was not stored."
    if text(raw.get("order_number")) is None:
        return "It has no order number, so it was not stored."
    for key, label in _MONEY_FIELDS:
        value = raw.get(key)
        if value is not None and _cents(value) is None:
            return f"Its {label} {preview(value)} is not an amount of money; it was not stored."
    return None


def parse_order(raw: Any) -> dict[str, Any] | None:
    """The stored fields of one order object; None when it cannot be stored (see
    ``order_problem`` for why)."""
    if not isinstance(raw, dict) or order_problem(raw) is not None:
        return None
    number = text(raw.get("order_number"))
    assert number is not None  # order_problem checked it
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
    engine,
    channel_id: int,
    raws: list[Any],
    now: datetime,
    skus: set[str] | None = None,
    page: int | None = None,
) -> tuple[int, int, list[Skipped]]:
    """Upsert one page of orders in one transaction. Returns (new, updated, the orders that
    could not be stored).

    Safe to call again with the same page (a retry or an overlap): an order already stored is
    updated only when Reverb's copy is not older than ours. Local SKU, kit and shipping
    service are set only on first download (mappings affect only orders downloaded after
    they were saved).
    """
    from ..db.models import ShippingMapping
    from .stock import SkuResolver, apply_stock_bulk

    parsed: list[dict[str, Any]] = []
    errors: list[Skipped] = []
    for position, raw in enumerate(raws, 1):
        problem = order_problem(raw)
        data = None if problem is not None else parse_order(raw)
        if data is None:
            # Each one by itself, named, so the seller can look it up on Reverb.
            label = order_label(raw, position, page)
            errors.append(Skipped(label, problem or "It was not stored."))
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
    t = table_of(Order)
    with session_scope(engine) as s:
        # A page is a handful of statements, not a few per order: the stored copies read
        # once, the new orders inserted in one statement, the changed ones updated in one
        # executemany, the stock ledger applied for the page at once (apply_stock_bulk).
        existing = {
            row.order_number: row
            for row in s.execute(
                select(t.c.id, t.c.order_number, t.c.sku, t.c.kit, *(t.c[k] for k in UPDATABLE))
                .where(t.c.channel_id == channel_id)
                .where(t.c.order_number.in_(list(by_number)))
            )
        }
        fresh = [d for n, d in by_number.items() if n not in existing]
        inserts: list[dict[str, Any]] = []
        if fresh:
            keys = {fold(d["channel_sku"]) for d in fresh if d["channel_sku"]}
            resolve_sku = SkuResolver(s, channel_id, keys)
            services: dict[str, int] = {}
            if any(d["channel_shipping_method"] for d in fresh):
                services = dict(
                    s.exec(
                        select(
                            ShippingMapping.channel_service, ShippingMapping.shipping_service_id
                        ).where(col(ShippingMapping.channel_id) == channel_id)
                    ).all()
                )
            for data in fresh:
                sku, kit = resolve_sku(data["channel_sku"])
                method = (data["channel_shipping_method"] or "").strip()
                inserts.append(
                    {
                        **data,
                        "channel_id": channel_id,
                        "sku": sku,
                        "kit": kit,
                        "shipping_service_id": services.get(method) if method else None,
                        "first_seen_at": now,
                    }
                )
        changes: list[dict[str, Any]] = []
        touched: list[_Facts] = []
        for number, data in by_number.items():
            row = existing.get(number)
            if row is None:
                continue
            if not _newer_or_same(data.get("updated_at"), row.updated_at):
                continue  # a stale copy from a shifted page: keep ours
            values = {key: getattr(row, key) for key in UPDATABLE}
            changed = False
            for key in UPDATABLE:
                value = data[key]
                if value is None and key in ("created_at", "paid_at", "shipped_at"):
                    continue  # never forget a timestamp we knew
                if values[key] != value:
                    values[key] = value
                    changed = True
            if changed:
                changes.append({"b_id": row.id, **{f"b_{k}": v for k, v in values.items()}})
                touched.append(_Facts(row.id, row.sku, row.kit, values))
        ids: dict[str, int] = {}
        if inserts:
            # One executemany: SQLAlchemy sends it as batched INSERT .. VALUES .. RETURNING
            # with a statement it compiles once (a literal multi-row VALUES would not cache).
            ids = {
                n: i for i, n in s.execute(insert(t).returning(t.c.id, t.c.order_number), inserts)
            }
            new = len(inserts)
            for values in inserts:
                touched.append(
                    _Facts(ids[values["order_number"]], values["sku"], values["kit"], values)
                )
        if changes:
            s.execute(
                update(t)
                .where(t.c.id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in UPDATABLE}),
                changes,
            )
            updated = len(changes)
        apply_stock_bulk(s, touched, now, fresh=set(ids.values()) if inserts else ())
        if skus is not None:
            skus.update(fold(f.sku) for f in touched if f.sku)
    return new, updated, errors


class _Facts:
    """What the stock rules read of one stored order (``stock.StockFacts``)."""

    __slots__ = (
        "created_at", "id", "kit", "paid_at", "quantity", "shipped_at", "sku", "status",
    )  # fmt: skip

    def __init__(self, oid: int, sku: str | None, kit: int, values: dict[str, Any]) -> None:
        self.id = oid
        self.sku = sku
        self.kit = kit or 1
        self.status = values["status"] or ""
        self.quantity = values["quantity"]
        self.paid_at = values["paid_at"]
        self.created_at = values["created_at"]
        self.shipped_at = values["shipped_at"]


def _newer_or_same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return True
    return a >= b


def store_with_retry(
    engine,
    channel_id: int,
    raws: list[Any],
    now: datetime,
    skus: set[str] | None = None,
    page: int | None = None,
) -> tuple[int, int, list[Skipped]]:
    """``store_orders`` retried when another writer raced us, held the database lock, or
    deadlocked with us (sync/retry.py): a bounded number of times, backing off."""
    from sqlalchemy.exc import DBAPIError

    from .retry import transient

    delay = 0.2
    for attempt in range(6):
        try:
            return store_orders(engine, channel_id, raws, now, skus, page)
        except IntegrityError:
            if attempt >= 2:
                raise
        except DBAPIError as exc:
            if not transient(exc) or attempt >= 5:
                raise
            log.info("storing orders of channel %s again after: %s", channel_id, exc.orig)
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
    unencoded link would turn into a space (docs/reverb-api-notes.md)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


class OrderDownloader:
    """Downloads one channel's orders. One instance per channel per sync."""

    def __init__(
        self,
        client: ReverbClient,
        engine,
        channel_id: int,
        *,
        clock: Clock = utcnow,
        on_progress: Callable[[WalkProgress], None] | None = None,
        stop: asyncio.Event | None = None,
        overlap: timedelta = OVERLAP,
        concurrency: int | None = None,
        fetched: asyncio.Event | None = None,
    ) -> None:
        self.client = client
        self.engine = engine
        self.channel_id = channel_id
        self.clock = clock
        self.on_progress = on_progress
        self.stop = stop
        self.overlap = overlap
        self.concurrency = None if concurrency is None else max(1, concurrency)
        self.result = OrdersResult()
        # Set once every page of the walk that completes has been downloaded (its last pages
        # may still be waiting to be stored: ``unstored``).
        self.fetched = fetched if fetched is not None else asyncio.Event()
        self._unstored: dict[int, list[Any]] = {}  # delivery number -> its orders
        self._delivered = 0

    def unstored(self) -> list[Any]:
        """The orders downloaded but not stored yet (the page being stored included)."""
        return [o for orders in self._unstored.values() for o in orders]

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
        result = self.result = OrdersResult()  # readable after a failed walk too
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
        """One walk of every page. Pages are stored one at a time, in order of arrival, by a
        single storer (one short transaction per page, in a thread) while the next pages
        download: the database never holds the network back, and writers never contend."""
        params = {"updated_start_date": _fmt(start), "per_page": PER_PAGE, "page": 1}
        first = await self._fetch(ORDERS_PATH, params)
        total = first.get("total")
        total_pages = positive(first.get("total_pages"), 1) if first.get("total_pages") else None
        max_updated: datetime | None = None
        seen = 0
        pages_done = 0
        stored: asyncio.Queue[tuple[int, dict[str, Any]] | None] = asyncio.Queue()
        self._unstored.clear()

        async def absorb(body: dict[str, Any]) -> None:
            nonlocal max_updated, seen, pages_done
            orders = body.get("orders") or []
            now = self.clock()
            new, updated, errors = await asyncio.to_thread(
                store_with_retry,
                self.engine,
                self.channel_id,
                orders,
                now,
                result.skus,
                positive(body.get("current_page"), 0) or None,
            )
            result.new += new
            result.updated += updated
            # A repeated walk (or an overlap) sees the same broken order again.
            result.skipped.extend(e for e in errors if e not in result.skipped)
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

        async def storer() -> None:
            while (item := await stored.get()) is not None:
                key, body = item
                try:
                    await absorb(body)
                finally:
                    self._unstored.pop(key, None)

        def deliver(body: dict[str, Any]) -> None:
            orders = body.get("orders")
            self._delivered += 1
            key = self._delivered
            self._unstored[key] = orders if isinstance(orders, list) else []
            stored.put_nowait((key, body))

        storing = asyncio.create_task(storer())
        deliver(first)
        try:
            shifted = await self._download(
                first, params, total, total_pages, deliver, sequential, storing
            )
        except Exception:
            # Keep what was downloaded (the cursor does not move, so nothing is skipped).
            stored.put_nowait(None)
            await asyncio.gather(storing, return_exceptions=True)
            raise
        except BaseException:
            storing.cancel()
            await asyncio.gather(storing, return_exceptions=True)
            raise
        if not shifted:
            self.fetched.set()  # this walk is the last: what it needs is downloaded
        stored.put_nowait(None)
        await storing
        if shifted:
            raise WalkShifted()
        return max_updated

    async def _download(
        self,
        first: dict[str, Any],
        params: dict[str, Any],
        total: Any,
        total_pages: int | None,
        deliver: Callable[[dict[str, Any]], None],
        sequential: bool,
        storing: asyncio.Task[None],
    ) -> bool:
        """Fetch the pages after ``first`` and hand each to ``deliver``; True when a page's
        ``total`` differed from the first's (the walk shifted). Stops early if the storer
        failed (its error is raised by the caller)."""
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
                    if storing.done():
                        break
                    if body is first:
                        continue  # delivered already
                    deliver(body)
                    if not body.get("orders"):
                        break
            return False

        if total_pages <= 1:
            return False
        href = next_href(first)
        template = self.client.url(href) if href else None
        sem = asyncio.Semaphore(self.concurrency or _offered(self.client))
        shifted = False

        async def one(page: int) -> None:
            nonlocal shifted
            async with sem:
                if shifted or storing.done():
                    return
                if template is not None:
                    body = await self._fetch(_page_url(template, page))
                else:
                    body = await self._fetch(ORDERS_PATH, {**params, "page": page})
            if body.get("total") != total:
                shifted = True
            deliver(body)

        tasks = [asyncio.create_task(one(p)) for p in range(2, total_pages + 1)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return shifted


def _offered(client: Any) -> int:
    """Pages requested at once: as many as the client may have in flight (it decides how
    many go, from its read budget and the round trip)."""
    return max(1, int(getattr(client, "max_concurrency", PAGE_CONCURRENCY)))
