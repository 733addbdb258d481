"""One syncer per integration: a lease (holder, expiry) on the channel row.

Taking the lease is one conditional UPDATE, atomic on every database: it succeeds when the
lease is free, expired, or already ours. The holder renews it while it works; a holder that
died stops renewing and its lease is taken over once it expires (TTL, well under a minute).

Every lease time is the database's clock (``db_now``), never a host's: hosts sharing one
PostgreSQL database may disagree by minutes, and a host whose clock runs ahead must neither
see a live lease as expired (and sync beside its holder) nor stamp its own lease with an
expiry far in the future (and keep it for minutes after it died).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from ..clock import Clock
from ..db.models import Channel
from ..db.types import db_now
from ..live import LEASE_WRITE

log = logging.getLogger("reverb_tui.sync")

LEASE_TTL = timedelta(seconds=45)
RENEW_EVERY = 10.0


def new_holder(kind: str = "sync") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(engine: Engine, channel_id: int, holder: str, ttl: timedelta = LEASE_TTL) -> bool:
    stmt = (
        update(Channel)
        .where(col(Channel.id) == channel_id)
        .where(
            or_(
                col(Channel.lease_holder).is_(None),
                col(Channel.lease_holder) == holder,
                col(Channel.lease_expires_at).is_(None),
                col(Channel.lease_expires_at) < db_now(),
            )
        )
        .values(lease_holder=holder, lease_expires_at=db_now(ttl.total_seconds()))
        .execution_options(**LEASE_WRITE)  # a heartbeat, not a change a screen shows
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def holder_is_dead(holder: str | None) -> bool:
    """True when ``holder`` names a process on this host that no longer exists.

    A killed daemon on this machine is then replaced at once instead of after the TTL;
    holders on other hosts are only ever taken over when their lease expires.
    """
    if not holder:
        return False
    parts = holder.split(":")
    if len(parts) != 4 or parts[1] != socket.gethostname():
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def take_over_dead(
    engine: Engine, channel_id: int, holder: str, ttl: timedelta = LEASE_TTL
) -> bool:
    """Take the lease from a holder whose process is gone (same host only)."""
    with engine.connect() as conn:
        current = conn.execute(
            select(col(Channel.lease_holder)).where(col(Channel.id) == channel_id)
        ).scalar_one_or_none()
    if not holder_is_dead(current):
        return False
    stmt = (
        update(Channel)
        .where(col(Channel.id) == channel_id, col(Channel.lease_holder) == current)
        .values(lease_holder=holder, lease_expires_at=db_now(ttl.total_seconds()))
        .execution_options(**LEASE_WRITE)  # a heartbeat, not a change a screen shows
    )
    with engine.begin() as conn:
        taken = conn.execute(stmt).rowcount == 1
    if taken:
        log.warning(
            "took over the sync lease of channel %s from %s, which is no longer running",
            channel_id,
            current,
        )
    return taken


def renew(engine: Engine, channel_id: int, holder: str, ttl: timedelta = LEASE_TTL) -> bool:
    """The heartbeat: push the expiry one TTL past the database's now (False if lost)."""
    stmt = (
        update(Channel)
        .where(col(Channel.id) == channel_id, col(Channel.lease_holder) == holder)
        .values(lease_expires_at=db_now(ttl.total_seconds()))
        .execution_options(**LEASE_WRITE)
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def release(engine: Engine, channel_id: int, holder: str) -> None:
    stmt = (
        update(Channel)
        .where(col(Channel.id) == channel_id, col(Channel.lease_holder) == holder)
        .values(lease_holder=None, lease_expires_at=None)
        .execution_options(**LEASE_WRITE)
    )
    with engine.begin() as conn:
        conn.execute(stmt)


class Lease:
    """Async context: renews the lease in the background while the body runs.

    ``clock`` is accepted for the callers' sake and not used: lease times are the database's.
    """

    def __init__(
        self,
        engine: Engine,
        channel_id: int,
        holder: str,
        clock: Clock | None = None,
        ttl: timedelta = LEASE_TTL,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        del clock
        self.engine, self.channel_id, self.holder = engine, channel_id, holder
        self.ttl, self.renew_every = ttl, renew_every
        self._task: asyncio.Task | None = None
        self.lost = False

    async def acquire(self, wait: float = 0.0) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            ok = await asyncio.to_thread(
                try_acquire, self.engine, self.channel_id, self.holder, self.ttl
            ) or await asyncio.to_thread(
                take_over_dead, self.engine, self.channel_id, self.holder, self.ttl
            )
            if ok:
                self._task = asyncio.create_task(self._renew_loop())
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(min(0.5, max(0.0, deadline - loop.time())))

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                ok = await asyncio.to_thread(
                    renew, self.engine, self.channel_id, self.holder, self.ttl
                )
            except Exception as exc:  # a locked database now and then: try again next tick
                log.warning(
                    "could not renew the sync lease of channel %s: %s", self.channel_id, exc
                )
                continue
            if not ok:
                self.lost = True
                return

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.to_thread(release, self.engine, self.channel_id, self.holder)
