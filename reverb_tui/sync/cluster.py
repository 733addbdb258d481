"""Sync daemons sharing one database: their heartbeats, the spreading of integrations
among them, and who syncs what (``reverb-tui cluster status``).

Every ``sync --watch`` process registers itself in ``sync_daemon`` and beats every quarter
of its lease period (sync/lease.py); each beat is stamped by the database's clock and runs
three quarters of a period ahead, so a daemon that stops beating is dead within one period.
A daemon runs the scheduled syncs only of the integrations it has claimed (``sync_claim``).
At each beat it renews its claims and balances them: with M enabled integrations and N live
daemons its share is ceil(M / N); it gives back the claims beyond its share (another daemon
under its share takes them) and claims free or expired ones up to it. So the integrations
spread across the live daemons, and a dead daemon's claims, which nobody renews, are taken
by the others within one lease period. A daemon that stops cleanly gives its claims back at
once. The claim spreads the work; each run still takes the integration's lease, which keeps
any two runs of one integration (a daemon's, a TUI's, a one-off ``sync``) apart.

The status lists each daemon with its last heartbeat and the integrations it has claimed,
and any other process that holds a lease now or ran a sync in the last ``window`` (a TUI's
background sync, a one-off ``sync``), with the integrations it is syncing.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from ..db.models import Channel, SyncClaim, SyncDaemon, SyncRun
from ..db.types import db_now
from .lease import LEASE_PERIOD, LEASE_TTL, heartbeat_every, lease_ttl, new_holder

log = logging.getLogger("reverb_tui.sync")

# A dead daemon's row is kept this long after its last heartbeat (the status shows it dead).
FORGET_AFTER = timedelta(hours=1)


# -- membership: heartbeats and claims -----------------------------------------------------------


def beat(engine: Engine, holder: str, period: timedelta = LEASE_PERIOD) -> None:
    """Record a heartbeat of daemon ``holder`` (registering it on the first), on the
    database's clock, and forget daemons dead for longer than ``FORGET_AFTER``."""
    host, pid = parse_holder(holder)
    ttl = lease_ttl(period).total_seconds()
    seconds = round(period.total_seconds())
    with engine.begin() as conn:
        beaten = conn.execute(
            update(SyncDaemon)
            .where(col(SyncDaemon.holder) == holder)
            .values(heartbeat_at=db_now(), expires_at=db_now(ttl), lease_seconds=seconds)
        ).rowcount
        if not beaten:
            conn.execute(
                insert(SyncDaemon).values(
                    holder=holder,
                    host=host,
                    pid=pid or 0,
                    lease_seconds=seconds,
                    started_at=db_now(),
                    heartbeat_at=db_now(),
                    expires_at=db_now(ttl),
                )
            )
        conn.execute(
            delete(SyncDaemon).where(
                col(SyncDaemon.expires_at) < db_now(-FORGET_AFTER.total_seconds())
            )
        )


def share_of(integrations: int, live: int) -> int:
    """How many integrations one of ``live`` daemons runs: ceil(M / N)."""
    return math.ceil(integrations / max(live, 1))


def _claim(engine: Engine, channel_id: int, holder: str, ttl: float) -> bool:
    """Claim one integration if nobody holds a live claim on it (one transaction)."""
    try:
        with engine.begin() as conn:
            taken = conn.execute(
                update(SyncClaim)
                .where(
                    col(SyncClaim.channel_id) == channel_id,
                    or_(col(SyncClaim.holder) == holder, col(SyncClaim.expires_at) < db_now()),
                )
                .values(holder=holder, expires_at=db_now(ttl))
            ).rowcount
            if taken:
                return True
            exists = conn.execute(
                select(col(SyncClaim.holder)).where(col(SyncClaim.channel_id) == channel_id)
            ).first()
            if exists is not None:
                return False
            conn.execute(
                insert(SyncClaim).values(
                    channel_id=channel_id, holder=holder, expires_at=db_now(ttl)
                )
            )
            return True
    except IntegrityError:  # another daemon inserted it first
        return False


