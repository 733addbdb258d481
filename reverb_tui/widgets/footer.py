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
        # A rebuild is queued (Footer.bindings_changed: after the next refresh). It reads the
        # bindings when it runs, so more changes before then need no rebuild of their own: a
        # screen that opens changes its bindings several times (mount, focus, a worker's
        # result) and each once queued a rebuild of every key.
        self._rebuild_queued = False

    def compose(self) -> ComposeResult:
        self._rebuild_queued = False
        if not self._bindings_ready:
            return
        self._composed = shown_bindings(self.screen)
        # The app's own keys (o Orders, i Inventory...) get a class: a narrow screen hides
        # them (app.tcss), so its own keys fit; the command palette still lists them.
        app_keys = {
            b.key for node, b, _on, _tip in self.screen.active_bindings.values() if node is self.app
        }
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # A FooterKey starts compact (True) and is data-bound to the footer's after
                # mounting: starting it with the footer's value saves a restyle of every key on
                # every rebuild. (The command palette's key is not bound: it stays compact.)
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(widget.key in app_keys, "-app-key")
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
