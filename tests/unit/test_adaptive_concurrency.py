"""Requests in flight follow the round trip (Little's law) and fall after a 429
(docs/user-guide.md "Reverb's limits"). A mock transport answers after a set delay and
records how many requests it holds at once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from reverb_tui.reverb.client import RetryPolicy, ReverbClient
from reverb_tui.reverb.ratelimit import MAX_IN_FLIGHT, Kind, TokenBudget

API = "https://api.reverb.com/api"
TOKEN = "tok_adaptive_0123456789"


class SlowServer:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.holding = 0
        self.peak = 0
        self.refuse_next = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.holding += 1
        self.peak = max(self.peak, self.holding)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.holding -= 1
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"ok": True})


def make_client(server: SlowServer, budget: TokenBudget, **kw: int) -> ReverbClient:
    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    return ReverbClient(
        API,
        TOKEN,
        transport=httpx.MockTransport(server.handle),
        limiter=budget,
        retry=RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0),
        sleep=no_sleep,
        **kw,
    )


async def burst(client: ReverbClient, n: int, method: str = "GET") -> None:
    if method == "GET":
        await asyncio.gather(*(client.get(f"/listings/{i}") for i in range(n)))
    else:
        await asyncio.gather(*(client.update_listing_inventory(str(i), 1, True) for i in range(n)))


async def test_in_flight_rises_with_the_round_trip() -> None:
    budget = TokenBudget(1000, 6000, 6000)  # 100 reads a second
    server = SlowServer(0.005)
    async with make_client(server, budget) as client:
        await burst(client, 40)
        near = client.in_flight_limit(Kind.READ)
        near_peak = server.peak
        server.delay, server.peak = 0.15, 0
        await burst(client, 80)
        far = client.in_flight_limit(Kind.READ)
        assert client.round_trip(Kind.READ) > 0.1
    # 100/s at ~5 ms needs 1-2 in flight; at 150 ms about 15 (with headroom, ~24).
    assert near <= 8 and near_peak <= 8
    assert far >= 15 and far > near
    assert server.peak > near_peak
    assert far <= MAX_IN_FLIGHT


async def test_never_more_in_flight_than_the_limit() -> None:
    budget = TokenBudget(1000, 6000, 6000)
    server = SlowServer(0.05)
    async with make_client(server, budget, max_concurrency=3) as client:
        await burst(client, 30)
        assert client.peak_in_flight(Kind.READ) <= 3
    assert server.peak <= 3


async def test_a_429_lowers_the_budget_and_the_in_flight_limit() -> None:
    shift = [0.0]
    budget = TokenBudget(1000, 6000, 6000, clock=lambda: time.monotonic() + shift[0])
    # Most of the minute's write budget already used (a long push), 11 ms apart.
    for _ in range(3100):
        shift[0] += 0.011
        await budget.acquire(Kind.WRITE)
    server = SlowServer(0.1)
    lowered: list[tuple[Kind, int]] = []
    async with make_client(server, budget) as client:
        client.on_budget_lowered = lambda kind, per_minute: lowered.append((kind, per_minute))
        await burst(client, 40, "PUT")
        before = client.in_flight_limit(Kind.WRITE)
        server.refuse_next = 1
        await client.update_listing_inventory("9", 1, True)
        after = client.in_flight_limit(Kind.WRITE)
    # 80 % of the budget at most, and what Reverb admitted in the minute (3,140) at most.
    assert lowered == [(Kind.WRITE, 3140)]
    assert budget.per_minute(Kind.WRITE) == 3140 and budget.per_minute(Kind.READ) == 6000
    assert after < before


async def test_reads_and_writes_have_their_own_in_flight_limit() -> None:
    """Writes are not queued behind reads waiting for their budget."""
    budget = TokenBudget(1000, 60, 6000)
    server = SlowServer(0.01)
    async with make_client(server, budget) as client:
        reads = asyncio.create_task(burst(client, 10))  # 1 a second: 10 s for all
        await asyncio.sleep(0.05)
        t0 = asyncio.get_running_loop().time()
        await burst(client, 20, "PUT")
        took = asyncio.get_running_loop().time() - t0
        reads.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reads
    assert took < 2.0
