"""The simulated Reverb: a real HTTP server on loopback (standard library only).

Used by ``reverb-tui demo``, end-to-end tests, benchmarks and the chaos test::

    with ReverbSimulator(seed=1) as sim:
        sim.add_shop("tok_demo_0001", "Northside Guitars", "USD")
        sim.generate("tok_demo_0001", orders=500, listings=200, days=90, seed=1)
        client = ReverbClient(sim.base_url, "tok_demo_0001")

Shops are keyed by their bearer token. Orders and listings imitate Reverb's
(docs/reverb-api-notes.md), and so do paging, auth errors, 422 bodies and rate limiting. Faults are
configured at runtime (attributes or ``configure(...)``) and counted. A sale decrements its
listing the way Reverb does. Everything is guarded by one lock.

``ReverbSimulator`` is the facade over the parts: world.py (shops, listings, orders and the
status machine), history.py (generated history), activity.py (sales and status changes now),
faults.py and counters.py, server.py and api.py (HTTP), control.py (``/_sim``). server.py
reaches it only through the hooks of ``server.SimulatorHooks``.

Standalone: ``python -m reverb_tui.demo --port 8765 --orders 500 --shops 2`` (see __main__.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from . import activity, control, history
from .api import Reply, Request, dispatch
from .counters import Counters
from .faults import FaultInjector, FaultPick, FaultPlan
from .knobs import Knobs
from .model import Links, SimListing, SimOrder, SimShop
from .world import World, WorldSettings

log = logging.getLogger("reverb_tui.demo")


class _Knob:
    """A config knob as an attribute: read from its settings, written through ``configure``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, sim: ReverbSimulator | None, owner: type | None = None) -> Any:
        if sim is None:
            return self
        return getattr(sim._settings_of(self.name), self.name)

    def __set__(self, sim: ReverbSimulator, value: Any) -> None:
        sim.configure(**{self.name: value})


