"""reverb_tui.textual_fixes: each patch applied only where the installed Textual needs it,
idempotent, and a skipped patch logged once."""

from __future__ import annotations

import logging

import pytest

from reverb_tui import textual_fixes
from reverb_tui.textual_fixes import APPLIED, NOT_NEEDED, SHAPE_CHANGED, Fix


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8.2.8", (8, 2, 8)), ("8.3.0rc1", (8, 3, 0)), ("9.0", (9, 0)), ("10.1.2.post1", (10, 1, 2))],
)
def test_parse_version(text: str, expected: tuple[int, ...]) -> None:
    assert textual_fixes.parse_version(text) == expected


def test_needed_follows_the_affected_range() -> None:
    fix = Fix("x", "upstream", affected_from=(8, 2, 8), fixed_in=(8, 4), patch=lambda: True)
    assert not textual_fixes.needed(fix, (8, 2, 7))
    assert textual_fixes.needed(fix, (8, 2, 8))
    assert textual_fixes.needed(fix, (8, 3, 9))
    assert not textual_fixes.needed(fix, (8, 4, 0))
    open_ended = Fix("y", "upstream", affected_from=(8, 2, 8), fixed_in=None, patch=lambda: True)
    assert textual_fixes.needed(open_ended, (99,))


def test_the_installed_textual_gets_both_patches_once() -> None:
    from textual import _styles_cache
    from textual.widgets import DataTable

    assert textual_fixes.apply() == {"styles-cache": APPLIED, "data-table-caches": APPLIED}
    update_cell = DataTable.update_cell
    inner_outer = _styles_cache.StylesCache.get_inner_outer
    # Again (the app may start more than once in a process): nothing is wrapped twice.
    assert textual_fixes.apply() == {"styles-cache": APPLIED, "data-table-caches": APPLIED}
    assert DataTable.update_cell is update_cell
    assert not hasattr(DataTable.update_cell.__wrapped__, "__wrapped__")
    assert _styles_cache.StylesCache.get_inner_outer is inner_outer
    assert not hasattr(inner_outer, "cache_clear")  # the leaking lru_cache wrapper is gone


def test_a_skipped_patch_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def patch_fixed() -> bool:
        calls.append("fixed")
        return True

    def patch_changed() -> bool:
        calls.append("changed")
        return False

    fixes = (
        Fix("fixed-upstream", "u#1", affected_from=(8,), fixed_in=(8, 3), patch=patch_fixed),
        Fix("code-changed", "u#2", affected_from=(8,), fixed_in=None, patch=patch_changed),
    )
    monkeypatch.setattr(textual_fixes, "FIXES", fixes)
    monkeypatch.setattr(textual_fixes, "_logged", set())
    caplog.set_level(logging.INFO, logger="reverb_tui.textual_fixes")

    for _ in range(3):
        outcome = textual_fixes.apply(version=(8, 3, 1))
        assert outcome == {"fixed-upstream": NOT_NEEDED, "code-changed": SHAPE_CHANGED}

    assert calls == ["changed"] * 3  # a version that does not need a patch never runs it
    records = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert records == [
        (logging.INFO, "Textual fix fixed-upstream not needed on Textual 8.3.1."),
        (
            logging.WARNING,
            "Textual fix code-changed not applied: Textual 8.3.1 no longer has the code it "
            "replaces (check u#2 and update reverb_tui/textual_fixes.py).",
        ),
    ]
