"""PendingEdits: what the mapping sections hold until Save, without Textual."""

from __future__ import annotations

from reverb_tui.views.pending_edits import PendingEdits


def edits() -> PendingEdits[str, str]:
    e: PendingEdits[str, str] = PendingEdits()
    e.load({"shipped": "UPS Ground", "local": "Pickup"})
    return e


def test_a_key_has_one_value_after_save() -> None:
    e = edits()
    assert e.add("shipped", "Royal Mail") == "UPS Ground"  # refused: says what it maps to
    assert e.adds == {} and len(e) == 0
    e.remove("shipped")
    assert e.after_save("shipped") is None
    assert e.add("shipped", "Royal Mail") is None  # removed first: now it can be mapped again
    assert e.after_save("shipped") == "Royal Mail"
    assert e.add("shipped", "DHL") == "Royal Mail"  # one pending value per key too
    assert (e.adds, e.removes, len(e)) == ({"shipped": "Royal Mail"}, {"shipped"}, 2)


def test_keeping_a_removed_item_is_refused_while_an_addition_holds_its_key() -> None:
    e = edits()
    e.remove("shipped")
    e.add("shipped", "Royal Mail")
    assert e.keep("shipped") is False
    assert e.removes == {"shipped"}
    e.drop_add("shipped")
    assert e.keep("shipped") is True
    assert (e.adds, e.removes) == ({}, set())


def test_only_saved_items_can_be_removed() -> None:
    e = edits()
    e.remove("nope")
    e.add("freight", "DHL")
    e.remove("freight")  # pending, not saved: dropping it is drop_add
    assert (e.removes, len(e)) == (set(), 1)


def test_a_reload_drops_removals_of_items_gone_meanwhile() -> None:
    e = edits()
    e.remove("local")
    e.remove("shipped")
    e.load({"shipped": "UPS Ground"})  # "local" was deleted elsewhere
    assert e.removes == {"shipped"}


def test_clear_and_saved_as() -> None:
    e = edits()
    e.remove("local")
    e.add("freight", "DHL")
    assert e.clear() == 2
    assert len(e) == 0 and e.saved == {"shipped": "UPS Ground", "local": "Pickup"}
    e.add("freight", "DHL")
    e.saved_as({"freight": "DHL"})
    assert (e.saved, e.adds, e.removes) == ({"freight": "DHL"}, {}, set())
