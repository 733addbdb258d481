"""Fault injection of the simulator: the knobs (``FaultPlan``), the faults (``Fault``) and the
pick made for each API request (``FaultInjector``), counted per kind.

A fault either replaces the work (a dropped connection, a 429 from the per-token window or a
burst, a 5xx) or spoils the answer (truncated JSON, a delay past the client's timeout).
Random faults hit GETs only unless ``faults_on_writes`` is set; 429s hit every request.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from . import knobs
from .knobs import Check, Knobs

if TYPE_CHECKING:
    from .counters import Counters


class Fault(Enum):
    """A fault: the counter it is counted under, the HTTP status it answers with (None: no
    status of its own) and whether it spoils an answer rather than replacing the work."""

    RATE_LIMITED = ("rate_limited", 429, False)
    BURST_429 = ("burst_429", 429, False)
    DROP = ("dropped", None, False)
    SERVER_ERROR = ("server_error", 500, False)
    BAD_GATEWAY = ("server_error", 502, False)
    SERVICE_UNAVAILABLE = ("server_error", 503, False)
    SLOW = ("slow", None, True)
    MALFORMED = ("malformed", None, True)

    def __init__(self, counter: str, status: int | None, on_answer: bool) -> None:
        self.counter = counter
        self.status = status
        self.on_answer = on_answer


# The counters, in the order ``stats()["faults"]`` lists them.
FAULT_KINDS = ("rate_limited", "burst_429", "server_error", "slow", "dropped", "malformed")
# What ``fail_rate`` answers with, one picked at random.
SERVER_ERRORS = (Fault.SERVER_ERROR, Fault.BAD_GATEWAY, Fault.SERVICE_UNAVAILABLE)


class FaultPick(NamedTuple):
    """The faults of one request: ``before`` replaces the work, ``after`` spoils the answer."""

    before: Fault | None = None
    after: Fault | None = None


@dataclass
class FaultPlan(Knobs):
    """The fault knobs; every assignment is validated (ValueError, or TypeError if unknown).

    - ``latency``: seconds added to every API request, give or take ``latency_jitter``
      (uniformly);
    - ``rate_limit``: requests per token allowed in any ``rate_window`` seconds; the next ones
      get 429 (None or 0 = unlimited); ``retry_after``: seconds sent as Retry-After with a 429
      (None = no header, like Reverb);
    - ``read_limit`` / ``write_limit``: Reverb's budgets, reads (GET) and writes (the rest)
      per token allowed in any ``limit_window`` seconds (None or 0 = unlimited); a refused
      request does not count, so 429s last until the window that tripped has room again;
    - ``burst_429``: answer the next K requests with 429;
    - ``fail_rate``: fraction of requests answered 500/502/503;
    - ``slow_rate`` + ``slow_seconds``: delay that fraction of answers (past a client timeout);
    - ``drop_rate``: close the connection without an answer;
    - ``malformed_rate``: a 200 with truncated JSON;
    - ``faults_on_writes``: let the random faults hit PUT/POST too (default: GETs only).
    """

    latency: float = 0.0
    latency_jitter: float = 0.0
    rate_limit: int | None = None
    rate_window: float = 1.0
    read_limit: int | None = None
    write_limit: int | None = None
    limit_window: float = 60.0
    retry_after: float | None = None
    fail_rate: float = 0.0
    burst_429: int = 0
    slow_rate: float = 0.0
    slow_seconds: float = 30.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    faults_on_writes: bool = False

    CHECKS: ClassVar[dict[str, Check]] = {
        "latency": knobs.non_negative,
        "latency_jitter": knobs.non_negative,
        "rate_limit": knobs.optional_limit,
        "rate_window": knobs.positive,
        "read_limit": knobs.optional_limit,
        "write_limit": knobs.optional_limit,
        "limit_window": knobs.positive,
        "retry_after": knobs.optional_non_negative,
        "fail_rate": knobs.fraction,
        "burst_429": knobs.count,
        "slow_rate": knobs.fraction,
        "slow_seconds": knobs.non_negative,
        "drop_rate": knobs.fraction,
        "malformed_rate": knobs.fraction,
        "faults_on_writes": knobs.flag,
    }


class FaultInjector:
    """Picks the faults of each API request and counts them.

    Shares the simulator's lock and random generator (so a seed replays the same faults);
    ``clock`` is the rate-limit window's clock (monotonic seconds), replaceable in tests.
    """

    def __init__(
        self,
        plan: FaultPlan,
        counters: Counters,
        *,
        rng: random.Random,
        lock: threading.RLock,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.clock = clock
        self._counters = counters
        self._rng = rng
        self._lock = lock
        self._windows: dict[str, deque[float]] = defaultdict(deque)  # token -> arrival times
        # (token, "read" | "write") -> times of the requests admitted in the budget window
        self._budgets: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._jitter = random.Random(0)  # its own: latency never shifts the fault draws

    def latency(self) -> float:
        """This request's added latency: ``latency`` give or take ``latency_jitter``."""
        plan = self.plan
        if not plan.latency_jitter:
            return plan.latency
        with self._lock:
            spread = self._jitter.uniform(-plan.latency_jitter, plan.latency_jitter)
        return max(0.0, plan.latency + spread)

    def pick(self, method: str, token: str | None) -> FaultPick:
        """The faults of a request arriving now; each fault is counted."""
        with self._lock:
            plan = self.plan
            before: Fault | None = None
            after: Fault | None = None
            if plan.rate_limit and self._over_rate(token, plan.rate_limit):
                before = Fault.RATE_LIMITED
            budget = plan.read_limit if method in ("GET", "HEAD") else plan.write_limit
            if before is None and budget and self._over_budget(token, method, budget):
                before = Fault.RATE_LIMITED
            if before is None and plan.burst_429 > 0:
                plan.burst_429 -= 1
                before = Fault.BURST_429
            if before is None and (method == "GET" or plan.faults_on_writes):
                rng = self._rng
                if plan.drop_rate and rng.random() < plan.drop_rate:
                    before = Fault.DROP
                elif plan.fail_rate and rng.random() < plan.fail_rate:
                    before = rng.choice(SERVER_ERRORS)
                elif plan.slow_rate and rng.random() < plan.slow_rate:
                    after = Fault.SLOW
                elif plan.malformed_rate and rng.random() < plan.malformed_rate:
                    after = Fault.MALFORMED
            fault = before if before is not None else after
            if fault is not None:
                self._counters.fault(fault.counter)
            return FaultPick(before, after)

    def _over_budget(self, token: str | None, method: str, limit: int) -> bool:
        """True when the token's reads (or writes) already fill the budget window; else
        admit this one into it."""
        kind = "read" if method in ("GET", "HEAD") else "write"
        window = self._budgets[(token or "", kind)]
        now = self.clock()
        while window and now - window[0] >= self.plan.limit_window:
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(now)
        return False

    def _over_rate(self, token: str | None, limit: int) -> bool:
        """Record this arrival in the token's sliding window; True past ``limit``."""
        window = self._windows[token or ""]
        now = self.clock()
        while window and now - window[0] >= self.plan.rate_window:
            window.popleft()
        window.append(now)
        return len(window) > limit
