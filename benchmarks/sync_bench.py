"""Sync figures against the simulated Reverb running in its own process (loopback only).

    .venv/bin/python benchmarks/sync_bench.py [--quick]

Prints, from one run (see benchmarks/README.md for what each figure means):

1. a first full sync of two integrations (orders + listings + a push of every listing):
   wall time divided by the lower bound the rate limit allows, and requests divided by the
   minimum number of requests; the push and the order download on their own;
2. an incremental sync with nothing new: requests per integration (the whole periodic run,
   and the order download alone), and writes made by it (must be 0);
3. a sale on account A until account B's listing shows the corrected stock, with the
   background sync loop (``SyncService.watch``) running at its interval.

The simulator runs in a child process (``sync_bench.py serve``, started and stopped here):
its HTTP threads then do not compete with the client for this process's GIL, as a remote
Reverb would not. It adds ``latency`` to every request and enforces a per-token rate limit
itself (answering 429); each integration's client is set to the same limit.

Also imported by ``run.py`` and ``tui_bench.py`` (``Figure``, ``SimProcess``, ``make_db``).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PER_PAGE = 50  # what the client asks for (reverb_tui.reverb.client.PER_PAGE)
SHOP_NAMES = ("Bench Shop A", "Bench Shop B")
TOKENS_ENV = "REVERB_BENCH_SIM_TOKENS"
ORDERS_KIND = "GET /my/orders/selling/{list}"
LISTINGS_KIND = "GET /my/listings"
PUT_KIND = "PUT /listings/{id}"


# -- figures --------------------------------------------------------------------------------


@dataclass
class Figure:
    """One printed figure: ``name: value unit (target …) OK/MISS``.

    ``ok`` is None for a figure without a verdict (a component of another, or data that is
    not available); ``note`` is printed on the next line, indented.
    """

    name: str
    value: float | int | str | None
    unit: str = ""
    target: str = ""
    ok: bool | None = None
    note: str = ""

    def line(self) -> str:
        if isinstance(self.value, float):
            value = f"{self.value:.3f}" if abs(self.value) < 10 else f"{self.value:.1f}"
        else:
            value = "not available" if self.value is None else str(self.value)
        unit = f" {self.unit}" if self.unit and self.value is not None else ""
        target = f" (target {self.target})" if self.target else ""
        verdict = "" if self.ok is None else (" OK" if self.ok else " MISS")
        text = f"{self.name}: {value}{unit}{target}{verdict}"
        if self.note:
            text += "\n    " + self.note.replace("\n", "\n    ")
        return text


def at_most(value: float, limit: float) -> bool:
    return value <= limit


# -- the simulator in a child process -------------------------------------------------------


@dataclass
class SimConfig:
    orders: int = 3000  # per shop
    listings: int = 1500  # per shop
    days: int = 365
    latency: float = 0.03
    rate_limit: int = 50
    # The server counts a request in its window when it arrives; the client grants it a few
    # hundred microseconds earlier. A window a little shorter than one second stops that jitter
    # from turning into 429s while the client still keeps to N per second (its own window).
    rate_window: float = 0.95
    seed: int = 11
    latency_jitter: float = 0.0  # latency give or take this much (uniformly)
    read_limit: int = 0  # the simulator's read budget per limit_window (0: none)
    write_limit: int = 0
    limit_window: float = 60.0
    # What the client is set to (channels set --rate-limit/--read-rate/--write-rate); by
    # default the simulator's per-second limit for both kinds, so it is the only bound.
    client_rate_limit: float | None = None
    client_reads: int | None = None
    client_writes: int | None = None

    @property
    def ceiling(self) -> float:
        return float(self.client_rate_limit or self.rate_limit)

    @property
    def reads_per_minute(self) -> int:
        return self.client_reads or int(self.ceiling * 60)

    @property
    def writes_per_minute(self) -> int:
        return self.client_writes or int(self.ceiling * 60)


class SimProcess:
    """``sync_bench.py serve`` in a child process; ``control()`` speaks to its ``/_sim`` API."""

    def __init__(self, cfg: SimConfig, workdir: Path) -> None:
        self.cfg = cfg
        self.workdir = workdir
        self.tokens = [f"tok_bench_{i}_{secrets.token_hex(12)}" for i in range(len(SHOP_NAMES))]
        self.proc: subprocess.Popen | None = None
        self.base_url = ""
        self.control_url = ""
        self.log_path = workdir / "simulator.log"

    def __enter__(self) -> SimProcess:
        ready = self.workdir / "sim-ready.json"
        cfg = self.cfg
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "serve",
            "--ready-file",
            str(ready),
            "--orders",
            str(cfg.orders),
            "--listings",
            str(cfg.listings),
            "--days",
            str(cfg.days),
            "--latency",
            str(cfg.latency),
            "--rate-limit",
            str(cfg.rate_limit),
            "--rate-window",
            str(cfg.rate_window),
            "--seed",
            str(cfg.seed),
            "--latency-jitter",
            str(cfg.latency_jitter),
            "--read-limit",
            str(cfg.read_limit),
            "--write-limit",
            str(cfg.write_limit),
            "--limit-window",
            str(cfg.limit_window),
        ]
        env = {**os.environ, TOKENS_ENV: ",".join(self.tokens)}  # tokens never in argv
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the simulator exited with {self.proc.returncode}: "
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the simulator did not start within 120 s")
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        self.base_url, self.control_url = info["base_url"], info["control_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def control(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        query: dict | None = None,
        timeout: float = 30,
    ) -> Any:
        url = self.control_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict:
        return self.control("GET", "/stats")

    def shop_kinds(self, stats: dict, shop: str) -> dict[str, int]:
        return stats.get("by_shop_kind", {}).get(shop, {})

    def listing(self, listing_id: int) -> dict:
        """One listing through the public API (small, unauthenticated)."""
        url = f"{self.base_url}/listings/{listing_id}"
        req = urllib.request.Request(url, headers={"Accept-Version": "3.0"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())


def _exit_with_parent() -> None:
    """Stop serving (as on SIGTERM) if the benchmark that started us dies without stopping
    us: a killed ``run.py`` must not leave a simulator behind."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(args: argparse.Namespace) -> int:
    """The child process: two shops listing the same SKUs, order history, then serve."""
    import random

    from reverb_tui.demo.simulator import ReverbSimulator

    tokens = [t for t in os.environ.get(TOKENS_ENV, "").split(",") if t]
    if len(tokens) != len(SHOP_NAMES):
        sys.stderr.write(f"${TOKENS_ENV} must hold {len(SHOP_NAMES)} tokens\n")
        return 2
    sim = ReverbSimulator(
        seed=args.seed,
        latency=args.latency,
        rate_limit=args.rate_limit or None,
        rate_window=args.rate_window,
        latency_jitter=args.latency_jitter,
        read_limit=args.read_limit or None,
        write_limit=args.write_limit or None,
        limit_window=args.limit_window,
    )
    rng = random.Random(args.seed)
    for i, (token, name) in enumerate(zip(tokens, SHOP_NAMES, strict=True)):
        shop = sim.add_shop(token, name, "USD")
        # Every listing is multi-unit (Brand New) with a SKU that both shops list: the local
        # catalogue is the master of both accounts, and every listing can take any quantity.
        for k in range(args.listings):
            sim.add_listing(
                shop,
                sku=f"BENCH-{k:05d}",
                title=f"Bench item {k}",
                condition="brand-new",
                inventory=rng.randint(3, 25),
            )
        sim.generate(shop, orders=args.orders, listings=0, days=args.days, seed=args.seed + i)
    sim.start()
    _exit_with_parent()
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"base_url": sim.base_url, "control_url": sim.control_url}, fh)
    os.replace(tmp, args.ready_file)
    try:
        sim.serve_until_signal()
    finally:
        sim.stop()
    return 0


