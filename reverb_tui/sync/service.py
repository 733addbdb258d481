"""Sync runs: order download then stock push for every enabled integration, the sync log,
and the watch loop of the daemon. The same code runs under the TUI and ``sync --watch``.

A run over several integrations downloads every integration's orders first (concurrently,
each within its own token's rate limit) and pushes stock after, so a sale downloaded from
account A corrects the listings of account B in the same run. A run that reads the listings
anyway starts its push once every order is downloaded, beside their storage: the listings of
SKUs no unstored order can move first, the others once the orders are stored
(``_push_beside_storage``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, func, select

from ..clock import Clock, utcnow
from ..db.engine import session_scope
from ..db.models import (
    Channel,
    InventoryItem,
    Listing,
    Order,
    SkuMapping,
    StockMove,
    SyncError,
    SyncRun,
    fold,
    row_id,
)
from ..db.queries import channel_by_ref, mark_needs_reauth, remember_budget
from ..db.types import db_now
from ..domain import RunKind, RunStatus, SyncPhase
from ..errors import AppError, UserError, storage_fault
from ..reverb.errors import AuthError, ForbiddenError, ReverbError
from ..reverb.ratelimit import MIN_PER_MINUTE, Kind
from .lease import LEASE_PERIOD, Lease, heartbeat_every, lease_ttl, new_holder
from .orders import OrderDownloader, Skipped, WalkProgress, WalkStopped

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reverb.client import ClientFactory
    from .push import PushResult

log = logging.getLogger("reverb_tui.sync")

# Listings are re-read at least this often even when nothing local changed, so a change made
# on Reverb's website (or a listing added there) is seen and corrected within this time.
LISTINGS_MAX_AGE = timedelta(minutes=15)


@dataclass
class SyncProgress:
    """Posted while a run works (the TUI turns it into a message)."""

    channel_id: int
    channel: str
    phase: SyncPhase
    done: int = 0
    total: int = 0
    orders: int = 0


@dataclass
class ChannelSummary:
    """The sync summary of one channel (``sync --json``, docs/cli.md)."""

    channel: str
    channel_id: int = 0
    orders_new: int = 0
    orders_updated: int = 0
    listings_seen: int = 0
    listings_pushed: int = 0
    listings_skipped: int = 0
    listings_failed: int = 0
    errors: list[str] = field(default_factory=list)
    # Records Reverb sent that could not be stored; each is one of ``errors`` too, named.
    orders_invalid: int = 0
    listings_invalid: int = 0
    completed: bool = False
    status: RunStatus = RunStatus.OK
    requests: int = 0
    seconds: float = 0.0
    plan: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.plan:
            d.pop("plan")
        return d


@dataclass(frozen=True)
class SyncWanted:
    """A sync asked for now: one integration or all, orders and stock or stock only."""

    channel_id: int | None = None
    stock_only: bool = False

    @property
    def kind(self) -> RunKind:
        return RunKind.STOCK if self.stock_only else RunKind.SYNC

    @property
    def channels(self) -> list[int] | None:
        return None if self.channel_id is None else [self.channel_id]


class SyncQueue:
    """Requests for the watch loop ("Sync now" in the TUI). Used on the loop's thread only.

    A request already covered by a pending one is dropped: a request for everything covers
    one for a single integration, and a full sync covers a stock-only one.
    """

    def __init__(self, stop: asyncio.Event | None = None) -> None:
        self.event = asyncio.Event()
        self._pending: list[SyncWanted] = []
        self._stop = stop

    def put(self, wanted: SyncWanted) -> None:
        covered = any(
            (p.channel_id is None or p.channel_id == wanted.channel_id)
            and (wanted.stock_only or not p.stock_only)
            for p in self._pending
        )
        if not covered:
            self._pending.append(wanted)
        self.event.set()

    def pop(self) -> SyncWanted | None:
        if not self._pending:
            if self._stop is None or not self._stop.is_set():
                self.event.clear()
            return None
        return self._pending.pop(0)

    def wake(self) -> None:
        self.event.set()


@dataclass
class _Job:
    channel: Channel
    summary: ChannelSummary
    run_id: int
    lease: Lease
    client: Any
    started: float
    orders_ok: bool = True
    fatal: bool = False  # stop this channel (auth, lease lost)
    listings: asyncio.Task | None = None  # a listings read started beside the order download
    skipped_stock: bool = False  # nothing changed since the last push: no request made
    stock_started_at: datetime | None = None
    lowered: dict[Kind, int] = field(default_factory=dict)  # budgets a 429 lowered
    skus: set[str] = field(default_factory=set)  # local SKUs the downloaded orders moved
    downloaded: bool = False  # the order download completed
    interrupted: bool = False  # a stop (or cancellation) came before the run finished
    # Set when every page of the order download is in (or the download ended): orders not
    # stored by then are ``unstored()``.
    fetched: asyncio.Event = field(default_factory=asyncio.Event)
    unstored: Callable[[], list[Any]] = list

    @property
    def channel_id(self) -> int:
        return self.summary.channel_id


# Called with each progress report; what it returns is ignored (post_message returns a bool).
ProgressCallback = Callable[[SyncProgress], object]
# Which integrations a run takes: one by name, some by id, or None for every enabled one.
ChannelSelector = str | Collection[int] | None


@dataclass(frozen=True)
class Due:
    """When an integration's next quick check and next full sync are due (watch loop)."""

    check: datetime | None  # None: no quick checks (its orders interval is not shorter)
    full: datetime


