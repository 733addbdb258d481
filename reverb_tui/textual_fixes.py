"""Work-arounds for known Textual bugs, applied when the TUI starts (``apply()``).

``StylesCache.get_inner_outer`` (textual/_styles_cache.py) is an instance method under
``functools.lru_cache(1024)``, so the cache keeps the last 1,024 ``StylesCache`` objects
alive, each with every rendered line of a widget long since removed (Strips, each with seven
small caches of its own). Opening and closing an integration 30 times left some 80,000 such
objects behind; every full garbage collection then walked them, stalling the event loop for
100-250 ms during a sync (benchmarks/tui_bench.py, keypress figures). Reported upstream as
Textualize/textual#6665. The replacement caches on the two colours only, which is all the
method reads.

``DataTable`` caches rendered cells, rows and lines under keys that include a counter bumped
by every ``update_cell``, ``add_row`` and ``remove_row``; entries under an older count can
never be used again but stay until the least-recently-used limit (10,000 cells) pushes them
out. The integrations list updates a cell on every sync progress step, so during a sync those
caches filled with some 90,000 dead objects, again walked by every full collection. After
each of those calls the dead entries are dropped (what ``DataTable.clear`` does too).

Each patch is applied only where the installed Textual needs it: its version lies in the
patch's affected range (``Fix.fixed_in`` is the first release known to carry the upstream
fix; None while there is none) and the code it replaces still has the shape it expects. A
patch that is not applied is logged once, at INFO when the version does not need it and at
WARNING when the version should need it but the code changed. ``apply()`` may be called any
number of times: a patched class is never patched twice.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("reverb_tui.textual_fixes")

Version = tuple[int, ...]


@dataclass(frozen=True)
class Fix:
    name: str
    upstream: str  # where the bug is tracked
    affected_from: Version  # the first Textual this patch was checked against
    fixed_in: Version | None  # the first Textual without the bug; None: not fixed yet
    patch: Callable[[], bool]  # True when patched (or patched already), False: shape changed


APPLIED = "applied"
NOT_NEEDED = "not needed"
SHAPE_CHANGED = "skipped: Textual's code changed"

_logged: set[str] = set()


def textual_version() -> Version:
    """The installed Textual's version as numbers (``8.2.8`` -> ``(8, 2, 8)``); a
    pre-release or local suffix is ignored (``8.3.0rc1`` -> ``(8, 3, 0)``)."""
    from importlib.metadata import version

    return parse_version(version("textual"))


def parse_version(text: str) -> Version:
    numbers: list[int] = []
    for part in text.split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(numbers)


def needed(fix: Fix, version: Version) -> bool:
    return version >= fix.affected_from and (fix.fixed_in is None or version < fix.fixed_in)


def apply(version: Version | None = None) -> dict[str, str]:
    """Apply every fix the installed Textual needs; returns each fix's outcome by name.
    Idempotent; call it when the app starts (``version`` is for tests)."""
    installed = textual_version() if version is None else version
    shown = ".".join(map(str, installed))
    outcome: dict[str, str] = {}
    for fix in FIXES:
        if not needed(fix, installed):
            outcome[fix.name] = NOT_NEEDED
            _log_once(logging.INFO, fix, f"not needed on Textual {shown}")
        elif fix.patch():
            outcome[fix.name] = APPLIED
        else:
            outcome[fix.name] = SHAPE_CHANGED
            _log_once(
                logging.WARNING,
                fix,
                f"not applied: Textual {shown} no longer has the code it replaces "
                f"(check {fix.upstream} and update reverb_tui/textual_fixes.py)",
            )
    return outcome


def _log_once(level: int, fix: Fix, text: str) -> None:
    if fix.name not in _logged:
        _logged.add(fix.name)
        log.log(level, "Textual fix %s %s.", fix.name, text)


# The DataTable caches whose keys carry its update count (textual/widgets/_data_table.py).
DATA_TABLE_COUNTED_CACHES = (
    "_row_render_cache",
    "_cell_render_cache",
    "_row_renderable_cache",
    "_line_cache",
    "_ordered_row_cache",
)


def patch_data_table() -> bool:
    """Drop a DataTable's dead render-cache entries after each call that bumps its update
    count; True when patched (a DataTable without those caches is left alone)."""
    from textual.widgets import DataTable

    if getattr(DataTable, "_reverb_tui_patched", False):
        return True
    if "_update_count" not in DataTable.__init__.__code__.co_names:
        return False

    def wrap(name: str) -> None:
        original = getattr(DataTable, name)

        @functools.wraps(original)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            for cache_name in DATA_TABLE_COUNTED_CACHES:
                cache = getattr(self, cache_name, None)
                if cache is not None:
                    cache.clear()
            return result

        setattr(DataTable, name, method)

    for name in ("update_cell", "add_row", "remove_row"):
        wrap(name)
    DataTable._reverb_tui_patched = True  # type: ignore[attr-defined]
    return True


def patch_styles_cache() -> bool:
    """Patch ``StylesCache.get_inner_outer`` if it is still the leaking ``lru_cache`` wrapper;
    True when patched (a Textual that fixed it, or changed it, is left alone)."""
    from textual import _styles_cache as module

    current = module.StylesCache.__dict__.get("get_inner_outer")
    if getattr(current, "_reverb_tui_patched", False):
        return True
    if current is None or not hasattr(current, "cache_clear"):
        return False
    style = module.Style  # the Style that module builds (Textual's, not Rich's)

    @functools.lru_cache(1024)
    def inner_outer(base_background: Any, background: Any) -> tuple[Any, Any]:
        return (style(background=base_background + background), style(background=base_background))

    def get_inner_outer(self: object, base_background: Any, background: Any) -> tuple[Any, Any]:
        return inner_outer(base_background, background)

    get_inner_outer._reverb_tui_patched = True  # type: ignore[attr-defined]
    current.cache_clear()  # drop what it holds already
    module.StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign]
    return True


FIXES = (
    Fix(
        name="styles-cache",
        upstream="Textualize/textual#6665",
        affected_from=(8, 2, 8),
        fixed_in=None,
        patch=patch_styles_cache,
    ),
    Fix(
        name="data-table-caches",
        upstream="textual/widgets/_data_table.py (caches keyed by _update_count)",
        affected_from=(8, 2, 8),
        fixed_in=None,
        patch=patch_data_table,
    ),
)
