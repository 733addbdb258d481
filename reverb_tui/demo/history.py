"""Order history of the simulated Reverb: deterministic listings and past orders for a shop,
and the ready-made sample shops of the demo.

Listings draw from the shared catalogue (so two shops share SKUs); orders are spread over the
history window, each on a listing that had stock, and walked along a realistic status path,
decrementing listings as Reverb does. The same seed gives the same data.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from .catalog import CONDITION_WEIGHTS, CONDITIONS, product
from .model import SimListing, SimShop
from .world import World

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


def add_sample_shops(
    world: World,
    count: int,
    *,
    tokens: Iterable[str] | None = None,
    orders: int = 200,
    listings: int = 120,
    days: int = 60,
    seed: int,
) -> list[SimShop]:
    """Up to three ready-made shops (USD, GBP, CAD) with generated data."""
    if not 1 <= count <= len(SAMPLE_SHOPS):
        raise ValueError(f"count must be between 1 and {len(SAMPLE_SHOPS)}")
    toks = list(tokens) if tokens is not None else []
    made = []
    for i in range(count):
        name, cur, first, last = SAMPLE_SHOPS[i]
        tok = toks[i] if i < len(toks) else "sim_" + secrets.token_urlsafe(24)
        shop = world.add_shop(tok, name, cur, first_name=first, last_name=last)
        generate(world, shop, orders=orders, listings=listings, days=days, seed=seed + i)
        made.append(shop)
    return made


def generate(
    world: World,
    shop: str | SimShop,
    orders: int = 200,
    listings: int = 120,
    days: int = 60,
    seed: int = 0,
) -> dict[str, int]:
    """Listings and ``days`` of order history for a shop (same seed, same data); returns
    the shop's listing and order counts and how many orders were generated."""
    if orders < 0 or listings < 0 or days < 1:
        raise ValueError("orders and listings must be >= 0 and days >= 1")
    if orders and not listings and not world.shop(shop).listings:
        raise ValueError("orders need listings")
    rng = random.Random(f"reverb-sim:{seed}")
    with world.lock:
        s = world.shop(shop)
        now = world.now()
        _generate_listings(world, s, listings, days, rng, now)
        made = _generate_orders(world, s, orders, days, rng, now)
        return {"listings": len(s.listings), "orders": len(s.orders), "generated": made}


def _generate_listings(
    world: World, shop: SimShop, count: int, days: int, rng: random.Random, now: datetime
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
    times = sorted(start + timedelta(seconds=rng.randint(0, (days + 119) * 86_400)) for _ in picks)
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
            id=world.new_listing_id(),
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
        world.register_listing(shop, listing)


def _generate_orders(
    world: World, shop: SimShop, count: int, days: int, rng: random.Random, now: datetime
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
        listing: SimListing | None = None
        for kind in (first, not first):
            picked = pools[kind].pick(rng, lambda lid: shop.listings[lid].sellable)
            if picked is not None:
                listing = shop.listings[picked]
                break
        if listing is None:
            if not multi_ids:
                break  # every one-of-a-kind item is sold: no more history possible
            listing = shop.listings[rng.choice(multi_ids)]
            world.restock(listing, rng.randint(5, 15), at)  # the seller restocked
            pools[True].add(listing.id)
        path = rng.choices(paths, path_weights)[0]
        local = "picked_up" in path
        order = world.sell(
            shop,
            listing,
            quantity=world.quantity(listing, rng),
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
            world.change_status(shop, order, status, t, rng)
        if listing.sellable:  # still in stock, or a cancellation restocked it
            pools[listing.multi_unit].add(listing.id)
        made += 1
    return made


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
