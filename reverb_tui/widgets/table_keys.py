"""``TableKeys``: the keys every table of the app answers, as terminal users expect them.

``j``/``k`` move the cursor down/up, ``g``/``G`` go to the first/last row, and ``/`` starts
the screen's search (its ``search`` action) or puts the focus on its filter (its
``focus_filter`` action); on a screen with neither, ``/`` is hidden from the footer and the
key help, and where the screen binds ``/`` itself its own binding is the one that shows. Each binding has an id (``table.down`` …) that a keymap can rebind for every table
at once. ``KeyedTable`` and ``OrdersTable`` derive from it.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable

# The screen actions ``/`` runs, the first the screen has.
FIND_ACTIONS = ("search", "focus_filter")
FIND_ID = "table.search"


class TableKeys(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Next row", show=False, id="table.down"),
        Binding("k", "cursor_up", "Previous row", show=False, id="table.up"),
        Binding("g", "first_row", "First row", show=False, id="table.first"),
        Binding("G", "last_row", "Last row", show=False, id="table.last"),
        Binding("slash", "find", "Search", show=False, id=FIND_ID),
    ]

    def action_first_row(self) -> None:
        self.action_scroll_top()

    def action_last_row(self) -> None:
        self.action_scroll_bottom()

    def _find_action(self) -> str | None:
        if not self.is_attached:
            return None
        screen = self.screen
        for name in FIND_ACTIONS:
            if callable(getattr(screen, f"action_{name}", None)):
                return name
        return None

    async def action_find(self) -> None:
        name = self._find_action()
        if name is not None:
            await self.screen.run_action(name)

    def _screen_binds_find_key(self) -> bool:
        """The screen binds this binding's key itself (Orders and Inventory bind ``/`` to
        their search): its binding then runs and shows in the footer, not this one. Read from
        the bindings with the user's keymap applied, as Textual applies it to the chain
        (``Screen._binding_chain``): Textual has no public view of one node's keys."""
        keymap = self.app._keymap
        own = keymap.get(FIND_ID, "slash").split(",")
        screen_bindings = self.screen._bindings.copy()
        if keymap:
            screen_bindings.apply_keymap(keymap)
        return any(key in screen_bindings.key_to_bindings for key in own)

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        if action == "find":
            # Hidden where there is nothing to find, and where the screen's own key does it.
            return self._find_action() is not None and not self._screen_binds_find_key()
        return True
