"""The Reverb endpoints of the simulator: routing, auth, paging envelopes, writes.

Every function here runs with the world's lock held (``ReverbSimulator.serve``) and returns a
``Reply``; the HTTP framing and fault injection live in ``server.py``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

from .catalog import CONDITIONS, CURRENCIES, PROVIDERS
from .model import SimListing, SimShop, listing_json, order_json

if TYPE_CHECKING:
    from .world import World

DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 50

UNAUTHORIZED = {"message": "Please log in to view your listings.", "details": "Invalid token."}
NOT_FOUND = {"message": "The requested resource could not be found."}


@dataclass
class Reply:
    status: int
    body: Any  # a JSON-able object, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    kind: str  # the counter key, e.g. "GET /listings/{id}"
    handler: str
    auth: bool


def _route(method: str, regex: str, kind: str, handler: str, auth: bool = True) -> Route:
    return Route(method, re.compile(regex + r"/?$"), f"{method} {kind}", handler, auth)


ROUTES: tuple[Route, ...] = (
    _route("GET", r"/my/account", "/my/account", "account"),
    _route("GET", r"/shop", "/shop", "shop"),
    _route(
        "GET",
        r"/my/orders/selling/(all|unpaid|awaiting_shipment)",
        "/my/orders/selling/{list}",
        "orders",
    ),
    _route("GET", r"/my/orders/selling/(\d+)", "/my/orders/selling/{n}", "order"),
    _route("POST", r"/my/orders/selling/(\d+)/ship", "/my/orders/selling/{n}/ship", "ship"),
    _route(
        "POST",
        r"/my/orders/selling/(\d+)/mark_picked_up",
        "/my/orders/selling/{n}/mark_picked_up",
        "picked_up",
    ),
    _route("GET", r"/my/listings", "/my/listings", "my_listings"),
    _route("GET", r"/listings/(\d+)(?:-[^/]*)?", "/listings/{id}", "listing", auth=False),
    _route("PUT", r"/listings/(\d+)(?:-[^/]*)?", "/listings/{id}", "put_listing"),
    _route("GET", r"/shipping/providers", "/shipping/providers", "providers", auth=False),
    _route("GET", r"/currencies/listing", "/currencies/listing", "currencies", auth=False),
    _route("GET", r"/listing_conditions", "/listing_conditions", "conditions", auth=False),
)


def match(method: str, sub_path: str) -> tuple[Route | None, tuple[str, ...]]:
    for r in ROUTES:
        if r.method == method:
            m = r.pattern.match(sub_path)
            if m:
                return r, m.groups()
    return None, ()


def classify(method: str, sub_path: str | None) -> str:
    """The counter key of a request ("GET /my/orders/selling/{list}", "other")."""
    if sub_path is None:
        return "other"
    route, _ = match(method, sub_path)
    return route.kind if route else "other"


@dataclass
class Request:
    method: str
    sub_path: str  # the path below the API root, e.g. "/my/listings"
    full_path: str  # the path as sent, e.g. "/api/my/listings"
    query: dict[str, str]
    query_order: list[str]
    shop: SimShop | None
    body: bytes
    content_type: str


def dispatch(world: World, req: Request) -> Reply:
    route, groups = match(req.method, req.sub_path)
    if route is None:
        return Reply(404, NOT_FOUND)
    if route.auth and req.shop is None:
        return Reply(401, UNAUTHORIZED)
    handler: Callable[..., Reply] = _HANDLERS[route.handler]
    return handler(world, req, *groups)


# -- helpers -----------------------------------------------------------------------------------


def _int_param(value: str | None, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _date_param(req: Request, name: str) -> tuple[datetime | None, Reply | None]:
    raw = req.query.get(name)
    if raw is None or not raw.strip():
        return None, None
    text = raw.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        # An unencoded "+" in the offset arrives as a space (docs/reverb-api-notes.md).
        return None, Reply(
            422,
            {
                "message": f"Invalid {name}.",
                "errors": {name: [f"{text!r} is not a valid ISO 8601 date"]},
            },
        )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC), None


def _envelope(
    world: World,
    req: Request,
    key: str,
    items: list,
    render: Callable[[Any], dict],
) -> dict:
    per_page = _int_param(req.query.get("per_page"), DEFAULT_PER_PAGE)
    if per_page < 1:
        per_page = DEFAULT_PER_PAGE
    per_page = min(per_page, MAX_PER_PAGE)
    page = max(1, _int_param(req.query.get("page"), 1))
    total = len(items)
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    links = world.links_for(req.shop)
    absolute = links.absolute_now()
    others = [(k, req.query[k]) for k in req.query_order if k not in ("page", "per_page")]

    def page_href(p: int) -> str:
        qs = urlencode([("page", p), ("per_page", per_page), *others], quote_via=quote)
        return links.href(req.sub_path.rstrip("/") + "?" + qs, absolute)

    page_links: dict = {}
    if page < total_pages:
        page_links["next"] = {"href": page_href(page + 1)}
    if page > 1 and total_pages > 0:
        page_links["prev"] = {"href": page_href(min(page - 1, total_pages))}
    return {
        "total": total,
        "current_page": page,
        "total_pages": total_pages,
        key: [render(x) for x in chunk],
        "_links": page_links,
    }


def _body_fields(req: Request) -> tuple[dict | None, Reply | None]:
    """The request body as a dict: JSON for (hal+)json, else form-encoded (Reverb's rule)."""
    if not req.body.strip():
        return {}, None
    ctype = req.content_type.split(";")[0].strip().lower()
    if ctype.endswith("json"):
        try:
            data = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None, Reply(400, {"message": "The request body is not valid JSON."})
        if not isinstance(data, dict):
            return None, Reply(400, {"message": "The request body must be a JSON object."})
        return data, None
    form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in form.items()}, None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def _unprocessable(message: str, errors: dict[str, list[str]]) -> Reply:
    return Reply(422, {"message": message, "errors": errors})


