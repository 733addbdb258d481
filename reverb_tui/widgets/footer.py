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
from textual.widgets._footer import FooterKey


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
        # A rebuild is queued (Footer.bindings_changed: after the next refresh). It reads the
        # bindings when it runs, so more changes before then need no rebuild of their own: a
        # screen that opens changes its bindings several times (mount, focus, a worker's
        # result) and each once queued a rebuild of every key.
        self._rebuild_queued = False

    def compose(self) -> ComposeResult:
        self._rebuild_queued = False
        if self._bindings_ready:
            self._composed = shown_bindings(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # A FooterKey starts compact (True) and is data-bound to the footer's (False)
                # after mounting: two restyles of every key on every rebuild. Starting it with
                # the footer's value leaves neither. (The command palette's key is not bound:
                # it stays compact.)
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if not (self.is_attached and screen is self.screen):
            super().bindings_changed(screen)
            return
        if self._composed is not None and not screen.is_current:
            return  # a screen on its way out (its focus cleared) or under another: its
            # bindings are compared again when it is back on top (Textual refreshes them)
        if self._composed is not None and shown_bindings(screen) == self._composed:
            return  # the same keys: nothing to rebuild
        if self._rebuild_queued:
            return  # the queued rebuild will show these bindings
        super().bindings_changed(screen)
        self._rebuild_queued = screen.app.app_focus  # Footer queues one only with app focus
