"""The Orders screen's window onto the order book, as plain Python.

The table never holds the whole book. It shows a window of at most ``window_pages`` pages of
``page_size`` orders, each read with keyset paging (a read starts *after* the key of the
previous page's last order). When the view comes within ``near_edge`` rows of the window's
end the next page is read and appended, and once the window is over full, pages at the other
end leave (two at a time, see ``_overflow``); scrolling back up reads the earlier pages again
from the keys remembered on the way down. A refresh reads the whole window again and updates rows by key.

``OrderWindow`` holds that bookkeeping and answers with decisions: which read to start
(``Read``) and, when its rows arrive, what the table must do (``RowOps``). It knows the rows
only by their table key (a string) and their keyset key; the screen reads the rows, the table
draws them. Every read gets a request number; an answer to a read that a newer one replaced,
or to a page next to where the window no longer is, is recognised and dropped (``take``
returns None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    """What a read is for."""

    RESET = "reset"  # the filters changed: a new window from the book's start
    REFRESH = "refresh"  # the same window, read again (rows change, come and go)
    APPEND = "append"  # the page after the window's last
    PREPEND = "prepend"  # the page before the window's first


@dataclass(frozen=True)
class Read:
    """A read to start: ``limit`` rows after the keyset key ``after`` (None: from the
    start), to become the window's page ``page`` (a refresh: its first page onwards)."""

    request: int
    mode: Mode
    page: int
    after: Any
    limit: int


@dataclass(frozen=True)
class Page:
    """The answer to a ``Read``: the rows' table keys in order, each row's keyset key
    (``cursors``, where a read after that row starts) and where the next page starts
    (``next_after``; None: the book ends with these rows)."""

    read: Read
    keys: Sequence[str]
    cursors: Sequence[Any]
    next_after: Any


@dataclass(frozen=True)
class RowOps:
    """What the table does with an answer.

    ``keys`` are the window's rows after it, top to bottom; ``add`` are new to the table,
    ``remove`` leave it, ``update`` were read again (their cells may have changed).
    ``shift`` is how many rows the rows that stay moved down (a page added above them) or up
    (a page left above them, negative); ``reset`` asks for the cursor at the top.
    """

    keys: tuple[str, ...]
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    shift: int = 0
    reset: bool = False


