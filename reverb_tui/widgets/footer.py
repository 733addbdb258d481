"""Textual's Footer, rebuilt only when the keys it shows have changed.

Textual's Footer recomposes every key after each bindings update of its screen: every time a
screen comes back on top and on many focus changes, even when the same keys result. Those
rebuilds were a large share of the time from a key press to the next frame when opening an
integration and going back to the list (benchmarks/tui_bench.py, keypress figures). This
footer remembers what it last composed and skips a rebuild that would show the same thing.

It is compact (more keys to a line), and on a narrow screen (``-narrow``) it leaves the app's
own keys to the command palette, so the screen's keys fit 80 columns.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not exported; Textual is pinned


def shown_bindings(screen: Screen) -> tuple[Any, ...]:
    """What a footer on ``screen`` is built from: the active bindings (shown or not: the
    command palette's is hidden but still drawn), each enabled or not, with its tooltip."""
    return tuple(
        (binding, enabled, tooltip)
        for (_node, binding, enabled, tooltip) in screen.active_bindings.values()
    )


class AppFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)  # more keys fit a line, at 80 columns too
        super().__init__(**kwargs)
        self._composed: tuple[Any, ...] | None = None  # None: keys not composed yet

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._composed = shown_bindings(self.screen)
        # The app's own keys (o Orders, i Inventory...) get a class: a narrow screen hides
        # them (app.tcss), so its own keys fit; the command palette still lists them.
        app_keys = {
            b.key for node, b, _on, _tip in self.screen.active_bindings.values() if node is self.app
        }
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.key in app_keys:
                widget.set_class(not widget.has_class("-command-palette"), "-app-key")
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if (
            self._composed is not None
            and self.is_attached
            and screen is self.screen
            and shown_bindings(screen) == self._composed
        ):
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
