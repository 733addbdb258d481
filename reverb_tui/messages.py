"""Messages of the TUI, named in the past tense (``ChannelAdded``, ``SyncFinished``;
the naming rules are in CONTRIBUTING.md).

Workers never touch widgets: they call a service and post one of these to the screen that
started them (``post_message`` is thread-safe). Each message bubbles from that screen to the
app, so a screen reacts first (close a form, reload its rows) and ``ReverbApp`` then reacts
app-wide (a notification). Messages carry plain values, never a token.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from .live import Change
    from .services.channels import ChannelView
    from .sync.service import ChannelSummary, Due, SyncProgress


class ChangeKind(StrEnum):
    """What ``ChannelChanged`` says happened to an integration."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    REAUTHORISED = "reauthorised"
    SETTINGS = "settings"


class ChannelsLoaded(Message):
    """The integrations were read from the database (rows in list order)."""

    def __init__(self, rows: list[ChannelView], now: datetime) -> None:
        super().__init__()
        self.rows = rows
        self.now = now


class ChannelLoaded(Message):
    """One integration was read for the detail screen."""

    def __init__(self, view: ChannelView) -> None:
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
    """An integration was changed (``change`` says how)."""

    def __init__(self, channel_id: int, name: str, change: ChangeKind) -> None:
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

    def __init__(self, progress: SyncProgress) -> None:
        super().__init__()
        self.progress = progress


class SyncScheduled(Message):
    """The background sync planned anew when each integration's next check and full sync
    are due (integration id -> ``Due``)."""

    def __init__(self, schedule: dict[int, Due]) -> None:
        super().__init__()
        self.schedule = schedule


class SyncFinished(Message):
    """A background sync run ended, with one summary per integration it synced.

    ``requested`` is True for a run somebody asked for ("Sync now", an inventory edit).
    """

    def __init__(self, summaries: list[ChannelSummary], *, requested: bool) -> None:
        super().__init__()
        self.summaries = summaries
        self.requested = requested


class DataChanged(Message):
    """Another connection (a daemon, a CLI command, another host's TUI, or this TUI's own
    background sync) committed rows of ``change.topics`` (reverb_tui/live.py)."""

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change
