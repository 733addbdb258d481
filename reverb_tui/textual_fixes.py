"""Work-arounds for known Textual bugs, applied once when the TUI is imported.

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
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    patch_styles_cache()
    patch_data_table()


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
    if current is None or not hasattr(current, "cache_clear"):
        return False
    style = module.Style  # the Style that module builds (Textual's, not Rich's)

    @functools.lru_cache(1024)
    def inner_outer(base_background: Any, background: Any) -> tuple[Any, Any]:
        return (style(background=base_background + background), style(background=base_background))

    def get_inner_outer(self: object, base_background: Any, background: Any) -> tuple[Any, Any]:
        return inner_outer(base_background, background)

    current.cache_clear()  # drop what it holds already
    module.StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign]
    return True
