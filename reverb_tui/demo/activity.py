"""Live activity of the simulated Reverb: sales and status changes happening now.

Random (``tick``: a new sale now and then, older orders moving on along Reverb's status
machine, optionally on a background thread with ``Activity``) or scripted by a test or the
control API (``add_sale``, ``set_order_status``). Each is counted ("sales", "status_changes").
"""

from __future__ import annotations

import logging
import random
import threading

from .model import TERMINAL, SimListing, SimOrder, SimShop, order_json
from .world import World

log = logging.getLogger("reverb_tui.demo")

# The statuses an order may move to next, with weights.
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


def tick(world: World, *, sale: bool | None = None, advance: bool | None = None) -> list[dict]:
    """One step of life: maybe a new sale, maybe an older order moving on.

    ``sale``/``advance`` force (True) or forbid (False) either part; by default each
    happens with ``sale_chance``/``advance_chance`` (at least one is tried). Returns the
    events: ``{"type": "sale"|"status", "shop", "order_number", ...}``.
    """
    events: list[dict] = []
    with world.lock:
        rng = world.activity_rng
        shops = list(world.shops.values())
        if not shops:
            return events
        if sale is None:
            sale = rng.random() < world.settings.sale_chance
        if advance is None:
            advance = rng.random() < world.settings.advance_chance or not sale
        now = world.now()
        if sale:
            shop = rng.choice(shops)
            cands = [x for x in shop.listings.values() if x.sellable]
            if cands:
                listing = rng.choice(cands)
                status = rng.choices(("paid", "unpaid", "payment_pending"), (80, 15, 5))[0]
                order = world.sell(
                    shop,
                    listing,
                    quantity=world.quantity(listing, rng),
                    status=status,
                    at=now,
                    rng=rng,
                )
                world.counters.event("sales")
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
                after = _next_status(order, rng)
                world.change_status(shop, order, after, now, rng)
                world.counters.event("status_changes")
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


def _next_status(order: SimOrder, rng: random.Random) -> str:
    options = NEXT_STATUS[order.status]
    if order.status == "paid" and order.shipping_method == "local":
        options = (("picked_up", 85), ("cancelled", 15))
    names = [n for n, _ in options]
    return rng.choices(names, [w for _, w in options])[0]


def add_sale(
    world: World,
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
    with world.lock:
        s = world.shop(shop)
        listing = _pick_listing(s, sku, listing_id, quantity, world.activity_rng)
        order = world.sell(
            s,
            listing,
            quantity=quantity,
            status=status,
            at=world.now(),
            rng=world.activity_rng,
            shipping_method=shipping_method,
        )
        world.counters.event("sales")
        return order_json(order, s, world.links_for(s, "relative"))


def _pick_listing(
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


def set_order_status(world: World, shop: str | SimShop, order_number: str, status: str) -> dict:
    """Move an order to ``status`` now (status side effects included)."""
    with world.lock:
        s = world.shop(shop)
        order = s.orders_by_number[str(order_number)]
        world.change_status(s, order, status, world.now(), world.activity_rng)
        world.counters.event("status_changes")
        return order_json(order, s, world.links_for(s, "relative"))


class Activity:
    """``tick(world)`` every few seconds on a background thread; a failing tick is logged and
    counted as ``sim_errors``, and the next one runs as planned."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, every_seconds: float) -> None:
        """Tick every ``every_seconds`` (replaces a running schedule)."""
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.stop()
        stop = threading.Event()
        self._stop = stop
        world = self._world

        def loop() -> None:
            while not stop.wait(every_seconds):
                try:
                    tick(world)
                except Exception:
                    log.exception("simulator: tick failed")
                    world.counters.event("sim_errors")

        self._thread = threading.Thread(target=loop, name="reverb-sim-activity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
