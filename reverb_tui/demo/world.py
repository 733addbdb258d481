"""The simulated Reverb's state machine: shops, listings, orders, selling, status changes and
restocking, all under one lock.

A sale decrements its listing the way Reverb does (a one-of-a-kind item ends, a multi-unit
listing sells out); a cancelled, unshipped order gives its units back (``restock_on_cancel``).
Methods documented "lock held" expect the caller to hold ``World.lock`` (history.py,
activity.py and the API handlers do); the others take it themselves.
"""

from __future__ import annotations

import random
import threading
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from . import knobs
from .catalog import (
    ADDRESSES,
    CARRIERS_BY_CURRENCY,
    CONDITIONS,
    CURRENCIES,
    FIRST_NAMES,
    LAST_NAMES,
    PAYMENT_METHODS,
    TAX_RATES,
    slugify,
    tracking_code,
)
from .knobs import Check, Knobs
from .model import (
    LINK_STYLES,
    STATUSES,
    Links,
    SimListing,
    SimOrder,
    SimShop,
    display_zone,
    listing_json,
    order_json,
    shop_summary,
)

if TYPE_CHECKING:
    from .counters import Counters


@dataclass
class WorldSettings(Knobs):
    """The world's knobs; every assignment is validated.

    - ``link_style``: relative, absolute or mixed hrefs (a shop may override it);
    - ``restock_on_cancel``: a cancelled, unshipped order gives its units back to its listing;
    - ``sale_chance`` / ``advance_chance``: what a ``tick()`` does.
    """

    link_style: str = "mixed"
    restock_on_cancel: bool = True
    sale_chance: float = 0.6
    advance_chance: float = 0.6

    CHECKS: ClassVar[dict[str, Check]] = {
        "link_style": knobs.link_style,
        "restock_on_cancel": knobs.flag,
        "sale_chance": knobs.fraction,
        "advance_chance": knobs.fraction,
    }


