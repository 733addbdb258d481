"""Who syncs what across hosts (``reverb-tui cluster status``), read from the leases.

A daemon is seen through its work: every live lease names its holder (``kind:host:pid:run``,
``lease.new_holder``) and was stamped by the database's clock at the holder's last
heartbeat (expiry minus the TTL), and every sync run names its holder too. So the status
lists each host and process that holds a lease now or ran a sync in the last ``window``, its
last heartbeat, and the integrations it holds. (A daemon idle for longer than the window,
holding nothing, is not listed: no row speaks for it.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from ..db.models import Channel, SyncRun
from ..db.types import db_now
from .lease import LEASE_TTL


@dataclass
class Daemon:
    host: str
    pid: int | None
    last_heartbeat: datetime | None = None  # the database's clock
    last_run_at: datetime | None = None  # the host's clock (sync_run.started_at)
    holds: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "pid": self.pid,
            "last_heartbeat": self.last_heartbeat.isoformat() if self.last_heartbeat else None,
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
            "holds": sorted(self.holds),
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
    with engine.connect() as conn:
        now = conn.execute(select(db_now())).scalar_one()
        channels = conn.execute(
            select(
                col(Channel.name),
                col(Channel.enabled),
                col(Channel.lease_holder),
                col(Channel.lease_expires_at),
            )
            .where(col(Channel.removed_at).is_(None))
            .order_by(col(Channel.name))
        ).all()
        runs = conn.execute(
            select(col(SyncRun.holder), col(SyncRun.started_at)).where(
                col(SyncRun.holder).is_not(None), col(SyncRun.started_at) >= now - window
            )
        ).all()
    daemons: dict[tuple[str, int | None], Daemon] = {}

    def daemon(holder: str) -> Daemon:
        key = parse_holder(holder)
        if key not in daemons:
            daemons[key] = Daemon(*key)
        return daemons[key]

    integrations = []
    for name, enabled, holder, expires in channels:
        entry: dict[str, Any] = {"channel": name, "enabled": bool(enabled), "holder": None}
        if holder is not None and expires is not None and expires > now:
            d = daemon(holder)
            d.holds.append(name)
            beat = expires - ttl
            d.last_heartbeat = max(d.last_heartbeat or beat, beat)
            entry |= {
                "holder": {"host": d.host, "pid": d.pid},
                "lease_expires_in": round((expires - now).total_seconds(), 1),
            }
        integrations.append(entry)
    for run_holder, started in runs:
        if run_holder is not None:  # (the query takes runs with a holder only)
            d = daemon(run_holder)
            d.last_run_at = max(d.last_run_at or started, started)
    ordered = sorted(daemons.values(), key=lambda d: (d.host, d.pid or 0))
    return ClusterStatus(now, ordered, integrations)
