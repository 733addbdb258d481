"""State of the simulated Reverb (shops, listings, orders) and its JSON rendering.

Everything is kept in aware UTC datetimes with whole seconds and rendered the way Reverb does:
local offsets such as ``-05:00``, money objects, HAL ``_links`` that are relative
(``/api/listings/1``) or absolute on the server's own host. Links are rendered per response,
because the server's port is only known once it listens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo

from ..errors import mask_token
from .catalog import CONDITIONS, COUNTRY_NAMES, Condition, money, slugify, tracking_url

# Status groups: pending orders reserve stock, sales take it (docs/user-guide.md).
PENDING = ("unpaid", "payment_pending", "pending_review", "partially_paid")
SALE = ("paid", "shipped", "picked_up", "received")
STATUSES = (
    "unpaid",
    "payment_pending",
    "pending_review",
    "blocked",
    "partially_paid",
    "paid",
    "shipped",
    "picked_up",
    "received",
    "refunded",
    "cancelled",
)
TERMINAL = ("received", "picked_up", "cancelled")
NEVER_PAID = ("unpaid", "payment_pending", "pending_review", "blocked", "partially_paid")
LINK_STYLES = ("relative", "absolute", "mixed")


def display_zone(name: str | None) -> tzinfo:
    """Reverb renders timestamps in a US-Eastern-looking zone; fall back to a fixed -05:00."""
    if name:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(name)
        except Exception:
            pass
    return timezone(timedelta(hours=-5))


def ts(dt: datetime | None, zone: tzinfo) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(zone).isoformat(timespec="seconds")


@dataclass
class SimListing:
    id: int
    shop_key: str
    sku: str | None
    title: str
    make: str
    model: str
    finish: str
    year: str
    category: str
    category_uuid: str
    condition: str  # a key of CONDITIONS
    price_cents: int
    currency: str
    inventory: int
    has_inventory: bool
    state: str  # live | sold_out | ended
    state_description: str
    created_at: datetime
    updated_at: datetime
    offers_enabled: bool = True

    @property
    def cond(self) -> Condition:
        return CONDITIONS[self.condition]

    @property
    def multi_unit(self) -> bool:
        return self.cond.multi_unit

    @property
    def sellable(self) -> bool:
        return self.state == "live" and self.inventory > 0


@dataclass
class SimOrder:
    order_number: str
    uuid: str
    bundle_id: str
    listing_id: int
    sku: str
    title: str
    quantity: int
    status: str
    order_type: str
    shipping_method: str  # shipped | expedited_shipping | local
    unit_cents: int
    shipping_cents: int
    tax_rate: float
    currency: str
    created_at: datetime
    updated_at: datetime
    buyer_id: int
    buyer_first: str
    buyer_last: str
    buyer_email: bool
    address: tuple
    address_id: int
    payment_method: str
    multi_unit: bool
    remaining_inventory: int | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    shipping_provider: str | None = None
    shipping_code: str | None = None
    shipment_status: str | None = None
    photo: str = ""

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.created_at, int(self.order_number))

    @property
    def subtotal_cents(self) -> int:
        return self.unit_cents * self.quantity

    @property
    def tax_cents(self) -> int:
        return round((self.subtotal_cents + self.shipping_cents) * self.tax_rate)


@dataclass
class SimShop:
    token: str
    name: str
    currency: str
    seller_id: str
    user_id: int
    slug: str
    email: str
    first_name: str
    last_name: str
    link_style: str
    zone_name: str | None
    zone: tzinfo
    listings: dict[int, SimListing] = field(default_factory=dict)
    orders: list[SimOrder] = field(default_factory=list)  # newest first
    orders_by_number: dict[str, SimOrder] = field(default_factory=dict)
    shipping_profiles: list[dict] = field(default_factory=list)

    def insert_order(self, order: SimOrder) -> int:
        """Keep ``orders`` newest first by (created_at, order_number); returns the index."""
        key = order.sort_key
        i = 0
        n = len(self.orders)
        # New sales are newest: the scan almost always stops at once.
        while i < n and self.orders[i].sort_key > key:
            i += 1
        self.orders.insert(i, order)
        self.orders_by_number[order.order_number] = order
        return i


class Links:
    """Renders HAL hrefs relative (``/api/...``) or absolute on the server's own host."""

    def __init__(self, origin: str, api_root: str, style: str, rng: random.Random) -> None:
        self.origin = origin.rstrip("/")  # http://127.0.0.1:PORT
        self.api_root = api_root.rstrip("/")  # /api
        self.style = style
        self._rng = rng

    def absolute_now(self) -> bool:
        if self.style == "absolute":
            return True
        if self.style == "relative":
            return False
        return self._rng.random() < 0.5

    def href(self, path: str, absolute: bool | None = None) -> str:
        """``path`` below the API root (``/listings/1``)."""
        rel = self.api_root + path
        if absolute is None:
            absolute = self.absolute_now()
        return self.origin + rel if absolute else rel