@dataclass
class WatchPlan:
    full: list[int]  # integrations whose full sync is due now
    check: list[int]  # integrations whose quick check is due now (and no full sync)
    next: dict[int, Due]  # when each enabled integration is next due


def plan_watch(
    channels: list[Channel],
    now: datetime,
    interval: float | None,
    full: dict[int, datetime],
    checked: dict[int, datetime],
) -> WatchPlan:
    """What the watch loop runs now, from the last attempts it made (``full``, ``checked``)
    and the last completed order download of each integration."""
    plan = WatchPlan([], [], {})
    for c in channels:
        if c.needs_reauth:
            continue
        cid = row_id(c)
        every = float(interval if interval is not None else c.interval_seconds)
        last_full = full.get(cid)
        due_full = now if last_full is None else last_full + timedelta(seconds=every)
        if due_full <= now:
            plan.full.append(cid)
        due_check: datetime | None = None
        quick = float(c.orders_interval_seconds)
        if quick < every:
            last = max(
                (t for t in (c.last_order_sync_at, checked.get(cid)) if t is not None),
                default=None,
            )
            due_check = now if last is None else last + timedelta(seconds=quick)
            if due_check <= now and due_full > now:
                plan.check.append(cid)
        plan.next[cid] = Due(due_check, due_full)
    return plan


def eventful(summary: ChannelSummary) -> bool:
    """Did this run find or do anything (worth telling the screen about)?"""
    return bool(
        summary.orders_new
        or summary.orders_updated
        or summary.listings_pushed
        or summary.listings_failed
        or summary.errors
        or summary.status not in (RunStatus.OK,)
    )


def describe_fault(exc: BaseException) -> str:
    """What the sync log, the summary and the daemon's log say of a failure: the error's own
    sentence, a storage fault's sentence with its way out, else (a bug) its type and text."""
    if isinstance(exc, AppError):
        return exc.message
    fault = storage_fault(exc)
    if fault is not None:
        return fault.message
    # A driver's error behind SQLAlchemy's: its own first line, not the wrapper's link.
    words = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"unexpected {type(exc).__name__}: {words[0] if words else ''}".rstrip(": ")


ABANDONED = (
    "The process running this sync stopped before it finished (killed, or its machine went "
    "down); what it stored is kept and the next run picks up from there."
)


def close_abandoned_runs(engine: Engine, now: datetime) -> int:
    """Close as "interrupted" the runs left "running" by a process that is gone: one on this
    host whose pid no longer exists, or any whose integration's lease it no longer holds
    (a live run holds it until its row is closed) or let expire (its heartbeat stopped).
    Returns how many were closed."""
    from ..db.types import db_now
    from .lease import holder_is_dead

    closed = 0
    with session_scope(engine) as s:
        running = s.exec(
            select(
                SyncRun,
                Channel.lease_holder,
                func.coalesce(col(Channel.lease_expires_at) < db_now(), False),
            )
            .join(Channel, col(Channel.id) == SyncRun.channel_id)
            .where(col(SyncRun.status) == RunStatus.RUNNING)
        ).all()
        for run, lease_holder, expired in running:
            gone = (
                run.holder is None
                or lease_holder != run.holder
                or bool(expired)
                or holder_is_dead(run.holder)
            )
            if not gone:
                continue
            run.status = RunStatus.INTERRUPTED
            run.message = run.message or ABANDONED
            s.add(run)
            s.add(
                SyncError(
                    run_id=row_id(run),
                    channel_id=run.channel_id,
                    item=None,
                    message=ABANDONED,
                    created_at=now,
                )
            )
            closed += 1
    if closed:
        log.warning("closed %d sync run(s) left running by a process that is gone", closed)
    return closed


