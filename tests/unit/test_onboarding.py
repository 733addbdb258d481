"""Onboarding from listings (services/onboarding.py) and ``reverb-tui inventory from-listings``:
one local SKU and mapping per distinct unlinked channel SKU, in one transaction; listings
without a SKU listed, not created; existing local SKUs untouched; a second run creates
nothing; a dry run changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from reverb_tui.__main__ import main
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem, Listing, Order, SkuMapping
from reverb_tui.errors import AppError, NotFound, UserError
from reverb_tui.services import onboarding
from tests.db_rows import add_channel

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
SHOP = {"api_url": "https://api.test/api", "orders_since": T0, "created_at": T0}
PLAN_KEYS = {
    "channel",
    "dry_run",
    "on_hand_from",
    "created",
    "mapped",
    "listings",
    "listings_linked",
    "already_linked",
    "skus",
    "skipped",
}


@pytest.fixture
def svc(make_services):
    return make_services(clock=lambda: NOW)


def add_listings(svc, channel_id: int, *rows: tuple[str | None, str, int]) -> None:
    """Listings as a download stores them: (SKU, title, inventory); ids 101, 102, …"""
    with session_scope(svc.engine) as s:
        start = len(s.exec(select(Listing.id)).all())
        for n, (sku, title, inventory) in enumerate(rows, start=start + 101):
            s.add(
                Listing(
                    channel_id=channel_id,
                    listing_id=str(n),
                    sku=sku,
                    title=title,
                    inventory=inventory,
                    state="live",
                )
            )


def items(svc) -> dict[str, tuple[str, str, int]]:
    """sku_key -> (sku, title, on_hand) of every local SKU."""
    with session_scope(svc.engine) as s:
        return {i.sku_key: (i.sku, i.title, i.on_hand) for i in s.exec(select(InventoryItem))}


def mappings(svc) -> list[tuple[int, str, str, int]]:
    with session_scope(svc.engine) as s:
        return sorted(
            (m.channel_id, m.channel_sku, m.sku_key, m.kit) for m in s.exec(select(SkuMapping))
        )


@pytest.fixture
def shop(svc):
    """A new seller's integration: six listings, one local SKU counted earlier."""
    ch = add_channel(svc, "Shop A", **SHOP).id
    svc.inventory.upsert("OLD-1", "Counted by hand", 7)
    add_listings(
        svc,
        ch,
        ("GTR-1", "Stratocaster", 3),
        (" gtr-1 ", "Stratocaster (second listing)", 5),  # the same SKU: merged
        ("AMP-2", "Tube amp", 0),
        ("old-1", "A new title from Reverb", 2),  # equals the local SKU: already linked
        (None, "A listing without a SKU", 4),
        ("   ", "A blank SKU", 1),
    )
    return ch


# -- the rules ------------------------------------------------------------------------------


def test_one_local_sku_and_mapping_per_distinct_unlinked_channel_sku(svc, shop) -> None:
    plan = svc.onboarding.create(shop)
    assert [(p.sku, p.title, p.on_hand, p.listing_ids) for p in plan.skus] == [
        ("AMP-2", "Tube amp", 0, ["103"]),
        ("GTR-1", "Stratocaster", 5, ["101", "102"]),  # first title, the larger inventory
    ]
    assert (plan.created, plan.mapped, plan.listings_linked, plan.already_linked) == (2, 2, 3, 1)
    assert items(svc) == {
        "amp-2": ("AMP-2", "Tube amp", 0),
        "gtr-1": ("GTR-1", "Stratocaster", 5),
        "old-1": ("OLD-1", "Counted by hand", 7),
    }
    assert mappings(svc) == [(shop, "AMP-2", "amp-2", 1), (shop, "GTR-1", "gtr-1", 1)]
    # The onboarded listings are linked now; only the two without a SKU stay unlinked.
    report = svc.skus.unlinked(shop)
    assert sorted(x.listing_id for x in report.listings) == ["105", "106"]
    # The new on hand is a count as of now: orders paid before it never move it.
    with session_scope(svc.engine) as s:
        item = s.exec(select(InventoryItem).where(InventoryItem.sku_key == "gtr-1")).one()
        assert item.counted_at == NOW


def test_listings_without_a_sku_are_listed_not_created(svc, shop) -> None:
    plan = svc.onboarding.create(shop)
    assert [(x.listing_id, x.title, x.reason) for x in plan.skipped] == [
        ("105", "A listing without a SKU", "no SKU"),
        ("106", "A blank SKU", "no SKU"),
    ]
    assert plan.without_sku == 2
    assert "2 listings without a SKU left out." in plan.summary()
    assert "" not in items(svc) and len(items(svc)) == 3