# -- the client side ------------------------------------------------------------------------


def write_inventory_csv(path: Path, listings: int, on_hand: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sku", "title", "on_hand"])
        for k in range(listings):
            w.writerow([f"BENCH-{k:05d}", f"Bench item {k}", on_hand + k % 7])


async def make_db(db_path: Path, sim: SimProcess, *, on_hand: int, interval: int = 60):
    """A database with the two simulator shops as integrations (added through the same
    verify path as the wizard and ``channels add``), stock updates on, the client's limits
    as the simulator config says (``--rate-limit``, ``--read-rate``, ``--write-rate``), and
    a local stock take that differs from every listing."""
    from reverb_tui.services.factory import build_services

    svc = build_services(str(db_path))
    since = datetime.now(UTC) - timedelta(days=sim.cfg.days + 2)
    for name, token in zip(SHOP_NAMES, sim.tokens, strict=True):
        await svc.channels.add(
            name=name, currency="USD", token=token, site=sim.base_url, since=since
        )
        svc.channels.update_settings(
            name,
            stock_updates=True,
            rate_limit=sim.cfg.ceiling,
            read_rate=sim.cfg.reads_per_minute,
            write_rate=sim.cfg.writes_per_minute,
            interval_seconds=interval,
        )
    csv_path = db_path.with_suffix(".inventory.csv")
    write_inventory_csv(csv_path, sim.cfg.listings, on_hand)
    svc.inventory.import_csv(csv_path)
    return svc


@dataclass
class PhaseClock:
    """When each channel entered each sync phase (from the service's progress callback)."""

    start: float = field(default_factory=time.perf_counter)
    first: dict[tuple[str, str], float] = field(default_factory=dict)
    last: dict[tuple[str, str], float] = field(default_factory=dict)

    def __call__(self, p: Any) -> None:
        now = time.perf_counter() - self.start
        key = (p.channel, p.phase)
        self.first.setdefault(key, now)
        self.last[key] = now

    def span(self, phase: str) -> float:
        """From the first channel's first progress step in ``phase`` to the last channel's
        last one. Phases overlap (listings are read beside the order download), so a phase
        ends at its own last step, not where the next one begins."""
        keys = [key for key in self.first if key[1] == phase]
        if not keys:
            return 0.0
        return max(self.last[k] for k in keys) - min(self.first[k] for k in keys)


def _shop_counts(sim: SimProcess) -> dict[str, dict]:
    return {s["name"]: s for s in sim.control("GET", "/shops")["shops"]}


async def full_sync_figures(svc, sim: SimProcess) -> list[Figure]:
    cfg = sim.cfg
    shops = _shop_counts(sim)
    sim.control("POST", "/reset")
    clock = PhaseClock()
    t0 = time.perf_counter()
    summaries = await svc.sync.run(on_progress=clock)
    wall = time.perf_counter() - t0
    stats = sim.stats()

    needed: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    for s in summaries:
        counts = shops[s.channel]
        need = {
            "orders": math.ceil(counts["orders"] / PER_PAGE),
            "listings": math.ceil(counts["listings"] / PER_PAGE),
            "puts": counts["listings"],  # by construction every listing needs a write
        }
        needed[s.channel] = need
        if s.status != "ok":
            problems.append(f"{s.channel}: {s.status}, first error: {(s.errors or ['-'])[0]}")
        if s.listings_pushed != need["puts"]:
            problems.append(
                f"{s.channel}: pushed {s.listings_pushed} of {need['puts']} listings "
                f"({s.listings_failed} failed, {s.listings_skipped} skipped)"
            )
    bound = max(sum(n.values()) / cfg.rate_limit for n in needed.values())
    made = sum(stats["by_shop"].get(name, 0) for name in needed)
    minimum = sum(sum(n.values()) for n in needed.values())
    total_orders = sum(shops[n]["orders"] for n in needed)
    total_listings = sum(shops[n]["listings"] for n in needed)
    per_kind = []
    for name in needed:
        k = sim.shop_kinds(stats, name)
        per_kind.append(
            f"{name}: {k.get(ORDERS_KIND, 0)} order pages (min {needed[name]['orders']}), "
            f"{k.get(LISTINGS_KIND, 0)} listing pages (min {needed[name]['listings']}), "
            f"{k.get(PUT_KIND, 0)} PUTs (min {needed[name]['puts']})"
        )
    limited = stats["faults"].get("rate_limited", 0)
    ratio = wall / bound
    note = (
        f"{total_orders:,} orders and {total_listings:,} listings in total over "
        f"{len(needed)} integrations, every listing pushed; wall {wall:.1f} s, lower bound "
        f"{bound:.1f} s = max over integrations of (order pages + listing pages + PUTs) / "
        f"{cfg.rate_limit} req/s; simulator latency {cfg.latency * 1000:.0f} ms; "
        f"{limited} requests refused by the simulator's rate limit (429)"
    )
    if problems:
        note += "\nPROBLEM: " + "; ".join(problems)
    figs = [
        Figure(
            "full sync wall time / rate-limit lower bound",
            ratio,
            "x",
            "<= 1.25",
            ratio <= 1.25 and not problems,
            note,
        ),
        Figure(
            "full sync requests / minimum requests",
            made / minimum,
            "x",
            "<= 1.05",
            made / minimum <= 1.05,
            f"{made:,} requests made, minimum {minimum:,}\n" + "\n".join(per_kind),
        ),
    ]
    # The phases on their own (issue 3: the order download; issue 4: the push).
    orders_bound = max(n["orders"] for n in needed.values()) / cfg.rate_limit
    listings_bound = max(n["listings"] for n in needed.values()) / cfg.rate_limit
    push_bound = max(n["puts"] for n in needed.values()) / cfg.rate_limit
    t_orders, t_listings, t_push = clock.span("orders"), clock.span("listings"), clock.span("push")
    figs.append(
        Figure(
            f"stock push of {total_listings:,} changed listings / rate-limit lower bound",
            t_push / push_bound,
            "x",
            "<= 1.25",
            t_push / push_bound <= 1.25,
            f"push phase {t_push:.1f} s vs {push_bound:.1f} s (PUTs per integration / rate), "
            "both integrations pushing at once",
        )
    )
    figs.append(
        Figure(
            f"order download of {total_orders:,} orders / rate-limit lower bound",
            t_orders / orders_bound if orders_bound else 0.0,
            "x",
            "",
            None,
            f"orders phase {t_orders:.2f} s vs {orders_bound:.2f} s; listings download "
            f"{t_listings:.2f} s vs {listings_bound:.2f} s (pages one at a time)",
        )
    )
    return figs


async def incremental_figures(svc, sim: SimProcess) -> list[Figure]:
    figs: list[Figure] = []
    sim.control("POST", "/reset")
    summaries = await svc.sync.run()
    stats = sim.stats()
    per = {s.channel: sim.shop_kinds(stats, s.channel) for s in summaries}
    worst = max(sum(k.values()) for k in per.values())
    writes = sum(k.get(PUT_KIND, 0) for k in per.values())
    detail = "; ".join(
        f"{name}: {sum(k.values())} = {k.get(ORDERS_KIND, 0)} order pages + "
        f"{k.get(LISTINGS_KIND, 0)} listing pages + {k.get(PUT_KIND, 0)} PUTs"
        for name, k in per.items()
    )
    bad = [f"{s.channel}: {s.status}" for s in summaries if s.status != "ok"]
    figs.append(
        Figure(
            "incremental sync, nothing new (the periodic run): requests per integration",
            worst,
            "requests",
            "<= 2",
            worst <= 2 and not bad,
            detail + (f"\nPROBLEM: {'; '.join(bad)}" if bad else ""),
        )
    )
    figs.append(
        Figure(
            "incremental sync, nothing new: listing writes",
            writes,
            "PUTs",
            "= 0",
            writes == 0,
        )
    )
    from reverb_tui.domain import RunKind

    sim.control("POST", "/reset")
    await svc.sync.run(RunKind.ORDERS)
    stats = sim.stats()
    worst_orders = max(sum(sim.shop_kinds(stats, n).values()) for n in per)
    figs.append(
        Figure(
            "incremental order download alone (sync --orders-only), nothing new: "
            "requests per integration",
            worst_orders,
            "requests",
            "<= 2",
            worst_orders <= 2,
        )
    )
    return figs


async def sale_to_stock_figure(
    svc,
    sim: SimProcess,
    *,
    interval: float | None,
    default_interval: int,
) -> Figure:
    """Background sync running (the same watch loop as the TUI and ``sync --watch``); a sale
    on A right after a run; time until B's listing of that SKU shows the new quantity."""
    from sqlmodel import select

    from reverb_tui.db.engine import session_scope
    from reverb_tui.db.models import Channel, Listing

    a, b = SHOP_NAMES
    sku = "BENCH-00007"
    with session_scope(svc.engine) as s:
        b_id = s.exec(select(Channel.id).where(Channel.name == b)).one()
        b_listing = int(
            s.exec(
                select(Listing.listing_id).where(Listing.channel_id == b_id, Listing.sku == sku)
            ).one()
        )
    before = int(sim.listing(b_listing)["inventory"])
    level = svc.inventory.get(sku)
    if level.available != before:
        raise RuntimeError(
            f"B's listing shows {before} before the sale but {sku} has {level.available} "
            "available: the previous sync did not leave B in step"
        )
    every = interval if interval is not None else default_interval
    stop = asyncio.Event()
    runs: list[float] = []
    task = asyncio.create_task(
        svc.sync.watch(
            interval=interval,
            stop=stop,
            on_run=lambda summaries, wanted: runs.append(time.perf_counter()),
        )
    )
    try:
        await asyncio.sleep(0.2)  # the loop's first look: nothing is due yet
        with session_scope(svc.engine) as s:
            last = s.exec(select(Channel.last_order_sync_at).where(Channel.id == b_id)).one()
        since_last = (datetime.now(UTC) - last.replace(tzinfo=last.tzinfo or UTC)).total_seconds()
        t0 = time.perf_counter()
        sim.control("POST", "/sale", {"shop": a, "sku": sku, "quantity": 1, "status": "paid"})
        deadline = t0 + every + 60
        seen = before
        while time.perf_counter() < deadline:
            seen = int(await asyncio.to_thread(lambda: sim.listing(b_listing)["inventory"]))
            if seen == before - 1:
                break
            if task.done():
                task.result()  # the loop died: raise its error
                raise RuntimeError("the watch loop ended before the stock was corrected")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=60)
        except TimeoutError:
            task.cancel()
    if seen != before - 1:
        return Figure(
            "sale on account A -> corrected stock on account B",
            None,
            "s",
            f"<= interval + 5 s = {every + 5:g} s",
            False,
            f"B's listing still showed {seen} (expected {before - 1}) after {elapsed:.0f} s",
        )
    which = (
        f"the default interval ({default_interval} s per integration)"
        if interval is None
        else f"a {interval:g} s interval (--quick)"
    )
    return Figure(
        "sale on account A -> corrected stock on account B",
        elapsed,
        "s",
        f"<= interval + 5 s = {every + 5:g} s",
        elapsed <= every + 5,
        f"= interval {every:g} s + {elapsed - every:.2f} s; background watch loop with "
        f"{which}; the sale landed {since_last:.1f} s after the previous run ended, so the "
        f"wait for the next run was about {every - since_last:.1f} s, the run itself "
        f"(orders, listings re-read, push) the rest; B's listing {before} -> {before - 1}",
    )