class World:
    """Shops keyed by their bearer token, with their listings and orders.

    ``rng`` draws the faults and the mixed links, ``activity_rng`` the live sales and status
    changes; order numbers and listing ids come from a third generator, so the same seed gives
    the same ids whatever the faults did. ``origin`` returns the server's current origin (its
    port is known once it listens).
    """

    api_root = "/api"

    def __init__(
        self,
        counters: Counters,
        *,
        seed: int,
        lock: threading.RLock,
        origin: Callable[[], str],
        clock: Callable[[], datetime] | None = None,
        zone: str | None = "America/New_York",
        settings: WorldSettings | None = None,
    ) -> None:
        self.counters = counters
        self.lock = lock
        self.settings = settings or WorldSettings()
        self.shops: dict[str, SimShop] = {}  # token -> shop
        self.rng = random.Random(seed)  # faults and mixed links
        self.activity_rng = random.Random(seed * 1_000_003 + 1)
        self._ids_rng = random.Random(seed * 7_919 + 2)
        self._origin = origin
        self._clock = clock or (lambda: datetime.now(UTC))
        self._zone_name = zone
        self._next_order = 24_280_000 + (seed % 97) * 1_000
        self._next_listing = 91_000_000 + (seed % 89) * 10_000
        self._next_address = 100_480_000
        self._listing_shop: dict[int, SimShop] = {}

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
        with self.lock:
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

    def shop(self, key: str | SimShop) -> SimShop:
        """A shop by token or by name."""
        if isinstance(key, SimShop):
            return key
        with self.lock:
            if key in self.shops:
                return self.shops[key]
            for s in self.shops.values():
                if s.name == key:
                    return s
        raise KeyError("no such simulated shop")

    def links_for(self, shop: SimShop | None, style: str | None = None) -> Links:
        chosen = style or (
            shop.link_style if shop and shop.link_style else self.settings.link_style
        )
        return Links(self._origin(), self.api_root, chosen, self.rng)

    def find_listing(self, listing_id: int) -> tuple[SimShop, SimListing] | None:
        with self.lock:
            shop = self._listing_shop.get(listing_id)
            if shop is None:
                return None
            return shop, shop.listings[listing_id]

    def shop_key(self, token: str | None) -> str:
        """The name requests with this token are counted under."""
        with self.lock:
            shop = self.shops.get(token) if token else None
            return shop.name if shop else ("(unknown)" if token else "(anonymous)")

    # -- state changes (lock held, except set_status and mark_shipped) ------------------------------

    def new_listing_id(self) -> int:
        self._next_listing += self._ids_rng.randint(1, 60)
        return self._next_listing

    def new_order_number(self) -> str:
        self._next_order += self._ids_rng.randint(1, 40)
        return str(self._next_order)

    def register_listing(self, shop: SimShop, listing: SimListing) -> None:
        shop.listings[listing.id] = listing
        self._listing_shop[listing.id] = shop

    @staticmethod
    def quantity(listing: SimListing, rng: random.Random) -> int:
        if not listing.multi_unit or listing.inventory < 2 or rng.random() > 0.12:
            return 1
        return min(listing.inventory, rng.randint(2, 4))

    @staticmethod
    def restock(listing: SimListing, units: int, at: datetime) -> None:
        if listing.multi_unit:
            listing.inventory += units
        else:
            listing.inventory = 1
        listing.state, listing.state_description = "live", "Live"
        listing.updated_at = max(listing.updated_at, at)

    def sell(
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
        number = self.new_order_number()
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
            self.change_status(shop, order, status, at, rng)
        return order

    def change_status(
        self, shop: SimShop, order: SimOrder, status: str, at: datetime, rng: random.Random
    ) -> None:
        """Move ``order`` to ``status`` at ``at``, with the side effects (paid and shipped
        times, tracking, restock of a cancelled unshipped order)."""
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
        if status == "cancelled" and order.shipped_at is None and self.settings.restock_on_cancel:
            listing = shop.listings.get(order.listing_id)
            if listing is not None and (listing.multi_unit or listing.state != "live"):
                self.restock(listing, order.quantity, at)
        order.status = status
        order.updated_at = max(order.updated_at, at)

    def set_status(self, shop: SimShop, order: SimOrder, status: str) -> None:
        """``change_status`` now (takes the lock)."""
        with self.lock:
            self.change_status(shop, order, status, self.now(), self.activity_rng)

    def mark_shipped(self, shop: SimShop, order: SimOrder, provider: str, tracking: str) -> None:
        with self.lock:
            now = self.now()
            order.shipping_provider = provider
            order.shipping_code = tracking
            order.shipped_at = now
            order.shipment_status = "unknown"
            order.status = "shipped"
            order.updated_at = max(order.updated_at, now)

    # -- a listing with exact values (tests and benchmarks) -------------------------------------------

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
        with self.lock:
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
                id=self.new_listing_id(),
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
            self.register_listing(s, listing)
            return listing.id

    # -- views, as the API renders them (relative links) ---------------------------------------------

    def orders(self, shop: str | SimShop) -> list[dict]:
        """Every order of a shop, newest first."""
        with self.lock:
            s = self.shop(shop)
            links = self.links_for(s, "relative")
            return [order_json(o, s, links) for o in s.orders]

    def order(self, shop: str | SimShop, order_number: str) -> dict:
        with self.lock:
            s = self.shop(shop)
            return order_json(
                s.orders_by_number[str(order_number)], s, self.links_for(s, "relative")
            )

    def listings(self, shop: str | SimShop) -> list[dict]:
        """Every listing of a shop (any state), newest first."""
        with self.lock:
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
        with self.lock:
            return listing_json(listing, shop, self.links_for(shop, "relative"))

    def shared_skus(self) -> set[str]:
        """SKUs listed by more than one shop."""
        with self.lock:
            seen: dict[str, int] = defaultdict(int)
            for s in self.shops.values():
                for sku in {x.sku for x in s.listings.values() if x.sku}:
                    seen[sku] += 1
            return {k for k, n in seen.items() if n > 1}

    def shop_summaries(self) -> list[dict]:
        """Every shop with its counts, the token masked (``GET /_sim/shops``)."""
        with self.lock:
            return [shop_summary(s) for s in self.shops.values()]