def test_an_existing_local_sku_is_never_overwritten(svc, shop) -> None:
    preview = svc.onboarding.preview(shop)
    assert [p.sku for p in preview.skus] == ["AMP-2", "GTR-1"]
    # Between the preview and the create, someone adds GTR-1 by hand.
    svc.inventory.upsert("gtr-1", "Typed in", 9)
    plan = svc.onboarding.create(shop)
    assert [p.sku for p in plan.skus] == ["AMP-2"]
    assert plan.already_linked == 3  # old-1, and both gtr-1 listings now
    assert items(svc)["gtr-1"] == ("gtr-1", "Typed in", 9)
    assert items(svc)["old-1"] == ("OLD-1", "Counted by hand", 7)
    assert mappings(svc) == [(shop, "AMP-2", "amp-2", 1)]


def test_a_channel_sku_mapped_to_a_local_sku_is_left_alone(svc, shop) -> None:
    svc.skus.map(shop, "AMP-2", "OLD-1", kit=2)
    plan = svc.onboarding.create(shop)
    assert [p.sku for p in plan.skus] == ["GTR-1"]
    assert "amp-2" not in items(svc)
    assert (shop, "AMP-2", "old-1", 2) in mappings(svc)


def test_a_second_run_creates_nothing(svc, shop) -> None:
    svc.onboarding.create(shop)
    before = (items(svc), mappings(svc))
    again = svc.onboarding.create(shop)
    assert (again.skus, again.created, again.mapped) == ([], 0, 0)
    assert again.already_linked == 4
    assert again.summary().startswith("Nothing to create on 'Shop A'")
    assert (items(svc), mappings(svc)) == before


def test_an_integration_never_synced_is_told_to_sync_first(svc) -> None:
    ch = add_channel(svc, "Shop A", **SHOP).id
    plan = svc.onboarding.create(ch)
    assert (plan.listings, plan.created) == (0, 0)
    assert plan.summary() == (
        "Nothing to create on 'Shop A': none of its listings has been downloaded yet; "
        "sync it first."
    )


def test_a_preview_changes_nothing(svc, shop) -> None:
    before = (items(svc), mappings(svc))
    plan = svc.onboarding.preview(shop, "zero")
    assert plan.dry_run and (plan.created, plan.mapped) == (0, 0)
    assert [p.sku for p in plan.skus] == ["AMP-2", "GTR-1"]
    assert plan.summary().startswith("Would create 2 local SKUs")
    assert (items(svc), mappings(svc)) == before


@pytest.mark.parametrize(("mode", "gtr"), [("listing", 5), ("zero", 0), (" Zero ", 0)])
def test_starting_on_hand_from_the_listing_or_zero(svc, shop, mode, gtr) -> None:
    svc.onboarding.create(shop, mode)
    assert items(svc)["gtr-1"][2] == gtr
    assert svc.inventory.get("GTR-1").available == gtr
    assert items(svc)["old-1"][2] == 7  # never the listing's 2


def test_other_integrations_are_not_touched(svc, shop) -> None:
    other = add_channel(svc, "Shop B", **SHOP).id
    add_listings(svc, other, ("B-ONLY", "Only on B", 2), ("gtr-1", "Strat on B", 1))
    plan = svc.onboarding.create(shop)
    assert [p.sku for p in plan.skus] == ["AMP-2", "GTR-1"]
    assert "b-only" not in items(svc)
    assert [m for m in mappings(svc) if m[0] == other] == []
    # B's gtr-1 listing resolves to the new local SKU by name, without a mapping of its own.
    assert [x.sku for x in svc.skus.unlinked(other).listings] == ["B-ONLY"]


def test_skus_a_local_sku_cannot_have_are_skipped_with_the_reason(svc) -> None:
    ch = add_channel(svc, "Shop A", **SHOP).id
    add_listings(
        svc,
        ch,
        ("X" * 101, "Too long", 1),
        ("BAD\x1b[31m", "Escape inside", 1),
        ("GONE-1", "Mapped to a SKU that went", 1),
        ("OK-1", "Title\nwith a line break", 2),
    )
    with session_scope(svc.engine) as s:
        s.add(
            SkuMapping(
                channel_id=ch,
                channel_sku="GONE-1",
                channel_sku_key="gone-1",
                sku_key="vanished",
                created_at=T0,
            )
        )
    plan = svc.onboarding.create(ch)
    assert [(p.sku, p.title) for p in plan.skus] == [("OK-1", "Title with a line break")]
    assert [(x.listing_id, x.reason) for x in plan.skipped] == [
        ("101", "SKU longer than 100 characters"),
        ("102", "SKU contains control characters"),
        ("103", "mapped to local SKU 'vanished', which no longer exists"),
    ]
    assert set(items(svc)) == {"ok-1"}
    assert "3 listings skipped for another reason." in plan.summary()


def test_orders_already_downloaded_stay_unlinked(svc, shop) -> None:
    """Mappings apply to orders downloaded after them; linking stored ones is explicit."""
    with session_scope(svc.engine) as s:
        s.add(
            Order(
                channel_id=shop,
                order_number="900",
                status="paid",
                channel_sku="GTR-1",
                first_seen_at=T0,
                created_at=T0,
            )
        )
    svc.onboarding.create(shop)
    with session_scope(svc.engine) as s:
        assert s.exec(select(Order.sku).where(Order.order_number == "900")).one() is None
    assert items(svc)["gtr-1"][2] == 5


