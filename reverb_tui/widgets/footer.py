"""Textual's Footer, rebuilt only when the keys it shows have changed.

Textual's Footer recomposes every key after each bindings update of its screen: every time a
screen comes back on top and on many focus changes, even when the same keys result. Those
rebuilds were a large share of the time from a key press to the next frame when opening an
integration and going back to the list (benchmarks/tui_bench.py, keypress figures). This
footer remembers what it last composed and skips a rebuild that would show the same thing.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


def shown_bindings(screen: Screen) -> tuple[Any, ...]:
    """What a footer on ``screen`` is built from: the active bindings (shown or not: the
    command palette's is hidden but still drawn), each enabled or not, with its tooltip."""
    return tuple(
        (binding, enabled, tooltip)
        for (_node, binding, enabled, tooltip) in screen.active_bindings.values()
    )


class AppFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._composed: tuple[Any, ...] | None = None  # None: keys not composed yet

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._composed = shown_bindings(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if (
            self._composed is not None
            and self.is_attached
            and screen is self.screen
            and shown_bindings(screen) == self._composed
        ):
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
