"""Messages of the TUI, named in the past tense (ARCHITECTURE.md "Naming").

Workers never touch widgets: they call a service and post one of these to the screen that
started them (``post_message`` is thread-safe). Each message bubbles from that screen to the
app, so a screen reacts first (close a form, reload its rows) and ``ReverbApp`` then reacts
app-wide (a notification). Messages carry plain values, never a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from textual.message import Message


@dataclass(frozen=True)
class ChannelRow:
    """What the list shows of one integration (no token, no session attached)."""

    id: int
    name: str
    type: str
    enabled: bool
    needs_reauth: bool
    error_count: int
    last_error: str | None
    last_order_sync_at: datetime | None
    last_stock_push_at: datetime | None
    # ``channel_json`` (token masked): lets the detail screen paint its first frame at once.
    view: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_channel(cls, ch: Any) -> ChannelRow:
        from .services.channels import channel_json

        return cls(
            id=int(ch.id),
            name=ch.name,
            type=ch.type,
            enabled=bool(ch.enabled),
            needs_reauth=bool(ch.needs_reauth),
            error_count=int(ch.error_count or 0),
            last_error=ch.last_error,
            last_order_sync_at=ch.last_order_sync_at,
            last_stock_push_at=ch.last_stock_push_at,
            view=channel_json(ch),
        )


class ChannelsLoaded(Message):
    """The integrations were read from the database (rows in list order)."""

    def __init__(self, rows: list[ChannelRow], now: datetime) -> None:
        super().__init__()
        self.rows = rows
        self.now = now


class ChannelLoaded(Message):
    """One integration was read for the detail screen; ``view`` is ``channel_json`` (masked)."""

    def __init__(self, view: dict[str, Any]) -> None:
        super().__init__()
        self.view = view


class NameChecked(Message):
    """The wizard's name step passed: usable and not taken."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class ChannelAdded(Message):
    """A new integration was verified with Reverb and saved (enabled)."""

    def __init__(self, channel_id: int, name: str) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.name = name


class ChannelChanged(Message):
    """An integration was changed.

    ``change`` is one of ``enabled``, ``disabled``, ``reauthorised``, ``settings``.
    """

    def __init__(self, channel_id: int, name: str, change: str) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.name = name
        self.change = change


class ChannelRemoved(Message):
    """An integration was removed (its history stays as a separate site)."""

    def __init__(self, channel_id: int, name: str) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.name = name


class SyncRequested(Message):
    """A sync is wanted now: every enabled integration, or just ``channel_id``.

    ``stock_only`` asks for a stock push without an order download (after an inventory edit
    or a mapping change).
    """

    def __init__(self, channel_id: int | None = None, *, stock_only: bool = False) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.stock_only = stock_only


class SyncProgressed(Message):
    """A background sync made progress (a page of orders, listings, or pushes)."""

    def __init__(self, progress: Any) -> None:  # sync.service.SyncProgress
        super().__init__()
        self.progress = progress


class SyncFinished(Message):
    """A background sync run ended; ``summaries`` are sync.service.ChannelSummary objects.

    ``requested`` is True for a run somebody asked for ("Sync now", an inventory edit).
    """

    def __init__(self, summaries: list[Any], *, requested: bool) -> None:
        super().__init__()
        self.summaries = summaries
        self.requested = requested
