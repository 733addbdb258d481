"""The Orders screen with 100,000 orders: open, filter, search, scroll, memory.

Builds a temp database in a child process (the same mix as ``orders_100k.py``: two
integrations, realistic statuses, SKUs, shipping methods and exceptions), then drives the
real ``ReverbApp`` with ``App.run_test()`` in this process and times, in one run:

- open: from pressing ``o`` until the first rows are in the table and painted, and until the
  count of matching orders is shown;
- a status filter (``paid``), a search (a buyer's name), the exceptions switch: from the
  change until the new rows show, and until the new count shows;
- scrolling 10 pages (1,000 orders) down with ctrl+end, each page read as the cursor nears
  the end of the window: total and per page; the table never holds more than 500 rows;
- one cursor key press (keypress latency) deep in the window;
- CPU: the process's CPU time (both threads, the polling for the frame included) from the key
  to the frame, for the open and each page: unlike wall time it hardly grows when other
  programs load the machine;
- memory: this process's peak RSS before the screen opens and at the end (the database was
  built in a child, so its inserts are not counted), and Python's traced peak over the
  screen's work (tracemalloc, switched on only after the timings so it does not slow them).

Run: ``.venv/bin/python benchmarks/orders_screen.py [--orders N] [--keep] [--db PATH]``
(``--db``: use that database when it exists, else build it there and keep it, so runs
before and after a change read the same book.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Frames:
    """Counts the frames the app composes (headless: computed, not written), so "shown"
    means the first frame after the state changed, not a Pilot idle-wait."""

    def __init__(self, app) -> None:
        self.times: list[float] = []
        self.cpu: dict[float, float] = {}  # frame time -> the process's CPU time then
        original = app._display

        def display(screen, renderable):
            if renderable is not None:
                now = time.perf_counter()
                self.times.append(now)
                self.cpu[now] = time.process_time()
            return original(screen, renderable)

        app._display = display

    async def shown(self, condition, change: str, timeout: float = 60.0) -> float:
        """Run the app until ``condition()`` holds; return the time of the first frame
        composed after the latest ``change`` (rows, count or cursor) was applied."""
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the screen did not get there in time")
            await asyncio.sleep(0.0005)
        since = CHANGES[change]
        while True:
            later = [t for t in self.times[-50:] if t > since]
            if later:
                return later[0]
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame was composed")
            await asyncio.sleep(0.0005)


CHANGES: dict[str, float] = {"rows": 0.0, "count": 0.0, "cursor": 0.0}


def instrument() -> None:
    """Stamp the moment the screen applied new rows, a new count, a cursor move."""
    from reverb_tui.screens.orders import OrdersScreen, OrdersTable

    def stamped(cls, name: str, change: str) -> None:
        original = getattr(cls, name)
        if getattr(original, "stamped", False):
            return

        if change == "cursor":  # a watcher: Textual counts its parameters

            def wrapper(self, old, new):
                result = original(self, old, new)
                CHANGES[change] = time.perf_counter()
                return result

        else:

            def wrapper(self, message):
                result = original(self, message)
                CHANGES[change] = time.perf_counter()
                return result

        wrapper.stamped = True  # type: ignore[attr-defined]
        setattr(cls, name, wrapper)

    stamped(OrdersScreen, "on_orders_page_loaded", "rows")
    stamped(OrdersScreen, "on_orders_counted", "count")
    stamped(OrdersTable, "watch_cursor_coordinate", "cursor")


def send_key(app, key: str) -> None:
    """A key press as the terminal driver delivers it (Pilot adds idle waits of its own)."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def open_empty(db: str) -> float:
    """Baseline: ms from ``o`` until the Orders screen of an empty order book is shown."""
    from reverb_tui.app import ReverbApp
    from reverb_tui.screens.orders import OrdersScreen
    from reverb_tui.services.factory import build_services

    instrument()
    services = build_services(db)
    app = ReverbApp(services, start_sync=False)
    async with app.run_test(size=(180, 50)) as pilot:
        frames = Frames(app)
        await pilot.pause()
        await app.workers.wait_for_complete()
        t0 = time.perf_counter()
        send_key(app, "o")
        t1 = await frames.shown(
            lambda: (
                isinstance(app.screen, OrdersScreen)
                and app.screen._count is not None
                and app.screen._loaded_once
                and app.screen.window.loading is None
            ),
            "rows",
        )
    services.close()
    return (t1 - t0) * 1000


