"""Rate limits per token: sliding windows ("at most N in any window"), Reverb's read and write
budgets, and the adaptive number of requests in flight.

Hand-written rather than ``aiolimiter``: a leaky bucket of capacity N refilling at N/s lets
close to 2N requests through in one second (a full bucket plus what leaks meanwhile), and the
rule here (``--rate-limit N`` and the read/write budgets, docs/user-guide.md) is a hard "at most N
in any window". A log of grant times per window enforces exactly that, for several windows at
once (1 s, 60 s and 600 s), supports a shared pause when Reverb answers 429, and lets a budget
be lowered while requests wait. ``limits`` (a token bucket too) and ``pyrate-limiter`` (a
window log, but synchronous and keyed by name, with no "lower the rate now" or per-kind
pause) were weighed and do not do the job better.

Reverb reportedly allows 2,000 reads and 600 writes a minute per account (10,000 / 3,000 per
ten minutes) and answers 429 until the window that tripped has expired. A ``TokenBudget``
keeps a read budget and a write budget, each enforced over three windows:

- 1 s: ``ceil(per_minute / 60)`` (the minute's budget spread evenly, so a budget is never
  spent in one burst);
- 60 s: ``per_minute``;
- 600 s: ``5 × per_minute`` (Reverb's ten-minute figures are five times its minute figures);

plus the ``--rate-limit`` ceiling, at most N requests of either kind in any one second. A 429
pauses the refused kind (Retry-After, else the back-off) and, when we had used at least half
the budget in the last minute, lowers it (once per incident) to at most what Reverb admitted
in that minute: our own windows then hold the next requests back until Reverb's window has
room again, so a run sees almost no 429 after the first. A 429 while we used little of the
budget (a burst on Reverb's side) teaches nothing, so sporadic refusals never wear the
remembered budget down.
Reads and writes wait in separate queues, so a write never waits behind queued reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

# Reverb's reported limits per account and the share of them used by default.
REVERB_READS_PER_MINUTE = 2000
REVERB_WRITES_PER_MINUTE = 600
DEFAULT_SHARE = 0.8
DEFAULT_READS_PER_MINUTE = int(REVERB_READS_PER_MINUTE * DEFAULT_SHARE)  # 1,600
DEFAULT_WRITES_PER_MINUTE = int(REVERB_WRITES_PER_MINUTE * DEFAULT_SHARE)  # 480
TEN_MINUTE_FACTOR = 5  # 10,000 / 2,000 and 3,000 / 600
LOWER_FACTOR = 0.8  # a 429 leaves this share of the budget
LEARN_SHARE = 0.5  # a 429 lowers the budget only when we had used this much of it
MIN_PER_MINUTE = 6  # a budget is never lowered below this
MAX_PER_MINUTE = 100_000

# Requests in flight per token and kind (Little's law: rate × round trip, with headroom).
MIN_IN_FLIGHT = 1
MAX_IN_FLIGHT = 32
IN_FLIGHT_HEADROOM = 1.5  # round trips vary; a little more in flight keeps the rate
INITIAL_RTT = 0.2  # seconds, until the first answer is timed
RTT_SMOOTHING = 0.25  # weight of the newest sample in the smoothed round trip


class Kind(StrEnum):
    """Reverb counts reads and writes against separate budgets."""

    READ = "read"
    WRITE = "write"


def kind_of(method: str) -> Kind:
    return Kind.READ if method.upper() in ("GET", "HEAD", "OPTIONS") else Kind.WRITE


def lowered(per_minute: int, admitted: int) -> int | None:
    """The budget left after a 429, or None when the 429 says nothing about it.

    ``admitted``: our requests of that kind Reverb took in the last minute before refusing
    this one. Under ``LEARN_SHARE`` of the budget, the refusal is not about our budget (a
    burst on Reverb's side, another app on the token): back off, learn nothing. Otherwise
    at most ``LOWER_FACTOR`` of it and no more than Reverb admitted (what its window held when
    it refused), never below ``MIN_PER_MINUTE``.
    """
    if admitted < per_minute * LEARN_SHARE:
        return None
    return max(MIN_PER_MINUTE, min(math.floor(per_minute * LOWER_FACTOR), admitted))


class SlidingWindowLimiter:
    """At most N requests in any window of one second (``--rate-limit N``); below one per
    second, one per ``1 / rate`` seconds."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.set_rate(rate)
        self._clock = clock
        self._grants: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._paused_until = 0.0

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        # N per second for N >= 1 (a fractional part cannot be honoured without letting
        # floor(N) + 1 through in some one-second window); below 1, one per 1/rate seconds.
        self.capacity = max(1, math.floor(rate))
        self.window = max(1.0, self.capacity / rate)

    def pause(self, seconds: float) -> None:
        """Hold every request of this token for ``seconds`` (after a 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                while self._grants and now - self._grants[0] >= self.window:
                    self._grants.popleft()
                if len(self._grants) < self.capacity:
                    self._grants.append(now)
                    return
                await asyncio.sleep(self.window - (now - self._grants[0]) + 1e-4)


class Window:
    """A log of grant times: at most ``capacity`` grants in any ``length`` seconds."""

    __slots__ = ("capacity", "grants", "length")

    def __init__(self, capacity: int, length: float) -> None:
        self.capacity = max(1, capacity)
        self.length = length
        self.grants: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more grant fits (0 when it fits now)."""
        grants = self.grants
        while grants and now - grants[0] >= self.length:
            grants.popleft()
        over = len(grants) - self.capacity
        if over < 0:
            return 0.0
        # The oldest ``over + 1`` grants must leave the window first.
        return grants[over] + self.length - now

    def take(self, now: float) -> None:
        self.grants.append(now)


def _ceiling_window(rate: float) -> tuple[int, float]:
    capacity = max(1, math.floor(rate))
    return capacity, max(1.0, capacity / rate)


SMOOTHING = 10  # the ceiling's window is also enforced over a tenth of it, pro rata


def _smoothing_of(window: Window) -> tuple[int, float]:
    """A tenth of the ceiling's window, with a tenth of its capacity (rounded up): the same
    rate, without a second's worth going out at once after a pause. A server counting
    arrivals over a slightly shorter window, or seeing them bunched by the network, would
    refuse the tail of such a burst."""
    return math.ceil(window.capacity / SMOOTHING), window.length / SMOOTHING


def _smoothing(window: Window) -> Window:
    return Window(*_smoothing_of(window))


class TokenBudget:
    """The read and write budgets of one token, its per-second ceiling and its pauses.

    ``acquire(kind)`` returns the grant time once the request fits in every window of its kind
    and in the ceiling; ``lower(kind, granted_at)`` after a 429; ``per_second(kind)`` is the
    rate a long run of that kind sustains (what the in-flight limit is sized for).
    """

    def __init__(
        self,
        rate_limit: float,
        reads_per_minute: int = DEFAULT_READS_PER_MINUTE,
        writes_per_minute: int = DEFAULT_WRITES_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_limit <= 0:
            raise ValueError("rate must be positive")
        self._clock = clock
        self.rate = rate_limit
        self._ceiling = Window(*_ceiling_window(rate_limit))
        self._smooth = _smoothing(self._ceiling)
        self._per_minute: dict[Kind, int] = {}
        self._windows: dict[Kind, tuple[Window, Window, Window]] = {}
        self._paused_until = {Kind.READ: 0.0, Kind.WRITE: 0.0}
        self._lowered_at = {Kind.READ: -math.inf, Kind.WRITE: -math.inf}
        self._locks = {Kind.READ: asyncio.Lock(), Kind.WRITE: asyncio.Lock()}
        self.granted = {Kind.READ: 0, Kind.WRITE: 0}
        self.lowerings = 0
        self.set_budget(Kind.READ, reads_per_minute)
        self.set_budget(Kind.WRITE, writes_per_minute)

    # -- settings -------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """Requests of either kind allowed in the ceiling's window (``--rate-limit``)."""
        return self._ceiling.capacity

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._ceiling.capacity, self._ceiling.length = _ceiling_window(rate)
        self._smooth.capacity, self._smooth.length = _smoothing_of(self._ceiling)

    def per_minute(self, kind: Kind) -> int:
        return self._per_minute[kind]

    def set_budget(self, kind: Kind, per_minute: int | float) -> None:
        """Set one kind's budget (per minute); the grants already made still count."""
        value = min(MAX_PER_MINUTE, max(1, math.floor(per_minute)))
        self._per_minute[kind] = value
        windows = (
            Window(math.ceil(value / 60), 1.0),
            Window(value, 60.0),
            Window(value * TEN_MINUTE_FACTOR, 600.0),
        )
        old = self._windows.get(kind)
        if old is not None:
            for new, prev in zip(windows, old, strict=True):
                new.grants = prev.grants
        self._windows[kind] = windows

    def per_second(self, kind: Kind) -> float:
        """The rate a long run of ``kind`` keeps: its budget spread evenly, under the ceiling."""
        ceiling = self._ceiling.capacity / self._ceiling.length
        return min(ceiling, self._per_minute[kind] / 60.0)

    # -- 429 ------------------------------------------------------------------------------------

    def pause(self, seconds: float, kind: Kind | None = None) -> None:
        """Hold every request of ``kind`` (both kinds when None) for ``seconds``."""
        until = self._clock() + seconds
        for k in (kind,) if kind is not None else tuple(Kind):
            self._paused_until[k] = max(self._paused_until[k], until)

    def lower(self, kind: Kind, granted_at: float | None = None) -> bool:
        """A 429 on a request of ``kind`` granted at ``granted_at``: lower that budget (see
        ``lowered``), unless the request was granted before the last lowering (the same
        incident: requests already in flight when the first 429 came back). True when the
        budget was lowered."""
        if granted_at is not None and granted_at < self._lowered_at[kind]:
            return False
        minute = self._windows[kind][1]
        minute.wait(self._clock())  # drops grants older than the window
        # What Reverb admitted before refusing: our grants of the last minute before this
        # request's (those granted after it were still on their way).
        if granted_at is None:
            admitted = max(0, len(minute.grants) - 1)
        else:
            admitted = sum(1 for t in minute.grants if t < granted_at)
        new = lowered(self._per_minute[kind], admitted)
        if new is None:
            return False
        self.set_budget(kind, new)
        self._lowered_at[kind] = self._clock()
        self.lowerings += 1
        return True

    # -- granting -------------------------------------------------------------------------------

    def _wait(self, kind: Kind, now: float) -> float:
        wait = max(self._paused_until[kind] - now, self._ceiling.wait(now), self._smooth.wait(now))
        for w in self._windows[kind]:
            wait = max(wait, w.wait(now))
        return wait

    async def acquire(self, kind: Kind = Kind.READ) -> float:
        """Wait until a request of ``kind`` fits every window; returns the grant time."""
        kind = Kind(kind)
        async with self._locks[kind]:
            while True:
                now = self._clock()
                wait = self._wait(kind, now)
                if wait <= 0:
                    self._ceiling.take(now)
                    self._smooth.take(now)
                    for w in self._windows[kind]:
                        w.take(now)
                    self.granted[kind] += 1
                    return now
                await asyncio.sleep(wait + 1e-4)


class InFlightGate:
    """At most ``limit`` holders at once; the limit may change at any time (a lower one
    takes effect as holders leave). Waiters are served in order."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.active = 0
        self.peak = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def set_limit(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._wake()

    async def acquire(self) -> None:
        if self.active < self.limit and not self._waiters:
            self._enter()
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # handed a slot just as we were cancelled
            else:
                self._waiters.remove(fut)
            raise

    def _enter(self) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)

    def release(self) -> None:
        self.active -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.active < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self._enter()
                fut.set_result(None)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


def in_flight_for(rate: float, rtt: float) -> int:
    """Little's law: requests in flight needed to keep ``rate`` per second at round trip
    ``rtt`` seconds, with headroom, bounded to MIN_IN_FLIGHT..MAX_IN_FLIGHT."""
    need = math.ceil(rate * rtt * IN_FLIGHT_HEADROOM) + 1
    return max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, need))


class Pace:
    """The smoothed round trip of one kind of request and the in-flight limit it implies."""

    def __init__(self, gate: InFlightGate, rtt: float = INITIAL_RTT) -> None:
        self.gate = gate
        self.rtt = rtt
        self.samples = 0

    def observe(self, seconds: float) -> None:
        """One more timed round trip (the first replaces the initial guess)."""
        if seconds < 0:
            return
        if self.samples == 0:
            self.rtt = seconds
        else:
            self.rtt = (1 - RTT_SMOOTHING) * self.rtt + RTT_SMOOTHING * seconds
        self.samples += 1

    def resize(self, rate: float, cap: int = MAX_IN_FLIGHT) -> None:
        self.gate.set_limit(min(cap, in_flight_for(rate, self.rtt)))


_LIMITERS: dict[tuple[str, int], SlidingWindowLimiter] = {}
_BUDGETS: dict[tuple[str, int], TokenBudget] = {}


def _key(token: str) -> tuple[str, int]:
    return (hashlib.sha256(token.encode()).hexdigest(), id(asyncio.get_running_loop()))


def limiter_for(token: str, rate: float) -> SlidingWindowLimiter:
    """One limiter per token per event loop, shared by every client using that token."""
    key = _key(token)
    lim = _LIMITERS.get(key)
    if lim is None:
        if len(_LIMITERS) > 256:  # loops come and go in tests; keep the registry small
            _LIMITERS.clear()
        lim = _LIMITERS[key] = SlidingWindowLimiter(rate)
    elif lim.rate != rate:
        lim.set_rate(rate)
    return lim


def budget_for(token: str, rate: float) -> TokenBudget:
    """One budget per token per event loop, shared by every client using that token (two
    integrations with one token share Reverb's limits, as Reverb counts them)."""
    key = _key(token)
    budget = _BUDGETS.get(key)
    if budget is None:
        if len(_BUDGETS) > 256:
            _BUDGETS.clear()
        budget = _BUDGETS[key] = TokenBudget(rate)
    elif budget.rate != rate:
        budget.set_rate(rate)
    return budget
