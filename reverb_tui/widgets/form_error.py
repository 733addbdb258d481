"""A one-sentence error under a form: hidden while empty, never parsed as markup."""

from __future__ import annotations

from textual.widgets import Static

from ..text_safety import safe_text


class FormError(Static):
    DEFAULT_CSS = """
    FormError {
        color: $error;
        text-style: bold;
        height: auto;
        margin: 1 0 0 0;
    }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__("", id=id, markup=False)
        self.display = False
        self.message = ""

    def show(self, message: str) -> None:
        # An API error text can quote what a stranger typed: shown safe, line breaks kept.
        message = safe_text(message, newlines=True)
        self.message = message
        self.update(message)
        self.display = bool(message)

    def clear(self) -> None:
        self.show("")
