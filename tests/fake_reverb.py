"""A small in-process fake of Reverb's order endpoints for httpx.MockTransport.

Deterministic and controllable from a test (hooks run before each answer), which the shift
and fault tests need. The loopback simulator (reverb_tui.demo) covers real HTTP.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import httpx

API = "https://api.reverb.com/api"
BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def money(cents: int, currency: str = "USD") -> dict:
    return {
        "amount": f"{cents / 100:.2f}",
        "amount_cents": cents,
        "currency": currency,
        "symbol": "$",
        "display": f"${cents / 100:.2f}",
    }


def ts(dt: datetime) -> str:
    """Reverb-style timestamp with a US-Eastern offset."""
    return (
        dt.astimezone(UTC)
        .astimezone(__import__("datetime").timezone(timedelta(hours=-5)))
        .isoformat()
    )


class FakeReverb:
    def __init__(self, token: str = "tok_test_123456789", per_page_max: int = 50) -> None:
        self.token = token
        self.orders: list[dict] = []
        self.per_page_max = per_page_max
        self.requests: list[httpx.Request] = []
        self.before: list[Callable[[httpx.Request], httpx.Response | None]] = []
        self.next_number = 1000
        self.clock = BASE
        self.absolute_links = False

    # -- data --------------------------------------------------------------------------------

    def add_order(
        self,
        *,
        status: str = "paid",
        sku: str | None = "SKU-1",
        quantity: int = 1,
        created: datetime | None = None,
        method: str = "shipped",
        currency: str = "USD",
    ) -> dict:
        self.next_number += 1
        self.clock += timedelta(seconds=30)
        created = created or self.clock
        o = {
            "order_number": str(self.next_number),
            "uuid": f"uuid-{self.next_number}",
            "product_id": str(500 + self.next_number % 7),
            "sku": sku,
            "title": f"Guitar {self.next_number}",
            "quantity": quantity,
            "status": status,
            "shipping_method": method,
            "amount_product": money(10_000, currency),
            "shipping": money(1_500, currency),
            "total": money(10_000 * quantity + 1_500, currency),
            "created_at": ts(created),
            "updated_at": ts(created),
            "buyer_name": "Ada Buyer",
            "_links": {"self": {"href": f"/api/my/orders/selling/{self.next_number}"}},
        }
        if status not in ("unpaid", "payment_pending", "pending_review"):
            o["paid_at"] = ts(created)
        if status == "cancelled":
            o.pop("total")
        self.orders.append(o)
        return o

    def set_status(self, number: str, status: str) -> None:
        self.clock += timedelta(seconds=30)
        for o in self.orders:
            if o["order_number"] == number:
                o["status"] = status
                o["updated_at"] = ts(self.clock)
                return
        raise KeyError(number)

    # -- HTTP --------------------------------------------------------------------------------

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def count(self, path_part: str) -> int:
        return sum(1 for r in self.requests if path_part in r.url.path)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for hook in list(self.before):
            resp = hook(request)
            if resp is not None:
                return resp
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"message": "Please log in to view your listings."})
        path = urlsplit(str(request.url)).path.removeprefix("/api")
        if path == "/my/account":
            return httpx.Response(200, json={"user_id": 77, "shop": {"id": 9, "name": "Fake"}})
        if path == "/shop":
            return httpx.Response(200, json={"id": 9, "name": "Fake Shop", "currency": "USD"})
        if path == "/my/orders/selling/all":
            return self._orders_page(request)
        if path == "/my/listings":
            return httpx.Response(
                200,
                json={
                    "total": 0,
                    "current_page": 1,
                    "total_pages": 0,
                    "listings": [],
                    "_links": {},
                },
            )
        return httpx.Response(404, json={"message": "Not found"})

    def _orders_page(self, request: httpx.Request) -> httpx.Response:
        q = parse_qs(urlsplit(str(request.url)).query)
        page = int(q.get("page", ["1"])[0])
        per = min(int(q.get("per_page", ["24"])[0]), self.per_page_max)
        start = q.get("updated_start_date", [None])[0]
        rows = self.orders
        if start:
            since = datetime.fromisoformat(start.replace("Z", "+00:00"))
            rows = [o for o in rows if datetime.fromisoformat(o["updated_at"]) >= since]
        rows = sorted(rows, key=lambda o: o["created_at"], reverse=True)
        total = len(rows)
        pages = max(1, math.ceil(total / per))
        chunk = rows[(page - 1) * per : page * per]
        links: dict = {}
        if page < pages:
            qs = f"page={page + 1}&per_page={per}" + (
                f"&updated_start_date={quote(start)}" if start else ""
            )
            href = f"/api/my/orders/selling/all?{qs}"
            links["next"] = {
                "href": (("https://api.reverb.com" + href) if self.absolute_links else href)
            }
        body = {
            "total": total,
            "current_page": page,
            "total_pages": pages,
            "orders": json.loads(json.dumps(chunk)),
            "_links": links,
        }
        return httpx.Response(200, json=body)
