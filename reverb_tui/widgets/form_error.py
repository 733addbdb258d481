"""A one-sentence error under a form: hidden while empty, never parsed as markup."""

from __future__ import annotations

from textual.widgets import Static


class FormError(Static):
    DEFAULT_CSS = """
    FormError {
        color: $error;
        text-style: bold;
        height: auto;
        margin: 1 0 0 0;
    }
    """

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__("", id=id, markup=False)
        self.display = False
        self.message = ""

    def show(self, message: str) -> None:
        self.message = message
        self.update(message)
        self.display = bool(message)

    def clear(self) -> None:
        self.show("")
