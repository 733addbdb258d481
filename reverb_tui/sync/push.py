"""Listings download and the stock push (docs/user-guide.md "Stock rules").

Network work is async (the ``ReverbClient`` limits its own rate and concurrency); database
work runs in a thread with one short session per page or batch. The push is diff-only: a
listing is written only when the inventory Reverb last reported differs from the value it
should show, so an unchanged catalogue costs no writes, and a push killed half-way converges
on the next run (every PUT is an absolute value, so repeating one is harmless).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, update
from sqlmodel import col, select

from ..clock import Clock, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, Listing, fold, row_id, table_of
from ..domain import PlanAction
from ..reverb.client import PER_PAGE
from ..reverb.errors import AuthError, ForbiddenError, ReverbError, ValidationError
from ..reverb.payload import integer, next_href, positive, text
from .orders import Skipped, _page_url, preview
from .stock import QuantityRules, SkuResolver, quantity_for, stock_levels

ProgressFn = Callable[[int, int], Any]
ErrorFn = Callable[[str, str], Any]

BATCH = 50  # listings stored per database transaction
MAX_PAGES = 10_000  # a runaway "next" chain stops here
PREFETCH = 8  # listing pages downloaded ahead of the one being stored
LISTINGS_PATH = "/my/listings"

# Conditions that can hold more than one unit and relist automatically when stock returns
# (docs/reverb-api-notes.md): Brand New, B-Stock, Mint (with inventory). Every other
# condition is one-of-a-kind. Matched on uuid, slug or display name.
MULTI_UNIT_UUIDS = frozenset(
    {
        "7c3f45de-2ae0-4c81-8400-fdb6b1d74890",  # Brand New
        "9225283f-60c2-4413-ad18-1f5eba7a856f",  # B-Stock
        "6db7df88-293b-4017-a1c1-cdb5e599fa1a",  # Mint (with inventory)
    }
)
MULTI_UNIT_NAMES = frozenset({"brandnew", "new", "bstock", "mintwithinventory", "mintinventory"})


@dataclass
class PlanRow:
    listing_id: str
    sku: str | None  # the listing's SKU on Reverb
    title: str | None
    current: int  # inventory Reverb last reported
    new: int | None  # what it should show (None when unlinked)
    action: PlanAction
    local_sku: str | None = None
    kit: int = 1
    state: str | None = None
    one_of_a_kind: bool = False
    rule: str | None = None  # the quantity rule that decided ``new`` (domain.QuantityRule)


@dataclass
class PushResult:
    seen: int = 0
    pushed: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    plan: list[PlanRow] = field(default_factory=list)
    dry_run: bool = False
    ran: bool = True  # False when the channel is disabled or stock updates are off

    @property
    def to_write(self) -> int:
        return sum(1 for r in self.plan if r.action == PlanAction.WRITE)


# -- parsing ------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def parse_condition(value: Any) -> tuple[str | None, bool | None]:
    """(label to store, multi-unit?) from a listing's ``condition`` object or string.
    ``None`` for multi-unit means the condition was not given."""
    if isinstance(value, dict):
        uuid = str(value.get("uuid") or "").strip().lower()
        slug = str(value.get("slug") or "").strip()
        name = str(value.get("display_name") or value.get("name") or "").strip()
        label = name or slug or uuid or None
        if not (uuid or slug or name):
            return None, None
        multi = (
            uuid in MULTI_UNIT_UUIDS
            or (slug and _norm(slug) in MULTI_UNIT_NAMES)
            or (name and _norm(name) in MULTI_UNIT_NAMES)
        )
        return label, bool(multi)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        multi = text.lower() in MULTI_UNIT_UUIDS or _norm(text) in MULTI_UNIT_NAMES
        return text, multi
    return None, None


def parse_state(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("slug") or value.get("description")
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return None


def listing_invalid(obj: Any, position: int, page: int | None) -> Skipped | None:
    """Why this listing object cannot be stored, naming it (its id, else its SKU or title,
    else its place on the page); None when it can."""
    where = f"position {position} of page {page}" if page else f"position {position}"
    if not isinstance(obj, dict):
        return Skipped(
            f"listing at {where}",
            f"Reverb sent {preview(obj)} where a listing was expected; it was not stored.",
        )
    lid = obj.get("id")
    if lid is None or isinstance(lid, dict | list | bool) or str(lid).strip() == "":
        sku, title = text(obj.get("sku")), text(obj.get("title"))
        named = f"sku {sku!r}" if sku else f"title {title!r}" if title else None
        item = f"listing at {where}" + (f" ({named})" if named else "")
        return Skipped(item, "It has no listing id, so it was not stored.")
    return None


def parse_listing(obj: dict) -> dict | None:
    """The columns of a ``Listing`` from one listing object; None without an id."""
    lid = obj.get("id")
    if lid is None or str(lid).strip() == "":
        return None
    sku = obj.get("sku")
    sku = sku.strip() if isinstance(sku, str) and sku.strip() else None
    has_inventory = bool(obj.get("has_inventory"))
    condition, multi = parse_condition(obj.get("condition"))
    # Without a condition, Reverb's own flag tells: used listings read back has_inventory false.
    one_of_a_kind = (not multi) if multi is not None else (not has_inventory)
    title = obj.get("title")
    return {
        "listing_id": str(lid).strip(),
        "sku": sku,
        "title": title if isinstance(title, str) else None,
        "inventory": integer(obj.get("inventory")),
        "has_inventory": has_inventory,
        "one_of_a_kind": one_of_a_kind,
        "condition": condition,
        "state": parse_state(obj.get("state")),
    }


# -- listings download ----------------------------------------------------------------------------


def _store_listings(engine, channel_id: int, rows: list[dict], now: datetime) -> None:
    if not rows:
        return
    by_id = {r["listing_id"]: r for r in rows}  # a page may repeat a listing after a shift
    with session_scope(engine) as s:
        existing = {
            lst.listing_id: lst
            for lst in s.exec(
                select(Listing).where(
                    col(Listing.channel_id) == channel_id, col(Listing.listing_id).in_(list(by_id))
                )
            )
        }
        for lid, r in by_id.items():
            lst = existing.get(lid) or Listing(channel_id=channel_id, listing_id=lid)
            for key, value in r.items():
                setattr(lst, key, value)
            lst.seen_at = now
            s.add(lst)


def _drop_unseen(engine, channel_id: int, seen: set[str]) -> int:
    """Delete the channel's listings a complete walk did not return (deleted on Reverb)."""
    with session_scope(engine) as s:
        stored = s.exec(
            select(Listing.listing_id).where(col(Listing.channel_id) == channel_id)
        ).all()
        gone = [lid for lid in stored if lid not in seen]
        for i in range(0, len(gone), 500):
            s.execute(
                delete(Listing).where(
                    col(Listing.channel_id) == channel_id,
                    col(Listing.listing_id).in_(gone[i : i + 500]),
                )
            )
        return len(gone)