def balance(engine: Engine, holder: str, period: timedelta = LEASE_PERIOD) -> list[int]:
    """Renew ``holder``'s claims, give back those beyond its share and claim free or expired
    ones up to it. Returns the integrations it holds now, by id."""
    ttl = lease_ttl(period).total_seconds()
    with engine.begin() as conn:
        live = conn.execute(
            select(func.count())
            .select_from(SyncDaemon)
            .where(col(SyncDaemon.expires_at) > db_now())
        ).scalar_one()
        enabled = [
            cid
            for cid in conn.execute(
                select(col(Channel.id))
                .where(col(Channel.removed_at).is_(None), col(Channel.enabled).is_(True))
                .order_by(col(Channel.id))
            ).scalars()
            if cid is not None  # (a stored row always has its id)
        ]
        mine_q = col(SyncClaim.holder) == holder
        conn.execute(delete(SyncClaim).where(mine_q, col(SyncClaim.channel_id).not_in(enabled)))
        conn.execute(update(SyncClaim).where(mine_q).values(expires_at=db_now(ttl)))
        mine = sorted(conn.execute(select(col(SyncClaim.channel_id)).where(mine_q)).scalars())
        free = [] if len(mine) >= share_of(len(enabled), live) else _free(conn, enabled)
    share = share_of(len(enabled), live)
    if len(mine) > share:
        extra = mine[share:]
        with engine.begin() as conn:
            conn.execute(delete(SyncClaim).where(mine_q, col(SyncClaim.channel_id).in_(extra)))
        log.info("gave back %d integration(s) to the other daemons (share %d)", len(extra), share)
        return mine[:share]
    for cid in free:
        if len(mine) >= share:
            break
        if _claim(engine, cid, holder, ttl):
            mine.append(cid)
    return sorted(mine)


def _free(conn: Connection, enabled: list[int]) -> list[int]:
    """Enabled integrations nobody holds a live claim on, by id."""
    held = set(
        conn.execute(
            select(col(SyncClaim.channel_id)).where(col(SyncClaim.expires_at) > db_now())
        ).scalars()
    )
    return [cid for cid in enabled if cid not in held]


def leave(engine: Engine, holder: str) -> None:
    """A daemon stopping cleanly: its claims go back at once, its row goes."""
    with engine.begin() as conn:
        conn.execute(delete(SyncClaim).where(col(SyncClaim.holder) == holder))
        conn.execute(delete(SyncDaemon).where(col(SyncDaemon.holder) == holder))


class Membership:
    """A daemon's place among the others: ``held`` is the integrations it runs; ``run``
    beats and balances every ``heartbeat_every(period)`` seconds until ``stop`` is set."""

    def __init__(
        self, engine: Engine, period: timedelta = LEASE_PERIOD, holder: str | None = None
    ) -> None:
        self.engine, self.period = engine, period
        self.holder = holder or new_holder("daemon")
        self.held: set[int] = set()

    def step(self) -> set[int]:
        beat(self.engine, self.holder, self.period)
        held = set(balance(self.engine, self.holder, self.period))
        taken, lost = held - self.held, self.held - held
        if taken or lost:
            log.info(
                "this daemon runs %d integration(s)%s%s",
                len(held),
                f"; took {sorted(taken)}" if taken else "",
                f"; gave up {sorted(lost)}" if lost else "",
            )
        self.held = held
        return held

    async def run(self, stop: asyncio.Event) -> None:
        every = heartbeat_every(self.period)
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.step)
            except Exception as exc:  # the database away for a moment: beat again next time
                log.warning("daemon heartbeat failed: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass

    def leave(self) -> None:
        self.held = set()
        leave(self.engine, self.holder)


# -- the status ----------------------------------------------------------------------------------


@dataclass
class Daemon:
    host: str
    pid: int | None
    last_heartbeat: datetime | None = None  # the database's clock
    last_run_at: datetime | None = None  # the database's clock (sync_run.started_at)
    holds: list[str] = field(default_factory=list)
    daemon: bool = False  # a ``sync --watch`` process (else a TUI's or a one-off sync)
    alive: bool = True
    lease_seconds: int | None = None
    syncing: list[str] = field(default_factory=list)  # integrations it is syncing right now

    def as_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "pid": self.pid,
            "daemon": self.daemon,
            "alive": self.alive,
            "lease_seconds": self.lease_seconds,
            "last_heartbeat": self.last_heartbeat.isoformat() if self.last_heartbeat else None,
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
            "holds": sorted(self.holds),
            "syncing": sorted(self.syncing),
        }