@dataclass
class SyncBenchConfig:
    sim: SimConfig
    watch_interval: float | None  # None: each integration's own (the default, 60 s)
    default_interval: int = 60

    @classmethod
    def for_mode(cls, quick: bool) -> SyncBenchConfig:
        if quick:
            return cls(SimConfig(orders=300, listings=150, days=60), watch_interval=5.0)
        return cls(SimConfig(), watch_interval=None)


async def run_sync_figures(
    cfg: SyncBenchConfig, sim: SimProcess, workdir: Path, emit=print
) -> list[Figure]:
    """Figures 1-3 on one database, in order (each builds on the state the previous left)."""
    svc = await make_db(workdir / "sync.db", sim, on_hand=5000, interval=cfg.default_interval)
    figs: list[Figure] = []
    try:
        for coro in (
            full_sync_figures(svc, sim),
            incremental_figures(svc, sim),
        ):
            got = await coro
            for f in got:
                emit(f.line())
            figs += got
        f = await sale_to_stock_figure(
            svc, sim, interval=cfg.watch_interval, default_interval=cfg.default_interval
        )
        emit(f.line())
        figs.append(f)
    finally:
        svc.close()
    return figs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd")
    srv = sub.add_parser("serve", help="(internal) run the benchmark's simulator")
    srv.add_argument("--ready-file", required=True)
    srv.add_argument("--orders", type=int, required=True)
    srv.add_argument("--listings", type=int, required=True)
    srv.add_argument("--days", type=int, default=365)
    srv.add_argument("--latency", type=float, default=0.03)
    srv.add_argument("--rate-limit", type=int, default=50)
    srv.add_argument("--rate-window", type=float, default=1.0)
    srv.add_argument("--seed", type=int, default=11)
    srv.add_argument("--latency-jitter", type=float, default=0.0)
    srv.add_argument("--read-limit", type=int, default=0)
    srv.add_argument("--write-limit", type=int, default=0)
    srv.add_argument("--limit-window", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="small data, a 5 s watch interval")
    args = ap.parse_args(argv)
    if args.cmd == "serve":
        return serve(args)
    cfg = SyncBenchConfig.for_mode(args.quick)
    with tempfile.TemporaryDirectory(prefix="reverb-sync-bench-") as tmp:
        work = Path(tmp)
        with SimProcess(cfg.sim, work) as sim:
            asyncio.run(run_sync_figures(cfg, sim, work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