def shop_summary(shop: SimShop) -> dict:
    """A shop as the control API and the standalone runner show it (the token masked)."""
    return {
        "name": shop.name,
        "currency": shop.currency,
        "seller_id": shop.seller_id,
        "token": mask_token(shop.token),
        "orders": len(shop.orders),
        "listings": len(shop.listings),
    }


def listing_json(listing: SimListing, shop: SimShop, links: Links) -> dict:
    cond = listing.cond
    absolute = links.absolute_now()
    slug = slugify(listing.title)
    body: dict = {
        "id": listing.id,
        "make": listing.make,
        "model": listing.model,
        "finish": listing.finish,
        "year": listing.year,
        "title": listing.title,
        "created_at": ts(listing.created_at, shop.zone),
        "published_at": ts(listing.created_at, shop.zone),
        "shop_name": shop.name,
        "shop_id": _int_or_str(shop.seller_id),
        "condition": {
            "uuid": cond.uuid,
            "display_name": cond.display_name,
            "slug": cond.slug,
        },
        "price": {**money(listing.price_cents, listing.currency), "tax_included": False},
        "inventory": listing.inventory,
        "has_inventory": listing.has_inventory,
        "offers_enabled": listing.offers_enabled,
        "listing_currency": listing.currency,
        "state": {"slug": listing.state, "description": listing.state_description},
        "draft": False,
        "live": listing.state == "live",
        "categories": [{"uuid": listing.category_uuid, "full_name": listing.category}],
        "shipping_profile": shop.shipping_profiles[0] if shop.shipping_profiles else None,
        "_links": {
            "self": {"href": links.href(f"/listings/{listing.id}", absolute)},
            "update": {"href": links.href(f"/listings/{listing.id}", absolute), "method": "PUT"},
            "end": {
                "href": links.href(f"/my/listings/{listing.id}/state/end", absolute),
                "method": "PUT",
            },
            "web": {"href": f"https://reverb.com/item/{listing.id}-{slug}"},
        },
    }
    if listing.sku is not None:
        body["sku"] = listing.sku
    if body["shipping_profile"] is None:
        del body["shipping_profile"]
    return body