async def sync_listings(
    client,
    engine,
    channel_id: int,
    *,
    on_progress=None,
    on_invalid: Callable[[Skipped], object] | None = None,
    clock: Clock = utcnow,
) -> int:
    """Download every listing of the channel (``state=all``, all pages) into ``Listing``.

    After the first page, the others are fetched concurrently (the client decides how many
    are in flight) and stored one at a time, in a thread, while the rest download. Every
    page reports ``total``: if one differs from the first page's, listings moved during the
    walk and one may have slid past a page boundary unseen, so the walk is repeated one page
    after another (``ReverbClient.pages``: next links on the site's own host, else
    ``page+1``), which can only see a listing twice. Listings without a SKU are kept (they
    show as unlinked). After a complete walk, listings Reverb no longer returns (deleted
    drafts) are dropped. Returns the number of listings seen. Each listing that cannot be
    stored (no id) goes to ``on_invalid``, once however many walks see it.
    """
    params = {"state": "all", "per_page": PER_PAGE}
    first = await client.page(LISTINGS_PATH, params, items="listings")
    total_pages = positive(first.get("total_pages"), 0) if first.get("total_pages") else 0
    at_once = total_pages > 1 and first.get("total") is not None
    seen: set[str] = set()
    reported: set[tuple[str, str]] = set()

    def invalid(bad: Skipped) -> None:
        if on_invalid is not None and (bad.item, bad.reason) not in reported:
            reported.add((bad.item, bad.reason))  # a repeated walk sees it again
            on_invalid(bad)

    shifted = True  # without a page count (or one page): the walk in order
    if at_once:
        seen, shifted = await _walk_listings(
            client, engine, channel_id, first, params, total_pages, on_progress, invalid, clock
        )
    if shifted:  # a shifted walk starts again from page 1
        seen, _ = await _walk_listings(
            client,
            engine,
            channel_id,
            None if at_once else first,
            params,
            0,
            on_progress,
            invalid,
            clock,
        )
    await asyncio.to_thread(_drop_unseen, engine, channel_id, seen)
    return len(seen)


