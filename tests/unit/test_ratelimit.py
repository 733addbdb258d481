"""The per-token rate limit: at most N requests in any one-second window (docs/user-guide.md).

The limiter runs on a virtual clock: its ``asyncio.sleep`` is replaced by one that advances the
fake clock, so a minute of rate-limited traffic takes milliseconds and every grant time is exact.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import types
from typing import Any

import pytest

from reverb_tui.reverb import ratelimit
from reverb_tui.reverb.ratelimit import (
    InFlightGate,
    Kind,
    SlidingWindowLimiter,
    TokenBudget,
    in_flight_for,
    limiter_for,
)


class VirtualTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def vt(monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    t = VirtualTime()
    fake_asyncio = types.SimpleNamespace(
        Lock=asyncio.Lock, sleep=t.sleep, get_running_loop=asyncio.get_running_loop
    )
    monkeypatch.setattr(ratelimit, "asyncio", fake_asyncio)
    return t


def max_in_window(times: list[float], window: float) -> int:
    """The largest number of grants inside any half-open window [t, t + window)."""
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        n = sum(1 for t in times[i:] if t < start + window - 1e-9)
        best = max(best, n)
    return best


async def grant_times(lim: SlidingWindowLimiter, vt: VirtualTime, n: int) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        await lim.acquire()
        times.append(vt.now)

    await asyncio.gather(*(one() for _ in range(n)))
    return times


@pytest.mark.parametrize("rate", [1, 3, 4, 10])
async def test_whole_rates_never_exceed_n_in_any_second(vt: VirtualTime, rate: int) -> None:
    lim = SlidingWindowLimiter(rate, clock=vt.clock)
    times = await grant_times(lim, vt, rate * 6)
    assert max_in_window(times, 1.0) == rate  # full use of the allowance, never more
    # ... and it is not needlessly slow: 6N grants fit in a little over 5 seconds.
    assert max(times) - min(times) == pytest.approx(5.0, abs=0.01)


@pytest.mark.parametrize("rate", [1.5, 2.5, 4.9])
async def test_fractional_rate_above_one_allows_floor_n_per_second(
    vt: VirtualTime, rate: float
) -> None:
    lim = SlidingWindowLimiter(rate, clock=vt.clock)
    times = await grant_times(lim, vt, 20)
    assert max_in_window(times, 1.0) <= math.floor(rate)


@pytest.mark.parametrize(("rate", "spacing"), [(0.5, 2.0), (0.25, 4.0), (0.1, 10.0)])
async def test_rate_below_one_spaces_requests(vt: VirtualTime, rate: float, spacing: float) -> None:
    lim = SlidingWindowLimiter(rate, clock=vt.clock)
    times = sorted(await grant_times(lim, vt, 5))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= spacing - 1e-6
    assert max(gaps) <= spacing + 0.01
    assert max_in_window(times, 1.0) == 1


async def test_pause_holds_every_request_then_resumes(vt: VirtualTime) -> None:
    lim = SlidingWindowLimiter(100, clock=vt.clock)
    await lim.acquire()
    start = vt.now
    lim.pause(7.5)
    times = await grant_times(lim, vt, 3)
    assert min(times) >= start + 7.5
    # A shorter pause never shortens a longer one already in force.
    lim.pause(30)
    lim.pause(1)
    t0 = vt.now
    await lim.acquire()
    assert vt.now >= t0 + 30


async def test_window_slides_rather_than_resetting(vt: VirtualTime) -> None:
    """Two at the end of one second and two at the start of the next would be 4 in a window."""
    lim = SlidingWindowLimiter(2, clock=vt.clock)
    vt.now = 1000.9
    await lim.acquire()
    await lim.acquire()
    vt.now = 1001.05  # a fixed-window counter would reset here
    await lim.acquire()
    assert vt.now >= 1001.9 - 1e-6


def test_rate_must_be_positive() -> None:
    for bad in (0, -1):
        with pytest.raises(ValueError):
            SlidingWindowLimiter(bad)


async def test_limiter_is_shared_per_token_and_follows_rate_changes() -> None:
    a = limiter_for("tok_one_abcdefgh", 4)
    assert limiter_for("tok_one_abcdefgh", 4) is a
    assert limiter_for("tok_two_abcdefgh", 4) is not a
    b = limiter_for("tok_one_abcdefgh", 2)
    assert b is a and a.rate == 2 and a.capacity == 2
    # The registry key never holds the token itself.
    assert all("tok_one" not in k[0] for k in ratelimit._LIMITERS)


# -- read and write budgets (docs/user-guide.md "Reverb's limits") ----------------------------


def most_in_any(times: list[float], window: float) -> int:
    """The largest number of grants inside any half-open window [t, t + window)."""
    times = sorted(times)
    best = j = 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window - 1e-9:
            j += 1
        best = max(best, j - i)
    return best


class EventTime:
    """Virtual time in which concurrent sleeps overlap: a sleep parks until the clock reaches
    its wake time, and the clock jumps to the earliest wake time once every task is parked."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._timers, (self.now + max(0.0, seconds), self._seq, fut))
        await fut

    async def run(self, *coros: Any) -> list[Any]:
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._timers:
                wake, _, fut = heapq.heappop(self._timers)
                self.now = max(self.now, wake)
                fut.set_result(None)
        return [t.result() for t in tasks]