@dataclass
class OrderWindow:
    """Which pages of the order book the table holds, and which read comes next."""

    page_size: int = 100
    window_pages: int = 5
    near_edge: int = 25
    # The keyset "after" key of page n at index n (page 0 starts at the book's start).
    starts: list[Any] = field(default_factory=lambda: [None])
    first_page: int = 0  # the book's page number of the window's first page
    pages: list[list[str]] = field(default_factory=list)  # the table keys of each page
    more: bool = False  # a page follows the window's last one
    request: int = 0  # the newest table read; answers to older ones are dropped
    loading: Mode | None = None  # what the read in flight is for
    count_request: int = 0  # the newest count of matching orders

    # -- what the window holds -------------------------------------------------------------------

    @property
    def keys(self) -> list[str]:
        """The table keys of the window's rows, top to bottom."""
        return [key for page in self.pages for key in page]

    @property
    def page_sizes(self) -> list[int]:
        return [len(page) for page in self.pages]

    @property
    def row_count(self) -> int:
        return sum(len(page) for page in self.pages)

    @property
    def end_page(self) -> int:
        """The page after the window's last one."""
        return self.first_page + len(self.pages)

    # -- reads to start --------------------------------------------------------------------------

    def _start(self, mode: Mode, page: int, limit: int) -> Read:
        self.request += 1
        self.loading = mode
        return Read(self.request, mode, page, self.starts[page], limit)

    def reset_request(self) -> Read:
        """The filters changed: read the book's first page (any read in flight is stale)."""
        return self._start(Mode.RESET, 0, self.page_size)

    def refresh_request(self) -> Read:
        """Read the rows now in the window again, from its first page's start."""
        return self._start(Mode.REFRESH, self.first_page, max(self.page_size, self.row_count))

    def on_view(self, top: int, bottom: int) -> Read | None:
        """The rows ``top`` to ``bottom`` (the cursor's included) are in view: the read of the
        next or previous page when the view nears the window's end, else None. Nothing is
        read while another read is in flight."""
        rows = self.row_count
        if self.loading is not None or not rows:
            return None
        if self.more and bottom >= rows - self.near_edge:
            return self._start(Mode.APPEND, self.end_page, self.page_size)
        if self.first_page > 0 and top < self.near_edge:
            return self._start(Mode.PREPEND, self.first_page - 1, self.page_size)
        return None

    def count_started(self) -> int:
        """A count of the matching orders starts; its request number."""
        self.count_request += 1
        return self.count_request

    def is_current_count(self, request: int) -> bool:
        return request == self.count_request

    def failed(self, request: int | None = None) -> None:
        """The read in flight failed (the rows shown stay); reads may start again."""
        if request is None or request == self.request:
            self.loading = None

    # -- answers ---------------------------------------------------------------------------------

    def take(self, page: Page) -> RowOps | None:
        """The rows of a read arrived: the window moves; what the table must do, or None
        when the answer is stale (a newer read replaced it, or the window has moved)."""
        read = page.read
        if read.request != self.request:
            return None
        self.loading = None
        if read.mode is Mode.APPEND:
            return self._append(page) if read.page == self.end_page else None
        if read.mode is Mode.PREPEND:
            return self._prepend(page) if read.page == self.first_page - 1 else None
        return self._replace(page)

    def _replace(self, page: Page) -> RowOps:
        """A reset or a refresh: the answer is the whole window, cut into pages."""
        read, keys, size = page.read, list(page.keys), self.page_size
        chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
        starts = self.starts[: read.page + 1]
        starts.extend(page.cursors[i - 1] for i in range(size, len(keys), size))
        if page.next_after is not None:
            starts.append(page.next_after)
        old = self.keys
        self.starts, self.first_page, self.pages = starts, read.page, chunks
        self.more = page.next_after is not None
        was = set(old)
        now = set(keys)
        return RowOps(
            keys=tuple(keys),
            add=tuple(k for k in keys if k not in was),
            remove=tuple(k for k in old if k not in now),
            update=tuple(k for k in keys if k in was),
            reset=read.mode is Mode.RESET or not old,
        )

    def _new_keys(self, keys: Sequence[str]) -> list[str]:
        """Keys not in the window yet (the book changed between two reads: a row that moved
        to the next page is kept once, where it already is)."""
        seen = set(self.keys)
        fresh = []
        for key in keys:
            if key not in seen:
                seen.add(key)
                fresh.append(key)
        return fresh

    def _append(self, page: Page) -> RowOps:
        added = self._new_keys(page.keys)
        del self.starts[page.read.page + 1 :]
        if page.next_after is not None:
            self.starts.append(page.next_after)
        self.more = page.next_after is not None
        self.pages.append(added)
        leave = self._overflow()
        removed = [key for page in self.pages[:leave] for key in page]
        del self.pages[:leave]
        self.first_page += leave
        return RowOps(tuple(self.keys), tuple(added), tuple(removed), shift=-len(removed))

    def _prepend(self, page: Page) -> RowOps:
        added = self._new_keys(page.keys)
        self.first_page = page.read.page
        self.pages.insert(0, added)
        leave = self._overflow()
        removed = [key for page in self.pages[len(self.pages) - leave :] for key in page]
        if leave:
            del self.pages[-leave:]
            self.more = True
            del self.starts[self.end_page + 1 :]
        return RowOps(tuple(self.keys), tuple(added), tuple(removed), shift=len(added))

    def _overflow(self) -> int:
        """How many pages leave the window's far end: none until it holds more than
        ``window_pages``, then enough to leave room for the next page too. Rows that leave
        move every row's place, and the table draws them all again; rows added below the
        others do not, so every other page costs one drawing instead of two."""
        if len(self.pages) <= self.window_pages:
            return 0
        return len(self.pages) - max(1, self.window_pages - 1)