# -- account and shop ------------------------------------------------------------------------


def h_account(world: World, req: Request) -> Reply:
    shop = req.shop
    assert shop is not None
    links = world.links_for(shop)
    return Reply(
        200,
        {
            "user_id": shop.user_id,
            "uuid": f"00000000-0000-4000-8000-{shop.user_id:012d}",
            "email": shop.email,
            "first_name": shop.first_name,
            "last_name": shop.last_name,
            "profile_slug": shop.slug,
            "shipping_region_code": "US_CON" if shop.currency == "USD" else "XX",
            "currency": shop.currency,
            "shop": {"id": _id(shop.seller_id), "name": shop.name, "slug": shop.slug},
            "_links": {
                "self": {"href": links.href("/my/account")},
                "shop": {"href": links.href("/shop")},
                "avatar": {"href": "https://images.reverb.com/image/upload/avatar.png"},
            },
        },
    )


def h_shop(world: World, req: Request) -> Reply:
    shop = req.shop
    assert shop is not None
    links = world.links_for(shop)
    return Reply(
        200,
        {
            "id": _id(shop.seller_id),
            "name": shop.name,
            "slug": shop.slug,
            "currency": shop.currency,
            "shipping_profiles": list(shop.shipping_profiles),
            "_links": {
                "self": {"href": links.href("/shop")},
                "web": {"href": f"https://reverb.com/shop/{shop.slug}"},
            },
        },
    )


# -- orders ------------------------------------------------------------------------------------