@pytest.fixture
def vt_budget(monkeypatch: pytest.MonkeyPatch) -> EventTime:
    t = EventTime()
    fake_asyncio = types.SimpleNamespace(
        Lock=asyncio.Lock,
        sleep=t.sleep,
        get_running_loop=asyncio.get_running_loop,
        Future=asyncio.Future,
        CancelledError=asyncio.CancelledError,
    )
    monkeypatch.setattr(ratelimit, "asyncio", fake_asyncio)
    return t


async def traffic(
    budget: TokenBudget, vt: EventTime, work: dict[Kind, int], latency: float, workers: int
) -> dict[Kind, list[float]]:
    """``workers`` tasks per kind, each acquiring then waiting ``latency`` (the round trip)."""
    grants: dict[Kind, list[float]] = {k: [] for k in work}

    async def worker(kind: Kind, left: list[int]) -> None:
        while left[0] > 0:
            left[0] -= 1
            grants[kind].append(await budget.acquire(kind))
            if latency:
                await vt.sleep(latency)

    jobs = []
    for kind, n in work.items():
        left = [n]
        jobs += [worker(kind, left) for _ in range(workers)]
    await vt.run(*jobs)
    return grants


@pytest.mark.parametrize("latency", [0.0, 0.02, 0.25, 0.3, 1.7])
@pytest.mark.parametrize(
    ("ceiling", "reads", "writes"), [(40, 120, 36), (4, 600, 600), (2.5, 50, 9)]
)
async def test_no_window_is_ever_exceeded_at_any_latency(
    vt_budget: EventTime, latency: float, ceiling: float, reads: int, writes: int
) -> None:
    budget = TokenBudget(ceiling, reads, writes, clock=vt_budget.clock)
    # Enough requests that the ten-minute windows (5 x per minute) are reached.
    work = {Kind.READ: 6 * reads + 7, Kind.WRITE: 6 * writes + 3}
    grants = await traffic(budget, vt_budget, work, latency, workers=8)
    for kind, per_minute in ((Kind.READ, reads), (Kind.WRITE, writes)):
        times = grants[kind]
        assert len(times) == work[kind]
        assert most_in_any(times, 1.0) <= math.ceil(per_minute / 60)
        assert most_in_any(times, 60.0) <= per_minute
        assert most_in_any(times, 600.0) <= 5 * per_minute
    both = grants[Kind.READ] + grants[Kind.WRITE]
    assert most_in_any(both, 1.0) <= max(1, math.floor(ceiling))


async def test_budget_is_used_in_full_not_just_respected(vt_budget: EventTime) -> None:
    """480 writes a minute means 480 in the first minute (8 a second), not fewer."""
    budget = TokenBudget(1000, 1600, 480, clock=vt_budget.clock)
    start = vt_budget.now
    grants = await traffic(budget, vt_budget, {Kind.WRITE: 960}, latency=0.25, workers=4)
    times = grants[Kind.WRITE]
    assert sum(1 for t in times if t < start + 60) == 480
    assert max(times) - start == pytest.approx(120.0, abs=1.0)


async def test_reads_and_writes_are_counted_separately(vt_budget: EventTime) -> None:
    """A queue of reads never holds writes back: each kind runs at its own budget."""
    budget = TokenBudget(1000, 60, 120, clock=vt_budget.clock)
    start = vt_budget.now
    grants = await traffic(
        budget, vt_budget, {Kind.READ: 180, Kind.WRITE: 20}, latency=0.1, workers=4
    )
    # 20 writes at 2 a second are done in about 10 s while 180 reads take 2+ minutes.
    assert max(grants[Kind.WRITE]) - start < 11
    assert max(grants[Kind.READ]) - start >= 120
    assert budget.granted == {Kind.READ: 180, Kind.WRITE: 20}


async def test_the_ceiling_counts_both_kinds_together(vt_budget: EventTime) -> None:
    budget = TokenBudget(5, 6000, 6000, clock=vt_budget.clock)
    grants = await traffic(budget, vt_budget, {Kind.READ: 30, Kind.WRITE: 30}, 0.0, workers=3)
    assert most_in_any(grants[Kind.READ] + grants[Kind.WRITE], 1.0) == 5


