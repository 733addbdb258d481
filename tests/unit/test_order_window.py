"""The Orders screen's window onto the order book, without Textual: which read comes next,
what the table does with each answer, and which answers are stale."""

from __future__ import annotations

import pytest

from reverb_tui.views.order_window import Mode, OrderWindow, Page, Read, RowOps

BOOK = [str(n) for n in range(1000, 0, -1)]  # table keys, newest first; the cursor is "k<key>"


def answer(read: Read, book: list[str] = BOOK) -> Page:
    """What the service answers to ``read`` over ``book`` (keyset: after the cursor)."""
    start = 0 if read.after is None else book.index(read.after[1:]) + 1
    keys = book[start : start + read.limit]
    more = start + read.limit < len(book)
    return Page(read, keys, [f"k{k}" for k in keys], f"k{keys[-1]}" if more and keys else None)


def window(**kw) -> OrderWindow:
    return OrderWindow(**{"page_size": 10, "window_pages": 3, "near_edge": 3, **kw})


def opened(w: OrderWindow, book: list[str] = BOOK) -> RowOps:
    ops = w.take(answer(w.reset_request(), book))
    assert ops is not None
    return ops


def scroll_down(w: OrderWindow, book: list[str] = BOOK) -> RowOps:
    rows = w.row_count
    read = w.on_view(rows - 5, rows - 1)
    assert read is not None and read.mode is Mode.APPEND
    ops = w.take(answer(read, book))
    assert ops is not None
    return ops


def test_first_page_then_nothing_read_until_the_view_nears_the_end() -> None:
    w = window()
    read = w.reset_request()
    assert (read.mode, read.page, read.after, read.limit) == (Mode.RESET, 0, None, 10)
    assert w.on_view(0, 5) is None  # a read is in flight
    ops = w.take(answer(read))
    assert ops == RowOps(tuple(BOOK[:10]), add=tuple(BOOK[:10]), reset=True)
    assert (w.first_page, w.page_sizes, w.more, w.loading) == (0, [10], True, None)
    assert w.on_view(0, 5) is None  # 4 rows below the view: not near the end yet
    read = w.on_view(0, 7)  # within 3 rows of the end
    assert read is not None
    assert (read.mode, read.page, read.after, read.limit) == (Mode.APPEND, 1, "k991", 10)


def test_append_until_full_then_the_first_pages_leave() -> None:
    w = window()
    opened(w)
    ops = scroll_down(w)
    assert ops == RowOps(tuple(BOOK[:20]), add=tuple(BOOK[10:20]))
    scroll_down(w)
    assert w.page_sizes == [10, 10, 10]
    ops = scroll_down(w)  # the fourth page: the window holds three
    assert ops.add == tuple(BOOK[30:40])
    assert ops.remove == tuple(BOOK[:20])  # two leave: the next page then only adds
    assert ops.shift == -20  # the rows that stay moved up by the pages that left
    assert ops.keys == tuple(BOOK[20:40])
    assert (w.first_page, w.end_page, w.row_count) == (2, 4, 20)
    assert w.starts[:5] == [None, "k991", "k981", "k971", "k961"]
    ops = scroll_down(w)
    assert ops == RowOps(tuple(BOOK[20:50]), add=tuple(BOOK[40:50]))
    assert w.row_count == 30  # never more than three pages


def test_prepend_reads_the_earlier_page_again_and_trims_the_end() -> None:
    w = window()
    opened(w)
    for _ in range(4):
        scroll_down(w)
    assert (w.first_page, w.end_page) == (2, 5)
    assert w.on_view(10, 15) is None  # in the middle of the window
    read = w.on_view(2, 8)  # near the top
    assert read is not None
    assert (read.mode, read.page, read.after) == (Mode.PREPEND, 1, "k991")
    ops = w.take(answer(read))
    assert ops is not None
    assert ops.add == tuple(BOOK[10:20])
    assert ops.remove == tuple(BOOK[30:50])  # the last two pages leave
    assert ops.shift == 10  # the rows that stay moved down by the page added above
    assert ops.keys == tuple(BOOK[10:30])
    assert (w.first_page, w.end_page, w.more) == (1, 3, True)
    assert w.starts == [None, "k991", "k981", "k971"]  # page 3 can be read again
    read = w.on_view(15, 19)
    assert read is not None and (read.page, read.after) == (3, "k971")


def test_the_top_of_the_book_reads_nothing_more_above() -> None:
    w = window()
    opened(w)
    assert w.on_view(0, 3) is None  # page 0 is the book's first


