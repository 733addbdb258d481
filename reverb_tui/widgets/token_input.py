"""A masked token field with a "Show" toggle.

The token stays masked unless the person asks to see what they typed; ``hide()`` masks it
again (the screens call it when a form is submitted or reset). A stored token is never put in
this field: forms that edit an integration start it empty ("empty keeps the stored token").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input


class TokenInput(Horizontal):
    """Child ids derive from the widget's id: ``<id>-input`` and ``<id>-reveal``."""

    DEFAULT_CSS = """
    TokenInput { height: auto; }
    TokenInput > Input { width: 1fr; }
    TokenInput > Checkbox { width: auto; }
    """

    def __init__(self, *, id: str, placeholder: str = "") -> None:  # noqa: A002
        super().__init__(id=id)
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Input(password=True, placeholder=self._placeholder, id=f"{self.id}-input")
        yield Checkbox("Show", value=False, id=f"{self.id}-reveal")

    @property
    def input(self) -> Input:
        return self.query_one(f"#{self.id}-input", Input)

    @property
    def reveal(self) -> Checkbox:
        return self.query_one(f"#{self.id}-reveal", Checkbox)

    @property
    def value(self) -> str:
        return self.input.value

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox is self.reveal:
            event.stop()
            self.input.password = not event.value

    def hide(self) -> None:
        """Mask the field again."""
        self.reveal.value = False
        self.input.password = True

    def clear(self) -> None:
        self.input.value = ""
        self.hide()