async def test_a_429_lowers_that_kind_once_per_incident(vt_budget: EventTime) -> None:
    budget = TokenBudget(1000, 1600, 120, clock=vt_budget.clock)
    times = (await traffic(budget, vt_budget, {Kind.WRITE: 100}, 0.0, workers=3))[Kind.WRITE]
    last, before_last = times[-1], times[-2]
    vt_budget.now += 0.5
    # Reverb refused the 100th after admitting 99 in the minute: 80 % of 120 at most.
    assert budget.lower(Kind.WRITE, last) is True
    assert budget.per_minute(Kind.WRITE) == 96
    assert budget.per_minute(Kind.READ) == 1600  # reads are not touched
    # Another request already in flight when the 429 came back is the same incident.
    assert budget.lower(Kind.WRITE, before_last) is False
    assert budget.per_minute(Kind.WRITE) == 96
    # Refused again later, with most of the new budget used: lowered again.
    vt_budget.now += 61
    again = (await traffic(budget, vt_budget, {Kind.WRITE: 60}, 0.0, workers=2))[Kind.WRITE]
    assert budget.lower(Kind.WRITE, again[-1]) is True
    # What Reverb admitted before refusing: the grants before the refused one's.
    assert budget.per_minute(Kind.WRITE) == sum(1 for t in again if t < again[-1]) < 60


async def test_a_429_while_little_of_the_budget_was_used_teaches_nothing(
    vt_budget: EventTime,
) -> None:
    """A burst of 429s on Reverb's side must not wear the remembered budget down."""
    budget = TokenBudget(1000, 1600, 480, clock=vt_budget.clock)
    for _ in range(30):
        t = await budget.acquire(Kind.WRITE)
        vt_budget.now += 1.0
        assert budget.lower(Kind.WRITE, t) is False
    assert budget.per_minute(Kind.WRITE) == 480 and budget.lowerings == 0


def test_the_lowered_budget_is_what_reverb_admitted_in_the_last_minute() -> None:
    # At full pace against a real limit of 360 a minute: the 361st is refused.
    assert ratelimit.lowered(480, admitted=360) == 360
    assert ratelimit.lowered(480, admitted=470) == 384  # 80 % is lower still
    assert ratelimit.lowered(480, admitted=239) is None  # under half used: not our budget
    assert ratelimit.lowered(7, admitted=6) == ratelimit.MIN_PER_MINUTE


async def test_a_lowered_budget_still_counts_the_grants_already_made(
    vt_budget: EventTime,
) -> None:
    budget = TokenBudget(1000, 1600, 100, clock=vt_budget.clock)
    start = vt_budget.now
    times = (await traffic(budget, vt_budget, {Kind.WRITE: 100}, 0.0, workers=2))[Kind.WRITE]
    assert budget.lower(Kind.WRITE)  # no grant time: all but the refused one were admitted
    assert budget.per_minute(Kind.WRITE) == 80
    # 100 granted in the last minute: the next waits until only 79 remain in the window.
    (t,) = await vt_budget.run(budget.acquire(Kind.WRITE))
    assert t >= start + 60
    assert most_in_any([*times, t], 60.0) <= 100


async def test_pause_of_one_kind_leaves_the_other_alone(vt_budget: EventTime) -> None:
    budget = TokenBudget(1000, 6000, 6000, clock=vt_budget.clock)
    start = vt_budget.now
    budget.pause(5.0, Kind.WRITE)
    assert await budget.acquire(Kind.READ) == start
    assert (await vt_budget.run(budget.acquire(Kind.WRITE)))[0] >= start + 5.0


def test_in_flight_follows_littles_law_within_bounds() -> None:
    assert in_flight_for(8, 0.25) == math.ceil(8 * 0.25 * 1.5) + 1
    assert in_flight_for(0.1, 0.02) == 1 + 1
    assert in_flight_for(100, 5.0) == ratelimit.MAX_IN_FLIGHT
    rtts = [0.01, 0.05, 0.2, 0.4, 1.0]
    limits = [in_flight_for(26.7, r) for r in rtts]
    assert limits == sorted(limits) and limits[0] < limits[-1]


async def test_gate_changes_its_limit_while_requests_wait() -> None:
    gate = InFlightGate(1)
    inside = 0
    peak = 0
    release = asyncio.Event()

    async def one() -> None:
        nonlocal inside, peak
        async with gate:
            inside += 1
            peak = max(peak, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(one()) for _ in range(6)]
    await asyncio.sleep(0)
    assert inside == 1
    gate.set_limit(4)
    await asyncio.sleep(0)
    assert inside == 4
    gate.set_limit(2)  # takes effect as holders leave
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 4 and gate.active == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    gate = InFlightGate(1)
    await gate.acquire()
    waiter = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.release()
    assert gate.active == 0
    await asyncio.wait_for(gate.acquire(), 1)
    assert gate.active == 1


async def test_the_ceiling_is_spread_over_the_second_not_spent_at_once(
    vt_budget: EventTime,
) -> None:
    """100 a second means at most 10 in any tenth of a second, even after a pause, so a
    server that sees arrivals bunched or counts a slightly shorter window is not overrun."""
    budget = TokenBudget(100, 6000, 6000, clock=vt_budget.clock)
    budget.pause(2.0)
    grants = await traffic(budget, vt_budget, {Kind.READ: 150, Kind.WRITE: 150}, 0.0, 16)
    both = grants[Kind.READ] + grants[Kind.WRITE]
    assert most_in_any(both, 0.1) <= 10
    assert most_in_any(both, 1.0) == 100  # and still the full rate
