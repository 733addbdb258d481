"""Repository functions: the questions every service asks the database, each answered once.

Each takes the caller's ``Session`` and never commits, so it joins the caller's unit of work.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from ..errors import NotFound
from .models import Channel, fold


def channel_by_ref(s: Session, ref: int | str, *, include_removed: bool = False) -> Channel:
    """An integration by id, or by name (trimmed, case-insensitive).

    A removed integration keeps its row (its orders and runs are history) but gives up its
    name: ``name_key`` is cleared so the name can be used again. So a name only ever finds a
    current integration, and ``include_removed`` decides whether an *id* may still find a
    removed one: the order book may (a removed integration's orders stay readable); everything
    that manages integrations may not ("That integration no longer exists.").
    """
    if isinstance(ref, int) and not isinstance(ref, bool):
        ch = s.get(Channel, ref)
        if ch is None or (ch.removed_at is not None and not include_removed):
            raise NotFound("That integration no longer exists.")
        return ch
    name = str(ref or "").strip()
    ch = s.exec(select(Channel).where(col(Channel.name_key) == fold(name))).first()
    if ch is None:
        raise NotFound(f"There is no integration named {name!r}.")
    return ch


def mark_needs_reauth(s: Session, channel_id: int, message: str) -> None:
    """Reverb refused the integration's token: flag it "reauthorise needed" (syncs skip it
    until a new token is saved) and keep Reverb's sentence as its last error."""
    ch = s.get(Channel, channel_id)
    if ch is not None:
        ch.needs_reauth = True
        ch.last_error = message
        s.add(ch)


def remember_budget(
    s: Session,
    ref: int | str,
    *,
    reads: int | None,
    writes: int | None,
    now: datetime,
    floor: int = 1,
) -> Channel:
    """What a 429 taught: store the lowered read and/or write budget (per minute) of one
    integration. It stays in force until a person sets that rate; it only ever lowers a
    budget, never below ``floor``."""
    ch = channel_by_ref(s, ref)
    changed = False
    if reads is not None and reads < ch.reads_per_minute:
        ch.read_budget, changed = max(floor, reads), True
    if writes is not None and writes < ch.writes_per_minute:
        ch.write_budget, changed = max(floor, writes), True
    if changed:
        ch.budget_lowered_at = now
        s.add(ch)
    return ch


__all__ = ["channel_by_ref", "mark_needs_reauth", "remember_budget"]
