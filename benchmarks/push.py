"""Stock push of thousands of changed listings against a simulated Reverb with a rate limit.

    .venv/bin/python benchmarks/push.py [--listings 3000] [--rate 100] [--latency 0.02]
                                        [--faults 0.01]

The simulated server (an ``httpx.MockTransport`` inside the real ``ReverbClient``) answers
after ``--latency`` seconds, enforces ``--rate`` requests in any one-second window itself
(answering 429 with Retry-After when exceeded) and, with probability ``--faults``, answers a
PUT with a 503 or a 429 first (the client must retry them). Prints:

- listings download: pages, seconds;
- first push: writes, wall time, the rate-limit lower bound (writes / rate) and their ratio,
  429s the server had to send because the client went too fast (should be 0), failures;
- second push with nothing changed: writes (must be 0), wall time;
- a sale on account A: seconds from the order being stored to the corrected value on
  account B's listing (listings re-read + diff push on a catalogue of the same size).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Channel, InventoryItem, Order
from reverb_tui.reverb.client import ReverbClient
from reverb_tui.sync.push import push_stock, sync_listings
from reverb_tui.sync.stock import apply_order_stock

NEW = {"uuid": "7c3f45de-2ae0-4c81-8400-fdb6b1d74890", "display_name": "Brand New"}


class SimulatedReverb:
    def __init__(self, n: int, rate: float, latency: float, faults: float, seed: int = 7):
        self.listings = {
            str(1000 + i): {
                "id": 1000 + i,
                "sku": f"SKU-{i:05d}",
                "title": f"Item {i}",
                "inventory": 0,
                "has_inventory": True,
                "condition": NEW,
                "state": {"slug": "sold_out"},
            }
            for i in range(n)
        }
        self.order = list(self.listings)
        self.rate = rate
        self.latency = latency
        self.faults = faults
        self.rng = random.Random(seed)
        self.window: collections.deque[float] = collections.deque()
        self.puts = 0
        self.gets = 0
        self.too_fast = 0  # 429s caused by the client exceeding the rate
        self.injected = 0

    def _over_rate(self) -> bool:
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        # A little tolerance for timer jitter between client and server clocks.
        if len(self.window) >= self.rate * 1.02 + 1:
            return True
        self.window.append(now)
        return False

    async def handle(self, request: httpx.Request) -> httpx.Response:
        over = self._over_rate()  # counted on arrival, as a server would
        await asyncio.sleep(self.latency)
        if over:
            self.too_fast += 1
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"message": "slow down"})
        path = request.url.path
        if request.method == "GET" and path == "/api/my/listings":
            self.gets += 1
            page = int(request.url.params.get("page", "1"))
            per = 50
            ids = self.order[(page - 1) * per : page * per]
            pages = -(-len(self.order) // per)
            links = {}
            if page < pages:
                links["next"] = {"href": f"/api/my/listings?page={page + 1}&per_page=50&state=all"}
            body = {
                "total": len(self.order),
                "current_page": page,
                "total_pages": pages,
                "listings": [self.listings[i] for i in ids],
                "_links": links,
            }
            return httpx.Response(200, json=body)
        if request.method == "PUT" and path.startswith("/api/listings/"):
            if self.faults and self.rng.random() < self.faults:
                self.injected += 1
                if self.rng.random() < 0.5:
                    return httpx.Response(503, text="unavailable")
                return httpx.Response(429, json={"message": "rate limited"})
            self.puts += 1
            lid = path.rsplit("/", 1)[1]
            body = json.loads(request.content)
            obj = self.listings[lid]
            obj["inventory"] = body["inventory"]
            obj["state"] = {"slug": "live" if body["inventory"] else "sold_out"}
            return httpx.Response(200, json={"listing": obj})
        return httpx.Response(404, json={"message": "not found"})


def setup_db(path: Path, n: int) -> tuple[object, int, int]:
    engine = make_engine(str(path))
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        ids = []
        for name in ("Account A", "Account B"):
            ch = Channel(
                name=name,
                name_key=name.casefold(),
                api_url="https://sim.test/api",
                token=f"tok_benchmark_{name[-1]}_0123456789",
                orders_since=now,
                created_at=now,
                stock_updates=True,
            )
            s.add(ch)
            s.flush()
            ids.append(ch.id)
        for i in range(n):
            s.add(
                InventoryItem(sku=f"SKU-{i:05d}", sku_key=f"sku-{i:05d}", on_hand=5, counted_at=now)
            )
    return engine, ids[0], ids[1]


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="reverb-bench-"))
    engine, a, b = setup_db(tmp / "bench.db", args.listings)
    sims = {
        name: SimulatedReverb(args.listings, args.rate, args.latency, args.faults, seed)
        for name, seed in (("A", 7), ("B", 8))
    }

    def client_for(name: str) -> ReverbClient:
        sim = sims[name]
        return ReverbClient(
            "https://sim.test/api",
            f"tok_benchmark_{name}_0123456789",
            rate_limit=args.rate,
            transport=httpx.MockTransport(sim.handle),
        )

    ca, cb = client_for("A"), client_for("B")
    sim = sims["A"]

    t = time.perf_counter()
    seen = await sync_listings(ca, engine, a)
    t_list = time.perf_counter() - t
    print(f"listings download: {seen} listings, {sim.gets} pages, {t_list:.2f} s")

    t = time.perf_counter()
    first = await push_stock(ca, engine, a, concurrency=args.workers)
    wall = time.perf_counter() - t
    bound = first.pushed / args.rate
    print(
        f"first push: {first.pushed} writes ({first.failed} failed, {first.skipped} skipped), "
        f"wall {wall:.2f} s, lower bound {bound:.2f} s (writes / {args.rate:g} per s), "
        f"ratio {wall / bound if bound else float('nan'):.3f}"
    )
    print(
        f"  server: {sim.puts} PUTs applied, {sim.injected} injected 503/429 faults retried, "
        f"{sim.too_fast} 429s because the client went too fast; client requests "
        f"{ca.requests}, retries {ca.retries}"
    )

    puts_before = sim.puts
    t = time.perf_counter()
    second = await push_stock(ca, engine, a)
    t2 = time.perf_counter() - t
    print(
        f"second push, nothing changed: {sim.puts - puts_before} writes "
        f"(plan: {second.to_write} to write), {t2:.2f} s"
    )
    assert sim.puts - puts_before == 0, "a second push with nothing changed must not write"

    # Account B starts in sync (its listings already show 5).
    await sync_listings(cb, engine, b)
    await push_stock(cb, engine, b)
    simb = sims["B"]
    writes_b = simb.puts

    # A sale on account A is stored; how long until account B's listing shows it?
    t = time.perf_counter()
    with session_scope(engine) as s:
        o = Order(
            channel_id=a,
            order_number="sale-1",
            status="paid",
            channel_sku="SKU-00042",
            sku="SKU-00042",
            quantity=1,
            paid_at=datetime.now(UTC),
            created_at=datetime.now(UTC),
            first_seen_at=datetime.now(UTC),
        )
        s.add(o)
        s.flush()
        apply_order_stock(s, o, datetime.now(UTC))
    await sync_listings(cb, engine, b)
    result_b = await push_stock(cb, engine, b)
    t_sale = time.perf_counter() - t
    assert simb.listings["1042"]["inventory"] == 4, simb.listings["1042"]
    print(
        f"sale on A -> corrected on B: {t_sale:.2f} s for the stock step (re-read "
        f"{args.listings} listings + {simb.puts - writes_b} write; {result_b.pushed} pushed); "
        "add the wait for the next order download (the integration's interval, default 60 s)"
    )
    await ca.aclose()
    await cb.aclose()
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listings", type=int, default=3000)
    p.add_argument("--rate", type=float, default=100.0, help="requests per second (both sides)")
    p.add_argument("--latency", type=float, default=0.02, help="server latency in seconds")
    p.add_argument("--faults", type=float, default=0.01, help="share of PUTs answered 503/429")
    p.add_argument("--workers", type=int, default=4, help="push_stock concurrency")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
