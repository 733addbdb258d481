"""The TUI's background sync thread (background_sync.py), without an App."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from reverb_tui.background_sync import BackgroundSync, ProgressThrottle
from reverb_tui.sync.service import SyncPhase, SyncProgress, SyncWanted


def progress(channel: int, phase: SyncPhase, done: int) -> SyncProgress:
    return SyncProgress(channel, f"Shop {channel}", phase, done, 100)


async def test_progress_is_thinned_but_ends_on_the_latest() -> None:
    sent: list[tuple[int, str, int]] = []
    now = [0.0]
    throttle = ProgressThrottle(
        lambda p: sent.append((p.channel_id, p.phase, p.done)), every=0.05, clock=lambda: now[0]
    )
    throttle(progress(1, SyncPhase.ORDERS, 1))  # the first: at once
    throttle(progress(2, SyncPhase.ORDERS, 1))  # another integration: at once
    for done in range(2, 10):  # within the interval: held, the newest replacing the older
        now[0] += 0.001
        throttle(progress(1, SyncPhase.ORDERS, done))
    assert sent == [(1, "orders", 1), (2, "orders", 1)]
    await asyncio.sleep(0.1)  # the held report goes out after the interval
    assert sent[-1] == (1, "orders", 9) and len(sent) == 3
    now[0] += 0.001
    throttle(progress(1, SyncPhase.ORDERS, 10))  # held again
    throttle(progress(1, SyncPhase.PUSH, 1))  # a new phase: the old phase's last, then it
    assert sent[-2:] == [(1, "orders", 10), (1, "push", 1)]
    now[0] += 0.001
    throttle(progress(1, SyncPhase.PUSH, 2))
    throttle.flush_all()  # a run ended: nothing stays held
    assert sent[-1] == (1, "push", 2)
    await asyncio.sleep(0.1)
    assert sent[-1] == (1, "push", 2) and len(sent) == 6  # the cancelled timer sent nothing


async def test_a_report_from_another_thread_goes_through_the_loop() -> None:
    sent: list[int] = []
    throttle = ProgressThrottle(lambda p: sent.append(p.done))
    t = threading.Thread(target=throttle, args=(progress(1, SyncPhase.ORDERS, 5),))
    t.start()
    t.join()
    await asyncio.sleep(0.01)
    assert sent == [5]


class FakeSync:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[SyncWanted] = []
        self.thread: int | None = None
        self.cancelled = False
        self.started = threading.Event()

    async def watch(
        self,
        *,
        stop: asyncio.Event,
        wanted: Any,
        on_progress: Any,
        on_run: Any,
        on_schedule: Any = None,
    ):
        self.thread = threading.get_ident()
        if on_schedule is not None:
            on_schedule({1: "in 10 s"})
        self.started.set()
        if self.fail:
            raise RuntimeError("a bug in the loop")
        try:
            while not stop.is_set():
                request = wanted.pop()
                if request is not None:
                    self.asked.append(request)
                    on_progress(SyncProgress(1, "Shop", SyncPhase.ORDERS, 1, 2))
                    on_run([], request)
                    continue
                await wanted.event.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


class FakeServices:
    def __init__(self, sync: FakeSync) -> None:
        self.sync = sync


def test_requests_stop_and_join_across_threads() -> None:
    fake = FakeSync()
    runs: list[SyncWanted | None] = []
    progressed: list[SyncProgress] = []
    schedules: list[dict] = []
    bg = BackgroundSync(
        FakeServices(fake),  # type: ignore[arg-type]
        on_progress=progressed.append,
        on_run=lambda summaries, wanted: runs.append(wanted),
        on_schedule=schedules.append,
    )
    bg.request(SyncWanted(None))  # before the thread runs: kept for it
    thread = threading.Thread(target=bg.run)
    thread.start()
    assert fake.started.wait(10)
    bg.request(SyncWanted(3, stock_only=True))
    for _ in range(200):
        if len(runs) == 2:
            break
        threading.Event().wait(0.01)
    assert runs == [SyncWanted(None), SyncWanted(3, True)]
    assert fake.thread != threading.get_ident()  # on the sync thread, not this one
    assert progressed and progressed[0].phase == SyncPhase.ORDERS
    assert schedules == [{1: "in 10 s"}]  # the loop's schedule reaches the App's callback
    bg.stop()
    assert bg.join(10)
    thread.join(10)
    assert not thread.is_alive() and fake.cancelled


def test_an_error_in_the_loop_is_raised_by_run() -> None:
    bg = BackgroundSync(
        FakeServices(FakeSync(fail=True)),  # type: ignore[arg-type]
        on_progress=lambda p: None,
        on_run=lambda s, w: None,
    )
    with pytest.raises(RuntimeError, match="a bug in the loop"):
        bg.run()
    assert bg.finished.is_set()


def test_stopped_before_it_started_it_never_runs() -> None:
    fake = FakeSync()
    bg = BackgroundSync(
        FakeServices(fake),  # type: ignore[arg-type]
        on_progress=lambda p: None,
        on_run=lambda s, w: None,
    )
    bg.stop()
    assert bg.join(0.1)  # never started: nothing to wait for
    bg.run()
    assert not fake.started.is_set()
