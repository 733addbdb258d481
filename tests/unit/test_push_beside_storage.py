"""A full sync that reads the listings pushes beside the storage of its order download: the
listings of SKUs no unstored order can move go out while the orders are still being stored,
the others after; each listing is written once, with the value the stored orders give it, and
a sale downloaded from one account corrects the others in the same run. Against the loopback
simulator, with the order storage slowed so pages are still waiting when the download ends."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel, Listing
from reverb_tui.reverb.client import ReverbClient
from reverb_tui.sync import orders as orders_module
from tests.fakes.two_shops import connect_two_shops, two_shop_simulator

TOKEN_A = "tok_beside_shop_a_0123456789"
TOKEN_B = "tok_beside_shop_b_0123456789"
SKUS = [f"BS-{k:02d}" for k in range(80)]
SOLD = SKUS[:30]  # each sold on A (paid after the stock take): 5 units of each in all


@pytest.fixture
def sim():
    with two_shop_simulator(5, (TOKEN_A, TOKEN_B), SKUS, inventory=50) as s:
        yield s


@pytest.fixture
async def svc(make_services, sim, tmp_path):
    svc = make_services()
    await connect_two_shops(svc, sim, (TOKEN_A, TOKEN_B), SKUS, 20, tmp_path)
    for sku in SOLD:  # 150 orders on A: three pages and more of order history
        for _ in range(5):
            sim.add_sale("Shop A", sku=sku, quantity=1, status="paid")
    return svc


def listing_ids(svc, channel: str) -> dict[str, int]:
    with session_scope(svc.engine) as s:
        cid = s.exec(select(Channel.id).where(Channel.name == channel)).one()
        return {
            str(lst.sku): int(lst.listing_id)
            for lst in s.exec(select(Listing).where(Listing.channel_id == cid))
        }


async def test_the_push_starts_beside_storage_and_writes_each_listing_once_correctly(
    svc, sim, monkeypatch
) -> None:
    events: list[str] = []
    store = orders_module.store_with_retry

    def slow_store(*args, **kwargs):
        time.sleep(0.15)  # a large page on a busy machine
        try:
            return store(*args, **kwargs)
        finally:
            events.append("stored")

    put = ReverbClient.update_listing_inventory

    async def logged_put(self, *args, **kwargs):
        events.append("put")
        return await put(self, *args, **kwargs)

    monkeypatch.setattr(orders_module, "store_with_retry", slow_store)
    monkeypatch.setattr(ReverbClient, "update_listing_inventory", logged_put)
    sim.reset_counters()

    summaries = await svc.sync.run()

    assert [s.status for s in summaries] == ["ok", "ok"]
    assert {s.channel: s.orders_new for s in summaries} == {"Shop A": 150, "Shop B": 0}
    # Writes went out while order pages were still waiting to be stored.
    last_store = max(i for i, e in enumerate(events) if e == "stored")
    assert "put" in events[:last_store]
    # B shows A's sales after this one run; every listing written once, with its final value.
    for shop in ("Shop A", "Shop B"):
        for sku, lid in listing_ids(svc, shop).items():
            want = 20 - 5 if sku in SOLD else 20
            assert sim.listing(lid)["inventory"] == want, (shop, sku)
            assert sim.writes_for(lid) == 1, (shop, sku)
    assert sum(s.listings_pushed for s in summaries) == 2 * len(SKUS)