@dataclass
class ClusterStatus:
    now: datetime
    daemons: list[Daemon]
    integrations: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "daemons": [d.as_json() for d in self.daemons],
            "integrations": self.integrations,
        }


def parse_holder(holder: str) -> tuple[str, int | None]:
    """(host, pid) of a lease holder; an unknown shape is its own host."""
    parts = holder.split(":")
    if len(parts) == 4:
        try:
            return parts[1], int(parts[2])
        except ValueError:
            pass
    return holder, None


def cluster_status(
    engine: Engine, window: timedelta = timedelta(hours=1), ttl: timedelta = LEASE_TTL
) -> ClusterStatus:
    """``ttl``: the lease's run past a heartbeat for processes that are not daemons (their
    heartbeat is read off their lease's expiry)."""
    with engine.connect() as conn:
        now = conn.execute(select(db_now())).scalar_one()
        channels = conn.execute(
            select(
                col(Channel.id),
                col(Channel.name),
                col(Channel.enabled),
                col(Channel.lease_holder),
                col(Channel.lease_expires_at),
            )
            .where(col(Channel.removed_at).is_(None))
            .order_by(col(Channel.name))
        ).all()
        rows = conn.execute(
            select(
                col(SyncDaemon.holder),
                col(SyncDaemon.heartbeat_at),
                col(SyncDaemon.expires_at),
                col(SyncDaemon.lease_seconds),
            )
        ).all()
        claims = {
            cid: holder
            for cid, holder in conn.execute(
                select(col(SyncClaim.channel_id), col(SyncClaim.holder)).where(
                    col(SyncClaim.expires_at) > now
                )
            ).all()
        }
        runs = conn.execute(
            select(col(SyncRun.holder), func.max(col(SyncRun.started_at)))
            .where(col(SyncRun.holder).is_not(None), col(SyncRun.started_at) >= now - window)
            .group_by(col(SyncRun.holder))
        ).all()
    daemons: dict[tuple[str, int | None], Daemon] = {}

    def daemon(holder: str) -> Daemon:
        key = parse_holder(holder)
        if key not in daemons:
            daemons[key] = Daemon(*key)
        return daemons[key]

    for daemon_holder, heartbeat_at, expires_at, lease_seconds in rows:
        d = daemon(daemon_holder)
        d.daemon, d.alive = True, expires_at > now
        d.last_heartbeat, d.lease_seconds = heartbeat_at, lease_seconds
    integrations = []
    for cid, name, enabled, holder, expires in channels:
        entry: dict[str, Any] = {
            "channel": name,
            "enabled": bool(enabled),
            "holder": None,
            "claimed_by": None,
        }
        if cid in claims:
            d = daemon(claims[cid])
            d.holds.append(name)
            entry["claimed_by"] = {"host": d.host, "pid": d.pid}
        if holder is not None and expires is not None and expires > now:
            d = daemon(holder)
            d.syncing.append(name)
            if not d.daemon:  # a TUI or a one-off sync: what it syncs is what it holds
                d.holds.append(name)
                beat_at = expires - ttl
                d.last_heartbeat = max(d.last_heartbeat or beat_at, beat_at)
            entry |= {
                "holder": {"host": d.host, "pid": d.pid},
                "lease_expires_in": round((expires - now).total_seconds(), 1),
            }
        integrations.append(entry)
    for run_holder, started in runs:
        if run_holder is not None and started is not None:
            d = daemon(run_holder)
            d.last_run_at = max(d.last_run_at or started, started)
    ordered = sorted(daemons.values(), key=lambda d: (d.host, d.pid or 0))
    return ClusterStatus(now, ordered, integrations)
