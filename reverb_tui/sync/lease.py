"""One syncer per integration: a lease (holder, expiry) on the channel row.

Taking the lease is one conditional UPDATE, atomic on every database: it succeeds when the
lease is free, expired, or already ours. The holder renews it while it works; a holder that
died stops renewing and its lease is taken over once it expires (TTL, well under a minute).

How long a lease lasts is the lease period (``lease_period``: default 60 s, settable): a
lease is stamped to expire three quarters of a period after each heartbeat, and the holder
beats every quarter period, so a live holder has half a period of slack and a dead one is
replaced within one period of its last heartbeat.

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
from ..config import MAX_LEASE as MAX_LEASE_SECONDS
from ..config import MIN_LEASE as MIN_LEASE_SECONDS
from ..db.models import Channel
from ..db.types import db_now
from ..live import LEASE_WRITE

log = logging.getLogger("reverb_tui.sync")

LEASE_PERIOD = timedelta(seconds=60)
LEASE_ENV = "REVERB_TUI_LEASE_SECONDS"
HOST_ENV = "REVERB_TUI_HOST_ID"


def lease_ttl(period: timedelta) -> timedelta:
    """How far past a heartbeat a lease (or a claim, or a daemon's heartbeat) runs."""
    return period * 3 / 4


def heartbeat_every(period: timedelta) -> float:
    """Seconds between two heartbeats of a holder."""
    return period.total_seconds() / 4


LEASE_TTL = lease_ttl(LEASE_PERIOD)
RENEW_EVERY = heartbeat_every(LEASE_PERIOD)


def lease_period(seconds: int | None = None) -> timedelta:
    """The lease period in force: ``seconds`` (the ``--lease-seconds`` flag), else
    ``$REVERB_TUI_LEASE_SECONDS``, else the config file's ``lease_seconds``, else 60 s."""
    from ..config import current
    from ..errors import UserError

    if seconds is None:
        raw = os.environ.get(LEASE_ENV, "").strip()
        if raw:
            try:
                seconds = int(raw)
            except ValueError:
                seconds = -1
            if not MIN_LEASE_SECONDS <= seconds <= MAX_LEASE_SECONDS:
                raise UserError(
                    f"${LEASE_ENV} must be a whole number of seconds from "
                    f"{MIN_LEASE_SECONDS} to {MAX_LEASE_SECONDS}."
                )
        else:
            seconds = current().lease_seconds  # checked when the file was read
    elif not MIN_LEASE_SECONDS <= seconds <= MAX_LEASE_SECONDS:
        raise UserError(
            f"The lease period must be from {MIN_LEASE_SECONDS} to {MAX_LEASE_SECONDS} seconds."
        )
    return LEASE_PERIOD if seconds is None else timedelta(seconds=seconds)


def host_id() -> str:
    """This host's name in lease holders: ``$REVERB_TUI_HOST_ID`` when set (two processes on
    one machine then look like two hosts), else the machine's host name."""
    name = os.environ.get(HOST_ENV, "").strip() or socket.gethostname()
    return name.replace(":", "_")


def new_holder(kind: str = "sync") -> str:
    return f"{kind}:{host_id()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
    if len(parts) != 4 or parts[1] != host_id():
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