def test_the_end_of_the_book_reads_nothing_more_below() -> None:
    w = window()
    short = BOOK[:25]
    opened(w, short)
    scroll_down(w, short)
    ops = scroll_down(w, short)
    assert ops.add == tuple(short[20:])
    assert not w.more
    assert w.on_view(20, 24) is None


def test_a_row_seen_twice_is_kept_once() -> None:
    """The book changed between two reads: an order that moved to the next page is kept
    where it already is, and the page counts the rows it added."""
    w = window()
    opened(w)
    read = w.on_view(5, 9)
    assert read is not None
    page = Page(read, ["991", "990", *BOOK[11:19]], [], "k982")  # "991" came back
    ops = w.take(page)
    assert ops is not None and "991" not in ops.add and len(ops.add) == 9
    assert w.page_sizes == [10, 9] and len(set(w.keys)) == w.row_count == 19


def test_refresh_after_deletions_updates_by_key() -> None:
    w = window()
    opened(w)
    for _ in range(4):
        scroll_down(w)  # pages 2-4 in the window
    read = w.refresh_request()
    assert (read.mode, read.page, read.after, read.limit) == (Mode.REFRESH, 2, "k981", 30)
    # Meanwhile five orders of the window were deleted.
    gone = {"975", "974", "960", "955", "951"}
    book = [k for k in BOOK if k not in gone]
    ops = w.take(answer(read, book))
    assert ops is not None
    assert set(ops.remove) == gone
    assert ops.add == tuple(book[45:50])  # the window is 30 rows again
    assert set(ops.update) == set(BOOK[20:50]) - gone
    assert not ops.reset and ops.shift == 0
    assert ops.keys == tuple(book[20:50])
    assert w.page_sizes == [10, 10, 10] and w.first_page == 2
    assert w.starts[2:6] == ["k981", f"k{book[29]}", f"k{book[39]}", f"k{book[49]}"]


def test_refresh_of_an_empty_window_is_a_fresh_one() -> None:
    w = window()
    ops = w.take(answer(w.reset_request(), []))
    assert ops == RowOps((), reset=True) and not w.more
    ops = w.take(answer(w.refresh_request()))  # a sync downloaded orders meanwhile
    assert ops is not None and ops.reset and ops.add == tuple(BOOK[:10])


def test_a_stale_answer_for_a_window_that_has_moved_is_dropped() -> None:
    w = window()
    opened(w)
    append = w.on_view(5, 9)
    assert append is not None
    refresh = w.refresh_request()  # a newer read replaced the append
    assert w.take(answer(append)) is None
    assert w.loading is Mode.REFRESH  # the refresh is still in flight
    assert w.take(answer(refresh)) is not None
    assert w.loading is None

    # Same request number, but the window is no longer where that page joined it.
    moved = Read(w.request, Mode.APPEND, 7, "k931", 10)
    assert w.take(answer(moved)) is None
    moved = Read(w.request, Mode.PREPEND, 3, "k971", 10)
    assert w.take(answer(moved)) is None
    assert w.page_sizes == [10] and w.first_page == 0


def test_filters_changing_start_a_new_window() -> None:
    w = window()
    opened(w)
    for _ in range(4):
        scroll_down(w)
    append = w.on_view(25, 29)
    assert append is not None
    read = w.reset_request()  # the filters changed while a page was being read
    assert (read.mode, read.page, read.after) == (Mode.RESET, 0, None)
    assert w.take(answer(append)) is None
    paid = BOOK[::3]
    ops = w.take(answer(read, paid))
    assert ops is not None and ops.reset
    assert ops.keys == tuple(paid[:10])
    assert set(ops.update) == set(paid[:10]) & set(BOOK[20:50])
    assert set(ops.remove) == set(BOOK[20:50]) - set(paid[:10])
    assert (w.first_page, w.page_sizes, w.starts) == (0, [10], [None, f"k{paid[9]}"])


def test_counts_answer_only_the_newest() -> None:
    w = window()
    first = w.count_started()
    second = w.count_started()
    assert not w.is_current_count(first)
    assert w.is_current_count(second)


def test_a_failed_read_lets_reads_start_again() -> None:
    w = window()
    opened(w)
    assert w.on_view(5, 9) is not None
    assert w.on_view(5, 9) is None
    w.failed()
    assert w.on_view(5, 9) is not None


@pytest.mark.parametrize("pages", [1, 2])
def test_refresh_reads_the_whole_window(pages: int) -> None:
    w = window()
    opened(w)
    for _ in range(pages - 1):
        scroll_down(w)
    read = w.refresh_request()
    assert read.limit == max(10, 10 * pages)