class ReverbSimulator:
    """A simulated Reverb API on ``http://HOST:PORT/api`` (``base_url`` once started).

    Config knobs (attributes, or ``configure(**knobs)``; both validate): the fault knobs of
    ``FaultPlan`` (latency, latency_jitter, rate_limit, rate_window, read_limit,
    write_limit, limit_window, retry_after, burst_429, fail_rate, slow_rate, slow_seconds,
    drop_rate, malformed_rate, faults_on_writes) and the world's
    ``WorldSettings`` (link_style, restock_on_cancel, sale_chance, advance_chance).
    """

    api_root = World.api_root
    CONFIG_KEYS = FaultPlan.keys() + WorldSettings.keys()

    latency = _Knob()
    latency_jitter = _Knob()
    rate_limit = _Knob()
    rate_window = _Knob()
    read_limit = _Knob()
    write_limit = _Knob()
    limit_window = _Knob()
    retry_after = _Knob()
    fail_rate = _Knob()
    burst_429 = _Knob()
    slow_rate = _Knob()
    slow_seconds = _Knob()
    drop_rate = _Knob()
    malformed_rate = _Knob()
    faults_on_writes = _Knob()
    link_style = _Knob()
    restock_on_cancel = _Knob()
    sale_chance = _Knob()
    advance_chance = _Knob()

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
        link_style: str = "mixed",
        zone: str | None = "America/New_York",
        **config: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        lock = threading.RLock()
        self._counters = Counters(lock)
        self.world = World(
            self._counters, seed=seed, lock=lock, origin=lambda: self.origin, clock=clock, zone=zone
        )
        self.fault_plan = FaultPlan()
        self._injector = FaultInjector(
            self.fault_plan, self._counters, rng=self.world.rng, lock=lock
        )
        self._activity = activity.Activity(self.world)
        self._stopping = threading.Event()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.configure(link_style=link_style, **config)

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> ReverbSimulator:
        if self._server is not None:
            return self
        from .server import SimHTTPServer

        self._stopping.clear()
        self._server = SimHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"reverb-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_activity()
        self._stopping.set()  # wakes handlers sleeping for latency / slow answers
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ReverbSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_until_signal(self) -> None:
        """Block until SIGINT/SIGTERM (the standalone runner)."""
        import signal

        done = threading.Event()

        def handler(signum: int, frame: Any) -> None:
            done.set()

        old_int = signal.signal(signal.SIGINT, handler)
        old_term = signal.signal(signal.SIGTERM, handler)
        try:
            while not done.wait(0.5):
                pass
        finally:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:PORT/api`` (the integration's site)."""
        return self.origin + self.api_root

    @property
    def control_url(self) -> str:
        return self.origin + "/_sim"

    # -- configuration -----------------------------------------------------------------------------

    def configure(self, **knobs: Any) -> dict[str, Any]:
        """Set config knobs (validated, all or nothing). Returns the whole config."""
        clean = {key: self._settings_of(key).check(key, value) for key, value in knobs.items()}
        with self.world.lock:
            for key, value in clean.items():
                setattr(self._settings_of(key), key, value)
            return self.config()

    def config(self) -> dict[str, Any]:
        return {**self.fault_plan.as_dict(), **self.world.settings.as_dict()}

    def _settings_of(self, key: str) -> Knobs:
        if key in FaultPlan.CHECKS:
            return self.fault_plan
        if key in WorldSettings.CHECKS:
            return self.world.settings
        raise TypeError(f"unknown simulator setting {key!r}")

    @property
    def rate_clock(self) -> Callable[[], float]:
        """The rate-limit window's clock (monotonic seconds); tests replace it."""
        return self._injector.clock

    @rate_clock.setter
    def rate_clock(self, clock: Callable[[], float]) -> None:
        self._injector.clock = clock

    # -- the world -----------------------------------------------------------------------------------

    @property
    def shops(self) -> dict[str, SimShop]:
        """Every shop by token."""
        return self.world.shops

    def now(self) -> datetime:
        """The simulator's time: aware UTC, whole seconds (Reverb's resolution)."""
        return self.world.now()

    def add_shop(
        self,
        token: str,
        name: str,
        currency: str = "USD",
        seller_id: str | int | None = None,
        *,
        link_style: str | None = None,
        first_name: str = "Alex",
        last_name: str = "Seller",
        email: str | None = None,
        zone: str | None = None,
    ) -> SimShop:
        """A shop without listings or orders, keyed by its token."""
        return self.world.add_shop(
            token,
            name,
            currency,
            seller_id,
            link_style=link_style,
            first_name=first_name,
            last_name=last_name,
            email=email,
            zone=zone,
        )

    def add_sample_shops(
        self,
        count: int,
        *,
        tokens: Iterable[str] | None = None,
        orders: int = 200,
        listings: int = 120,
        days: int = 60,
        seed: int | None = None,
    ) -> list[SimShop]:
        """Up to three ready-made shops (USD, GBP, CAD) with generated data."""
        return history.add_sample_shops(
            self.world,
            count,
            tokens=tokens,
            orders=orders,
            listings=listings,
            days=days,
            seed=self.seed if seed is None else seed,
        )

    def generate(
        self,
        shop: str | SimShop,
        orders: int = 200,
        listings: int = 120,
        days: int = 60,
        seed: int = 0,
    ) -> dict[str, int]:
        """Deterministic listings and order history for a shop (see ``history.generate``)."""
        return history.generate(self.world, shop, orders, listings, days, seed)

    def shop(self, key: str | SimShop) -> SimShop:
        """A shop by token or by name."""
        return self.world.shop(key)

    def links_for(self, shop: SimShop | None, style: str | None = None) -> Links:
        return self.world.links_for(shop, style)

    def find_listing(self, listing_id: int) -> tuple[SimShop, SimListing] | None:
        return self.world.find_listing(listing_id)

    def set_status(self, shop: SimShop, order: SimOrder, status: str) -> None:
        self.world.set_status(shop, order, status)

    def mark_shipped(self, shop: SimShop, order: SimOrder, provider: str, tracking: str) -> None:
        self.world.mark_shipped(shop, order, provider, tracking)

    def add_listing(
        self,
        shop: str | SimShop,
        *,
        sku: str | None,
        title: str | None = None,
        condition: str = "brand-new",
        inventory: int = 1,
        price_cents: int = 10_000,
    ) -> int:
        """A listing with exactly these values; returns its id."""
        return self.world.add_listing(
            shop,
            sku=sku,
            title=title,
            condition=condition,
            inventory=inventory,
            price_cents=price_cents,
        )

    def add_sale(
        self,
        shop: str | SimShop,
        *,
        sku: str | None = None,
        listing_id: int | None = None,
        quantity: int = 1,
        status: str = "paid",
        shipping_method: str | None = None,
    ) -> dict:
        """A new sale now (on the listing with this SKU or id, else a random one with stock).

        Returns the order as the API renders it (relative links). Raises ValueError when no
        listing can take the sale.
        """
        return activity.add_sale(
            self.world,
            shop,
            sku=sku,
            listing_id=listing_id,
            quantity=quantity,
            status=status,
            shipping_method=shipping_method,
        )

    def set_order_status(self, shop: str | SimShop, order_number: str, status: str) -> dict:
        """Move an order to ``status`` now (status side effects included)."""
        return activity.set_order_status(self.world, shop, order_number, status)

    def tick(self, *, sale: bool | None = None, advance: bool | None = None) -> list[dict]:
        """One step of life (see ``activity.tick``); returns the events."""
        return activity.tick(self.world, sale=sale, advance=advance)

    def start_activity(self, every_seconds: float) -> None:
        """Run ``tick()`` every ``every_seconds`` in a background thread."""
        self._activity.start(every_seconds)

    def stop_activity(self) -> None:
        self._activity.stop()

    # -- views, as the API renders them (relative links) ---------------------------------------------

    def orders(self, shop: str | SimShop) -> list[dict]:
        """Every order of a shop, newest first."""
        return self.world.orders(shop)

    def order(self, shop: str | SimShop, order_number: str) -> dict:
        return self.world.order(shop, order_number)

    def listings(self, shop: str | SimShop) -> list[dict]:
        """Every listing of a shop (any state), newest first."""
        return self.world.listings(shop)

    def listing(self, listing_id: int) -> dict:
        return self.world.listing(listing_id)

    def shared_skus(self) -> set[str]:
        """SKUs listed by more than one shop."""
        return self.world.shared_skus()

    def shop_summaries(self) -> list[dict]:
        """Every shop with its counts, the token masked (``GET /_sim/shops``)."""
        return self.world.shop_summaries()

    # -- counters ----------------------------------------------------------------------------------

    def reset_counters(self) -> None:
        self._counters.reset()

    def stats(self) -> dict[str, Any]:
        """A snapshot of every counter (plain dicts; listing ids and statuses as ints)."""
        return self._counters.snapshot()

    @property
    def counters(self) -> dict[str, Any]:
        return self.stats()

    def requests_for(self, shop: str | SimShop, kind: str | None = None) -> int:
        """Requests made with this shop's token (optionally of one kind, "GET /shop")."""
        return self._counters.requests_of(self.shop(shop).name, kind)

    def writes_for(self, listing_id: int) -> int:
        return self._counters.writes_of(int(listing_id))

    def faults(self, kind: str | None = None) -> int:
        """Faults injected so far (of one kind: a ``faults.FAULT_KINDS`` name)."""
        return self._counters.faults_of(kind)

    # -- hooks called by server.py (server.SimulatorHooks) -------------------------------------------

    def record(self, token: str | None, kind: str, accept_version: str | None) -> None:
        """Count an API request as it arrives."""
        with self.world.lock:
            self._counters.request(self.world.shop_key(token), kind, accept_version)

    def pick_faults(self, method: str, token: str | None) -> FaultPick:
        return self._injector.pick(method, token)

    def latency_now(self) -> float:
        """The latency to add to the request arriving now (with its jitter)."""
        return self._injector.latency()

    def serve(self, req: Request, token: str | None) -> Reply:
        """Answer an API request with the world's lock held; a simulator bug is a 500."""
        with self.world.lock:
            req.shop = self.world.shops.get(token) if token else None
            try:
                reply = dispatch(self.world, req)
            except Exception:
                log.exception("simulator: error in %s %s", req.method, req.sub_path)
                self._counters.event("sim_errors")
                return Reply(500, {"message": "Internal Server Error (simulator bug)"})
            if reply.status == 401:
                self._counters.event("unauthorized")
            return reply

    def answered(self, status: int) -> None:
        """Count an answer's status."""
        self._counters.status(status)

    def control(self, method: str, path: str, query: dict[str, str], data: Any) -> Reply:
        return control.handle(self, method, path, query, data)

    def wait(self, seconds: float) -> None:
        """Sleep, cut short when the simulator stops."""
        self._stopping.wait(seconds)


if __name__ == "__main__":  # the runner's former home: ``python -m reverb_tui.demo.simulator``
    from reverb_tui.demo.__main__ import main

    raise SystemExit(main(prog="python -m reverb_tui.demo.simulator"))
