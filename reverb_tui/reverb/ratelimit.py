"""A sliding-window rate limiter: at most N requests in any window of one second.

Hand-written rather than ``aiolimiter``: a leaky bucket of capacity N refilling at N/s lets
close to 2N requests through in one second (a full bucket plus what leaks meanwhile), and the
contract here (PRODUCT.md, ``--rate-limit N``) is a hard "at most N in any one-second window".
A window log of the last N grant times enforces exactly that, and supports a shared pause
when Reverb answers 429.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
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


_LIMITERS: dict[tuple[str, int], SlidingWindowLimiter] = {}


def limiter_for(token: str, rate: float) -> SlidingWindowLimiter:
    """One limiter per token per event loop, shared by every client using that token."""
    loop_id = id(asyncio.get_running_loop())
    key = (hashlib.sha256(token.encode()).hexdigest(), loop_id)
    lim = _LIMITERS.get(key)
    if lim is None:
        if len(_LIMITERS) > 256:  # loops come and go in tests; keep the registry small
            _LIMITERS.clear()
        lim = _LIMITERS[key] = SlidingWindowLimiter(rate)
    elif lim.rate != rate:
        lim.set_rate(rate)
    return lim