class SyncService:
    def __init__(
        self, engine: Engine, client_factory: ClientFactory, clock: Clock = utcnow
    ) -> None:
        self.engine = engine
        self.client_factory = client_factory
        self.clock = clock
        # When each integration's next check and full sync are due, as the watch loop last
        # planned them (empty until it runs): what the screens show as "next check".
        self.schedule: dict[int, Due] = {}
        # How long a run's lease outlives its last heartbeat (sync/lease.py); a daemon sets
        # the period in force (``--lease-seconds``, the environment or the config file).
        self.lease_period: timedelta = LEASE_PERIOD
        # Each run takes leases under its own holder id (new_holder), so two runs in one
        # process (the background loop and a preview, say) exclude each other like two
        # processes do.

    # -- selection ------------------------------------------------------------------------------

    def _channels(self, name: str | None) -> list[Channel]:
        with session_scope(self.engine) as s:
            if name is not None:
                ch = channel_by_ref(s, name)
                if not ch.enabled:
                    raise UserError(f"Integration {ch.name!r} is disabled; enable it to sync.")
                return [ch]
            return list(
                s.exec(
                    select(Channel)
                    .where(col(Channel.removed_at).is_(None), col(Channel.enabled).is_(True))
                    .order_by(col(Channel.id))
                ).all()
            )

    def due_channels(self, now: datetime | None = None) -> list[Channel]:
        """Enabled integrations whose interval has passed since their last order download."""
        now = now or self.clock()
        due = []
        for ch in self._channels(None):
            last = ch.last_order_sync_at
            if last is None or (now - last).total_seconds() >= ch.interval_seconds:
                due.append(ch)
        return due

    # -- one run --------------------------------------------------------------------------------

    async def run(
        self,
        kind: RunKind = RunKind.SYNC,
        channels: ChannelSelector = None,
        *,
        on_progress: ProgressCallback | None = None,
        stop: asyncio.Event | None = None,
        wait_for_lease: float = 0.0,
    ) -> list[ChannelSummary]:
        """One pass of ``kind``: orders for every selected channel, then listings and the
        stock push (or its plan, for a dry run).

        ``channels`` is one integration's name (it must exist and be enabled), integration
        ids (those of them that are enabled are synced), or None for every enabled one.
        """
        kind = RunKind(kind)
        await asyncio.to_thread(close_abandoned_runs, self.engine, self.clock())
        selected = await asyncio.to_thread(
            self._channels, channels if isinstance(channels, str) else None
        )
        if channels is not None and not isinstance(channels, str):
            wanted = set(channels)
            selected = [c for c in selected if row_id(c) in wanted]
        dry_run = kind is RunKind.DRY_RUN
        holder = new_holder(kind)
        if dry_run and not wait_for_lease:
            wait_for_lease = 30.0  # a preview someone waits for: let a running sync finish
        # Leases are taken one at a time in channel-id order: two processes that each held one
        # lease while waiting for the other's would wait for each other until both gave up.
        starts = []
        for ch in sorted(selected, key=row_id):
            starts.append(await self._start(ch, kind, wait_for_lease, holder))
        summaries: list[ChannelSummary] = []
        jobs: list[_Job] = []
        for started in starts:
            if isinstance(started, ChannelSummary):
                summaries.append(started)
            else:
                started.client.stop = stop  # a back-off wait ends when a stop is asked for
                jobs.append(started)
                summaries.append(started.summary)
        try:
            if kind is RunKind.SYNC:
                # Listings that must be read anyway (never read, or long ago) are read beside
                # the order download: each token's rate limit is the bound either way.
                for j in jobs:
                    if await asyncio.to_thread(self._listings_stale, j.channel_id):
                        j.listings = asyncio.create_task(self._read_listings(j, on_progress))
            early: list[_Job] = []
            if kind.downloads_orders:
                downloads = asyncio.gather(*(self._orders(j, on_progress, stop) for j in jobs))
                if kind is RunKind.SYNC:
                    # A push that reads the listings anyway starts once the orders are
                    # downloaded, beside their storage (_push_beside_storage).
                    early = [j for j in jobs if j.listings is not None]
                await asyncio.gather(
                    downloads,
                    *(
                        self._stock(j, False, on_progress, stop, beside=(jobs, downloads))
                        for j in early
                    ),
                )
            if kind is RunKind.CHECK:
                await self._correct(jobs, summaries, holder, on_progress, stop)
            if kind.pushes_stock:
                orders_changed = any(j.summary.orders_new or j.summary.orders_updated for j in jobs)
                await asyncio.gather(
                    *(
                        self._stock(
                            j,
                            dry_run,
                            on_progress,
                            stop,
                            explicit=not kind.downloads_orders,
                            orders_changed=orders_changed,
                        )
                        for j in jobs
                        if not j.fatal and j not in early
                    )
                )
        except asyncio.CancelledError:
            for j in jobs:
                j.interrupted = True
            raise
        finally:
            if stop is not None and stop.is_set():
                for j in jobs:
                    j.interrupted = True
            reads = [j.listings for j in jobs if j.listings is not None]
            for task in reads:
                task.cancel()  # a no-op when it finished; stops it when its channel failed
            await asyncio.gather(*reads, return_exceptions=True)
            await asyncio.gather(
                *(self._finish(j, kind) for j in jobs),
                return_exceptions=True,
            )
            for j in jobs:
                if on_progress is not None:
                    on_progress(SyncProgress(j.channel_id, j.channel.name, SyncPhase.DONE))
        return summaries

    async def _correct(
        self,
        jobs: list[_Job],
        summaries: list[ChannelSummary],
        holder: str,
        on_progress: ProgressCallback | None,
        stop: asyncio.Event | None,
    ) -> None:
        """The quick correction of a check run: push the listings of the SKUs the new orders
        moved, on every integration with stock updates on (those not checked in this run
        too: a sale on A corrects B), from the listing values last read or written."""
        skus = set().union(*(j.skus for j in jobs))
        if not skus or (stop is not None and stop.is_set()):
            return
        have = {j.channel_id for j in jobs}
        others = [
            c
            for c in await asyncio.to_thread(self._channels, None)
            if c.stock_updates and row_id(c) not in have
        ]
        for ch in others:
            started = await self._start(ch, RunKind.CHECK, 0.0, holder)
            if isinstance(started, _Job):
                jobs.append(started)
                summaries.append(started.summary)
            # else busy (another sync holds it: it corrects this SKU too) or reauth needed
        await asyncio.gather(
            *(
                self._stock(j, False, on_progress, stop, only_skus=skus)
                for j in jobs
                if not j.fatal and j.channel.stock_updates
            )
        )

    async def _start(
        self, ch: Channel, kind: RunKind, wait: float, holder: str
    ) -> _Job | ChannelSummary:
        channel_id = row_id(ch)
        summary = ChannelSummary(channel=ch.name, channel_id=channel_id)
        if ch.needs_reauth:
            summary.errors.append(
                f"{ch.name}: reauthorise needed; Reverb refused the token last time."
            )
            summary.status = RunStatus.SKIPPED
            return summary
        lease = Lease(
            self.engine,
            channel_id,
            holder,
            ttl=lease_ttl(self.lease_period),
            renew_every=heartbeat_every(self.lease_period),
        )
        if not await lease.acquire(wait):
            summary.errors.append(f"{ch.name}: another sync of this integration is running.")
            summary.status = RunStatus.BUSY
            return summary
        run_id = await asyncio.to_thread(self._new_run, channel_id, kind, holder)
        client = self.client_factory(ch.api_url, ch.token, ch.rate_limit)
        client.set_budgets(ch.reads_per_minute, ch.writes_per_minute)
        job = _Job(ch, summary, run_id, lease, client, time.monotonic())

        def lowered(kind: Kind, per_minute: int) -> None:
            job.lowered[kind] = per_minute
            log.warning(
                "%s: Reverb answered 429; %s budget lowered to %d a minute",
                ch.name,
                kind,
                per_minute,
            )

        client.on_budget_lowered = lowered
        return job

    def _new_run(self, channel_id: int, kind: RunKind, holder: str) -> int:
        with session_scope(self.engine) as s:
            # Stamped by the database's clock, like the leases: runs of several hosts compare.
            started = s.exec(select(db_now())).one()
            run = SyncRun(channel_id=channel_id, kind=kind, holder=holder, started_at=started)
            s.add(run)
            s.flush()
            return row_id(run)

    def _record_error(self, job: _Job, item: str | None, message: str) -> None:
        job.summary.errors.append(f"{item}: {message}" if item else message)
        try:
            self._store_error(job, item, message)
        except Exception as exc:
            fault = storage_fault(exc)
            if fault is None:
                raise
            # A full or locked database cannot take the line either: the summary, the CLI
            # and the daemon's log still say it.
            log.error("%s: could not write to the sync log: %s", job.channel.name, fault.message)

    def _store_error(self, job: _Job, item: str | None, message: str) -> None:
        with session_scope(self.engine) as s:
            s.add(
                SyncError(
                    run_id=job.run_id,
                    channel_id=job.channel_id,
                    item=item,
                    message=message,
                    created_at=self.clock(),
                )
            )

    async def _fail(self, job: _Job, item: str | None, exc: BaseException) -> None:
        message = describe_fault(exc)
        if isinstance(exc, AuthError | ForbiddenError):
            job.fatal = True
            await asyncio.to_thread(self._mark_reauth, job.channel_id, message)
        await asyncio.to_thread(self._record_error, job, item, message)

    def _mark_reauth(self, channel_id: int, message: str) -> None:
        with session_scope(self.engine) as s:
            mark_needs_reauth(s, channel_id, message)

    async def _orders(
        self, job: _Job, on_progress: ProgressCallback | None, stop: asyncio.Event | None
    ) -> None:
        ch = job.channel

        def progress(p: WalkProgress) -> None:
            if on_progress is not None:
                on_progress(
                    SyncProgress(
                        job.channel_id,
                        ch.name,
                        SyncPhase.ORDERS,
                        p.pages_done,
                        p.pages_total,
                        p.orders_seen,
                    )
                )

        downloader = OrderDownloader(
            job.client,
            self.engine,
            job.channel_id,
            clock=self.clock,
            on_progress=progress,
            stop=stop,
            fetched=job.fetched,
        )
        job.unstored = downloader.unstored
        try:
            result = await downloader.run()
        except WalkStopped:
            job.orders_ok = False
            job.fatal = True
            await asyncio.to_thread(
                self._record_error, job, "orders", "stopped before the walk finished"
            )
            return
        except (ReverbError, AppError) as exc:
            job.orders_ok = False
            await self._fail(job, "orders", exc)
            return
        except Exception as exc:  # a storage fault or a bug: record it, keep the others going
            if storage_fault(exc) is None:
                log.exception("order download of %s failed", ch.name)
            job.orders_ok = False
            await self._fail(job, "orders", exc)
            return
        finally:
            job.fetched.set()  # nothing more will be downloaded (stored or not)
            # Each order that could not be stored, by itself (pages stored before a failure
            # count too).
            skipped = downloader.result.skipped
            job.summary.orders_invalid += len(skipped)
            for sk in skipped:
                await asyncio.to_thread(self._record_error, job, sk.item, sk.reason)
        job.summary.orders_new += result.new
        job.summary.orders_updated += result.updated
        job.skus |= result.skus
        job.downloaded = True

    def _listings_stale(self, channel_id: int) -> bool:
        """Never read, or not read for LISTINGS_MAX_AGE."""
        with session_scope(self.engine) as s:
            last = s.exec(
                select(func.max(Listing.seen_at)).where(col(Listing.channel_id) == channel_id)
            ).one()
        return last is None or self.clock() - last > LISTINGS_MAX_AGE

    def _stock_changed(self, ch: Channel) -> bool:
        """Could any listing's target have moved since this channel's last push? Sales and
        cancellations (stock moves), new orders (reserved), counts and mappings, from this
        process or another, all leave a newer timestamp than the push."""
        since = ch.last_stock_push_at
        if since is None:
            return True
        with session_scope(self.engine) as s:
            for column in (
                StockMove.created_at,
                InventoryItem.updated_at,
                SkuMapping.created_at,
                Order.first_seen_at,
            ):
                newest = s.exec(select(func.max(column))).one()
                if newest is not None and newest > since:
                    return True
        return False

    def _progress(self, ch: Channel, phase: SyncPhase, on_progress: ProgressCallback | None):
        def cb(done: int = 0, total: int = 0, *_a: Any) -> None:
            if on_progress is not None:
                on_progress(SyncProgress(row_id(ch), ch.name, phase, done, total))

        return cb

    async def _read_listings(self, job: _Job, on_progress: ProgressCallback | None) -> int:
        from .push import sync_listings

        invalid: list[Skipped] = []
        try:
            seen = await sync_listings(
                job.client,
                self.engine,
                job.channel_id,
                on_progress=self._progress(job.channel, SyncPhase.LISTINGS, on_progress),
                on_invalid=invalid.append,
                clock=self.clock,
            )
        finally:
            job.summary.listings_invalid += len(invalid)
            for sk in invalid:
                await asyncio.to_thread(self._record_error, job, sk.item, sk.reason)
        job.summary.listings_seen = seen
        return seen

    async def _stock(
        self,
        job: _Job,
        dry_run: bool,
        on_progress: ProgressCallback | None,
        stop: asyncio.Event | None,
        *,
        explicit: bool = False,
        orders_changed: bool = False,
        only_skus: set[str] | None = None,
        beside: tuple[list[_Job], asyncio.Future[Any]] | None = None,
    ) -> None:
        """Listings and the stock push of one channel (of ``only_skus``' listings only, from
        the stored listing values, when given).

        ``beside``: (every job of the run, their order downloads) when the push runs beside
        the order storage instead of after it (see ``_push_beside_storage``).

        Diff-only twice over: a periodic run with nothing new anywhere (no order, sale, count
        or mapping since the last push, listings read recently) makes no request at all, and
        a push writes only listings whose value differs.
        """
        from .push import push_stock

        ch = job.channel
        if stop is not None and stop.is_set():
            return
        if job.lease.lost:
            job.fatal = True
            await asyncio.to_thread(
                self._record_error,
                job,
                "lease",
                "another process took over this integration's sync",
            )
            return
        pushing = ch.stock_updates or dry_run
        # The push is good for every change made before this moment (see _stock_changed).
        job.stock_started_at = self.clock()
        try:
            if only_skus is not None:
                pass  # the quick correction: the listings as last read or written
            elif job.listings is not None:
                await job.listings
            elif explicit or (
                pushing and (orders_changed or await asyncio.to_thread(self._stock_changed, ch))
            ):
                await self._read_listings(job, on_progress)
            elif pushing:
                job.skipped_stock = True
                return  # nothing changed since the last push: every listing already matches
            if not pushing:
                return

            failures: list[tuple[str, str]] = []
            try:
                if beside is not None:
                    result = await self._push_beside_storage(
                        job, *beside, failures, on_progress, stop
                    )
                else:
                    result = await push_stock(
                        job.client,
                        self.engine,
                        job.channel_id,
                        dry_run=dry_run,
                        on_error=lambda item, message: failures.append((item, message)),
                        on_progress=self._progress(ch, SyncPhase.PUSH, on_progress),
                        clock=self.clock,
                        only_skus=only_skus,
                    )
            finally:
                for item, message in failures:
                    await asyncio.to_thread(self._record_error, job, item, message)
        except (ReverbError, AppError) as exc:
            await self._fail(job, "listings", exc)
            job.fatal = True
            return
        except Exception as exc:
            if storage_fault(exc) is None:
                log.exception("stock push of %s failed", ch.name)
            await self._fail(job, "listings", exc)
            job.fatal = True
            return
        s = job.summary
        s.listings_pushed, s.listings_skipped, s.listings_failed = (
            result.pushed,
            result.skipped,
            result.failed,
        )
        if dry_run:
            s.plan = [asdict(r) for r in result.plan]

    async def _push_beside_storage(
        self,
        job: _Job,
        jobs: list[_Job],
        downloads: asyncio.Future[Any],
        failures: list[tuple[str, str]],
        on_progress: ProgressCallback | None,
        stop: asyncio.Event | None,
    ) -> PushResult:
        """The whole push of one channel while the orders of the run are still being stored.

        Storing a large download takes CPU time while the network would sit idle, so the push
        does not wait for it: once every integration's orders are downloaded, the listings of
        SKUs that no unstored order can move (their stock is final for this run) are pushed
        at once, and the listings of the other SKUs once every order is stored, from the
        stock those orders left. Each listing is written once, with the value it would get
        after the storage; a sale downloaded from one account still corrects the others in
        the same run.
        """
        from .push import PushResult, push_stock

        await asyncio.gather(*(j.fetched.wait() for j in jobs))
        if job.fatal:  # its own download found the token refused, or was stopped
            return PushResult(ran=False)
        unstored = [(j.channel_id, j.unstored()) for j in jobs]
        moving = await asyncio.to_thread(self._skus_of_orders, unstored)
        # The push is good for every change made before this moment (see _stock_changed).
        job.stock_started_at = self.clock()
        report = self._progress(job.channel, SyncPhase.PUSH, on_progress)
        counts = {"first": (0, 0), "second": (0, 0)}  # (done, total) of each part

        def progress(part: str) -> Callable[[int, int], None]:
            def cb(done: int, total: int) -> None:
                counts[part] = (done, total)
                report(sum(d for d, _ in counts.values()), sum(t for _, t in counts.values()))

            return cb

        def on_error(item: str, message: str) -> None:
            failures.append((item, message))

        async def the_rest() -> PushResult | None:
            # Planned as soon as the orders are stored, while the first part may still be
            # writing: both go through the client's one write budget and in-flight limit.
            await asyncio.wait([downloads])  # _orders records its own failures
            if not moving or (stop is not None and stop.is_set()):
                return None
            return await push_stock(
                job.client,
                self.engine,
                job.channel_id,
                on_error=on_error,
                on_progress=progress("second"),
                clock=self.clock,
                only_skus=moving,
            )

        parts = [
            asyncio.ensure_future(
                push_stock(
                    job.client,
                    self.engine,
                    job.channel_id,
                    on_error=on_error,
                    on_progress=progress("first"),
                    clock=self.clock,
                    except_skus=moving,
                )
            ),
            asyncio.ensure_future(the_rest()),
        ]
        try:
            first, second = await asyncio.gather(*parts)
        except BaseException:
            for part in parts:
                part.cancel()
            await asyncio.gather(*parts, return_exceptions=True)
            raise
        assert first is not None
        if second is None:
            return first
        return PushResult(
            seen=first.seen + second.seen,
            pushed=first.pushed + second.pushed,
            skipped=first.skipped + second.skipped,
            failed=first.failed + second.failed,
            errors=first.errors + second.errors,
            plan=first.plan + second.plan,
            ran=first.ran or second.ran,
        )

    def _skus_of_orders(self, orders: list[tuple[int, list[Any]]]) -> set[str]:
        """The local SKUs (folded) whose stock storing these orders may move: what each
        order's channel SKU resolves to now, and the SKU an order already stored keeps."""
        from ..reverb.payload import text
        from .stock import SkuResolver

        skus: set[str] = set()
        with session_scope(self.engine) as s:
            for channel_id, raws in orders:
                rows = [r for r in raws if isinstance(r, dict)]
                channel_skus = [text(r.get("sku")) for r in rows]
                keys = {fold(c) for c in channel_skus if c}
                if keys:
                    resolve = SkuResolver(s, channel_id, keys)
                    for c in channel_skus:
                        sku, _kit = resolve(c)
                        if sku:
                            skus.add(fold(sku))
                numbers = [n for n in (text(r.get("order_number")) for r in rows) if n]
                for i in range(0, len(numbers), 500):
                    for sku in s.exec(
                        select(Order.sku).where(
                            col(Order.channel_id) == channel_id,
                            col(Order.order_number).in_(numbers[i : i + 500]),
                        )
                    ):
                        if sku:
                            skus.add(fold(sku))
        return skus

    async def _finish(self, job: _Job, kind: RunKind) -> None:
        s = job.summary
        s.requests = job.client.requests
        s.seconds = round(time.monotonic() - job.started, 3)
        s.completed = job.orders_ok and not job.fatal
        s.status = (
            RunStatus.INTERRUPTED
            if job.interrupted and not s.completed
            else RunStatus.OK
            if s.completed and not s.errors
            else RunStatus.PARTIAL
            if s.completed
            else RunStatus.FAILED
        )
        try:
            await job.client.aclose()
        finally:
            try:
                await asyncio.to_thread(self._close_run, job, kind)
                if job.lowered:
                    await asyncio.to_thread(self._remember_budget, job)
            except Exception as exc:
                # The run's row cannot be closed (disk full, say): it is closed as
                # interrupted by a later run; the lease must still go.
                fault = storage_fault(exc)
                log.error(
                    "%s: could not close the run in the sync log: %s",
                    s.channel,
                    fault.message if fault is not None else describe_fault(exc),
                )
                if s.completed:
                    s.errors.append(fault.message if fault is not None else describe_fault(exc))
            finally:
                try:
                    await job.lease.release()
                except Exception as exc:  # it expires by itself (its renewal is stopped)
                    log.error("%s: could not release the sync lease: %s", s.channel, exc)
        log.info(
            "%s %s: %s in %.1fs; orders %d new %d updated; listings %d seen %d pushed "
            "%d skipped %d failed; %d requests%s",
            kind,
            s.channel,
            s.status,
            s.seconds,
            s.orders_new,
            s.orders_updated,
            s.listings_seen,
            s.listings_pushed,
            s.listings_skipped,
            s.listings_failed,
            s.requests,
            f"; {len(s.errors)} errors, first: {s.errors[0]}" if s.errors else "",
        )

    def _remember_budget(self, job: _Job) -> None:
        """A 429 lowered a budget during the run: it holds for the next runs too."""
        with session_scope(self.engine) as s:
            remember_budget(
                s,
                job.channel_id,
                reads=job.lowered.get(Kind.READ),
                writes=job.lowered.get(Kind.WRITE),
                now=self.clock(),
                floor=MIN_PER_MINUTE,
            )

    def _close_run(self, job: _Job, kind: RunKind) -> None:
        s = job.summary
        now = self.clock()
        quiet = kind is RunKind.CHECK and not (
            s.orders_new or s.orders_updated or s.listings_pushed or s.listings_failed or s.errors
        )
        with session_scope(self.engine) as sess:
            run = sess.get(SyncRun, job.run_id)
            if run is not None and quiet:
                # A check that found nothing leaves no row: six a minute would bury the log.
                sess.delete(run)
                run = None
            if run is not None:
                run.finished_at = sess.exec(select(db_now())).one()  # the database's clock
                run.status = s.status
                run.requests = s.requests
                run.orders_new, run.orders_updated = s.orders_new, s.orders_updated
                run.listings_seen, run.listings_pushed = s.listings_seen, s.listings_pushed
                run.listings_skipped, run.listings_failed = s.listings_skipped, s.listings_failed
                run.orders_invalid, run.listings_invalid = s.orders_invalid, s.listings_invalid
                run.message = s.errors[0] if s.errors else None
                sess.add(run)
            ch = sess.get(Channel, job.channel_id)
            if ch is not None and kind is not RunKind.DRY_RUN:
                if job.downloaded:
                    ch.last_order_sync_at = now
                if (
                    kind.pushes_stock
                    and not job.fatal
                    and ch.stock_updates
                    and job.stock_started_at
                ):
                    ch.last_stock_push_at = job.stock_started_at
                if kind is not RunKind.CHECK or s.errors:
                    # A quiet check does not clear what the last sync found wrong.
                    ch.error_count = len(s.errors)
                    ch.last_error = s.errors[-1] if s.errors else None
                sess.add(ch)

    # -- the daemon ----------------------------------------------------------------------------

    async def watch(
        self,
        *,
        interval: float | None = None,
        stop: asyncio.Event,
        on_progress: ProgressCallback | None = None,
        on_run: Callable[[list[ChannelSummary], SyncWanted | None], object] | None = None,
        tick: float = 1.0,
        wanted: SyncQueue | None = None,
        auto: bool = True,
        scope: Callable[[list[Channel]], list[Channel]] | None = None,
        on_schedule: Callable[[dict[int, Due]], object] | None = None,
    ) -> None:
        """Sync each enabled integration on two rhythms until ``stop`` is set, and whatever
        is asked for through ``wanted`` ("Sync now"):

        - a full sync (orders, listings re-read when stale, the whole stock push when
          anything changed) every ``interval_seconds`` of the integration (or ``interval``),
          the first one at once;
        - between them, a quick check every ``orders_interval_seconds``: one request when no
          order is new, and a push of only the listings whose SKUs new orders moved (on
          every integration with stock updates), so a sale on one account corrects the
          others within seconds.

        Each is due when its interval has passed since its last attempt, failed or not, so an
        unreachable Reverb is retried once an interval, not once a tick. ``on_run`` hears of
        every full sync and requested run, and of checks that found or did something. A run
        in progress stops between pages when ``stop`` is set. ``scope`` narrows the scheduled
        syncs to the integrations it keeps (a daemon's claims, sync/cluster.py).
        ``on_schedule`` hears of ``schedule`` (when each integration's next check and full
        sync are due) whenever the loop plans a different one.
        """
        full: dict[int, datetime] = {}  # last full sync attempt per integration
        checked: dict[int, datetime] = {}  # last check attempt (a full sync is one too)
        while not stop.is_set():
            request = wanted.pop() if wanted is not None else None
            if request is not None:
                summaries = await self._run_logged(
                    request.kind, request.channels, on_progress=on_progress, stop=stop
                )
                now = self.clock()
                for s in summaries:
                    full[s.channel_id] = checked[s.channel_id] = now
                if on_run is not None:
                    on_run(summaries, request)
                continue
            if auto:
                now = self.clock()
                channels = await asyncio.to_thread(self._channels, None)
                if scope is not None:
                    channels = scope(channels)
                plan = plan_watch(channels, now, interval, full, checked)
                if plan.next != self.schedule:
                    self.schedule = plan.next  # a new dict: readers on other threads are safe
                    if on_schedule is not None:
                        on_schedule(plan.next)
                if plan.full:
                    for cid in plan.full:
                        full[cid] = checked[cid] = now
                    summaries = await self._run_logged(
                        RunKind.SYNC, plan.full, on_progress=on_progress, stop=stop
                    )
                    if on_run is not None:
                        on_run(summaries, None)
                elif plan.check:
                    for cid in plan.check:
                        checked[cid] = now
                    summaries = await self._run_logged(
                        RunKind.CHECK, plan.check, on_progress=on_progress, stop=stop
                    )
                    if on_run is not None and any(eventful(s) for s in summaries):
                        on_run(summaries, None)
            waiter = wanted.event if wanted is not None else stop
            try:
                await asyncio.wait_for(waiter.wait(), timeout=tick)
            except TimeoutError:
                pass

    async def _run_logged(
        self, kind: RunKind, channels: ChannelSelector, **kw: Any
    ) -> list[ChannelSummary]:
        try:
            return await self.run(kind, channels, **kw)
        except AppError as exc:
            log.error("sync failed: %s", exc.message)
            return []
        except Exception as exc:
            # A full disk or a database held locked: one sentence, and the loop goes on; the
            # next run after the cause is gone completes (nothing half-written was kept).
            fault = storage_fault(exc)
            if fault is None:
                raise
            log.error("sync failed: %s", fault.message)
            return []