async def drive(db: str, figures: list[tuple[str, float, str]]) -> dict[str, float]:
    from textual.widgets import Input, Select, Switch

    from reverb_tui.app import ReverbApp
    from reverb_tui.screens import orders as orders_module
    from reverb_tui.screens.orders import OrdersScreen, OrdersTable
    from reverb_tui.services.factory import build_services

    instrument()
    services = build_services(db)
    app = ReverbApp(services, start_sync=False)
    memory: dict[str, float] = {}

    def add(label: str, t0: float, t1: float, note: str = "") -> None:
        figures.append((label, (t1 - t0) * 1000, note))

    async with app.run_test(size=(180, 50)) as pilot:
        frames = Frames(app)
        await pilot.pause()
        await app.workers.wait_for_complete()
        memory["rss_before_open"] = rss_mb()

        # -- open -------------------------------------------------------------------------------
        c0 = time.process_time()
        t0 = time.perf_counter()
        send_key(app, "o")
        t1 = await frames.shown(lambda: isinstance(app.screen, OrdersScreen)
                                and any(t.row_count for t in app.screen.query(OrdersTable)),
                                "rows")  # fmt: skip
        screen: OrdersScreen = app.screen  # type: ignore[assignment]
        table = screen.query_one(OrdersTable)
        cpu = (frames.cpu[t1] - c0) * 1000
        add(
            "open Orders screen → first rows shown",
            t0,
            t1,
            f"{table.row_count} rows; {cpu:.0f} ms CPU",
        )
        t1 = await frames.shown(lambda: screen._count is not None, "count")
        add("open Orders screen → count shown", t0, t1, f"{screen._count:,} orders")
        await app.workers.wait_for_complete()
        await pilot.pause()
        total = screen._count or 0

        async def change(label: str, apply, check) -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()
            request = screen.window.request
            screen._count = None
            t = time.perf_counter()
            apply()
            t1 = await frames.shown(
                lambda: (
                    screen.window.request > request and screen.window.loading is None and check()
                ),
                "rows",
            )
            add(f"{label} → rows shown", t, t1, f"{table.row_count} rows")
            t1 = await frames.shown(lambda: screen._count is not None, "count")
            add(f"{label} → count shown", t, t1, f"{screen._count:,} match")

        def first_status() -> str:
            return str(table.get_row_at(0)[3]) if table.row_count else ""

        def set_status(value) -> None:
            screen.query_one("#orders-status", Select).value = value

        await change("status filter = paid", lambda: set_status("paid"),
                     lambda: first_status() == "Paid")  # fmt: skip
        set_status(Select.NULL)

        def search(text: str) -> None:
            screen.query_one("#orders-search", Input).value = text
            screen._apply_search()  # as the pause in typing (or enter) does

        def first_buyer() -> str:
            return str(next(iter(screen._rows.values())).order.buyer_name) if screen._rows else ""

        await change("search 'tanaka' (a buyer)", lambda: search("tanaka"),
                     lambda: "Tanaka" in first_buyer())  # fmt: skip
        await change("search '2009' (order numbers)", lambda: search("2009"),
                     lambda: True)  # fmt: skip
        search("")

        def exceptions(on: bool) -> None:
            screen.query_one("#orders-exceptions", Switch).value = on

        await change("exceptions only", lambda: exceptions(True), lambda: table.row_count > 0)
        exceptions(False)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await frames.shown(
            lambda: screen.window.loading is None and screen.window.first_page == 0, "rows"
        )

        # -- scroll 10 pages -------------------------------------------------------------------
        page_size = orders_module.PAGE_SIZE
        table.focus()
        await pilot.pause()
        window = screen.window
        target = window.end_page + 10
        largest = table.row_count
        per_page: list[float] = []
        cpu_page: list[float] = []
        t0 = time.perf_counter()
        while window.end_page < target:
            loaded = window.end_page
            c = time.process_time()
            t = time.perf_counter()
            send_key(app, "ctrl+end")
            t1 = await frames.shown(
                lambda n=loaded: (
                    window.end_page > n and window.loading is None and not table.settling
                ),
                "rows",
            )
            per_page.append((t1 - t) * 1000)
            cpu_page.append((frames.cpu[t1] - c) * 1000)
            largest = max(largest, table.row_count)
        add(
            f"scroll 10 pages ({10 * page_size:,} orders) with ctrl+end",
            t0,
            time.perf_counter(),
            f"table ≤ {largest} rows; pages {window.first_page}…{window.end_page - 1} now in it",
        )
        per_page.sort()
        cpu_page.sort()
        figures.append((
            "  one page: key → next page shown (median)",
            per_page[len(per_page) // 2],
            f"{cpu_page[len(cpu_page) // 2]:.0f} ms CPU (median)",
        ))  # fmt: skip
        figures.append(("  one page: slowest", per_page[-1], "a page leaves the top too"))

        # -- keypress latency ---------------------------------------------------------------------
        table.move_cursor(row=table.row_count // 2)
        await pilot.pause()
        samples = []
        for _ in range(30):
            row = table.cursor_row
            t = time.perf_counter()
            send_key(app, "down")
            t1 = await frames.shown(lambda r=row: table.cursor_row == r + 1, "cursor")
            samples.append((t1 - t) * 1000)
            await pilot.pause()
        samples.sort()
        figures.append(("cursor down: key → frame (median of 30)", samples[15], ""))
        figures.append(("cursor down: key → frame (slowest of 30)", samples[-1], ""))

        memory["rss_end"] = rss_mb()

        # -- traced Python memory of the screen's work (after the timings) ------------------------
        tracemalloc.start()
        set_status("shipped")
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(6):
            await pilot.press("ctrl+end")
            await app.workers.wait_for_complete()
            await pilot.pause()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory["traced_peak"] = peak / 1e6
        memory["rows_in_table"] = table.row_count
        memory["total"] = total
    services.close()
    return memory


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true", help="keep the database file")
    ap.add_argument(
        "--db",
        type=Path,
        help="use this database if it exists (else build it there and keep it)",
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="orders-screen-bench-"))
    db = args.db.resolve() if args.db else tmp / "bench.db"
    keep = args.keep or args.db is not None
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")  # the app's error file, if any
    if db.exists():
        print(f"using {db} ({db.stat().st_size / 1e6:.0f} MB) as it is")
    else:
        build = (
            f"import sys; sys.path.insert(0, {str(HERE)!r}); from orders_100k import build; "
            f"print(round(build(__import__('pathlib').Path({str(db)!r}), {args.orders}), 1))"
        )
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", build], capture_output=True, text=True, check=True
        )
        print(f"built {args.orders:,} orders in {time.perf_counter() - t:.1f} s "
              f"(insert {out.stdout.strip()} s, {db.stat().st_size / 1e6:.0f} MB) in a child process")  # fmt: skip

    figures: list[tuple[str, float, str]] = []
    empty = tmp / "empty.db"
    baseline = asyncio.run(open_empty(str(empty)))
    memory = asyncio.run(drive(str(db), figures))
    figures.insert(0, ("open Orders screen, empty book (baseline)", baseline, "0 orders"))

    width = max(len(f[0]) for f in figures)
    print(f"{'operation':<{width}}  {'ms':>8}  note")
    for label, ms, note in figures:
        print(f"{label:<{width}}  {ms:>8.1f}  {note}")
    print(
        f"peak RSS: {memory['rss_before_open']:.0f} MB with the app started, "
        f"{memory['rss_end']:.0f} MB after the screen's work "
        f"({memory['rss_end'] - memory['rss_before_open']:+.0f} MB for {memory['total']:,} orders)"
    )
    print(
        f"traced Python peak while filtering and scrolling 6 more pages: "
        f"{memory['traced_peak']:.1f} MB (table rows now {memory['rows_in_table']:.0f})"
    )
    for base in (empty,) if keep else (db, empty):
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(base) + suffix)
            if p.exists():
                p.unlink()
    if keep:
        print(f"kept {db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
