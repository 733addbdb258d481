"""What an integration may spend and when it is next checked, as the screens word it.

Plain functions of plain values (a ``ChannelView``, a ``Due`` from the background sync's
schedule, the time now), so the detail screen's summary and the list share one wording and
tests need no App.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from ..sync.service import Due
    from ..views.channel import ChannelView


def lowered_note(view: ChannelView) -> str:
    """ " (lowered after a 429 at 14:05)" when a 429 lowered a budget still in force, else ""."""
    lowered = (view.read_budget is not None and view.read_budget < view.read_rate) or (
        view.write_budget is not None and view.write_budget < view.write_rate
    )
    if not lowered or view.budget_lowered_at is None:
        return ""
    return f" (lowered after a 429 at {view.budget_lowered_at.astimezone():%H:%M})"


def budget_text(view: ChannelView) -> Text:
    """The read and write budgets in force, per minute: "1,600 reads, 480 writes a minute"."""
    text = Text(f"{view.reads_per_minute:,} reads, {view.writes_per_minute:,} writes a minute")
    note = lowered_note(view)
    if note:
        text.append(note, style="bold #f5a524")
    return text


def until(when: datetime, now: datetime) -> str:
    """ "due now", "in 8 s", "in 4 min", "in 2 h"."""
    seconds = (when - now).total_seconds()
    if seconds < 1:
        return "due now"
    if seconds < 60:
        return f"in {int(seconds)} s"
    if seconds < 3600:
        return f"in {round(seconds / 60)} min"
    return f"in {round(seconds / 3600)} h"


def next_check_text(view: ChannelView, due: Due | None, now: datetime, *, scheduled: bool) -> Text:
    """When the integration's orders are next checked: the quick check, or the full sync
    when quick checks are off (an orders interval not shorter than the sync interval).

    ``scheduled``: a background sync runs (the TUI's own); without one nothing is due.
    """
    if not view.enabled:
        return Text("none (disabled)", style="dim")
    if view.needs_reauth:
        return Text("none until reauthorised", style="dim")
    if not scheduled:
        return Text("no background sync", style="dim")
    if due is None:
        return Text("not planned yet", style="dim")
    check = due.check if due.check is not None else due.full
    text = Text(until(check, now))
    if due.check is not None:
        text.append(f" (every {view.orders_interval_seconds} s)", style="dim")
    return text


__all__ = ["budget_text", "lowered_note", "next_check_text", "until"]
