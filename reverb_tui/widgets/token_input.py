"""A masked token field with a "Check" toggle.

The token is never shown in full, not even on request (at most its last four
characters; docs/user-guide.md "Security"). The toggle shows what is enough to check a paste instead: the
last four characters and the length, and a warning about spaces or line breaks pasted in.
A stored token is never put in this field: forms that edit an integration start it empty
("empty keeps the stored token").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Static

from ..errors import mask_token


def token_hint(value: str) -> str:
    """A check of a typed token that never shows more than its last four characters."""
    if not value:
        return "Nothing typed yet."
    stripped = value.strip()
    note = ""
    if stripped != value:
        note = " Spaces at the ends will be removed."
    if any(c.isspace() for c in stripped):
        note += " It contains a space or line break: check the paste."
    return f"Ends {mask_token(stripped)}, {len(stripped)} characters.{note}"


class TokenInput(Vertical):
    """Child ids derive from the widget's id: ``<id>-input``, ``<id>-reveal``, ``<id>-hint``."""

    DEFAULT_CSS = """
    TokenInput { height: auto; }
    TokenInput > Horizontal { height: auto; }
    TokenInput Input { width: 1fr; }
    TokenInput Checkbox { width: auto; }
    TokenInput > .token-hint { color: $text-muted; padding: 0 1; height: auto; display: none; }
    TokenInput.-checked > .token-hint { display: block; }
    """

    def __init__(self, *, id: str, placeholder: str = "") -> None:
        super().__init__(id=id)
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Input(password=True, placeholder=self._placeholder, id=f"{self.id}-input")
            yield Checkbox(
                "Check",
                value=False,
                id=f"{self.id}-reveal",
                tooltip="Show the last 4 characters and the length of the token",
            )
        yield Static("", id=f"{self.id}-hint", classes="token-hint", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one(f"#{self.id}-input", Input)

    @property
    def reveal(self) -> Checkbox:
        return self.query_one(f"#{self.id}-reveal", Checkbox)

    @property
    def hint(self) -> Static:
        return self.query_one(f"#{self.id}-hint", Static)

    @property
    def value(self) -> str:
        return self.input.value

    def _show_hint(self) -> None:
        self.hint.update(token_hint(self.input.value))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox is self.reveal:
            event.stop()
            self.set_class(event.value, "-checked")  # shows the hint (DEFAULT_CSS)
            if event.value:
                self._show_hint()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.input and self.reveal.value:
            self._show_hint()

    def hide(self) -> None:
        """Hide the check again."""
        self.reveal.value = False
        self.remove_class("-checked")

    def clear(self) -> None:
        self.input.value = ""
        self.hide()