def order_json(order: SimOrder, shop: SimShop, links: Links) -> dict:
    cur = order.currency
    z = shop.zone
    status = order.status
    absolute = links.absolute_now()
    cancelled = status == "cancelled"
    body: dict = {
        "amount_product": money(order.unit_cents, cur),
        "presentment_amount_product": money(order.unit_cents, cur),
        "amount_product_subtotal": money(order.subtotal_cents, cur),
        "shipping": money(order.shipping_cents, cur, free_when_zero=True),
    }
    if not cancelled:
        tax = order.tax_cents
        body["amount_tax"] = money(tax, cur)
        body["tax_rate"] = order.tax_rate
        body["shipping_taxed"] = True
        body["tax_responsible_party"] = "reverb"
        total = order.subtotal_cents + order.shipping_cents + tax
        body["total"] = money(total, cur)
        body["presentment_amount_total"] = money(total, cur)
    body.update(
        {
            "buyer_name": f"{order.buyer_first} {order.buyer_last}",
            "buyer_first_name": order.buyer_first,
            "buyer_last_name": order.buyer_last,
            "buyer_id": order.buyer_id,
            "created_at": ts(order.created_at, z),
            "order_number": order.order_number,
            "order_source": "reverb",
            "needs_feedback_for_buyer": False,
            "needs_feedback_for_seller": False,
            "order_type": order.order_type,
            "quantity": order.quantity,
            "shipping_method": order.shipping_method,
            "local_pickup": order.shipping_method == "local",
            "shop_name": shop.name,
            "status": status,
            "title": order.title,
            "updated_at": ts(order.updated_at, z),
            "order_bundle_id": order.bundle_id,
            "product_id": str(order.listing_id),
            "uuid": order.uuid,
            "sku": order.sku,
            "order_notes": [],
        }
    )
    if order.buyer_email:
        body["buyer_email"] = f"buyer_{order.buyer_id}@private-relay.reverb.com"
    if order.paid_at is not None:
        body["paid_at"] = ts(order.paid_at, z)
        body["payment_method"] = order.payment_method
    if order.multi_unit and order.remaining_inventory is not None:
        body["remaining_listing_inventory"] = order.remaining_inventory
    if status not in ("cancelled", "unpaid") and order.shipping_method != "local":
        body["shipping_address"] = _address(order, links, absolute)
    if order.shipped_at is not None:
        body["shipping_date"] = order.shipped_at.astimezone(z).date().isoformat()
        body["shipped_at"] = ts(order.shipped_at, z)
        body["shipping_provider"] = order.shipping_provider
        body["shipping_code"] = order.shipping_code
        body["shipment_status"] = order.shipment_status or "unknown"
    n = order.order_number
    lnk: dict = {
        "photo": {"href": order.photo} if order.photo else None,
        "listing": {"href": links.href(f"/listings/{order.listing_id}", absolute)},
        "web": {"href": f"https://reverb.com/my/selling/orders/{n}"},
        "self": {"href": links.href(f"/my/orders/selling/{n}", absolute)},
        "payments": {"href": links.href(f"/my/payments/selling?order_id={n}", absolute)},
    }
    if status == "paid":
        lnk["ship"] = {"href": links.href(f"/my/orders/selling/{n}/ship", absolute)}
        if order.shipping_method == "local":
            lnk["mark_picked_up"] = {
                "href": links.href(f"/my/orders/selling/{n}/mark_picked_up", absolute)
            }
    if order.shipped_at is not None and order.shipping_provider and order.shipping_code:
        url = tracking_url(order.shipping_provider, order.shipping_code)
        if url:
            lnk["web_tracking"] = {"href": url}
    body["_links"] = {k: v for k, v in lnk.items() if v is not None}
    return body


def _address(order: SimOrder, links: Links, absolute: bool) -> dict:
    locality, region, postal, country, street = order.address
    name = f"{order.buyer_first} {order.buyer_last}"
    phone = f"{5550100000 + order.buyer_id % 9999:010d}"
    addr: dict = {
        "locality": locality,
        "country_code": country,
        "display_location": ", ".join(
            p for p in (locality, region, COUNTRY_NAMES.get(country, country)) if p
        ),
        "id": str(order.address_id),
        "primary": False,
        "name": name,
        "street_address": street,
        "extended_address": None if order.address_id % 3 else "",
        "postal_code": postal,
        "phone": phone,
        "unformatted_phone": phone,
        "complete_shipping_address": True,
        "_links": {"self": {"href": links.href(f"/my/addresses/{order.address_id}", absolute)}},
    }
    if region:  # absent for GB
        addr["region"] = region
    return addr


def _int_or_str(value: str) -> int | str:
    return int(value) if value.isdigit() else value