def test_all_or_nothing(svc, shop, monkeypatch) -> None:
    """A failure half-way (here: a mapping insert that clashes) leaves nothing behind."""
    with session_scope(svc.engine) as s:
        s.add(
            SkuMapping(
                channel_id=shop,
                channel_sku="CLASH",
                channel_sku_key="clash",
                sku_key="gone",
                created_at=T0,
            )
        )
    real = onboarding.plan_onboarding

    def plan_with_a_clash(s, ch, mode):
        plan = real(s, ch, mode)
        plan.skus.append(onboarding.PlannedSku("CLASH", "clash", 1, ["999"]))
        return plan

    monkeypatch.setattr(onboarding, "plan_onboarding", plan_with_a_clash)
    with pytest.raises(AppError, match="nothing was created"):
        svc.onboarding.create(shop)
    assert set(items(svc)) == {"old-1"}
    assert [m[1] for m in mappings(svc)] == ["CLASH"]


def test_a_plan_gone_stale_is_made_again(svc, shop, monkeypatch) -> None:
    """Another host adds one of the SKUs between the plan and the insert: the insert clashes,
    nothing is half-written, and the next attempt plans from what is there now."""
    real = onboarding.plan_onboarding
    calls: list[int] = []

    def stale_first(s, ch, mode):
        plan = real(s, ch, mode)
        if not calls:
            plan.skus.insert(0, onboarding.PlannedSku("old-1", "stale", 1, ["104"]))
        calls.append(len(plan.skus))
        return plan

    monkeypatch.setattr(onboarding, "plan_onboarding", stale_first)
    plan = svc.onboarding.create(shop)
    assert calls == [3, 2]
    assert [p.sku for p in plan.skus] == ["AMP-2", "GTR-1"] and plan.created == 2
    assert items(svc)["old-1"] == ("OLD-1", "Counted by hand", 7)


def test_an_unknown_integration_or_source_is_one_sentence_and_changes_nothing(svc, shop) -> None:
    before = (items(svc), mappings(svc))
    with pytest.raises(NotFound) as exc:
        svc.onboarding.create("Nope")
    assert exc.value.message == "There is no integration named 'Nope'."
    with pytest.raises(UserError) as exc2:
        svc.onboarding.create(shop, "channel")
    assert exc2.value.message == (
        "The starting on hand must come from 'listing' or 'zero', not 'channel'."
    )
    assert (items(svc), mappings(svc)) == before


# -- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def run(db_path, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_dry_run_then_create_then_nothing(svc, shop, run) -> None:
    code, out, err = run("inventory", "from-listings", "shop a", "--dry-run", "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert set(doc) >= PLAN_KEYS
    assert (doc["dry_run"], doc["created"], doc["on_hand_from"]) == (True, 0, "listing")
    assert (doc["listings"], doc["listings_linked"], doc["already_linked"]) == (6, 3, 1)
    assert [s["sku"] for s in doc["skus"]] == ["AMP-2", "GTR-1"]
    assert doc["skus"][1] == {
        "sku": "GTR-1",
        "channel_sku": "GTR-1",
        "title": "Stratocaster",
        "on_hand": 5,
        "listing_ids": ["101", "102"],
    }
    assert doc["skipped"][0] == {
        "listing_id": "105",
        "channel_sku": None,
        "title": "A listing without a SKU",
        "reason": "no SKU",
    }
    assert set(items(svc)) == {"old-1"}

    code, out, err = run("inventory", "from-listings", "Shop A", "--on-hand-from", "zero")
    assert (code, err) == (0, "")
    assert out.startswith("Created 2 local SKUs, each mapped to its channel SKU, linking 3")
    assert "A listing without a SKU" in out and "no SKU" in out
    assert "reverb-tui skus apply 'Shop A'" in out
    assert items(svc)["gtr-1"] == ("GTR-1", "Stratocaster", 0)

    code, out, _ = run("inventory", "from-listings", "Shop A", "--json")
    doc = json.loads(out)
    assert (code, doc["created"], doc["skus"], doc["already_linked"]) == (0, 0, [], 4)


def test_cli_refusals_are_one_sentence_exit_2(svc, shop, run, capsys) -> None:
    code, out, err = run("inventory", "from-listings", "Nope", "--json")
    assert (code, out) == (2, "")
    assert err == "Error: There is no integration named 'Nope'.\n"
    with pytest.raises(SystemExit) as exit_:
        run("inventory", "from-listings", "Shop A", "--on-hand-from", "max")
    out, err = capsys.readouterr()
    assert (exit_.value.code, out) == (2, "")
    assert err.count("\n") == 1 and "invalid choice: 'max'" in err
    assert set(items(svc)) == {"old-1"}