def h_orders(world: World, req: Request, which: str) -> Reply:
    shop = req.shop
    assert shop is not None
    bounds = {}
    for name in (
        "updated_start_date",
        "updated_end_date",
        "created_start_date",
        "created_end_date",
    ):
        value, error = _date_param(req, name)
        if error:
            return error
        bounds[name] = value
    us, ue = bounds["updated_start_date"], bounds["updated_end_date"]
    cs, ce = bounds["created_start_date"], bounds["created_end_date"]
    rows = []
    for o in shop.orders:  # already newest first
        if which == "unpaid" and o.status not in ("unpaid", "payment_pending"):
            continue
        if which == "awaiting_shipment" and o.status != "paid":
            continue
        if (us and o.updated_at < us) or (ue and o.updated_at > ue):
            continue
        if (cs and o.created_at < cs) or (ce and o.created_at > ce):
            continue
        rows.append(o)
    links = world.links_for(shop)
    return Reply(200, _envelope(world, req, "orders", rows, lambda o: order_json(o, shop, links)))


def h_order(world: World, req: Request, number: str) -> Reply:
    shop = req.shop
    assert shop is not None
    order = shop.orders_by_number.get(number)
    if order is None:
        return Reply(404, NOT_FOUND)
    return Reply(200, order_json(order, shop, world.links_for(shop)))


def h_ship(world: World, req: Request, number: str) -> Reply:
    shop = req.shop
    assert shop is not None
    order = shop.orders_by_number.get(number)
    if order is None:
        return Reply(404, NOT_FOUND)
    data, error = _body_fields(req)
    if error:
        return error
    assert data is not None
    errors: dict[str, list[str]] = {}
    provider_raw = str(data.get("provider") or "").strip()
    tracking = str(data.get("tracking_number") or "").strip()
    provider = next((p for p in PROVIDERS if p.lower() == provider_raw.lower()), None)
    if not provider_raw:
        errors["provider"] = ["can't be blank"]
    elif provider is None:
        errors["provider"] = [f"{provider_raw} is not a supported shipping provider"]
    if not tracking:
        errors["tracking_number"] = ["can't be blank"]
    if order.status != "paid":
        errors["status"] = [f"order is {order.status}; only paid orders can be marked shipped"]
        return _unprocessable("This order cannot be marked as shipped.", errors)
    if errors:
        return _unprocessable("The shipment could not be saved.", errors)
    assert provider is not None
    send = _as_bool(data.get("send_notification"))
    world.mark_shipped(shop, order, provider, tracking)
    world.counters.event("ships")
    if send is False:
        world.counters.event("ships_without_notification")
    return Reply(200, order_json(order, shop, world.links_for(shop)))


def h_picked_up(world: World, req: Request, number: str) -> Reply:
    shop = req.shop
    assert shop is not None
    order = shop.orders_by_number.get(number)
    if order is None:
        return Reply(404, NOT_FOUND)
    if order.status != "paid" or order.shipping_method != "local":
        return _unprocessable(
            "This order cannot be marked as picked up.",
            {"status": [f"order is {order.status} ({order.shipping_method})"]},
        )
    world.set_status(shop, order, "picked_up")
    world.counters.event("pickups")
    return Reply(200, order_json(order, shop, world.links_for(shop)))


# -- listings ----------------------------------------------------------------------------------


def h_my_listings(world: World, req: Request) -> Reply:
    shop = req.shop
    assert shop is not None
    state = (req.query.get("state") or "live").strip().lower()
    sku = req.query.get("sku")
    rows = [
        listing
        for listing in sorted(shop.listings.values(), key=lambda x: x.id, reverse=True)
        if (state == "all" or listing.state == state) and (sku is None or listing.sku == sku)
    ]
    links = world.links_for(shop)
    return Reply(
        200, _envelope(world, req, "listings", rows, lambda x: listing_json(x, shop, links))
    )


def h_listing(world: World, req: Request, listing_id: str) -> Reply:
    found = world.find_listing(int(listing_id))
    if found is None:
        return Reply(404, NOT_FOUND)
    shop, listing = found
    return Reply(200, listing_json(listing, shop, world.links_for(shop)))


