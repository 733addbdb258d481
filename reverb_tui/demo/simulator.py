"""The simulated Reverb: a real HTTP server on loopback (standard library only).

Used by ``reverb-tui demo``, end-to-end tests, benchmarks and the chaos test::

    with ReverbSimulator(seed=1) as sim:
        sim.add_shop("tok_demo_0001", "Northside Guitars", "USD")
        sim.generate("tok_demo_0001", orders=500, listings=200, days=90, seed=1)
        client = ReverbClient(sim.base_url, "tok_demo_0001")

Shops are keyed by their bearer token. Orders and listings imitate reverb-api.md sections
2.3-2.7; paging, auth errors, 422 bodies and rate limiting imitate section 3. Faults are
configured at runtime (attributes or ``configure(...)``) and counted. A sale decrements its
listing the way Reverb does. Everything is guarded by one lock.

Standalone: ``python -m reverb_tui.demo.simulator --port 8765 --orders 500 --shops 2`` prints
one JSON line (base URL, control URL, shops) when it listens and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import secrets
import threading
import time
import uuid as uuidlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from .api import Reply, Request, dispatch
from .catalog import (
    ADDRESSES,
    CARRIERS_BY_CURRENCY,
    CONDITION_WEIGHTS,
    CONDITIONS,
    CURRENCIES,
    FIRST_NAMES,
    LAST_NAMES,
    PAYMENT_METHODS,
    TAX_RATES,
    product,
    slugify,
    tracking_code,
)
from .model import (
    LINK_STYLES,
    STATUSES,
    TERMINAL,
    Links,
    SimListing,
    SimOrder,
    SimShop,
    display_zone,
    listing_json,
    order_json,
)

log = logging.getLogger("reverb_tui.demo")

# Rough conversion of catalogue prices (USD) into a shop's currency.
FX = {
    "USD": 1.0,
    "CAD": 1.35,
    "EUR": 0.92,
    "GBP": 0.79,
    "AUD": 1.5,
    "JPY": 150.0,
    "NZD": 1.65,
    "MXN": 17.0,
}
CONDITION_PRICE = {
    "brand-new": 1.0,
    "b-stock": 0.85,
    "mint-with-inventory": 0.9,
    "mint": 0.8,
    "excellent": 0.72,
    "very-good": 0.65,
    "good": 0.55,
    "fair": 0.45,
    "poor": 0.35,
    "non-functioning": 0.2,
}
# Next statuses an order may move to, with weights (tick and history).
NEXT_STATUS: dict[str, tuple[tuple[str, int], ...]] = {
    "unpaid": (("paid", 70), ("cancelled", 30)),
    "payment_pending": (("paid", 85), ("cancelled", 15)),
    "pending_review": (("paid", 80), ("blocked", 20)),
    "partially_paid": (("paid", 100),),
    "blocked": (("cancelled", 100),),
    "paid": (("shipped", 80), ("cancelled", 12), ("refunded", 8)),
    "shipped": (("received", 90), ("refunded", 10)),
    "refunded": (("cancelled", 100),),
}
# Final statuses of generated history orders, with the path that leads there.
HISTORY_PATHS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("paid", "shipped", "received"), 30),
    (("paid", "shipped"), 22),
    (("paid",), 12),
    (("unpaid",), 5),
    (("payment_pending",), 2),
    (("pending_review",), 2),
    (("unpaid", "blocked"), 1),
    (("partially_paid",), 2),
    (("paid", "refunded"), 2),
    (("paid", "shipped", "refunded"), 2),
    (("unpaid", "cancelled"), 6),
    (("paid", "cancelled"), 4),
    (("paid", "picked_up"), 3),
)
SAMPLE_SHOPS = (
    # name, currency, first name, last name
    ("Northside Guitars", "USD", "Maya", "Fisher"),
    ("Harbour Music Co.", "GBP", "Tom", "Byrne"),
    ("Prairie Pedal Works", "CAD", "Lena", "Dubois"),
)
FAULT_KINDS = ("rate_limited", "burst_429", "server_error", "slow", "dropped", "malformed")

_RATE_KNOBS = ("fail_rate", "slow_rate", "drop_rate", "malformed_rate")


class ReverbSimulator:
    """A simulated Reverb API on ``http://HOST:PORT/api`` (``base_url`` once started).

    Config knobs (attributes, or ``configure(**knobs)`` which validates):

    - ``latency``: seconds added to every API request;
    - ``rate_limit``: requests per token allowed in any ``rate_window`` (default 1 s); the
      next ones get 429 (None = unlimited); ``retry_after``: seconds sent as Retry-After with
      a 429 (None = no header, like Reverb);
    - ``burst_429``: answer the next K requests with 429;
    - ``fail_rate``: fraction of GETs answered 500/502/503;
    - ``slow_rate`` + ``slow_seconds``: delay that fraction of answers (past a client timeout);
    - ``drop_rate``: close the connection without an answer;
    - ``malformed_rate``: a 200 with truncated JSON;
    - ``faults_on_writes``: let the random faults hit PUT/POST too (default: GETs only);
    - ``link_style``: relative, absolute or mixed hrefs (a shop may override it);
    - ``restock_on_cancel``: a cancelled, unshipped order gives its units back to its listing;
    - ``sale_chance`` / ``advance_chance``: what a ``tick()`` does.
    """

    api_root = "/api"

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
        self._clock = clock or (lambda: datetime.now(UTC))
        self._zone_name = zone
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._rng = random.Random(seed)  # faults and mixed links
        self._activity_rng = random.Random(seed * 1_000_003 + 1)
        self._ids_rng = random.Random(seed * 7_919 + 2)
        self._next_order = 24_280_000 + (seed % 97) * 1_000
        self._next_listing = 91_000_000 + (seed % 89) * 10_000
        self._next_address = 100_480_000
        self.shops: dict[str, SimShop] = {}  # token -> shop
        self._listing_shop: dict[int, SimShop] = {}
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._monotonic: Callable[[], float] = time.monotonic  # the rate-limit window's clock
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._activity_thread: threading.Thread | None = None
        self._activity_stop = threading.Event()
        # config
        self.latency = 0.0
        self.rate_limit: int | None = None
        self.rate_window = 1.0
        self.retry_after: float | None = None
        self.fail_rate = 0.0
        self.burst_429 = 0
        self.slow_rate = 0.0
        self.slow_seconds = 30.0
        self.drop_rate = 0.0
        self.malformed_rate = 0.0
        self.faults_on_writes = False
        self.link_style = link_style
        self.restock_on_cancel = True
        self.sale_chance = 0.6
        self.advance_chance = 0.6
        self.configure(link_style=link_style, **config)
        self.reset_counters()

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

    CONFIG_KEYS = (
        "latency",
        "rate_limit",
        "rate_window",
        "retry_after",
        "fail_rate",
        "burst_429",
        "slow_rate",
        "slow_seconds",
        "drop_rate",
        "malformed_rate",
        "faults_on_writes",
        "link_style",
        "restock_on_cancel",
        "sale_chance",
        "advance_chance",
    )

    def configure(self, **knobs: Any) -> dict[str, Any]:
        """Set config knobs (validated, all or nothing). Returns the whole config."""
        clean: dict[str, Any] = {}
        for key, value in knobs.items():
            if key not in self.CONFIG_KEYS:
                raise TypeError(f"unknown simulator setting {key!r}")
            clean[key] = _validate_knob(key, value)
        with self._lock:
            for key, value in clean.items():
                setattr(self, key, value)
            return self.config()

    def config(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.CONFIG_KEYS}

    def now(self) -> datetime:
        """The simulator's time: aware UTC, whole seconds (Reverb's resolution)."""
        return self._clock().astimezone(UTC).replace(microsecond=0)

    # -- shops -------------------------------------------------------------------------------------

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
        cur = currency.upper()
        if cur not in CURRENCIES:
            raise ValueError(f"unknown currency {currency!r}")
        if link_style is not None and link_style not in LINK_STYLES:
            raise ValueError(f"link_style must be one of {LINK_STYLES}")
        if not token or any(c.isspace() for c in token):
            raise ValueError("a shop token must be non-empty and without spaces")
        with self._lock:
            if token in self.shops:
                raise ValueError("a shop with this token already exists")
            if any(s.name == name for s in self.shops.values()):
                raise ValueError(f"a shop named {name!r} already exists")
            n = len(self.shops)
            sid = str(seller_id) if seller_id is not None else str(481_000 + n * 7_919)
            user_id = 1_200_000 + n * 104_729 + (int(sid) % 1000 if sid.isdigit() else 0)
            slug = slugify(name) or f"shop-{sid}"
            zone_name = zone or self._zone_name
            shop = SimShop(
                token=token,
                name=name,
                currency=cur,
                seller_id=sid,
                user_id=user_id,
                slug=slug,
                email=email or f"{slug}@example.com",
                first_name=first_name,
                last_name=last_name,
                link_style=link_style or "",
                zone_name=zone_name,
                zone=display_zone(zone_name),
                shipping_profiles=[
                    {"id": str(int(sid) * 10 + 1) if sid.isdigit() else "1", "name": "Standard"},
                    {"id": str(int(sid) * 10 + 2) if sid.isdigit() else "2", "name": "Oversize"},
                ],
            )
            self.shops[token] = shop
            return shop

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
        if not 1 <= count <= len(SAMPLE_SHOPS):
            raise ValueError(f"count must be between 1 and {len(SAMPLE_SHOPS)}")
        toks = list(tokens) if tokens is not None else []
        base_seed = self.seed if seed is None else seed
        made = []
        for i in range(count):
            name, cur, first, last = SAMPLE_SHOPS[i]
            tok = toks[i] if i < len(toks) else "sim_" + secrets.token_urlsafe(24)
            shop = self.add_shop(tok, name, cur, first_name=first, last_name=last)
            self.generate(shop, orders=orders, listings=listings, days=days, seed=base_seed + i)
            made.append(shop)
        return made

    def shop(self, key: str | SimShop) -> SimShop:
        """A shop by token or by name."""
        if isinstance(key, SimShop):
            return key
        with self._lock:
            if key in self.shops:
                return self.shops[key]
            for s in self.shops.values():
                if s.name == key:
                    return s
        raise KeyError("no such simulated shop")

    def links_for(self, shop: SimShop | None, style: str | None = None) -> Links:
        chosen = style or (shop.link_style if shop and shop.link_style else self.link_style)
        return Links(self.origin, self.api_root, chosen, self._rng)

    def find_listing(self, listing_id: int) -> tuple[SimShop, SimListing] | None:
        with self._lock:
            shop = self._listing_shop.get(listing_id)
            if shop is None:
                return None
            return shop, shop.listings[listing_id]

    # -- generation --------------------------------------------------------------------------------

    def generate(
        self,
        shop: str | SimShop,
        orders: int = 200,
        listings: int = 120,
        days: int = 60,
        seed: int = 0,
    ) -> dict[str, int]:
        """Deterministic listings and order history for a shop (same seed, same data).

        Listings draw from the shared catalogue (so two shops share SKUs); orders are spread
        over ``days``, each on a listing that had stock, and walked along a realistic status
        path, decrementing listings as Reverb does. Returns counts.
        """
        if orders < 0 or listings < 0 or days < 1:
            raise ValueError("orders and listings must be >= 0 and days >= 1")
        if orders and not listings and not self.shop(shop).listings:
            raise ValueError("orders need listings")
        rng = random.Random(f"reverb-sim:{seed}")
        with self._lock:
            s = self.shop(shop)
            now = self.now()
            self._generate_listings(s, listings, days, rng, now)
            made = self._generate_orders(s, orders, days, rng, now)
            return {"listings": len(s.listings), "orders": len(s.orders), "generated": made}

    def _generate_listings(
        self, shop: SimShop, count: int, days: int, rng: random.Random, now: datetime
    ) -> None:
        if count <= 0:
            return
        taken = {x.sku for x in shop.listings.values() if x.sku}
        span = max(count, int(count * 1.3) + 5)
        sampled = rng.sample(range(span + len(taken)), count + len(taken))
        picks = [i for i in sampled if product(i).sku not in taken][:count]
        conds = list(CONDITION_WEIGHTS)
        weights = list(CONDITION_WEIGHTS.values())
        start = now - timedelta(days=days + 120)
        times = sorted(
            start + timedelta(seconds=rng.randint(0, (days + 119) * 86_400)) for _ in picks
        )
        for n, (idx, created) in enumerate(zip(picks, times, strict=True)):
            p = product(idx)
            cond = "brand-new" if n == 0 else rng.choices(conds, weights)[0]
            multi = CONDITIONS[cond].multi_unit
            inventory = rng.randint(3, 25) if multi else 1
            if multi and rng.random() < 0.05:
                inventory = 0
            price = p.price_units * CONDITION_PRICE[cond] * FX[shop.currency]
            price_cents = max(100, int(round(price)) * 100 - (1 if rng.random() < 0.3 else 0))
            listing = SimListing(
                id=self._new_listing_id(),
                shop_key=shop.token,
                sku=None if rng.random() < 0.04 else p.sku,
                title=p.title,
                make=p.make,
                model=p.model,
                finish=p.finish,
                year=p.year,
                category=p.category.full_name,
                category_uuid=p.category.uuid,
                condition=cond,
                price_cents=price_cents,
                currency=shop.currency,
                inventory=inventory,
                has_inventory=multi,
                state="live" if inventory > 0 else "sold_out",
                state_description="Live" if inventory > 0 else "Sold Out",
                created_at=created,
                updated_at=created,
                offers_enabled=rng.random() < 0.7,
            )
            self._register_listing(shop, listing)

    def _generate_orders(
        self, shop: SimShop, count: int, days: int, rng: random.Random, now: datetime
    ) -> int:
        if count <= 0:
            return 0
        window = days * 86_400
        created = sorted(now - timedelta(seconds=rng.randint(120, window)) for _ in range(count))
        multi_ids = [x.id for x in shop.listings.values() if x.multi_unit]
        pools = {
            True: _Pool(x.id for x in shop.listings.values() if x.sellable and x.multi_unit),
            False: _Pool(x.id for x in shop.listings.values() if x.sellable and not x.multi_unit),
        }
        paths = [p for p, _ in HISTORY_PATHS]
        path_weights = [w for _, w in HISTORY_PATHS]
        made = 0
        for at in created:
            # Most sales are of stocked (new) items; one-of-a-kind items sell once.
            first = rng.random() < 0.88
            listing = None
            for kind in (first, not first):
                listing = pools[kind].pick(rng, lambda lid: shop.listings[lid].sellable)
                if listing is not None:
                    listing = shop.listings[listing]
                    break
            if listing is None:
                if not multi_ids:
                    break  # every one-of-a-kind item is sold: no more history possible
                listing = shop.listings[rng.choice(multi_ids)]
                self._restock(listing, rng.randint(5, 15), at)  # the seller restocked
                pools[True].add(listing.id)
            path = rng.choices(paths, path_weights)[0]
            local = "picked_up" in path
            order = self._sell(
                shop,
                listing,
                quantity=self._quantity(listing, rng),
                status=path[0],
                at=at,
                rng=rng,
                shipping_method="local"
                if local
                else rng.choices(("shipped", "expedited_shipping"), (88, 12))[0],
            )
            t = at
            for status in path[1:]:
                t += _step_delay(status, rng)
                if t > now:
                    break
                self._set_status(shop, order, status, t, rng)
            if listing.sellable:  # still in stock, or a cancellation restocked it
                pools[listing.multi_unit].add(listing.id)
            made += 1
        return made

    # -- state changes (lock held) ---------------------------------------------------------------

    def _new_listing_id(self) -> int:
        self._next_listing += self._ids_rng.randint(1, 60)
        return self._next_listing

    def _new_order_number(self) -> str:
        self._next_order += self._ids_rng.randint(1, 40)
        return str(self._next_order)

    def _register_listing(self, shop: SimShop, listing: SimListing) -> None:
        shop.listings[listing.id] = listing
        self._listing_shop[listing.id] = shop

    @staticmethod
    def _quantity(listing: SimListing, rng: random.Random) -> int:
        if not listing.multi_unit or listing.inventory < 2 or rng.random() > 0.12:
            return 1
        return min(listing.inventory, rng.randint(2, 4))

    @staticmethod
    def _restock(listing: SimListing, units: int, at: datetime) -> None:
        if listing.multi_unit:
            listing.inventory += units
        else:
            listing.inventory = 1
        listing.state, listing.state_description = "live", "Live"
        listing.updated_at = max(listing.updated_at, at)

    def _sell(
        self,
        shop: SimShop,
        listing: SimListing,
        *,
        quantity: int,
        status: str,
        at: datetime,
        rng: random.Random,
        shipping_method: str | None = None,
    ) -> SimOrder:
        """A new order on ``listing``; Reverb decrements the listing itself."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        if not listing.sellable or listing.inventory < quantity:
            raise ValueError(
                f"listing {listing.id} has {listing.inventory} unit(s) "
                f"({listing.state}); cannot sell {quantity}"
            )
        if status not in STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        method = (
            shipping_method
            or rng.choices(("shipped", "expedited_shipping", "local"), (84, 11, 5))[0]
        )
        offer = rng.random() < 0.25
        unit = listing.price_cents
        if offer:
            unit = max(100, int(unit * rng.uniform(0.82, 0.96)) // 100 * 100)
        if method == "local":
            ship_cents = 0
        else:
            base = rng.choice((0, 0, 1500, 2000, 2500, 3500, 4500, 7500))
            ship_cents = base + (2500 if method == "expedited_shipping" else 0)
        buyer_id = rng.randint(100_000, 9_999_999)
        self._next_address += rng.randint(1, 500)
        number = self._new_order_number()
        order = SimOrder(
            order_number=number,
            uuid=str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
            bundle_id=str(int(number) - rng.randint(1_200_000, 1_400_000)),
            listing_id=listing.id,
            sku=listing.sku or "",
            title=listing.title,
            quantity=quantity,
            status="unpaid",
            order_type="offer" if offer else "instant",
            shipping_method=method,
            unit_cents=unit,
            shipping_cents=ship_cents,
            tax_rate=rng.choice(TAX_RATES) if shop.currency == "USD" else 0.0,
            currency=shop.currency,
            created_at=at,
            updated_at=at,
            buyer_id=buyer_id,
            buyer_first=rng.choice(FIRST_NAMES),
            buyer_last=rng.choice(LAST_NAMES),
            buyer_email=rng.random() < 0.5,
            address=rng.choice(ADDRESSES),
            address_id=self._next_address,
            payment_method=rng.choice(PAYMENT_METHODS),
            multi_unit=listing.multi_unit,
            photo=f"https://images.reverb.com/image/upload/s--sim--/t_card-square/{listing.id}.jpg",
        )
        listing.inventory -= quantity
        if listing.inventory <= 0:
            listing.inventory = 0
            if listing.multi_unit:
                listing.state, listing.state_description = "sold_out", "Sold Out"
            else:  # a one-of-a-kind item is gone for good
                listing.state, listing.state_description = "ended", "Sold"
        listing.updated_at = max(listing.updated_at, at)
        order.remaining_inventory = listing.inventory
        shop.insert_order(order)
        if status != "unpaid":
            self._set_status(shop, order, status, at, rng)
        return order

    def _set_status(
        self, shop: SimShop, order: SimOrder, status: str, at: datetime, rng: random.Random
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        previous = order.status
        if status == previous:
            return
        if status in ("paid", "shipped", "picked_up", "received", "refunded"):
            if order.paid_at is None:
                order.paid_at = at
        if status == "shipped" and order.shipped_at is None:
            carriers = CARRIERS_BY_CURRENCY.get(shop.currency, ("UPS", "DHL"))
            provider = rng.choice(carriers)
            order.shipping_provider = provider
            order.shipping_code = tracking_code(rng, provider)
            order.shipped_at = at
            order.shipment_status = "unknown"
        if status == "received":
            order.shipment_status = "delivered"
            if order.shipped_at is None:
                order.shipped_at = at
        if status == "picked_up":
            order.shipping_provider = "Personal Collection "
            order.shipping_code = "PersonalCollection"
            order.shipped_at = at
            order.shipment_status = "delivered"
        if status == "cancelled" and order.shipped_at is None and self.restock_on_cancel:
            listing = shop.listings.get(order.listing_id)
            if listing is not None and (listing.multi_unit or listing.state != "live"):
                self._restock(listing, order.quantity, at)
        order.status = status
        order.updated_at = max(order.updated_at, at)

    def set_status(self, shop: SimShop, order: SimOrder, status: str) -> None:
        with self._lock:
            self._set_status(shop, order, status, self.now(), self._activity_rng)

    def mark_shipped(self, shop: SimShop, order: SimOrder, provider: str, tracking: str) -> None:
        with self._lock:
            now = self.now()
            order.shipping_provider = provider
            order.shipping_code = tracking
            order.shipped_at = now
            order.shipment_status = "unknown"
            order.status = "shipped"
            order.updated_at = max(order.updated_at, now)

    # -- test and demo helpers ---------------------------------------------------------------------

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
        if condition not in CONDITIONS:
            raise ValueError(f"unknown condition {condition!r}; one of {list(CONDITIONS)}")
        if inventory < 0:
            raise ValueError("inventory must be >= 0")
        with self._lock:
            s = self.shop(shop)
            multi = CONDITIONS[condition].multi_unit
            inv = inventory if multi else min(inventory, 1)
            if inv > 0:
                state, desc = "live", "Live"
            elif multi:
                state, desc = "sold_out", "Sold Out"
            else:
                state, desc = "ended", "Ended"
            now = self.now()
            listing = SimListing(
                id=self._new_listing_id(),
                shop_key=s.token,
                sku=sku,
                title=title or f"Test item {sku or ''}".strip(),
                make="Test",
                model="Item",
                finish="",
                year="",
                category="Accessories",
                category_uuid="62835d2e-ac92-41fc-9b8d-4aba8c1c25d5",
                condition=condition,
                price_cents=price_cents,
                currency=s.currency,
                inventory=inv,
                has_inventory=multi,
                state=state,
                state_description=desc,
                created_at=now,
                updated_at=now,
            )
            self._register_listing(s, listing)
            return listing.id

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
        with self._lock:
            s = self.shop(shop)
            listing = self._pick_listing(s, sku, listing_id, quantity, self._activity_rng)
            order = self._sell(
                s,
                listing,
                quantity=quantity,
                status=status,
                at=self.now(),
                rng=self._activity_rng,
                shipping_method=shipping_method,
            )
            self._count("sales")
            return order_json(order, s, self.links_for(s, "relative"))

    def _pick_listing(
        self,
        shop: SimShop,
        sku: str | None,
        listing_id: int | None,
        quantity: int,
        rng: random.Random,
    ) -> SimListing:
        if listing_id is not None:
            listing = shop.listings.get(listing_id)
            if listing is None:
                raise ValueError(f"listing {listing_id} is not in this shop")
            return listing
        cands = [
            x
            for x in shop.listings.values()
            if x.sellable and x.inventory >= quantity and (sku is None or x.sku == sku)
        ]
        if not cands:
            what = f"SKU {sku!r}" if sku is not None else "any listing"
            raise ValueError(f"no live listing with {quantity} unit(s) for {what}")
        return rng.choice(cands)

    def set_order_status(self, shop: str | SimShop, order_number: str, status: str) -> dict:
        """Move an order to ``status`` now (status side effects included)."""
        with self._lock:
            s = self.shop(shop)
            order = s.orders_by_number[str(order_number)]
            self._set_status(s, order, status, self.now(), self._activity_rng)
            self._count("status_changes")
            return order_json(order, s, self.links_for(s, "relative"))

    def orders(self, shop: str | SimShop) -> list[dict]:
        """Every order of a shop, newest first, as the API renders it (relative links)."""
        with self._lock:
            s = self.shop(shop)
            links = self.links_for(s, "relative")
            return [order_json(o, s, links) for o in s.orders]

    def order(self, shop: str | SimShop, order_number: str) -> dict:
        with self._lock:
            s = self.shop(shop)
            return order_json(
                s.orders_by_number[str(order_number)], s, self.links_for(s, "relative")
            )

    def listings(self, shop: str | SimShop) -> list[dict]:
        """Every listing of a shop (any state), newest first, as the API renders it."""
        with self._lock:
            s = self.shop(shop)
            links = self.links_for(s, "relative")
            return [
                listing_json(x, s, links)
                for x in sorted(s.listings.values(), key=lambda x: x.id, reverse=True)
            ]

    def listing(self, listing_id: int) -> dict:
        found = self.find_listing(int(listing_id))
        if found is None:
            raise KeyError(f"no listing {listing_id}")
        shop, listing = found
        with self._lock:
            return listing_json(listing, shop, self.links_for(shop, "relative"))

    def shared_skus(self) -> set[str]:
        """SKUs listed by more than one shop."""
        with self._lock:
            seen: dict[str, int] = defaultdict(int)
            for s in self.shops.values():
                for sku in {x.sku for x in s.listings.values() if x.sku}:
                    seen[sku] += 1
            return {k for k, n in seen.items() if n > 1}

    # -- live activity -----------------------------------------------------------------------------

    def tick(self, *, sale: bool | None = None, advance: bool | None = None) -> list[dict]:
        """One step of life: maybe a new sale, maybe an older order moving on.

        ``sale``/``advance`` force (True) or forbid (False) either part; by default each
        happens with ``sale_chance``/``advance_chance`` (at least one is tried). Returns the
        events: ``{"type": "sale"|"status", "shop", "order_number", ...}``.
        """
        events: list[dict] = []
        with self._lock:
            rng = self._activity_rng
            shops = list(self.shops.values())
            if not shops:
                return events
            if sale is None:
                sale = rng.random() < self.sale_chance
            if advance is None:
                advance = rng.random() < self.advance_chance or not sale
            now = self.now()
            if sale:
                shop = rng.choice(shops)
                cands = [x for x in shop.listings.values() if x.sellable]
                if cands:
                    listing = rng.choice(cands)
                    status = rng.choices(("paid", "unpaid", "payment_pending"), (80, 15, 5))[0]
                    order = self._sell(
                        shop,
                        listing,
                        quantity=self._quantity(listing, rng),
                        status=status,
                        at=now,
                        rng=rng,
                    )
                    self._count("sales")
                    events.append(
                        {
                            "type": "sale",
                            "shop": shop.name,
                            "order_number": order.order_number,
                            "listing_id": listing.id,
                            "sku": order.sku,
                            "quantity": order.quantity,
                            "status": order.status,
                        }
                    )
            if advance:
                shop = rng.choice(shops)
                cands_o = [o for o in shop.orders[:400] if o.status not in TERMINAL]
                if cands_o:
                    order = rng.choice(cands_o)
                    before = order.status
                    after = self._next_status(order, rng)
                    self._set_status(shop, order, after, now, rng)
                    self._count("status_changes")
                    events.append(
                        {
                            "type": "status",
                            "shop": shop.name,
                            "order_number": order.order_number,
                            "from": before,
                            "to": after,
                        }
                    )
        return events

    @staticmethod
    def _next_status(order: SimOrder, rng: random.Random) -> str:
        options = NEXT_STATUS[order.status]
        if order.status == "paid" and order.shipping_method == "local":
            options = (("picked_up", 85), ("cancelled", 15))
        names = [n for n, _ in options]
        return rng.choices(names, [w for _, w in options])[0]

    def start_activity(self, every_seconds: float) -> None:
        """Run ``tick()`` every ``every_seconds`` in a background thread."""
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.stop_activity()
        stop = threading.Event()
        self._activity_stop = stop

        def loop() -> None:
            while not stop.wait(every_seconds):
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - keep the demo alive; the bug is logged
                    log.exception("simulator: tick failed")
                    self._count("sim_errors")

        self._activity_thread = threading.Thread(
            target=loop, name="reverb-sim-activity", daemon=True
        )
        self._activity_thread.start()

    def stop_activity(self) -> None:
        self._activity_stop.set()
        if self._activity_thread is not None:
            self._activity_thread.join(timeout=5)
            self._activity_thread = None

    # -- counters ----------------------------------------------------------------------------------

    def reset_counters(self) -> None:
        with self._lock:
            self._c: dict[str, Any] = {
                "requests": 0,
                "by_shop": defaultdict(int),
                "by_kind": defaultdict(int),
                "by_shop_kind": defaultdict(lambda: defaultdict(int)),
                "by_status": defaultdict(int),
                "faults": {k: 0 for k in FAULT_KINDS},
                "writes": defaultdict(int),
                "accept_version": defaultdict(int),
                "events": defaultdict(int),
            }

    def stats(self) -> dict[str, Any]:
        """A snapshot of every counter (plain dicts; listing ids and statuses as ints)."""
        with self._lock:
            c = self._c
            return {
                "requests": c["requests"],
                "by_shop": dict(c["by_shop"]),
                "by_kind": dict(c["by_kind"]),
                "by_shop_kind": {k: dict(v) for k, v in c["by_shop_kind"].items()},
                "by_status": dict(c["by_status"]),
                "faults": dict(c["faults"]),
                "faults_total": sum(c["faults"].values()),
                "writes": dict(c["writes"]),
                "writes_total": sum(c["writes"].values()),
                "accept_version": dict(c["accept_version"]),
                **{k: v for k, v in c["events"].items()},
            }

    @property
    def counters(self) -> dict[str, Any]:
        return self.stats()

    def requests_for(self, shop: str | SimShop, kind: str | None = None) -> int:
        """Requests made with this shop's token (optionally of one kind, "GET /shop")."""
        s = self.shop(shop)
        with self._lock:
            if kind is None:
                return self._c["by_shop"].get(s.name, 0)
            return self._c["by_shop_kind"].get(s.name, {}).get(kind, 0)

    def writes_for(self, listing_id: int) -> int:
        with self._lock:
            return self._c["writes"].get(int(listing_id), 0)

    def faults(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return sum(self._c["faults"].values())
            return self._c["faults"][kind]

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._c["events"][name] += n

    def _count_write(self, listing_id: int) -> None:
        with self._lock:
            self._c["writes"][listing_id] += 1

    def _count_status(self, status: int) -> None:
        with self._lock:
            self._c["by_status"][status] += 1

    # -- request plumbing (called by server.py) ----------------------------------------------------

    def _record_request(self, token: str | None, kind: str, accept_version: str | None) -> str:
        with self._lock:
            shop = self.shops.get(token) if token else None
            key = shop.name if shop else ("(unknown)" if token else "(anonymous)")
            c = self._c
            c["requests"] += 1
            c["by_shop"][key] += 1
            c["by_kind"][kind] += 1
            c["by_shop_kind"][key][kind] += 1
            c["accept_version"][accept_version or "(missing)"] += 1
            return key

    def _pick_faults(self, method: str, token: str | None) -> tuple[str | None, str | None]:
        """(fault before the work, fault on the answer); each counted."""
        with self._lock:
            pre: str | None = None
            post: str | None = None
            if self.rate_limit:
                window = self._windows[token or ""]
                now = self._monotonic()
                while window and now - window[0] >= self.rate_window:
                    window.popleft()
                window.append(now)
                if len(window) > self.rate_limit:
                    pre = "rate_limited"
            if pre is None and self.burst_429 > 0:
                self.burst_429 -= 1
                pre = "burst_429"
            eligible = method == "GET" or self.faults_on_writes
            rng = self._rng
            if pre is None and eligible:
                if self.drop_rate and rng.random() < self.drop_rate:
                    pre = "drop"
                elif self.fail_rate and rng.random() < self.fail_rate:
                    pre = f"server_error_{rng.choice((500, 502, 503))}"
                elif self.slow_rate and rng.random() < self.slow_rate:
                    post = "slow"
                elif self.malformed_rate and rng.random() < self.malformed_rate:
                    post = "malformed"
            kind = pre or post
            if kind is not None:
                key = {"drop": "dropped"}.get(kind, kind)
                if key.startswith("server_error"):
                    key = "server_error"
                self._c["faults"][key] += 1
            return pre, post

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _serve_api(self, req: Request, token: str | None, shop_key: str) -> Reply:
        with self._lock:
            req.shop = self.shops.get(token) if token else None
            try:
                reply = dispatch(self, req)
            except Exception:  # noqa: BLE001 - a simulator bug must show up as a 500, counted
                log.exception("simulator: error in %s %s", req.method, req.sub_path)
                self._count("sim_errors")
                return Reply(500, {"message": "Internal Server Error (simulator bug)"})
            if reply.status == 401:
                self._count("unauthorized")
            return reply

    # -- control API (``/_sim/...``, for a simulator in another process) ---------------------------

    def _control(self, method: str, path: str, query: dict[str, str], data: dict) -> Reply:
        if not isinstance(data, dict):
            raise ValueError("control body must be a JSON object")
        route = (method, path.removeprefix("/_sim"))
        if route == ("GET", "/stats"):
            return Reply(200, _jsonable(self.stats()))
        if route == ("POST", "/reset"):
            self.reset_counters()
            return Reply(200, {"ok": True})
        if route == ("GET", "/config"):
            return Reply(200, self.config())
        if route == ("POST", "/config"):
            return Reply(200, self.configure(**data))
        if route == ("GET", "/shops"):
            from ..errors import mask_token

            with self._lock:
                shops = [
                    {
                        "name": s.name,
                        "currency": s.currency,
                        "seller_id": s.seller_id,
                        "token": mask_token(s.token),
                        "orders": len(s.orders),
                        "listings": len(s.listings),
                    }
                    for s in self.shops.values()
                ]
            return Reply(200, {"shops": shops})
        if route == ("POST", "/tick"):
            return Reply(200, {"events": self.tick(**data)})
        if route == ("POST", "/sale"):
            shop = data.pop("shop")
            return Reply(200, self.add_sale(shop, **data))
        if route == ("POST", "/status"):
            return Reply(
                200, self.set_order_status(data["shop"], data["order_number"], data["status"])
            )
        if route == ("GET", "/orders"):
            return Reply(200, {"orders": self.orders(query["shop"])})
        if route == ("GET", "/listings"):
            return Reply(200, {"listings": self.listings(query["shop"])})
        if route == ("POST", "/activity"):
            every = float(data.get("every_seconds") or 0)
            if every > 0:
                self.start_activity(every)
            else:
                self.stop_activity()
            return Reply(200, {"every_seconds": every})
        return Reply(404, {"message": f"no control endpoint {method} {path}"})

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


class _Pool:
    """Random picks from a set of ids, dropping the ones that no longer qualify."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.ids = list(ids)
        self.members = set(self.ids)

    def add(self, item: int) -> None:
        if item not in self.members:
            self.ids.append(item)
            self.members.add(item)

    def pick(self, rng: random.Random, ok: Callable[[int], bool]) -> int | None:
        while self.ids:
            i = rng.randrange(len(self.ids))
            item = self.ids[i]
            if ok(item):
                return item
            self.ids[i] = self.ids[-1]
            self.ids.pop()
            self.members.discard(item)
        return None


def _step_delay(status: str, rng: random.Random) -> timedelta:
    """How long after the previous step a history order reached ``status``."""
    if status == "paid":
        return timedelta(minutes=rng.randint(1, 600))
    if status in ("shipped", "picked_up"):
        return timedelta(hours=rng.randint(4, 96))
    if status == "received":
        return timedelta(hours=rng.randint(36, 240))
    return timedelta(hours=rng.randint(2, 200))  # refunded, cancelled, blocked


def _validate_knob(key: str, value: Any) -> Any:
    if key in _RATE_KNOBS or key in ("sale_chance", "advance_chance"):
        v = float(value)
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{key} must be between 0 and 1")
        return v
    if key == "rate_window":
        v = float(value)
        if v <= 0:
            raise ValueError("rate_window must be > 0")
        return v
    if key in ("latency", "slow_seconds"):
        v = float(value)
        if v < 0:
            raise ValueError(f"{key} must be >= 0")
        return v
    if key == "rate_limit":
        if value is None or value == 0:
            return None
        v = int(value)
        if v < 1:
            raise ValueError("rate_limit must be a positive whole number (or None)")
        return v
    if key == "retry_after":
        if value is None:
            return None
        v = float(value)
        if v < 0:
            raise ValueError("retry_after must be >= 0 (or None)")
        return v
    if key == "burst_429":
        v = int(value)
        if v < 0:
            raise ValueError("burst_429 must be >= 0")
        return v
    if key == "link_style":
        if value not in LINK_STYLES:
            raise ValueError(f"link_style must be one of {LINK_STYLES}")
        return value
    if key in ("faults_on_writes", "restock_on_cancel"):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    raise TypeError(f"unknown simulator setting {key!r}")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    return copy.deepcopy(obj)


# -- standalone runner -------------------------------------------------------------------------


def build_arg_parser():  # noqa: ANN201
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m reverb_tui.demo.simulator",
        description=(
            "Run the simulated Reverb API on loopback. Prints one JSON line "
            "{base_url, control_url, shops} when listening; serves until SIGINT/SIGTERM, then "
            "prints the counters as one JSON line."
        ),
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--shops", type=int, default=1, choices=(1, 2, 3))
    p.add_argument("--orders", type=int, default=200, help="orders per shop")
    p.add_argument("--listings", type=int, default=120, help="listings per shop")
    p.add_argument("--days", type=int, default=60, help="days of order history")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--token",
        action="append",
        default=[],
        help="a shop's bearer token (repeat per shop; also $REVERB_SIM_TOKENS, comma-separated)",
    )
    p.add_argument("--link-style", choices=LINK_STYLES, default="mixed")
    p.add_argument(
        "--activity",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="a tick (new sale / status change) every SECONDS; 0 = none",
    )
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--rate-limit", type=int, default=0, help="requests per token per second")
    p.add_argument(
        "--rate-window",
        type=float,
        default=1.0,
        help="the rate limit's window in seconds (default 1; a little less tolerates jitter)",
    )
    p.add_argument("--retry-after", type=float, default=None)
    p.add_argument("--fail-rate", type=float, default=0.0)
    p.add_argument("--burst-429", type=int, default=0)
    p.add_argument("--slow-rate", type=float, default=0.0)
    p.add_argument("--slow-seconds", type=float, default=30.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--malformed-rate", type=float, default=0.0)
    p.add_argument("--faults-on-writes", action="store_true")
    p.add_argument("--ready-file", default=None, help="also write the ready JSON to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    import os
    import sys

    from ..errors import mask_token

    args = build_arg_parser().parse_args(argv)
    tokens = list(args.token)
    env = os.environ.get("REVERB_SIM_TOKENS", "")
    tokens += [t.strip() for t in env.split(",") if t.strip()]
    try:
        sim = ReverbSimulator(
            args.host,
            args.port,
            seed=args.seed,
            link_style=args.link_style,
            latency=args.latency,
            rate_limit=args.rate_limit or None,
            rate_window=args.rate_window,
            retry_after=args.retry_after,
            fail_rate=args.fail_rate,
            burst_429=args.burst_429,
            slow_rate=args.slow_rate,
            slow_seconds=args.slow_seconds,
            drop_rate=args.drop_rate,
            malformed_rate=args.malformed_rate,
            faults_on_writes=args.faults_on_writes,
        )
        shops = sim.add_sample_shops(
            args.shops,
            tokens=tokens,
            orders=args.orders,
            listings=args.listings,
            days=args.days,
            seed=args.seed,
        )
        sim.start()
    except (ValueError, TypeError, OSError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 2
    ready = {
        "base_url": sim.base_url,
        "control_url": sim.control_url,
        "shops": [
            {
                "name": s.name,
                "currency": s.currency,
                "seller_id": s.seller_id,
                "token": mask_token(s.token),
                "orders": len(s.orders),
                "listings": len(s.listings),
            }
            for s in shops
        ],
    }
    line = json.dumps(ready)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(line + "\n")
        os.replace(tmp, args.ready_file)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    try:
        if args.activity > 0:
            sim.start_activity(args.activity)
        sim.serve_until_signal()
    finally:
        sim.stop()
        sys.stdout.write(json.dumps(_jsonable(sim.stats())) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