async def _walk_listings(
    client,
    engine,
    channel_id: int,
    first: dict[str, Any] | None,
    params: dict[str, Any],
    total_pages: int,
    on_progress,
    on_invalid: Callable[[Skipped], object],
    clock: Clock,
) -> tuple[set[str], bool]:
    """One walk: (listing ids seen, shifted?). With ``total_pages``, the pages after
    ``first`` concurrently; else one after another from ``first`` (read again when None),
    the next page downloading while this one is stored."""
    seen: set[str] = set()
    arrived: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=PREFETCH)

    async def fetch_in_order() -> None:
        walk = client.pages(
            LISTINGS_PATH, params, items="listings", max_pages=MAX_PAGES, first=first
        )
        async with aclosing(walk) as pages:
            async for body in pages:
                await arrived.put(body)
        await arrived.put(None)

    shifted = False

    async def fetch_at_once() -> None:
        nonlocal shifted
        assert first is not None
        total = first.get("total")
        href = next_href(first)
        template = client.url(href) if href else None
        await arrived.put(first)
        sem = asyncio.Semaphore(max(1, int(getattr(client, "max_concurrency", 4))))

        async def one(page: int) -> None:
            nonlocal shifted
            async with sem:
                if shifted:
                    return
                if template is not None:
                    body = await client.page(_page_url(template, page), items="listings")
                else:
                    body = await client.page(
                        LISTINGS_PATH, {**params, "page": page}, items="listings"
                    )
            if body.get("total") != total:
                shifted = True  # the caller walks again; what came is stored all the same
            await arrived.put(body)

        tasks = [asyncio.create_task(one(p)) for p in range(2, total_pages + 1)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await arrived.put(None)

    fetching = asyncio.create_task(fetch_at_once() if total_pages else fetch_in_order())
    try:
        while (body := await _next_page(arrived, fetching)) is not None:
            items = body.get("listings") or []
            page = integer(body.get("current_page")) or None
            rows = []
            for position, obj in enumerate(items, 1):
                bad = listing_invalid(obj, position, page)
                if bad is None:
                    row = parse_listing(obj)
                    if row is not None:
                        rows.append(row)
                else:
                    on_invalid(bad)
            await asyncio.to_thread(_store_listings, engine, channel_id, rows, clock())
            seen.update(r["listing_id"] for r in rows)
            total = integer(body.get("total"), len(seen))
            if on_progress is not None:
                on_progress(len(seen), max(total, len(seen)))
        await fetching  # its error, if any, ends the walk before anything is dropped
    finally:
        if not fetching.done():
            fetching.cancel()
        await asyncio.gather(fetching, return_exceptions=True)
    return seen, shifted


async def _next_page(
    arrived: asyncio.Queue[dict[str, Any] | None], fetching: asyncio.Task[None]
) -> dict[str, Any] | None:
    """The next downloaded page, or None when the walk is over (or failed: the caller then
    awaits ``fetching`` for its error). A page already queued is never lost."""
    while True:
        if not arrived.empty():
            return arrived.get_nowait()
        if fetching.done():
            return None
        getter = asyncio.ensure_future(arrived.get())
        await asyncio.wait({getter, fetching}, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
        # A page taken just before the cancel is kept; a cancelled get loses nothing (the page
        # stays queued for the next turn).
        got: dict[str, Any] | BaseException | None = (
            await asyncio.gather(getter, return_exceptions=True)
        )[0]
        if not isinstance(got, BaseException):
            return got


# -- the push -------------------------------------------------------------------------------------


def _load_plan(
    engine,
    channel_id: int,
    dry_run: bool,
    only_skus: set[str] | None = None,
    except_skus: set[str] | None = None,
) -> tuple[bool, list[PlanRow], dict]:
    """(runs?, plan, listing_id -> Listing primary key) for one channel; with ``only_skus``
    (folded local SKUs), only the listings linked to those SKUs; with ``except_skus``, all
    but those."""
    with session_scope(engine) as s:
        ch = s.get(Channel, channel_id)
        if ch is None or ch.removed_at is not None or not ch.enabled:
            return False, [], {}
        if not (ch.stock_updates or dry_run):
            return False, [], {}
        resolve = SkuResolver(s, channel_id)
        listings = list(
            s.exec(
                select(Listing)
                .where(col(Listing.channel_id) == channel_id)
                .order_by(col(Listing.id))
            )
        )
        resolved = {lst.id: resolve(lst.sku) for lst in listings}
        if only_skus is not None:
            listings = [
                lst
                for lst in listings
                if resolved[lst.id][0] and fold(resolved[lst.id][0] or "") in only_skus
            ]
        if except_skus:
            listings = [
                lst
                for lst in listings
                if not (resolved[lst.id][0] and fold(resolved[lst.id][0] or "") in except_skus)
            ]
        keys = {fold(sku) for sku, _ in resolved.values() if sku}
        levels = stock_levels(s, keys) if keys else {}
        rules = QuantityRules.of(ch)
        plan: list[PlanRow] = []
        pks: dict[str, int] = {}
        for lst in listings:
            local, kit = resolved[lst.id]
            row = PlanRow(
                listing_id=lst.listing_id,
                sku=lst.sku,
                title=lst.title,
                current=lst.inventory,
                new=None,
                action=PlanAction.UNLINKED,
                local_sku=local,
                kit=kit,
                state=lst.state,
                one_of_a_kind=lst.one_of_a_kind,
            )
            pks[lst.listing_id] = row_id(lst)
            level = levels.get(fold(local)) if local else None
            if level is not None:
                row.new, row.rule = quantity_for(level.available, kit, rules, lst.one_of_a_kind)
                if lst.one_of_a_kind and (lst.state or "") == "ended":
                    row.action = PlanAction.SKIP_ENDED
                elif row.new == lst.inventory:
                    row.action = PlanAction.SAME
                else:
                    row.action = PlanAction.WRITE
            plan.append(row)
        return True, plan, pks


@dataclass
class _Outcome:
    pk: int
    ok: bool
    inventory: int | None = None
    has_inventory: bool | None = None
    state: str | None = None
    error: str | None = None


def _store_outcomes(engine, outcomes: list[_Outcome], now: datetime) -> None:
    """A batch of push outcomes in two executemany UPDATEs (what Reverb now shows for the
    written listings, the error of the failed ones); a value Reverb did not send is kept."""
    if not outcomes:
        return
    t = table_of(Listing)
    ok = [
        {"b_id": o.pk, "b_inv": o.inventory, "b_has": o.has_inventory, "b_state": o.state}
        for o in outcomes
        if o.ok
    ]
    failed = [{"b_id": o.pk, "b_error": o.error} for o in outcomes if not o.ok]
    with session_scope(engine) as s:
        if ok:
            s.execute(
                update(t)
                .where(t.c.id == bindparam("b_id"))
                .values(
                    inventory=func.coalesce(bindparam("b_inv"), t.c.inventory),
                    has_inventory=func.coalesce(bindparam("b_has"), t.c.has_inventory),
                    state=func.coalesce(bindparam("b_state"), t.c.state),
                    last_push_error=None,
                    pushed_at=now,
                ),
                ok,
            )
        if failed:
            s.execute(
                update(t)
                .where(t.c.id == bindparam("b_id"))
                .values(last_push_error=bindparam("b_error")),
                failed,
            )


def _clear_errors(
    engine, pks: list[int], channel_id: int, now: datetime, whole: bool = True
) -> None:
    with session_scope(engine) as s:
        for i in range(0, len(pks), 500):
            for lst in s.exec(
                select(Listing).where(
                    col(Listing.id).in_(pks[i : i + 500]), col(Listing.last_push_error).is_not(None)
                )
            ):
                lst.last_push_error = None
                s.add(lst)
        ch = s.get(Channel, channel_id)
        if ch is not None and whole:  # a push of some SKUs only is not a whole push
            ch.last_stock_push_at = now
            s.add(ch)


def _label(row: PlanRow) -> str:
    return f"listing {row.listing_id}" + (f" ({row.sku})" if row.sku else "")


async def push_stock(
    client,
    engine,
    channel_id: int,
    *,
    dry_run: bool = False,
    on_error: ErrorFn | None = None,
    on_progress: ProgressFn | None = None,
    concurrency: int | None = None,
    clock: Clock = utcnow,
    only_skus: set[str] | None = None,
    except_skus: set[str] | None = None,
) -> PushResult:
    """Write each linked listing's target quantity where it differs from Reverb's.

    Skipped entirely unless the channel is enabled and has stock updates on (a dry run only
    needs it enabled). One failing listing never stops the rest: its error is stored on the
    listing, reported through ``on_error(label, message)`` and counted. A 401/403 stops the
    push and propagates (the caller marks the channel "reauthorise needed"). A dry run
    writes nothing anywhere and returns the plan. ``only_skus`` (folded local SKUs) limits
    the push to the listings of those SKUs, from the values last read or written (the quick
    correction after a sale: no listings re-read); it does not count as a whole push.
    ``except_skus`` leaves those SKUs' listings out (a push of the rest while orders that
    may move them are still being stored); nor does that.

    ``concurrency`` PUTs are offered at once (default: the client's ``max_concurrency``);
    the client decides how many are in flight (its write budget × the measured round trip)
    and takes a rate-limit grant only once a request may go, so offering more never bunches
    requests.
    """
    ran, plan, pks = await asyncio.to_thread(
        _load_plan, engine, channel_id, dry_run, only_skus, except_skus
    )
    result = PushResult(plan=plan, dry_run=dry_run, seen=len(plan), ran=ran)
    if not ran:
        return result
    result.skipped = sum(1 for r in plan if r.action == PlanAction.SKIP_ENDED)
    todo = [r for r in plan if r.action == PlanAction.WRITE]
    if dry_run:
        return result

    total = len(todo)
    done = 0
    pending: list[_Outcome] = []
    fatal: list[BaseException] = []
    queue = iter(todo)

    async def flush(force: bool = False) -> None:
        nonlocal pending
        if pending and (force or len(pending) >= BATCH):
            batch, pending = pending, []
            await asyncio.to_thread(_store_outcomes, engine, batch, clock())

    async def one(row: PlanRow) -> None:
        nonlocal done
        pk = pks[row.listing_id]
        try:
            try:
                resp = await client.update_listing_inventory(
                    row.listing_id, row.new, has_inventory=not row.one_of_a_kind
                )
            except ValidationError:
                # A retried PUT whose first answer was lost can be refused because the first
                # one took effect (0 ends a one-of-a-kind listing, which then cannot be
                # written). Reverb's own copy decides: if it shows the value, it was pushed.
                resp = await _reread_if_applied(client, row)
                if resp is None:
                    raise
        except (AuthError, ForbiddenError):
            raise
        except ReverbError as exc:
            message = exc.message
            result.failed += 1
            result.errors.append(f"{_label(row)}: {message}")
            pending.append(_Outcome(pk, False, error=message))
            if on_error is not None:
                on_error(_label(row), message)
        else:
            listing = resp.get("listing") if isinstance(resp, dict) else None
            inv, has_inv, state = row.new, not row.one_of_a_kind, None
            if isinstance(listing, dict):
                if "inventory" in listing:
                    inv = integer(listing.get("inventory"), row.new)  # type: ignore[arg-type]
                if "has_inventory" in listing:
                    has_inv = bool(listing.get("has_inventory"))
                state = parse_state(listing.get("state"))
            result.pushed += 1
            pending.append(_Outcome(pk, True, inventory=inv, has_inventory=has_inv, state=state))
        done += 1
        if on_progress is not None:
            on_progress(done, total)
        await flush()

    async def worker() -> None:
        while not fatal:
            row = next(queue, None)
            if row is None:
                return
            try:
                await one(row)
            except Exception as exc:  # re-raised below, after the finished writes are stored
                fatal.append(exc)
                return

    if concurrency is None:
        concurrency = int(getattr(client, "max_concurrency", 4))
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, total or 1)))))
    await flush(force=True)
    if fatal:
        raise fatal[0]
    same = [pks[r.listing_id] for r in plan if r.action == PlanAction.SAME]
    whole = only_skus is None and not except_skus
    await asyncio.to_thread(_clear_errors, engine, same, channel_id, clock(), whole)
    return result


async def _reread_if_applied(client: Any, row: PlanRow) -> dict[str, Any] | None:
    """``{"listing": …}`` when Reverb's listing already shows ``row.new``, else None."""
    try:
        listing = await client.get_object(f"/listings/{row.listing_id}")
    except ReverbError:
        return None
    if integer(listing.get("inventory"), -1) == row.new:
        return {"listing": listing}
    return None


__all__ = [
    "PlanRow",
    "PushResult",
    "parse_condition",
    "parse_listing",
    "push_stock",
    "sync_listings",
]
