"""The TUI's background sync on a thread of its own, with its own event loop.

The watch loop is the one ``reverb-tui sync --watch`` runs (``SyncService.watch``). In the
App's event loop every HTTP response, JSON decode and progress report of a full sync waited
in line with key presses; on its own loop it only shares the interpreter, and a key is handled
as soon as the sync thread gives up the GIL (at most a switch interval, 5 ms).

The App talks to it through three thread-safe calls: ``request`` ("Sync now"), ``stop`` and
``join``. Progress, finished runs and the schedule (when each integration's next check is
due) come back through callbacks called on the sync thread (the App posts them as messages,
which is thread-safe). Progress is thinned out to one report
per integration every ``PROGRESS_EVERY`` seconds: a push reports every listing, and each
report repainted a cell of the list. A change of phase, and the last report of a phase, are
always passed on.

No Textual here: tests/unit/test_background_sync.py drives it without an App.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .services.factory import Services
    from .sync.service import ChannelSummary, Due, SyncProgress, SyncQueue, SyncWanted

# Seconds between two progress reports of one integration passed on to the screen.
PROGRESS_EVERY = 0.1
# How long stop() + join() waits for a run in progress to let go of its leases.
JOIN_SECONDS = 10.0


class ProgressThrottle:
    """Passes on at most one report per integration every ``every`` seconds; a report held
    back is sent ``every`` seconds after the previous one unless a newer one replaced it, so
    the screen always ends on the latest. Runs on the sync thread's loop only."""

    def __init__(
        self,
        send: Callable[[SyncProgress], object],
        every: float = PROGRESS_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._send = send
        self._every = every
        self._clock = clock
        self._last_sent: dict[int, tuple[float, str]] = {}  # channel -> (when, phase)
        self._held: dict[int, SyncProgress] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}

    def __call__(self, progress: SyncProgress) -> None:
        if threading.get_ident() != self._thread:  # a report from a database thread
            self._loop.call_soon_threadsafe(self, progress)
            return
        key = progress.channel_id
        now = self._clock()
        last = self._last_sent.get(key)
        if last is None or last[1] != progress.phase or now - last[0] >= self._every:
            held = self._held.pop(key, None)
            if held is not None and last is not None and held.phase != progress.phase:
                self._emit(held, now)  # the end of the previous phase first
            self._cancel(key)
            self._emit(progress, now)
            return
        self._held[key] = progress
        if key not in self._timers:
            delay = max(0.0, self._every - (now - last[0]))
            self._timers[key] = self._loop.call_later(delay, self._flush, key)

    def _emit(self, progress: SyncProgress, now: float) -> None:
        self._last_sent[progress.channel_id] = (now, progress.phase)
        self._send(progress)

    def _flush(self, key: int) -> None:
        self._timers.pop(key, None)
        held = self._held.pop(key, None)
        if held is not None:
            self._emit(held, self._clock())

    def _cancel(self, key: int) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def flush_all(self) -> None:
        """Send every report held back (a run ended: its last reports must show)."""
        for key in list(self._held):
            self._cancel(key)
            self._flush(key)


class BackgroundSync:
    """``services.sync.watch`` on a thread of its own. ``run()`` is the thread's body (the
    App runs it in a thread worker); the other methods may be called from any thread."""

    def __init__(
        self,
        services: Services,
        *,
        on_progress: Callable[[SyncProgress], object],
        on_run: Callable[[list[ChannelSummary], SyncWanted | None], object],
        on_schedule: Callable[[dict[int, Due]], object] | None = None,
    ) -> None:
        self.services = services
        self._on_progress = on_progress
        self._on_run = on_run
        self._on_schedule = on_schedule
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._queue: SyncQueue | None = None
        self._task: asyncio.Task[None] | None = None
        self._early: list[SyncWanted] = []  # asked for before the loop was running
        self._stopping = False
        self.started = False
        self.finished = threading.Event()

    # -- the sync thread ------------------------------------------------------------------------

    def run(self) -> None:
        """The thread's body: returns when stopped; an unexpected error is raised."""
        self.started = True
        try:
            if not self._stopping:
                asyncio.run(self._main())
        finally:
            self.finished.set()

    async def _main(self) -> None:
        from .sync.service import SyncQueue

        stop = asyncio.Event()
        queue = SyncQueue(stop)
        throttle = ProgressThrottle(self._on_progress)

        def finished(summaries: list[ChannelSummary], wanted: SyncWanted | None) -> None:
            throttle.flush_all()
            self._on_run(summaries, wanted)

        with self._lock:
            if self._stopping:
                return
            self._loop = asyncio.get_running_loop()
            self._stop, self._queue = stop, queue
            self._task = asyncio.current_task()
            for wanted in self._early:
                queue.put(wanted)
            self._early.clear()
        try:
            # A lazy Services opens the database here, on this thread, if nothing has yet.
            sync = await asyncio.to_thread(lambda: self.services.sync)
            await sync.watch(
                stop=stop,
                wanted=queue,
                on_progress=throttle,
                on_run=finished,
                on_schedule=self._on_schedule,
            )
        except asyncio.CancelledError:
            if not self._stopping:
                raise

    # -- any thread -----------------------------------------------------------------------------

    def request(self, wanted: SyncWanted) -> None:
        """Queue a run ("Sync now"); one already covered by a pending request is dropped."""
        with self._lock:
            if self._loop is None or self._queue is None:
                self._early.append(wanted)
                return
            self._call(self._queue.put, wanted)

    def stop(self) -> None:
        """Stop the loop: a run in progress is cancelled, as the App's workers are on quit."""
        with self._lock:
            self._stopping = True
            if self._loop is None or self._stop is None or self._queue is None:
                return
            self._call(self._stop.set)
            self._call(self._queue.wake)
            if self._task is not None:
                self._call(self._task.cancel)

    def join(self, timeout: float = JOIN_SECONDS) -> bool:
        """Wait for the thread to end (after ``stop``); False if it is still running. True
        at once if it never started."""
        return not self.started or self.finished.wait(timeout)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop has closed: nothing left to tell
            pass