def h_put_listing(world: World, req: Request, listing_id: str) -> Reply:
    shop = req.shop
    assert shop is not None
    listing = shop.listings.get(int(listing_id))
    if listing is None:  # another shop's listing is as good as missing
        return Reply(404, NOT_FOUND)
    world.counters.write(listing.id)
    data, error = _body_fields(req)
    if error:
        return error
    assert data is not None
    reply = apply_listing_update(world, shop, listing, data)
    if reply.status == 200:
        world.counters.event("writes_ok")
    return reply


def apply_listing_update(world: World, shop: SimShop, listing: SimListing, data: dict) -> Reply:
    """Reverb's inventory rules (docs/reverb-api-notes.md "Listings")."""
    errors: dict[str, list[str]] = {}
    inventory: int | None = None
    if "inventory" in data:
        raw = data["inventory"]
        if isinstance(raw, bool):
            errors["inventory"] = ["must be a whole number"]
        elif isinstance(raw, int):
            inventory = raw
        elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            inventory = int(raw.strip())
        else:
            errors["inventory"] = ["must be a whole number"]
        if inventory is not None and inventory < 0:
            errors["inventory"] = ["must be greater than or equal to 0"]
    has_inventory = None
    if "has_inventory" in data:
        has_inventory = _as_bool(data["has_inventory"])
        if has_inventory is None:
            errors["has_inventory"] = ["must be true or false"]
    if errors:
        return _unprocessable("The listing could not be updated.", errors)
    if not listing.multi_unit and listing.state == "ended":
        return _unprocessable(
            "This listing has ended and cannot be relisted.",
            {
                "inventory": [
                    f"cannot be changed: {listing.cond.display_name} listings "
                    "are one of a kind and this one has ended"
                ]
            },
        )
    now = world.now()
    if listing.multi_unit:
        if has_inventory is not None:
            listing.has_inventory = has_inventory
        if inventory is not None:
            listing.inventory = inventory if listing.has_inventory else min(inventory, 1)
            if listing.inventory == 0:
                listing.state, listing.state_description = "sold_out", "Sold Out"
            elif listing.state in ("sold_out", "ended"):
                listing.state, listing.state_description = "live", "Live"
    else:
        listing.has_inventory = False  # whatever was sent
        if inventory is not None:
            listing.inventory = min(inventory, 1)
            if listing.inventory == 0:
                listing.state, listing.state_description = "ended", "Ended"
    listing.updated_at = now
    return Reply(
        200,
        {
            "message": "Your listing has been updated.",
            "listing": listing_json(listing, shop, world.links_for(shop)),
            "errors": {},
        },
    )


# -- reference data ------------------------------------------------------------------------------


def h_providers(world: World, req: Request) -> Reply:
    # The shape is undocumented (docs/reverb-api-notes.md): a wrapper key and objects with a name.
    return Reply(
        200,
        {
            "shipping_providers": [
                {"name": p, "slug": p.lower().replace(" ", "-")} for p in PROVIDERS
            ]
        },
    )


def h_currencies(world: World, req: Request) -> Reply:
    return Reply(200, {"currencies": list(CURRENCIES)})


def h_conditions(world: World, req: Request) -> Reply:
    return Reply(
        200,
        {
            "conditions": [
                {"uuid": c.uuid, "display_name": c.display_name, "slug": c.slug}
                for c in CONDITIONS.values()
            ]
        },
    )


def _id(value: str) -> int | str:
    return int(value) if value.isdigit() else value


_HANDLERS: dict[str, Callable[..., Reply]] = {
    "account": h_account,
    "shop": h_shop,
    "orders": h_orders,
    "order": h_order,
    "ship": h_ship,
    "picked_up": h_picked_up,
    "my_listings": h_my_listings,
    "listing": h_listing,
    "put_listing": h_put_listing,
    "providers": h_providers,
    "currencies": h_currencies,
    "conditions": h_conditions,
}
