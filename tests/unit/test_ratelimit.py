"""The per-token rate limit: at most N requests in any one-second window (PRODUCT.md §3).

The limiter runs on a virtual clock: its ``asyncio.sleep`` is replaced by one that advances the
fake clock, so a minute of rate-limited traffic takes milliseconds and every grant time is exact.
"""

from __future__ import annotations

import asyncio
import math
import types

import pytest

from reverb_tui.reverb import ratelimit
from reverb_tui.reverb.ratelimit import SlidingWindowLimiter, limiter_for


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
