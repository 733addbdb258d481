"""The detail screen's way into the unlinked view: "Unlinked: 12 listings, 3 orders"."""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.widgets import Button
from textual.worker import Worker

from ..errors import NotFound
from ..ui_text import plural
from ..ui_workers import GROUP_DB, WorkerName, WorkerRouting


def counts_label(listings: int, orders: int) -> str:
    return f"Unlinked: {plural(listings, 'listing')}, {plural(orders, 'order')}"


class UnlinkedCountsButton(WorkerRouting, Button):
    """Shows the counts; pressing it opens the unlinked view (the screen handles the press)."""

    class CountsLoaded(Message):
        def __init__(self, listings: int, orders: int) -> None:
            super().__init__()
            self.listings = listings
            self.orders = orders

    def __init__(self, channel_id: int, *, id: str = "open-unlinked") -> None:
        super().__init__("Unlinked: …", id=id)
        self.channel_id = channel_id
        self.counts: tuple[int, int] | None = None

    def on_mount(self) -> None:
        self.refresh_counts()

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name=WorkerName.UNLINKED_COUNTS)
    def refresh_counts(self) -> None:
        listings, orders = self.services.skus.unlinked_counts(self.channel_id)
        self.post_message(self.CountsLoaded(listings, orders))

    def on_unlinked_counts_button_counts_loaded(
        self, message: UnlinkedCountsButton.CountsLoaded
    ) -> None:
        message.stop()
        self.counts = (message.listings, message.orders)
        self.label = counts_label(message.listings, message.orders)
        self.refresh(layout=True)  # Button.label repaints only; the width follows the text
        self.variant = "warning" if any(self.counts) else "default"

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        # An integration removed elsewhere: the detail screen says so once and closes.
        return isinstance(worker.error, NotFound)
