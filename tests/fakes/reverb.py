"""The one fake of Reverb's HTTP API the tests use, behind ``httpx.MockTransport``.

A small world a test builds and then inspects: accounts (which tokens Reverb accepts and the
shop each one belongs to), orders, listings, and every request it was sent. It answers on any
host, so one fake serves production, sandbox and a custom site alike.

Tests steer it in three ways:

- data: ``add_order``/``set_status``, ``listings``, ``accounts``;
- ``outage``: every request fails (an exception is raised as the transport's, an ``int`` or an
  ``httpx.Response`` is the answer), as when Reverb or the network is down;
- ``before``: hooks run in order on each request before it is answered; a hook answers by
  returning a response, stays out of the way by returning ``None``, or raises.

``FakeReverbServer`` serves the same world over real HTTP on 127.0.0.1, for tests that run
the real ``reverb-tui`` process. Client-level tests that pin single exchanges use respx
instead; end-to-end runs (chaos, benchmarks) use the demo simulator (``reverb_tui.demo``).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx

from tests.conftest import SECRET_TOKEN

API = "https://api.reverb.com/api"
BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# A second token Reverb accepts for the same shop (for reauthorising to a new token).
OTHER_TOKEN = "tok_OTHER_8e7d6c5b4a39281706f5e4d3c2b1a0ff"
# Reverb's words for a token it does not accept.
REFUSED = {"message": "Please log in to view your listings."}

Hook = Callable[[httpx.Request], httpx.Response | None]


@dataclass
class Account:
    """The seller behind a token, as ``/my/account`` and ``/shop`` describe it."""

    shop_id: int = 987
    shop: str = "Guitar Barn"
    currency: str = "USD"
    user_id: int = 5511
    email: str | None = None


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
    return dt.astimezone(timezone(timedelta(hours=-5))).isoformat()


class FakeReverb:
    """Reverb's account, order, listing and shipping endpoints over an in-memory world.

    ``FakeReverb()`` accepts ``SECRET_TOKEN`` and ``OTHER_TOKEN`` for one shop;
    ``FakeReverb(token=…)`` accepts that token only; ``accounts=`` sets them all.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        accounts: dict[str, Account] | None = None,
        per_page_max: int = 50,
    ) -> None:
        if accounts is None:
            tokens = [token] if token else [SECRET_TOKEN, OTHER_TOKEN]
            accounts = {t: Account(email="seller@example.com") for t in tokens}
        self.accounts = accounts
        self.orders: list[dict] = []
        self.listings: dict[str, dict] = {}
        self.per_page_max = per_page_max
        # Next links: "relative" (/api/…), "absolute" (on the request's host), "foreign"
        # (on another host, which the client must refuse) or "none" (the client counts pages).
        self.links = "relative"
        self.outage: Exception | int | httpx.Response | None = None
        self.before: list[Hook] = []
        self.fail: dict[str, httpx.Response] = {}  # listing id -> the answer to its PUT
        self.puts: list[tuple[str, dict]] = []  # (listing id, body) of every inventory update
        self.ship_response: httpx.Response | None = None  # None: the order is shipped
        self.providers = ["UPS", "USPS", "Royal Mail"]
        self.requests: list[httpx.Request] = []
        self.next_number = 1000
        self.clock = BASE

    @property
    def token(self) -> str:
        """The first token this Reverb accepts."""
        return next(iter(self.accounts))

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

    # -- what was asked ----------------------------------------------------------------------

    def count(self, path_part: str) -> int:
        return sum(1 for r in self.requests if path_part in r.url.path)

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(URL, token) of every request, in order."""
        return [(str(r.url), _token(r)) for r in self.requests]

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]

    @property
    def tokens(self) -> list[str]:
        return [_token(r) for r in self.requests]

    @property
    def pages(self) -> list[str]:
        """The URL of every listings page asked for."""
        return [str(r.url) for r in self.requests if r.url.path.endswith("/my/listings")]

    def posts(self) -> list[dict]:
        """The body of every POST (the ship requests)."""
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]

    # -- HTTP --------------------------------------------------------------------------------

    @property
    def transport(self) -> httpx.MockTransport:
        # Looks ``handle`` up on each request, so a test may wrap it after building services.
        return httpx.MockTransport(lambda request: self.handle(request))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for hook in list(self.before):
            resp = hook(request)
            if resp is not None:
                return resp
        if isinstance(self.outage, Exception):
            raise self.outage
        if isinstance(self.outage, int):
            return httpx.Response(self.outage, json={"message": "Service unavailable"})
        if isinstance(self.outage, httpx.Response):
            return self.outage
        account = self.accounts.get(_token(request))
        if account is None:
            return httpx.Response(401, json=REFUSED)
        return self.answer(request, account)

    def answer(self, request: httpx.Request, account: Account) -> httpx.Response:
        """Reverb's answer to an authorised request."""
        path = request.url.path.removeprefix("/api")
        method = request.method
        if path == "/my/account":
            doc = {
                "user_id": account.user_id,
                "shop": {"id": account.shop_id, "name": account.shop, "slug": "guitar-barn"},
            }
            if account.email:
                doc["email"] = account.email
            return httpx.Response(200, json=doc)
        if path == "/shop":
            body = {"id": account.shop_id, "name": account.shop, "currency": account.currency}
            return httpx.Response(200, json=body)
        if path == "/my/orders/selling/all":
            return self.orders_page(request)
        if path == "/my/listings" and method == "GET":
            return self.listings_page(request)
        if path.startswith("/listings/") and method == "PUT":
            return self._put_listing(request, path.rsplit("/", 1)[1])
        if path == "/shipping/providers":
            return httpx.Response(
                200, json={"shipping_providers": [{"name": p} for p in self.providers]}
            )
        if path.startswith("/my/orders/selling/") and path.endswith("/ship") and method == "POST":
            return self._ship(request, path.split("/")[-2])
        if path.startswith("/my/orders/selling/") and path.endswith("/mark_picked_up"):
            if method == "POST":
                return self._picked_up(path.split("/")[-2])
        if path.startswith("/my/orders/selling/") and path.count("/") == 4 and method == "GET":
            found = self._order(path.rsplit("/", 1)[1])
            if found is not None:
                return httpx.Response(200, json=found)
        return httpx.Response(404, json={"message": "Not found"})

    def orders_page(self, request: httpx.Request) -> httpx.Response:
        """A page of orders, newest first, updated since ``updated_start_date`` if given."""
        start = request.url.params.get("updated_start_date")
        rows = self.orders
        if start:
            since = datetime.fromisoformat(start.replace("Z", "+00:00"))
            rows = [o for o in rows if datetime.fromisoformat(o["updated_at"]) >= since]
        rows = sorted(rows, key=lambda o: o["created_at"], reverse=True)
        return self._page(request, "orders", rows, default_per_page=24)

    def listings_page(self, request: httpx.Request) -> httpx.Response:
        return self._page(request, "listings", list(self.listings.values()), default_per_page=50)

    def _page(
        self, request: httpx.Request, key: str, rows: list[dict], *, default_per_page: int
    ) -> httpx.Response:
        params = request.url.params
        page = int(params.get("page", "1"))
        per = min(int(params.get("per_page", str(default_per_page))), self.per_page_max)
        total = len(rows)
        pages = max(1, math.ceil(total / per))
        links: dict = {}
        if page < pages and self.links != "none":
            query = urlencode({**dict(params.items()), "page": page + 1, "per_page": per})
            href = f"{request.url.path}?{query}"
            if self.links == "absolute":
                href = f"{request.url.scheme}://{request.url.host}{href}"
            elif self.links == "foreign":
                href = "https://evil.example" + href
            links["next"] = {"href": href}
        body = {
            "total": total,
            "current_page": page,
            "total_pages": pages,
            # A copy, as JSON would be: a client changing what it got changes nothing here.
            key: json.loads(json.dumps(rows[(page - 1) * per : page * per])),
            "_links": links,
        }
        return httpx.Response(200, json=body)

    def _put_listing(self, request: httpx.Request, listing_id: str) -> httpx.Response:
        body = json.loads(request.content)
        self.puts.append((listing_id, body))
        if listing_id in self.fail:
            return self.fail[listing_id]
        obj = self.listings.get(listing_id)
        if obj is None:
            return httpx.Response(404, json={"message": "Listing not found"})
        obj["inventory"] = body["inventory"]
        if body["inventory"] == 0 and not obj.get("has_inventory"):
            obj["state"] = {"slug": "ended", "description": "Ended"}  # a one-off item, sold
        return httpx.Response(200, json={"message": "Listing updated", "listing": obj})

    def _ship(self, request: httpx.Request, number: str) -> httpx.Response:
        if self.ship_response is not None:
            return self.ship_response
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "order_number": number,
                "status": "shipped",
                "shipping_provider": body["provider"],
                "shipping_code": body["tracking_number"],
                "shipped_at": "2026-03-02T09:00:00Z",
            },
        )

    def _order(self, number: str) -> dict | None:
        return next((o for o in self.orders if o["order_number"] == number), None)

    def _picked_up(self, number: str) -> httpx.Response:
        """Reverb's rule: only a paid local pickup order can be marked picked up."""
        o = self._order(number)
        if o is None:
            return httpx.Response(404, json={"message": "Not found"})
        if o["status"] != "paid" or o["shipping_method"] != "local":
            return httpx.Response(
                422,
                json={"message": "This order cannot be marked as picked up",
                      "errors": {"status": [f"order is {o['status']} ({o['shipping_method']})"]}},
            )  # fmt: skip
        self.clock += timedelta(seconds=30)
        o.update(status="picked_up", shipping_provider="Personal Collection ",
                 shipping_code="PersonalCollection", shipped_at=ts(self.clock),
                 updated_at=ts(self.clock))  # fmt: skip
        return httpx.Response(200, json=o)


