"""``?`` and F1: the keys of the screen in front, with what each does, in a dialog.

The list is read from the screen's active bindings when the dialog opens: the screen's own
keys first, then the focused widget's (a table's j/k/g/G, a text field's editing keys), then
the app's. So it is always the keys that work right now, a user's keymap included. A key whose
action cannot run now (``check_action`` says so) is listed as "not now"; one that is hidden
(``check_action`` returned False) is not listed. ``?``, F1 or Escape close it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Static

EVERYWHERE = "Everywhere"
ON_SCREEN = "On this screen"


@dataclass(frozen=True)
class KeyRow:
    group: str  # where the key works: the focused table or field, the screen, everywhere
    keys: str  # as the footer shows them, several joined with ", "
    description: str
    enabled: bool  # False: the action cannot run now (shown dimmed)


def _group(node: DOMNode) -> str:
    if isinstance(node, App):
        return EVERYWHERE
    if isinstance(node, Screen):
        return ON_SCREEN
    if isinstance(node, DataTable):
        return "In the table"
    if isinstance(node, Input):
        return "In the text field"
    return "In this part of the screen"


def keys_of(screen: Screen) -> list[KeyRow]:
    """The keys that work on ``screen`` now, with their descriptions, grouped by where they
    work (the focused widget first, the app last); keys of one action are joined."""
    app = screen.app
    merged: dict[tuple[str, str, str], tuple[list[str], bool]] = {}
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        if binding.system or not binding.description:
            continue
        display = app.get_key_display(binding.with_key(key))
        slot = (_group(active.node), binding.action, binding.description)
        keys, enabled = merged.get(slot, ([], False))
        if display not in keys:
            keys.append(display)
        merged[slot] = (keys, enabled or active.enabled)
    rows = [
        KeyRow(group, ", ".join(keys), description, enabled)
        for (group, _action, description), (keys, enabled) in merged.items()
    ]
    # The screen's own keys first (what it is for), then the focused widget's, then the app's.
    rank = {ON_SCREEN: 0, EVERYWHERE: 2}
    return sorted(rows, key=lambda row: rank.get(row.group, 1))  # stable: order kept within


class KeysHelpModal(ModalScreen[None]):
    """The list of ``rows``, read from ``origin`` (the screen it was opened over)."""

    BINDINGS = [Binding("escape,question_mark,f1", "close", "Close", id="keys-help.close")]
    AUTO_FOCUS = "#keys-help-table"

    def __init__(self, rows: list[KeyRow], origin: Screen | None = None) -> None:
        super().__init__()
        self.rows = rows
        title = getattr(origin, "sub_title", "") or getattr(origin, "title", "") or ""
        self.heading = f"Keys: {title}" if title else "Keys"

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-help-dialog"):
            yield Static(Text(self.heading), id="keys-help-title")
            yield DataTable(id="keys-help-table", cursor_type="none", zebra_stripes=True)
            yield Static(
                "Escape, ? or F1 closes this. Keys can be changed in the config file's "
                "[keymap] (reverb-tui paths shows where it is).",
                id="keys-help-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Key", key="key")
        table.add_column("What it does", key="description")
        group = None
        for number, row in enumerate(self.rows):
            if row.group != group:
                group = row.group
                table.add_row(Text(group, style="bold"), Text(""), key=f"group-{number}")
            style = "" if row.enabled else "dim"
            description = row.description + ("" if row.enabled else " (not now)")
            table.add_row(
                Text(row.keys, style=f"bold {style}".strip()),
                Text(description, style=style),
                key=str(number),
            )

    def action_close(self) -> None:
        self.dismiss(None)
