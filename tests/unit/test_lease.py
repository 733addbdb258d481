"""Sync leases on the database's clock (README "Team mode"): a host whose own clock is
minutes off neither takes a live lease nor keeps a dead one. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.db.types import db_now
from reverb_tui.domain import RunKind
from reverb_tui.sync.lease import Lease, release, renew, try_acquire
from tests.conftest import fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import BASE, FakeReverb

SKEW = timedelta(minutes=10)
# Holders on two other hosts: never "dead" by the same-host process check.
HOST_A = "sync:host-a.example:101:aaaaaaaa"
HOST_B = "sync:host-b.example:202:bbbbbbbb"


def real_clock() -> datetime:
    return datetime.now(UTC)


def ahead() -> datetime:
    return datetime.now(UTC) + SKEW


def behind() -> datetime:
    return datetime.now(UTC) - SKEW


@pytest.fixture
def engine(make_services):
    return make_services().engine


@pytest.fixture
def channel_id(make_services, engine) -> int:
    return add_channel(engine, "Shop A").id


def lease_row(engine, channel_id: int) -> tuple[str | None, timedelta | None]:
    """The holder, and how far the expiry lies ahead of the database's now."""
    with engine.connect() as conn:
        holder, expires, now = conn.execute(
            select(Channel.lease_holder, Channel.lease_expires_at, db_now()).where(
                Channel.id == channel_id
            )
        ).one()
    return holder, (expires - now if expires is not None else None)


def test_the_database_clock_is_read_as_aware_utc(engine) -> None:
    with engine.connect() as conn:
        now, later = conn.execute(select(db_now(), db_now(45))).one()
    assert now.tzinfo is UTC and abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert later - now == timedelta(seconds=45)


def test_expiry_is_one_ttl_past_the_database_clock(engine, channel_id: int) -> None:
    assert try_acquire(engine, channel_id, HOST_A, timedelta(seconds=60))
    holder, left = lease_row(engine, channel_id)
    assert holder == HOST_A and timedelta(seconds=55) < left <= timedelta(seconds=60)
    assert renew(engine, channel_id, HOST_A, timedelta(seconds=30))
    assert timedelta(seconds=25) < lease_row(engine, channel_id)[1] <= timedelta(seconds=30)
    assert not renew(engine, channel_id, HOST_B)  # only the holder renews
    release(engine, channel_id, HOST_B)  # nor releases
    assert lease_row(engine, channel_id)[0] == HOST_A
    release(engine, channel_id, HOST_A)
    assert lease_row(engine, channel_id) == (None, None)


async def test_a_host_ten_minutes_ahead_takes_no_live_lease(engine, channel_id: int) -> None:
    live = Lease(engine, channel_id, HOST_A, behind)
    assert await live.acquire()
    try:
        skewed = Lease(engine, channel_id, HOST_B, ahead)
        assert not await skewed.acquire(wait=0.6)
        assert not try_acquire(engine, channel_id, HOST_B)
        assert lease_row(engine, channel_id)[0] == HOST_A
    finally:
        await live.release()
    assert await skewed.acquire()
    await skewed.release()


async def test_a_dead_host_ten_minutes_ahead_keeps_its_lease_one_ttl_only(
    engine,
    channel_id: int,
) -> None:
    ttl = timedelta(seconds=1)
    dead = Lease(engine, channel_id, HOST_A, ahead, ttl=ttl, renew_every=3600)
    assert await dead.acquire()
    assert dead._task is not None
    dead._task.cancel()  # the host dies: no more heartbeats, no release
    started = time.monotonic()
    other = Lease(engine, channel_id, HOST_B, behind, ttl=timedelta(seconds=60))
    assert not try_acquire(engine, channel_id, HOST_B)  # still live
    assert await other.acquire(wait=10)
    waited = time.monotonic() - started
    try:
        assert waited < 3, f"the dead host's lease outlived its TTL by {waited - 1:.1f}s"
        assert lease_row(engine, channel_id)[0] == HOST_B
    finally:
        await other.release()


async def test_heartbeats_keep_a_lease_past_its_ttl(engine, channel_id: int) -> None:
    held = Lease(engine, channel_id, HOST_A, behind, ttl=timedelta(seconds=1), renew_every=0.2)
    assert await held.acquire()
    try:
        await asyncio.sleep(1.5)
        assert not try_acquire(engine, channel_id, HOST_B, timedelta(seconds=60))
        assert not held.lost
    finally:
        await held.release()


async def test_a_sync_on_a_host_ten_minutes_ahead_is_busy_while_another_host_syncs(
    make_services,
) -> None:
    """The issue's report: a host whose clock ran ahead synced beside the holder."""
    fake = FakeReverb()
    for _ in range(20):
        fake.add_order()
    gate = asyncio.Event()

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await gate.wait()
            return fake.handle(request)

    on_time = make_services(
        client_factory=fast_client_factory(SlowTransport()), clock=lambda: BASE + timedelta(1)
    )
    skewed = make_services(
        client_factory=fast_client_factory(fake.transport),
        clock=lambda: BASE + timedelta(1) + SKEW,
    )
    add_channel(on_time, "Shop A", orders_since=BASE - timedelta(days=30))
    first = asyncio.create_task(on_time.sync.run(RunKind.ORDERS))
    try:
        await asyncio.sleep(0.3)
        [busy] = await skewed.sync.run(RunKind.ORDERS)
        assert busy.status == "busy" and not busy.completed
    finally:
        gate.set()
        [done] = await first
    assert done.completed and done.orders_new == 20
    [later] = await skewed.sync.run(RunKind.ORDERS)
    assert later.completed


def test_every_lease_time_is_stamped_by_the_database(engine, channel_id: int) -> None:
    """No host time reaches the lease columns: a stored expiry in the past of the host's
    (skewed) clock is still live by the database's."""
    with session_scope(engine) as s:
        ch = s.get(Channel, channel_id)
        assert ch is not None
        ch.lease_holder = HOST_A
        ch.lease_expires_at = datetime.now(UTC) + timedelta(seconds=30)  # live by the database
    assert not try_acquire(engine, channel_id, HOST_B)


async def test_sync_runs_are_stamped_by_the_database_clock(make_services) -> None:
    """A host whose clock is ten minutes ahead still logs its runs at the database's time,
    so runs of several hosts line up in the sync log and in ``cluster status``."""
    from reverb_tui.db.models import SyncRun

    fake = FakeReverb()
    fake.add_order()
    skewed = make_services(
        client_factory=fast_client_factory(fake.transport), clock=lambda: real_clock() + SKEW
    )
    add_channel(skewed, "Shop A", orders_since=BASE - timedelta(days=30))
    [done] = await skewed.sync.run(RunKind.ORDERS)
    assert done.completed
    with skewed.engine.connect() as conn:
        now = conn.execute(select(db_now())).scalar_one()
        started, finished = conn.execute(select(SyncRun.started_at, SyncRun.finished_at)).one()
    assert timedelta(0) <= now - started < timedelta(seconds=30)
    assert started <= finished <= now