def _token(request: httpx.Request) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ")


class FakeReverbServer(ThreadingHTTPServer):
    """A ``FakeReverb`` served over real HTTP on 127.0.0.1, for tests that run the real process.

    It takes a free port (``site`` is its API root) and records what arrived on the wire in
    ``seen``: (method, path, headers) of each request.
    """

    daemon_threads = True

    def __init__(self, fake: FakeReverb) -> None:
        super().__init__(("127.0.0.1", 0), _WireHandler)
        self.fake = fake
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()  # the fake is not thread-safe; answer one at a time

    @property
    def site(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"

    @contextmanager
    def running(self) -> Iterator[FakeReverbServer]:
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.shutdown()
            self.server_close()


class _WireHandler(BaseHTTPRequestHandler):
    server: FakeReverbServer

    def _serve(self) -> None:
        headers = dict(self.headers.items())
        self.server.seen.append((self.command, self.path, headers))
        length = int(self.headers.get("Content-Length") or 0)
        request = httpx.Request(
            self.command,
            f"http://{self.headers.get('Host', '127.0.0.1')}{self.path}",
            headers=headers,
            content=self.rfile.read(length) if length else b"",
        )
        with self.server._lock:
            resp = self.server.fake.handle(request)
        data = resp.read()
        self.send_response(resp.status_code)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        for name in ("Retry-After",):  # what the client acts on besides the body
            if name in resp.headers:
                self.send_header(name, resp.headers[name])
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = _serve

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass
