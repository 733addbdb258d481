"""The quantity rules: what a linked listing should show and which rule decided it.

From ``a = floor(available / kit)``, in this order: a percentage, minus the buffer, at least
the minimum while ``a >= 1``, capped by the maximum, 0 when ``a <= end_when``, never below 0,
one-of-a-kind listings 0 or 1. The defaults leave ``a`` unchanged."""

from __future__ import annotations

import pytest

from reverb_tui.domain import QuantityRule
from reverb_tui.sync.stock import QuantityRules, quantity_for, target_quantity

A = QuantityRule.AVAILABLE
P = QuantityRule.PERCENT
B = QuantityRule.BUFFER
MIN = QuantityRule.MINIMUM
MAX = QuantityRule.MAXIMUM
END = QuantityRule.END_WHEN
ONE = QuantityRule.ONE_OF_A_KIND


@pytest.mark.parametrize(
    ("available", "kit", "rules", "ooak", "want"),
    [
        # defaults: floor(available / kit), nothing else
        (10, 1, {}, False, (10, A)),
        (10, 3, {}, False, (3, A)),
        (-4, 1, {}, False, (0, A)),  # oversold: never below 0
        # percentage, rounded down
        (7, 1, {"percent": 50}, False, (3, P)),  # 3.5 -> 3
        (9, 1, {"percent": 33}, False, (2, P)),  # 2.97 -> 2
        (1, 1, {"percent": 50}, False, (0, P)),  # 0.5 -> 0
        (20, 3, {"percent": 50}, False, (3, P)),  # of floor(20 / 3) = 6, not of 20
        (10, 1, {"percent": 100}, False, (10, A)),  # 100 % changes nothing
        # buffer, after the percentage
        (10, 1, {"percent": 50, "buffer": 2}, False, (3, B)),  # 5 - 2, not 10 - 2 = 8 halved
        (3, 1, {"buffer": 5}, False, (0, B)),
        # minimum, only while in stock
        (3, 1, {"buffer": 5, "minimum": 1}, False, (1, MIN)),  # beats the buffer
        (1, 1, {"percent": 50, "minimum": 1}, False, (1, MIN)),  # beats the rounding
        (10, 1, {"minimum": 2}, False, (10, A)),  # already above it
        (0, 1, {"minimum": 2}, False, (0, A)),  # no stock: no minimum
        (-3, 1, {"minimum": 2}, False, (0, A)),
        (2, 3, {"minimum": 1}, False, (0, A)),  # less than one kit is no stock
        # maximum, after the minimum
        (10, 1, {"maximum": 3}, False, (3, MAX)),
        (5, 1, {"maximum": 0}, False, (0, MAX)),
        (10, 1, {"percent": 10, "minimum": 2, "maximum": 3}, False, (2, MIN)),
        (10, 1, {"buffer": 1, "maximum": 5}, False, (5, MAX)),  # 9 capped
        # end when available <= N: of a, not of the value after the other rules
        (2, 1, {"end_when": 2}, False, (0, END)),
        (3, 1, {"end_when": 2}, False, (3, A)),
        (4, 1, {"percent": 50, "end_when": 2}, False, (2, P)),  # a = 4 > 2
        (9, 3, {"end_when": 3}, False, (0, END)),  # a = 3
        (1, 1, {"percent": 50, "minimum": 1, "end_when": 1}, False, (0, END)),  # beats the min
        (5, 1, {"maximum": 3, "end_when": 5}, False, (0, END)),  # beats the max
        (2, 1, {"buffer": 2, "end_when": 2}, False, (0, B)),  # already 0: the buffer did it
        # one of a kind: 0 or 1 of the result
        (5, 1, {}, True, (1, ONE)),
        (1, 1, {}, True, (1, A)),
        (5, 1, {"percent": 10}, True, (0, P)),
        (5, 1, {"buffer": 5, "minimum": 3}, True, (1, ONE)),
        (2, 1, {"end_when": 2}, True, (0, END)),
    ],
)
def test_each_rule_and_their_order(available, kit, rules, ooak, want) -> None:
    assert quantity_for(available, kit, QuantityRules(**rules), ooak) == want


def test_the_defaults_leave_the_value_unchanged() -> None:
    off = QuantityRules()
    for available in range(-5, 40):
        for kit in (1, 2, 3, 7):
            assert quantity_for(available, kit, off) == (max(0, available // kit), A)


def test_buffer_and_maximum_alone_give_what_they_always_gave() -> None:
    for available in range(-3, 15):
        for buffer in (0, 1, 4):
            for maximum in (None, 0, 2, 9):
                old = min(max(0, available - buffer), maximum if maximum is not None else 99)
                assert target_quantity(available, 1, buffer, maximum, False) == old


def test_rules_read_from_a_stored_integration() -> None:
    class Row:
        buffer, max_quantity, percent, min_quantity, end_when = 1, 8, 50, 2, 0

    assert QuantityRules.of(Row()) == QuantityRules(1, 8, 50, 2, 0)


def test_a_zero_kit_is_refused() -> None:
    with pytest.raises(ValueError):
        quantity_for(5, 0, QuantityRules())
