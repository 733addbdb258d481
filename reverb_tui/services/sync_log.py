"""The sync log as a read model: runs newest first, each with its errors.

Read by the Sync log screen and ``reverb-tui log``; the runs themselves are written by
``sync/service.py``. No Textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from ..clock import iso
from ..db.engine import session_scope
from ..db.models import Channel, SyncError, SyncRun
from ..db.queries import channel_by_ref

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class SyncLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def runs(
        self, channel: str | None = None, limit: int = 50, *, channel_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Runs newest first (at most ``limit``; 0 for all), each with its errors, as the
        CLI's JSON objects. ``channel`` is a current integration's name, ``channel_id`` any
        integration row (a removed one too)."""
        with session_scope(self.engine) as s:
            q = select(SyncRun, Channel).join(Channel, col(Channel.id) == SyncRun.channel_id)
            if channel_id is not None:
                q = q.where(col(SyncRun.channel_id) == channel_id)
            if channel is not None:
                q = q.where(col(SyncRun.channel_id) == channel_by_ref(s, channel).id)
            q = q.order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
            if limit:
                q = q.limit(limit)
            rows = s.exec(q).all()
            run_ids = [r.id for r, _c in rows]
            errors: dict[int, list[dict[str, Any]]] = {}
            if run_ids:
                for e in s.exec(
                    select(SyncError)
                    .where(col(SyncError.run_id).in_(run_ids))
                    .order_by(col(SyncError.id))
                ).all():
                    errors.setdefault(e.run_id, []).append(
                        {"item": e.item, "message": e.message, "at": iso(e.created_at)}
                    )
            out = []
            for run, ch in rows:
                dur = (
                    (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
                )
                out.append(
                    {
                        "id": run.id,
                        "channel": ch.name + (" (removed)" if ch.removed_at else ""),
                        "channel_id": ch.id,
                        "kind": run.kind,
                        "status": run.status,
                        "started_at": iso(run.started_at),
                        "finished_at": iso(run.finished_at),
                        "seconds": round(dur, 3) if dur is not None else None,
                        "requests": run.requests,
                        "orders_new": run.orders_new,
                        "orders_updated": run.orders_updated,
                        "listings_seen": run.listings_seen,
                        "listings_pushed": run.listings_pushed,
                        "listings_skipped": run.listings_skipped,
                        "listings_failed": run.listings_failed,
                        "orders_invalid": run.orders_invalid,
                        "listings_invalid": run.listings_invalid,
                        "errors": errors.get(run.id, []) if run.id is not None else [],
                    }
                )
            return out


__all__ = ["SyncLog"]
