"""The simulated Reverb (reverb_tui.demo): shapes, paging, writes, faults, counters, runner.

Every test talks real HTTP to a simulator on 127.0.0.1 (port 0), latency 0.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from reverb_tui.demo.counters import Counters
from reverb_tui.demo.faults import (
    FAULT_KINDS,
    SERVER_ERRORS,
    Fault,
    FaultInjector,
    FaultPick,
    FaultPlan,
)
from reverb_tui.demo.model import STATUSES
from reverb_tui.demo.simulator import ReverbSimulator
from reverb_tui.reverb.client import RetryPolicy, ReverbClient
from reverb_tui.reverb.errors import AuthError
from tests.conftest import SECRET_TOKEN, fast_client_factory

TOKEN_A = SECRET_TOKEN
TOKEN_B = "tok_second_shop_9c8b7a6d5e4f3a2b1c0d"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MONEY_KEYS = {"amount", "amount_cents", "currency", "symbol", "display"}


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock):
    s = ReverbSimulator(seed=7, clock=clock)
    s.add_shop(TOKEN_A, "Shop A", "USD", seller_id="4242")
    s.generate(TOKEN_A, orders=130, listings=60, days=30, seed=7)
    with s:
        yield s


def http(sim: ReverbSimulator, token: str | None = TOKEN_A, **kw) -> httpx.Client:
    headers = {"Accept-Version": "3.0", "Accept": "application/hal+json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=sim.base_url, headers=headers, timeout=5, **kw)


def walk(client: httpx.Client, path: str, params: dict, key: str) -> tuple[list[dict], list]:
    """Follow _links.next from the first page; returns the items and every href seen."""
    items: list[dict] = []
    hrefs: list[str] = []
    resp = client.get(path, params=params)
    while True:
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items.extend(body[key])
        nxt = body["_links"].get("next")
        if not nxt:
            return items, hrefs
        hrefs.append(nxt["href"])
        resp = client.get(nxt["href"])


# -- shapes ------------------------------------------------------------------------------------


def test_account_and_shop_shapes(sim: ReverbSimulator) -> None:
    with http(sim) as c:
        account = c.get("/my/account").json()
        shop = c.get("/shop").json()
    assert account["shop"] == {"id": 4242, "name": "Shop A", "slug": "shop-a"}
    assert isinstance(account["user_id"], int) and "@" in account["email"]
    assert account["first_name"] and account["currency"] == "USD"
    assert shop["id"] == 4242 and shop["name"] == "Shop A" and shop["currency"] == "USD"
    assert shop["shipping_profiles"] and {"id", "name"} <= set(shop["shipping_profiles"][0])


def test_order_shapes_follow_reverb(sim: ReverbSimulator) -> None:
    with http(sim) as c:
        orders, _ = walk(c, "/my/orders/selling/all", {"per_page": 50}, "orders")
    assert len(orders) == 130
    assert {o["status"] for o in orders} <= set(STATUSES)
    assert len({o["status"] for o in orders}) >= 8  # spread across the enum
    for o in orders:
        assert isinstance(o["order_number"], str) and o["order_number"].isdigit()
        assert isinstance(o["product_id"], str) and o["product_id"].isdigit()
        assert isinstance(o["quantity"], int) and 1 <= o["quantity"] <= 4
        assert o["shipping_method"] in ("shipped", "expedited_shipping", "local")
        for field in ("amount_product", "amount_product_subtotal", "shipping"):
            assert set(o[field]) == MONEY_KEYS and isinstance(o[field]["amount"], str)
        assert o["amount_product_subtotal"]["amount_cents"] == (
            o["amount_product"]["amount_cents"] * o["quantity"]
        )
        created = datetime.fromisoformat(o["created_at"])
        assert created.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
        assert datetime.fromisoformat(o["updated_at"]) >= created
        assert ("ship" in o["_links"]) == (o["status"] == "paid")
        if o["status"] == "cancelled":
            assert "total" not in o and "shipping_address" not in o and "amount_tax" not in o
        else:
            total = o["total"]["amount_cents"]
            parts = o["amount_product_subtotal"]["amount_cents"] + o["shipping"]["amount_cents"]
            assert total == parts + o["amount_tax"]["amount_cents"]
        if o["status"] == "unpaid":
            assert "paid_at" not in o and "shipping_address" not in o
        if o["status"] in ("shipped", "received"):
            assert o["shipping_provider"] and o["shipping_code"] and o["shipped_at"]
    assert any(o["sku"] == "" for o in orders) or any("sku" not in x for x in sim.listings(TOKEN_A))


def test_listing_shapes_and_conditions(sim: ReverbSimulator) -> None:
    with http(sim) as c:
        listings, _ = walk(c, "/my/listings", {"state": "all", "per_page": 50}, "listings")
        live = c.get("/my/listings", params={"per_page": 50}).json()
    assert len(listings) == 60
    for x in listings:
        assert isinstance(x["id"], int)
        assert set(x["condition"]) == {"display_name", "slug", "uuid"}
        assert set(x["state"]) == {"slug", "description"}
        assert set(x["price"]) >= MONEY_KEYS and x["listing_currency"] == "USD"
        multi = x["condition"]["display_name"] in ("Brand New", "B-Stock", "Mint (with inventory)")
        assert x["has_inventory"] is multi
        if not multi:
            assert x["inventory"] in (0, 1)
        assert (x["state"]["slug"] == "live") == (x["inventory"] > 0)
    assert live["total"] == sum(1 for x in listings if x["state"]["slug"] == "live")
    assert all(x["state"]["slug"] == "live" for x in live["listings"])
    with_sku = next(x for x in listings if x.get("sku"))
    with http(sim) as c:
        found = c.get("/my/listings", params={"sku": with_sku["sku"], "state": "all"}).json()
        one = c.get(f"/listings/{with_sku['id']}").json()
    assert [x["id"] for x in found["listings"]] == [with_sku["id"]]
    assert one["id"] == with_sku["id"] and one["sku"] == with_sku["sku"]


def test_reference_data(sim: ReverbSimulator) -> None:
    with http(sim, token=None) as c:
        providers = c.get("/shipping/providers").json()
        currencies = c.get("/currencies/listing").json()
    names = [p["name"] for p in providers["shipping_providers"]]
    assert "UPS" in names and "Royal Mail" in names and "Other" in names
    assert "GBP" in currencies["currencies"]


def test_generation_is_deterministic_and_skus_are_shared(clock: FakeClock) -> None:
    def build() -> ReverbSimulator:
        s = ReverbSimulator(seed=3, clock=clock)
        s.add_shop(TOKEN_A, "A", "USD")
        s.add_shop(TOKEN_B, "B", "GBP")
        s.generate(TOKEN_A, orders=80, listings=40, days=20, seed=1)
        s.generate("B", orders=80, listings=40, days=20, seed=2)
        return s

    one, two = build(), build()
    assert one.orders(TOKEN_A) == two.orders(TOKEN_A)
    assert one.listings("B") == two.listings("B")
    shared = one.shared_skus()
    assert shared
    sku = sorted(shared)[0]
    assert any(x.get("sku") == sku for x in one.listings("A"))
    assert any(x.get("sku") == sku for x in one.listings("B"))
    assert one.listings("B")[0]["listing_currency"] == "GBP"


# -- paging and filters --------------------------------------------------------------------------


def test_paging_walks_every_order_once(sim: ReverbSimulator) -> None:
    with http(sim) as c:
        orders, hrefs = walk(c, "/my/orders/selling/all", {"per_page": 50}, "orders")
        first = c.get("/my/orders/selling/all", params={"per_page": 50}).json()
        default = c.get("/my/orders/selling/all").json()
        capped = c.get("/my/orders/selling/all", params={"per_page": 500}).json()
    numbers = [o["order_number"] for o in orders]
    assert len(numbers) == len(set(numbers)) == 130
    assert numbers == [o["order_number"] for o in sim.orders(TOKEN_A)]
    created = [datetime.fromisoformat(o["created_at"]) for o in orders]
    assert created == sorted(created, reverse=True)  # newest first
    assert first["total"] == 130 and first["total_pages"] == 3 and first["current_page"] == 1
    assert "prev" not in first["_links"]
    assert len(default["orders"]) == 24 and default["total_pages"] == 6
    assert len(capped["orders"]) == 50
    assert len(hrefs) == 2 and all("per_page=50" in h and "page=" in h for h in hrefs)


@pytest.mark.parametrize("style", ["relative", "absolute"])
def test_link_styles(sim: ReverbSimulator, style: str) -> None:
    sim.configure(link_style=style)
    with http(sim) as c:
        body = c.get(
            "/my/orders/selling/all",
            params={"per_page": 50, "updated_start_date": "2026-10-01T00:00:00-05:00"},
        ).json()
    nxt = body["_links"]["next"]["href"]
    self_href = body["orders"][0]["_links"]["self"]["href"]
    for href in (nxt, self_href):
        parts = urlsplit(href)
        if style == "relative":
            assert href.startswith("/api/") and not parts.netloc
        else:
            assert parts.netloc == f"127.0.0.1:{sim.port}" and parts.path.startswith("/api/")
    # The filter travels with the link, URL-encoded.
    assert "updated_start_date=2026-10-01T00%3A00%3A00-05%3A00" in nxt


def test_new_sale_shifts_later_orders_down_one_place(sim: ReverbSimulator) -> None:
    with http(sim) as c:
        page1 = c.get("/my/orders/selling/all", params={"per_page": 50}).json()
        sale = sim.add_sale(TOKEN_A)
        page1_after = c.get("/my/orders/selling/all", params={"per_page": 50}).json()
        page2_after = c.get("/my/orders/selling/all", params={"per_page": 50, "page": 2}).json()
    assert page1_after["total"] == page1["total"] + 1
    assert page1_after["orders"][0]["order_number"] == sale["order_number"]
    assert page2_after["orders"][0]["order_number"] == page1["orders"][-1]["order_number"]


def test_updated_start_date_filter(sim: ReverbSimulator, clock: FakeClock) -> None:
    old = sim.orders(TOKEN_A)[-1]
    clock.advance(hours=2)
    since = clock.now - timedelta(minutes=1)
    sim.set_order_status(TOKEN_A, old["order_number"], "cancelled")
    sale = sim.add_sale(TOKEN_A, status="unpaid")
    with http(sim) as c:
        encoded = c.get(
            "/my/orders/selling/all", params={"updated_start_date": since.isoformat()}
        ).json()
        as_z = c.get(
            "/my/orders/selling/all",
            params={"updated_start_date": since.isoformat().replace("+00:00", "Z")},
        ).json()
        upper = c.get(
            "/my/orders/selling/all",
            params={"updated_end_date": (since - timedelta(hours=3)).isoformat()},
        ).json()
        # An unencoded "+" arrives as a space: Reverb cannot parse that date.
        bad = c.get("/my/orders/selling/all?updated_start_date=2026-11-01T10:00:00+00:00")
    got = {o["order_number"] for o in encoded["orders"]}
    assert got == {old["order_number"], sale["order_number"]}
    assert {o["order_number"] for o in as_z["orders"]} == got
    assert encoded["total"] == 2
    assert old["order_number"] not in {o["order_number"] for o in upper["orders"]}
    assert bad.status_code == 422 and "updated_start_date" in bad.json()["errors"]


def test_wrong_or_missing_token_is_401(sim: ReverbSimulator) -> None:
    with http(sim, token="tok_not_a_real_token_000") as c:
        wrong = c.get("/my/account")
    with http(sim, token=None) as c:
        missing = c.get("/my/orders/selling/all")
    for resp in (wrong, missing):
        assert resp.status_code == 401
        assert resp.json() == {
            "message": "Please log in to view your listings.",
            "details": "Invalid token.",
        }
    stats = sim.stats()
    assert stats["by_shop"] == {"(unknown)": 1, "(anonymous)": 1}
    assert stats["unauthorized"] == 2


def test_shops_are_isolated_by_token(sim: ReverbSimulator) -> None:
    sim.add_shop(TOKEN_B, "Shop B", "GBP")
    listing_b = sim.add_listing(TOKEN_B, sku="B-1", inventory=3)
    order_a = sim.orders(TOKEN_A)[0]["order_number"]
    with http(sim, token=TOKEN_B) as c:
        assert c.get("/my/orders/selling/all").json()["total"] == 0
        assert c.get(f"/my/orders/selling/{order_a}").status_code == 404
        assert c.get("/shop").json()["currency"] == "GBP"
    with http(sim) as c:  # shop A cannot write shop B's listing
        assert c.put(f"/listings/{listing_b}", json={"inventory": 1}).status_code == 404
    assert sim.listing(listing_b)["inventory"] == 3
    assert sim.requests_for(TOKEN_B) == 3 and sim.requests_for("Shop A") == 1


# -- writes --------------------------------------------------------------------------------------


def test_put_multi_unit_listing(sim: ReverbSimulator) -> None:
    lid = sim.add_listing(TOKEN_A, sku="NEW-1", condition="brand-new", inventory=4)
    with http(sim) as c:

        def put(body: dict) -> httpx.Response:
            return c.put(f"/listings/{lid}", json=body)

        r = put({"has_inventory": True, "inventory": 7})
        assert r.status_code == 200 and r.json()["errors"] == {}
        assert r.json()["listing"]["inventory"] == 7
        r = put({"has_inventory": True, "inventory": 0})
        assert r.json()["listing"]["state"]["slug"] == "sold_out"
        r = put({"has_inventory": True, "inventory": 2})
        assert r.json()["listing"]["state"]["slug"] == "live"
        assert r.json()["listing"]["inventory"] == 2
        bad = put({"has_inventory": True, "inventory": -1})
        assert bad.status_code == 422 and "inventory" in bad.json()["errors"]
        assert put({"inventory": "many"}).status_code == 422
    assert sim.listing(lid)["inventory"] == 2
    assert sim.writes_for(lid) == 5


def test_put_one_of_a_kind_listing(sim: ReverbSimulator) -> None:
    lid = sim.add_listing(TOKEN_A, sku="USED-1", condition="excellent", inventory=1)
    with http(sim) as c:
        r = c.put(f"/listings/{lid}", json={"has_inventory": True, "inventory": 5})
        assert r.status_code == 200
        assert r.json()["listing"]["inventory"] == 1
        assert r.json()["listing"]["has_inventory"] is False
        r = c.put(f"/listings/{lid}", json={"has_inventory": False, "inventory": 0})
        assert r.json()["listing"]["state"]["slug"] == "ended"
        ended = c.put(f"/listings/{lid}", json={"has_inventory": False, "inventory": 1})
        assert ended.status_code == 422
        assert ended.json()["message"] and ended.json()["errors"]["inventory"]
    assert sim.listing(lid)["state"]["slug"] == "ended"
    assert sim.listing(lid)["inventory"] == 0
    assert sim.writes_for(lid) == 3
    assert sim.stats()["writes_ok"] == 2


def test_sales_decrement_listings_like_reverb(sim: ReverbSimulator) -> None:
    multi = sim.add_listing(TOKEN_A, sku="M-1", condition="b-stock", inventory=3)
    single = sim.add_listing(TOKEN_A, sku="S-1", condition="good", inventory=1)
    sale = sim.add_sale(TOKEN_A, sku="M-1", quantity=2)
    assert sale["sku"] == "M-1" and sale["quantity"] == 2 and sale["status"] == "paid"
    assert sale["product_id"] == str(multi) and sale["remaining_listing_inventory"] == 1
    assert sim.listing(multi)["inventory"] == 1
    sim.add_sale(TOKEN_A, sku="M-1")
    assert sim.listing(multi)["state"]["slug"] == "sold_out"
    sim.add_sale(TOKEN_A, listing_id=single)
    sold = sim.listing(single)
    assert sold["state"] == {"slug": "ended", "description": "Sold"} and sold["inventory"] == 0
    with pytest.raises(ValueError):
        sim.add_sale(TOKEN_A, sku="S-1")
    # A cancelled, unshipped order gives its units back.
    sim.set_order_status(TOKEN_A, sale["order_number"], "cancelled")
    assert sim.listing(multi)["inventory"] == 2
    assert sim.listing(multi)["state"]["slug"] == "live"


def test_ship_rules(sim: ReverbSimulator) -> None:
    paid = sim.add_sale(TOKEN_A, status="paid")["order_number"]
    unpaid = sim.add_sale(TOKEN_A, status="unpaid")["order_number"]
    body = {"provider": "UPS", "tracking_number": "1Z999AA10123456784", "send_notification": True}
    with http(sim) as c:
        no_tracking = c.post(f"/my/orders/selling/{paid}/ship", json={"provider": "UPS"})
        assert no_tracking.status_code == 422
        assert "tracking_number" in no_tracking.json()["errors"]
        bad_provider = c.post(
            f"/my/orders/selling/{paid}/ship", json={**body, "provider": "Pigeon"}
        )
        assert bad_provider.status_code == 422 and "provider" in bad_provider.json()["errors"]
        ok = c.post(f"/my/orders/selling/{paid}/ship", json=body)
        assert ok.status_code == 200
        again = c.post(f"/my/orders/selling/{paid}/ship", json=body)
        not_paid = c.post(f"/my/orders/selling/{unpaid}/ship", json=body)
        missing = c.post("/my/orders/selling/1/ship", json=body)
        detail = c.get(f"/my/orders/selling/{paid}").json()
    assert again.status_code == 422 and again.json()["errors"]["status"]
    assert not_paid.status_code == 422
    assert missing.status_code == 404
    assert detail["status"] == "shipped"
    assert detail["shipping_provider"] == "UPS"
    assert detail["shipping_code"] == "1Z999AA10123456784"
    assert detail["shipped_at"] and "ship" not in detail["_links"]
    assert sim.stats()["ships"] == 1


def test_picked_up_rules(sim: ReverbSimulator) -> None:
    local = sim.add_sale(TOKEN_A, status="paid", shipping_method="local")
    assert local["_links"]["mark_picked_up"]["href"].endswith("/mark_picked_up")
    posted = sim.add_sale(TOKEN_A, status="paid", shipping_method="shipped")["order_number"]
    n = local["order_number"]
    with http(sim) as c:
        not_local = c.post(f"/my/orders/selling/{posted}/mark_picked_up", json={})
        ok = c.post(f"/my/orders/selling/{n}/mark_picked_up", json={})
        again = c.post(f"/my/orders/selling/{n}/mark_picked_up", json={})
        missing = c.post("/my/orders/selling/1/mark_picked_up", json={})
        detail = c.get(f"/my/orders/selling/{n}").json()
    assert not_local.status_code == 422 and again.status_code == 422
    assert missing.status_code == 404
    assert ok.status_code == 200 and ok.json()["status"] == "picked_up"
    assert detail["status"] == "picked_up" and "mark_picked_up" not in detail["_links"]
    assert sim.stats()["pickups"] == 1


# -- activity ------------------------------------------------------------------------------------


def test_tick_makes_sales_and_moves_orders(sim: ReverbSimulator, clock: FakeClock) -> None:
    before = len(sim.orders(TOKEN_A))
    clock.advance(minutes=5)
    events = sim.tick(sale=True, advance=True)
    kinds = [e["type"] for e in events]
    assert kinds == ["sale", "status"]
    sale, status = events
    assert len(sim.orders(TOKEN_A)) == before + 1
    assert sim.orders(TOKEN_A)[0]["order_number"] == sale["order_number"]
    moved = sim.order(TOKEN_A, status["order_number"])
    assert moved["status"] == status["to"] != status["from"]
    assert datetime.fromisoformat(moved["updated_at"]) == clock.now
    assert sim.stats()["sales"] == 1 and sim.stats()["status_changes"] == 1


def test_start_activity_runs_ticks_in_background(sim: ReverbSimulator) -> None:
    sim.start_activity(0.02)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        stats = sim.stats()
        if stats.get("sales", 0) + stats.get("status_changes", 0) >= 3:
            break
        time.sleep(0.02)
    sim.stop_activity()
    stats = sim.stats()
    assert stats.get("sales", 0) + stats.get("status_changes", 0) >= 3
    assert stats.get("sim_errors", 0) == 0


# -- faults and counters -------------------------------------------------------------------------


def test_rate_limit_answers_429_past_n_per_second(sim: ReverbSimulator) -> None:
    now = [100.0]
    sim.rate_clock = lambda: now[0]
    sim.configure(rate_limit=3, retry_after=2)
    with http(sim) as c:
        codes = [c.get("/shop").status_code for _ in range(5)]
        limited = c.get("/shop")
        now[0] += 1.01  # the window slides past every earlier request
        after = c.get("/shop")
    assert codes == [200, 200, 200, 429, 429]
    assert limited.headers["Retry-After"] == "2"
    assert after.status_code == 200
    assert sim.faults("rate_limited") == 3
    assert sim.stats()["by_status"] == {200: 4, 429: 3}


def test_rate_window_is_configurable(sim: ReverbSimulator) -> None:
    now = [50.0]
    sim.rate_clock = lambda: now[0]
    sim.configure(rate_limit=1, rate_window=0.5)
    with http(sim) as c:
        first = c.get("/shop").status_code
        now[0] += 0.3
        inside = c.get("/shop").status_code
        now[0] += 0.51
        outside = c.get("/shop").status_code
    assert (first, inside, outside) == (200, 429, 200)


def test_read_and_write_limits_are_separate_budgets_per_window() -> None:
    """Reverb's budgets: reads and writes counted apart, per token, over ``limit_window``; a
    refused request does not count, so the next one fits once the window has room."""
    lock = threading.RLock()
    now = [0.0]
    plan = FaultPlan(read_limit=3, write_limit=2, limit_window=60)
    injector = FaultInjector(
        plan, Counters(lock), rng=random.Random(1), lock=lock, clock=lambda: now[0]
    )
    reads = [injector.pick("GET", "tok_a").before for _ in range(4)]
    writes = [injector.pick("PUT", "tok_a").before for _ in range(3)]
    assert reads == [None, None, None, Fault.RATE_LIMITED]
    assert writes == [None, None, Fault.RATE_LIMITED]  # reads did not use the write budget
    assert injector.pick("GET", "tok_b").before is None  # per token
    now[0] = 59.9
    assert injector.pick("GET", "tok_a").before is Fault.RATE_LIMITED
    now[0] = 60.0  # the first three reads leave the window; the refused ones never counted
    assert [injector.pick("GET", "tok_a").before for _ in range(4)] == [None] * 3 + [
        Fault.RATE_LIMITED
    ]


def test_latency_jitter_spreads_answers_around_the_latency() -> None:
    lock = threading.RLock()
    plan = FaultPlan(latency=0.25, latency_jitter=0.05)
    injector = FaultInjector(plan, Counters(lock), rng=random.Random(1), lock=lock)
    samples = [injector.latency() for _ in range(500)]
    assert 0.2 <= min(samples) < 0.21 and 0.29 < max(samples) <= 0.3
    plan.latency_jitter = 0.0
    assert injector.latency() == 0.25


def test_burst_429_then_normal(sim: ReverbSimulator) -> None:
    sim.burst_429 = 2
    with http(sim) as c:
        responses = [c.get("/my/account") for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    assert "Retry-After" not in responses[0].headers  # Reverb sends none by default
    assert sim.faults("burst_429") == 2 and sim.burst_429 == 0


def test_fault_injection_and_counters(sim: ReverbSimulator) -> None:
    lid = sim.add_listing(TOKEN_A, sku="F-1", inventory=2)
    with http(sim) as c:
        sim.configure(fail_rate=1.0)
        failed = c.get("/my/account")
        put = c.put(f"/listings/{lid}", json={"inventory": 1})  # reads only by default
        sim.configure(fail_rate=0.0, malformed_rate=1.0)
        malformed = c.get("/my/account")
        sim.configure(malformed_rate=0.0, drop_rate=1.0)
        with pytest.raises(httpx.TransportError):
            c.get("/my/account")
        sim.configure(drop_rate=0.0, slow_rate=1.0, slow_seconds=1.0)
        with pytest.raises(httpx.ReadTimeout):
            c.get("/my/account", timeout=0.1)
        sim.configure(slow_rate=0.0)
        fine = c.get("/my/account")
    assert failed.status_code in (500, 502, 503)
    assert put.status_code == 200
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        json.loads(malformed.content)
    assert fine.status_code == 200
    stats = sim.stats()
    assert stats["faults"] == {
        "rate_limited": 0,
        "burst_429": 0,
        "server_error": 1,
        "slow": 1,
        "dropped": 1,
        "malformed": 1,
    }
    assert stats["faults_total"] == 4
    assert stats["requests"] == 6
    assert stats["by_kind"]["GET /my/account"] == 5
    assert stats["by_kind"]["PUT /listings/{id}"] == 1
    assert stats["writes"] == {lid: 1}
    assert stats["accept_version"] == {"3.0": 6}
    sim.reset_counters()
    assert sim.stats()["requests"] == 0 and sim.faults() == 0


def test_fault_rates_are_fractions(sim: ReverbSimulator) -> None:
    sim.configure(fail_rate=0.3)
    with http(sim) as c:
        codes = [c.get("/shop").status_code for _ in range(200)]
    failures = sum(1 for code in codes if code >= 500)
    assert 30 <= failures <= 90
    assert sim.faults("server_error") == failures


def test_configure_validates(sim: ReverbSimulator) -> None:
    with pytest.raises(ValueError):
        sim.configure(fail_rate=1.5)
    with pytest.raises(TypeError):
        sim.configure(nonsense=1)
    with pytest.raises(ValueError):
        sim.configure(link_style="sideways")
    assert sim.config()["fail_rate"] == 0.0


def test_knob_attributes_validate_like_configure(sim: ReverbSimulator) -> None:
    with pytest.raises(ValueError):
        sim.fail_rate = 2
    with pytest.raises(ValueError):  # all or nothing: fail_rate is not set either
        sim.configure(fail_rate=0.5, drop_rate=7)
    sim.rate_limit = 0  # 0 means unlimited
    sim.latency = "0.25"
    assert (sim.fail_rate, sim.rate_limit, sim.latency) == (0.0, None, 0.25)
    assert list(sim.config()) == list(ReverbSimulator.CONFIG_KEYS)
    assert {key: getattr(sim, key) for key in ReverbSimulator.CONFIG_KEYS} == sim.config()


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("fail_rate", 1.5),
        ("drop_rate", -0.1),
        ("rate_window", 0),
        ("latency", -1),
        ("slow_seconds", -1),
        ("rate_limit", -2),
        ("retry_after", -1),
        ("burst_429", -1),
        ("faults_on_writes", "yes"),
        ("malformed_rate", "half"),
    ],
)
def test_fault_plan_refuses_bad_values(knob: str, value: object) -> None:
    with pytest.raises(ValueError):
        FaultPlan(**{knob: value})
    plan = FaultPlan()
    with pytest.raises(ValueError):
        setattr(plan, knob, value)
    assert getattr(plan, knob) == getattr(FaultPlan(), knob)


def test_fault_plan_normalises_and_knows_its_knobs() -> None:
    plan = FaultPlan(rate_limit=0, retry_after=None, fail_rate="0.5", burst_429=3.0)
    assert (plan.rate_limit, plan.retry_after, plan.fail_rate, plan.burst_429) == (
        None,
        None,
        0.5,
        3,
    )
    assert FaultPlan.checked({"rate_limit": "4"}) == {"rate_limit": 4}
    with pytest.raises(TypeError):
        FaultPlan.checked({"link_style": "relative"})  # a world knob, not a fault knob
    with pytest.raises(TypeError):
        plan.nonsense = 1


def test_fault_enum_carries_counter_status_and_phase() -> None:
    assert {f.counter for f in Fault} == set(FAULT_KINDS)
    assert [f.status for f in SERVER_ERRORS] == [500, 502, 503]
    assert {f.counter for f in SERVER_ERRORS} == {"server_error"}
    assert Fault.RATE_LIMITED.status == Fault.BURST_429.status == 429
    assert Fault.DROP.status is None and Fault.DROP.counter == "dropped"
    assert {f for f in Fault if f.on_answer} == {Fault.SLOW, Fault.MALFORMED}


def test_fault_injector_picks_and_counts() -> None:
    lock = threading.RLock()
    counters = Counters(lock)
    now = [0.0]
    plan = FaultPlan(rate_limit=2, burst_429=1)
    injector = FaultInjector(plan, counters, rng=random.Random(1), lock=lock, clock=lambda: now[0])
    picks = [injector.pick("GET", "tok_a").before for _ in range(4)]
    assert picks == [Fault.BURST_429, None, Fault.RATE_LIMITED, Fault.RATE_LIMITED]
    assert injector.pick("GET", "tok_b") == FaultPick()  # the window is per token
    now[0] += 1.0
    assert injector.pick("GET", "tok_a") == FaultPick()
    assert plan.burst_429 == 0
    plan.rate_limit = None
    plan.fail_rate = 1.0
    assert injector.pick("GET", "tok_a").before in SERVER_ERRORS
    assert injector.pick("PUT", "tok_a") == FaultPick()  # writes are spared by default
    plan.faults_on_writes = True
    assert injector.pick("PUT", "tok_a").before in SERVER_ERRORS
    plan.fail_rate = 0.0
    plan.slow_rate = 1.0
    assert injector.pick("GET", "tok_a") == FaultPick(None, Fault.SLOW)
    faults = counters.snapshot()["faults"]
    assert faults == {
        "rate_limited": 2,
        "burst_429": 1,
        "server_error": 2,
        "slow": 1,
        "dropped": 0,
        "malformed": 0,
    }


def test_control_routes(sim: ReverbSimulator) -> None:
    assert sim.control("GET", "/_sim/config", {}, {}).body == sim.config()
    missing = sim.control("GET", "/_sim/nothing", {}, {})
    assert missing.status == 404 and "GET /_sim/nothing" in missing.body["message"]
    with pytest.raises(ValueError):
        sim.control("POST", "/_sim/config", {}, [1])
    with pytest.raises(KeyError):
        sim.control("POST", "/_sim/status", {}, {"shop": TOKEN_A})
    shops = sim.control("GET", "/_sim/shops", {}, {}).body["shops"]
    assert [s["name"] for s in shops] == ["Shop A"] and TOKEN_A not in json.dumps(shops)


def test_missing_accept_version_is_recorded(sim: ReverbSimulator) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        r = c.get("/my/account", headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert r.status_code == 200
    assert sim.stats()["accept_version"] == {"(missing)": 1}


# -- our real client and services against it -----------------------------------------------------


async def test_reverb_client_verify_and_walk(sim: ReverbSimulator) -> None:
    async with ReverbClient(sim.base_url, TOKEN_A, rate_limit=1000) as client:
        info = await client.verify()
        page = await client.get_object("/my/orders/selling/all", {"per_page": 50})
        seen = [o["order_number"] for o in page["orders"]]
        while page["_links"].get("next"):
            page = await client.get_object(page["_links"]["next"]["href"])
            seen.extend(o["order_number"] for o in page["orders"])
        providers = await client.shipping_providers()
    assert info.seller_id == "4242"
    assert info.shop_name == "Shop A" and info.shop_currency == "USD"
    assert seen == [o["order_number"] for o in sim.orders(TOKEN_A)]
    assert "UPS" in providers
    async with ReverbClient(
        sim.base_url, "tok_wrong_0000000000", rate_limit=1000, retry=RetryPolicy(max_attempts=1)
    ) as bad:
        with pytest.raises(AuthError):
            await bad.verify()


async def test_client_retries_through_faults(sim: ReverbSimulator) -> None:
    sim.configure(burst_429=2)
    client = fast_client_factory()(sim.base_url, TOKEN_A, 4.0)
    async with client:
        info = await client.verify()
    assert info.seller_id == "4242"
    assert sim.faults("burst_429") == 2
    assert client.retries == 2


async def test_demo_setup_adds_integrations_like_real_ones(make_services) -> None:
    from reverb_tui.cli.demo import setup_demo

    with ReverbSimulator(seed=2) as s:
        shops = s.add_sample_shops(2, tokens=[TOKEN_A, TOKEN_B], orders=30, listings=20)
        svc = make_services()
        notes = await setup_demo(svc, s, shops, days=30)
        channels = svc.channels.list()
        assert [c.name for c in channels] == ["Northside Guitars", "Harbour Music Co."]
        assert [c.seller_id for c in channels] == [shops[0].seller_id, shops[1].seller_id]
        assert all(c.api_url == s.base_url and c.stock_updates for c in channels)
        assert channels[1].shop_currency == "GBP"
        # Verified through the real path: GET /my/account (and /shop) per integration.
        assert s.requests_for(TOKEN_A, "GET /my/account") == 1
        # A re-run on the same database reauthorises instead of failing on the name.
        again = await setup_demo(svc, s, shops, days=30)
        assert any("reauthorised" in n for n in again)
        assert len(svc.channels.list()) == 2
    if importlib.util.find_spec("reverb_tui.services.inventory") is not None:
        skus = [i.sku for i in svc.inventory.list()]
        assert skus and set(skus) <= {x.sku for sh in shops for x in sh.listings.values()}
        assert any("local SKUs" in n for n in notes)
    else:
        assert any("no local inventory" in n for n in notes)


def test_demo_command_without_tui(tmp_path, capsys) -> None:
    from reverb_tui.__main__ import main

    db = tmp_path / "demo.db"
    rc = main(
        [
            "demo",
            "--db",
            str(db),
            "--no-tui",
            "--serve-seconds",
            "0",
            "--orders",
            "20",
            "--listings",
            "15",
            "--shops",
            "1",
            "--activity",
            "0",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "Simulated Reverb listening at http://127.0.0.1:" in out.out
    assert "Northside Guitars" in out.out and "token …" in out.out
    assert str(db) in out.out and db.exists()
    assert "Traceback" not in out.err


def test_demo_command_refuses_orders_without_listings(tmp_path, capsys) -> None:
    from reverb_tui.__main__ import main

    rc = main(["demo", "--db", str(tmp_path / "x.db"), "--no-tui", "--listings", "0"])
    assert rc == 2
    assert "listings" in capsys.readouterr().err


# -- standalone runner -----------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["reverb_tui.demo", "reverb_tui.demo.simulator"])
def test_standalone_runner(module: str) -> None:
    env = {**os.environ, "REVERB_SIM_TOKENS": f"{TOKEN_A},{TOKEN_B}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            module,
            "--shops",
            "2",
            "--orders",
            "40",
            "--listings",
            "20",
            "--seed",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["base_url"].startswith("http://127.0.0.1:")
        assert [s["name"] for s in ready["shops"]] == ["Northside Guitars", "Harbour Music Co."]
        assert TOKEN_A not in json.dumps(ready)  # tokens only masked
        with httpx.Client(timeout=5) as c:
            r = c.get(ready["base_url"] + "/shop", headers={"Authorization": f"Bearer {TOKEN_B}"})
            assert r.json()["currency"] == "GBP"
            cfg = c.post(ready["control_url"] + "/config", json={"fail_rate": 1.0}).json()
            assert cfg["fail_rate"] == 1.0
            failed = c.get(
                ready["base_url"] + "/shop", headers={"Authorization": f"Bearer {TOKEN_B}"}
            )
            assert failed.status_code >= 500
            orders = c.get(
                ready["control_url"] + "/orders", params={"shop": "Northside Guitars"}
            ).json()
            assert len(orders["orders"]) == 40
            stats = c.get(ready["control_url"] + "/stats").json()
            assert stats["requests"] == 2 and stats["faults"]["server_error"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    final = json.loads(out.strip().splitlines()[-1])
    assert final["requests"] == 2


def test_stop_is_prompt_with_a_slow_request_in_flight(clock: FakeClock) -> None:
    s = ReverbSimulator(clock=clock, slow_rate=1.0, slow_seconds=30)
    s.add_shop(TOKEN_A, "A")
    s.start()

    async def slow_call() -> None:
        async with httpx.AsyncClient(timeout=10) as c:
            try:
                await c.get(s.base_url + "/shop", headers={"Authorization": f"Bearer {TOKEN_A}"})
            except httpx.TransportError:
                pass

    async def scenario() -> float:
        task = asyncio.create_task(slow_call())
        await asyncio.sleep(0.2)
        t = time.monotonic()
        await asyncio.to_thread(s.stop)
        await task
        return time.monotonic() - t

    assert asyncio.run(scenario()) < 3
    assert not s.running
