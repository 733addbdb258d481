"""SkuService: mapping rules, atomic save, auto-link, unlinked view, apply to waiting orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem, Listing, Order, SkuMapping, StockMove
from reverb_tui.errors import NotFound, UserError
from tests.db_rows import add_channel

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


# Where and since when the integrations here fetch (the clock stands a day later).
SHOP = {"api_url": "https://api.test/api", "orders_since": T0, "created_at": T0}


@pytest.fixture
def svc(make_services):
    return make_services(clock=lambda: T0 + timedelta(days=1))


def add_listing(svc, ch, lid, sku, title=None):
    with session_scope(svc.engine) as s:
        s.add(
            Listing(
                channel_id=ch,
                listing_id=str(lid),
                sku=sku,
                title=title or f"L{lid}",
                inventory=1,
                state="live",
            )
        )


def add_order(
    svc, ch, number, channel_sku, status="paid", *, sku=None, quantity=1, paid_at=None
) -> int:
    with session_scope(svc.engine) as s:
        o = Order(
            channel_id=ch,
            order_number=number,
            status=status,
            channel_sku=channel_sku,
            sku=sku,
            quantity=quantity,
            paid_at=paid_at or T0 + timedelta(days=2),
            created_at=T0 + timedelta(days=2),
            first_seen_at=T0,
            title=f"Order {number}",
        )
        s.add(o)
        s.flush()
        return o.id


def mapping_table(svc):
    with session_scope(svc.engine) as s:
        return sorted(
            (m.channel_id, m.channel_sku, m.sku_key, m.kit) for m in s.exec(select(SkuMapping))
        )


@pytest.fixture
def shop(svc):
    """A channel with three local SKUs (counted before the test's orders)."""
    ch = add_channel(svc, "Shop A", **SHOP).id
    for sku in ("GTR-1", "AMP-2", "PED-3"):
        svc.inventory.upsert(sku, sku.title(), 10)
    with session_scope(svc.engine) as s:
        for it in s.exec(select(InventoryItem)):
            it.counted_at = T0
            s.add(it)
    return ch


# -- map / unmap -----------------------------------------------------------------------------------


def test_map_and_list(svc, shop):
    row = svc.skus.map("  shop a ", " REV-GTR ", "gtr-1", "2")
    assert (row.channel_sku, row.sku, row.kit) == ("REV-GTR", "GTR-1", 2)
    svc.skus.map(shop, "rev-amp", "AMP-2")
    rows = svc.skus.mappings("Shop A")
    assert [(r.channel_sku, r.sku, r.kit, r.title) for r in rows] == [
        ("rev-amp", "AMP-2", 1, "Amp-2"),
        ("REV-GTR", "GTR-1", 2, "Gtr-1"),
    ]
    assert rows[0].to_json("Shop A")["channel"] == "Shop A"


def test_map_to_unknown_local_sku_is_refused(svc, shop):
    with pytest.raises(NotFound, match="no local SKU 'NOPE'"):
        svc.skus.map(shop, "REV-1", "NOPE")
    assert mapping_table(svc) == []


@pytest.mark.parametrize("kit", [0, -1, "x", "1.5", True, 2.0])
def test_kit_must_be_a_whole_number_of_one_or_more(svc, shop, kit):
    with pytest.raises(UserError, match="kit"):
        svc.skus.map(shop, "REV-1", "GTR-1", kit)
    assert mapping_table(svc) == []


def test_a_channel_sku_never_maps_to_two_local_skus(svc, shop):
    svc.skus.map(shop, "REV-1", "GTR-1")
    svc.skus.map(shop, "rev-1", "GTR-1")  # the same mapping again: a no-op
    with pytest.raises(UserError, match="already mapped to 'GTR-1'.*unmap it first"):
        svc.skus.map(shop, " REV-1", "AMP-2")
    with pytest.raises(UserError, match="already mapped"):
        svc.skus.map(shop, "REV-1", "GTR-1", 3)  # another kit is a change too
    assert [(m[1], m[2], m[3]) for m in mapping_table(svc)] == [("REV-1", "gtr-1", 1)]
    svc.skus.unmap(shop, "rev-1")
    svc.skus.map(shop, "REV-1", "AMP-2")
    assert [(m[1], m[2]) for m in mapping_table(svc)] == [("REV-1", "amp-2")]


def test_mappings_are_per_channel(svc, shop):
    other = add_channel(svc, "Shop B", **SHOP).id
    svc.skus.map(shop, "REV-1", "GTR-1")
    svc.skus.map(other, "REV-1", "AMP-2")
    assert [r.sku for r in svc.skus.mappings("Shop B")] == ["AMP-2"]


def test_unknown_channel_and_unknown_mapping(svc, shop):
    with pytest.raises(NotFound, match="no integration named 'Nope'"):
        svc.skus.mappings("Nope")
    with pytest.raises(NotFound, match="has no mapping"):
        svc.skus.unmap(shop, "REV-404")


def test_removed_channel_is_unknown(svc, shop):
    svc.channels.remove(shop)
    with pytest.raises(NotFound):
        svc.skus.mappings("Shop A")


# -- save (the mapping section's Save button) ---------------------------------------------------------


def test_save_applies_removes_then_adds_atomically(svc, shop):
    svc.skus.map(shop, "REV-1", "GTR-1")
    svc.skus.map(shop, "REV-2", "AMP-2")
    rows = svc.skus.save_mappings(
        "Shop A", adds=[("REV-1", "PED-3", 2), ("REV-3", "GTR-1", 1)], removes=["rev-1", "REV-2"]
    )
    assert [(r.channel_sku, r.sku, r.kit) for r in rows] == [
        ("REV-1", "PED-3", 2),
        ("REV-3", "GTR-1", 1),
    ]


def test_save_with_one_bad_entry_changes_nothing(svc, shop):
    svc.skus.map(shop, "REV-1", "GTR-1")
    before = mapping_table(svc)
    for adds, removes in (
        ([("REV-9", "GTR-1", 1), ("REV-8", "NOPE", 1)], ["REV-1"]),  # unknown local SKU
        ([("REV-9", "GTR-1", 1)], ["REV-404"]),  # removing what is not there
        ([("REV-1", "AMP-2", 1)], []),  # re-mapping without removing
        ([("REV-9", "GTR-1", 1), ("rev-9 ", "AMP-2", 1)], []),  # twice in one change
        ([("REV-9", "GTR-1", 0)], ["REV-1"]),  # bad kit
    ):
        with pytest.raises(UserError):
            svc.skus.save_mappings(shop, adds, removes)
        assert mapping_table(svc) == before


# -- auto-link -------------------------------------------------------------------------------------


def test_auto_link_maps_exact_matches_and_reports_ambiguous(svc, shop):
    add_listing(svc, shop, 1, " gtr-1")
    add_listing(svc, shop, 2, "GTR-1")  # the same SKU on two listings
    add_listing(svc, shop, 3, "UNKNOWN")
    add_listing(svc, shop, 4, None)
    add_order(svc, shop, "o1", "Amp-2")
    add_order(svc, shop, "o2", "REV-PED")
    svc.skus.map(shop, "REV-PED", "PED-3")
    # Two local SKUs whose stored spellings fold alike (e.g. rows written by an older version
    # with a different key): auto-link must not guess between them.
    with session_scope(svc.engine) as s:
        s.add(InventoryItem(sku="Dup-9", sku_key="dup-9#a", on_hand=1))
        s.add(InventoryItem(sku="DUP-9 ", sku_key="dup-9#b", on_hand=1))
    add_listing(svc, shop, 5, "dup-9")
    result = svc.skus.auto_link("Shop A")
    assert sorted(result.linked) == [("Amp-2", "AMP-2"), ("gtr-1", "GTR-1")]
    assert result.ambiguous == [("dup-9", ["DUP-9 ", "Dup-9"])]
    assert (result.already_mapped, result.unmatched) == (1, 1)
    assert {(m[1], m[2]) for m in mapping_table(svc)} == {
        ("gtr-1", "gtr-1"),
        ("Amp-2", "amp-2"),
        ("REV-PED", "ped-3"),
    }
    again = svc.skus.auto_link("Shop A")
    assert again.linked == [] and again.already_mapped == 3


# -- unlinked and choices ---------------------------------------------------------------------------


def test_unlinked_lists_listings_and_orders_that_resolve_to_nothing(svc, shop):
    add_listing(svc, shop, 1, "GTR-1")  # exact match: linked
    add_listing(svc, shop, 2, "REV-AMP")  # mapped below: linked
    add_listing(svc, shop, 3, "UNKNOWN")
    add_listing(svc, shop, 4, None)
    svc.skus.map(shop, "REV-AMP", "AMP-2")
    add_order(svc, shop, "o1", "GTR-1", sku="GTR-1")
    add_order(svc, shop, "o2", "UNKNOWN")
    add_order(svc, shop, "o3", None)
    report = svc.skus.unlinked("Shop A")
    assert [x.listing_id for x in report.listings] == ["3", "4"]
    assert sorted(o.order_number for o in report.orders) == ["o2", "o3"]
    assert (report.listing_count, report.order_count) == (2, 2)
    assert svc.skus.unlinked_counts(shop) == (2, 2)
    kinds = [(r["kind"], r["id"]) for r in report.to_json("Shop A")]
    assert kinds[:2] == [("listing", "3"), ("listing", "4")]


def test_channel_sku_choices_merge_listings_and_orders_and_search(svc, shop):
    add_listing(svc, shop, 1, "GTR-1", "Fender Strat")
    add_listing(svc, shop, 2, "gtr-1 ", "Fender Strat")
    add_order(svc, shop, "o1", "GTR-1")
    add_order(svc, shop, "o2", "ZZ-9")
    for i in range(30):
        add_listing(svc, shop, 100 + i, f"BULK-{i:03d}", "Bulk item")
    choices = svc.skus.channel_sku_choices(shop, "strat")
    assert [(c.channel_sku, c.listings, c.orders, c.mapped_to) for c in choices] == [
        ("GTR-1", 2, 1, "GTR-1")
    ]
    assert [c.channel_sku for c in svc.skus.channel_sku_choices(shop, "zz")] == ["ZZ-9"]
    first = svc.skus.channel_sku_choices(shop, limit=5)
    assert [c.channel_sku for c in first] == [f"BULK-{i:03d}" for i in range(5)]
    assert len(svc.skus.channel_sku_choices(shop, "bulk", limit=100)) == 30
    assert svc.skus.local_sku_choices("amp") == [("AMP-2", "Amp-2")]


# -- apply to waiting orders ----------------------------------------------------------------------------


def test_new_mapping_does_not_touch_stored_orders_until_applied(svc, shop):
    waiting = add_order(svc, shop, "o1", "REV-GTR", quantity=2)  # paid after the count
    history = add_order(svc, shop, "o2", "REV-GTR", paid_at=T0 - timedelta(days=5))
    pending = add_order(svc, shop, "o3", "REV-GTR", status="unpaid")
    still = add_order(svc, shop, "o4", "NOTHING")
    svc.skus.map(shop, "REV-GTR", "GTR-1", 3)
    with session_scope(svc.engine) as s:
        assert s.get(Order, waiting).sku is None  # frozen at download: not changed by map
    assert svc.inventory.get("GTR-1").on_hand == 10

    assert svc.skus.apply_to_waiting_orders("Shop A") == 3
    with session_scope(svc.engine) as s:
        got = {o.id: (o.sku, o.kit) for o in s.exec(select(Order))}
        moves = list(s.exec(select(StockMove)))
    assert got[waiting] == ("GTR-1", 3) and got[history] == ("GTR-1", 3)
    assert got[pending] == ("GTR-1", 3) and got[still] == (None, 1)
    level = svc.inventory.get("GTR-1")
    assert level.on_hand == 10 - 2 * 3  # only the order paid after the count took stock
    assert level.reserved == 3  # the unpaid one reserves quantity x kit
    assert [(m.reason, m.delta) for m in moves] == [("sale", -6)]
    assert svc.skus.apply_to_waiting_orders("Shop A") == 0  # nothing left waiting
    assert svc.inventory.get("GTR-1").on_hand == 4


def test_apply_to_waiting_orders_walks_more_than_one_batch(svc, shop, monkeypatch):
    from reverb_tui.services import skus as skus_mod

    monkeypatch.setattr(skus_mod, "APPLY_BATCH", 3)
    for i in range(8):
        add_order(svc, shop, f"o{i}", "gtr-1" if i % 2 else "NOPE")
    assert svc.skus.apply_to_waiting_orders(shop) == 4
    assert svc.inventory.get("GTR-1").on_hand == 6
