"""Outside text as Rich ``Text`` for the TUI: control characters replaced, markup never read.

A plain ``str`` handed to a Textual widget (a ``DataTable`` cell, ``Static``, ``Label``,
a notification with ``markup=True``) is parsed as markup: ``[b]``, ``[@click=app.quit]`` or
``[$accent]`` in a buyer name would style the text, add an action or fail to parse.
``textual.markup.escape`` does not cover ``[$variable]``, so data is never put into markup
at all: it becomes a ``Text`` object, whose content is literal. Rich comes with Textual; the
layers below the UI use ``reverb_tui.text_safety`` only.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text

from .text_safety import safe_text


def safe_rich_text(
    value: object,
    *,
    max_len: int | None = None,
    style: StyleType = "",
    newlines: bool = False,
) -> Text:
    """``safe_text(value, max_len=..., newlines=...)`` as a literal Rich ``Text``.

    ``overflow="ellipsis"`` and ``no_wrap`` make a value wider than its column end in ``…``
    on screen too (the column's width is known only when it is drawn).
    """
    return Text(
        safe_text(value, max_len=max_len, newlines=newlines),
        style=style,
        overflow="ellipsis",
        no_wrap=not newlines,
    )


def safe_prompt(value: object) -> str | Text:
    """A Select option's label (Textual reads a plain ``str`` there as markup): ordinary text
    stays a ``str`` made safe, text holding a ``[`` becomes a literal ``Text`` so markup in
    it is shown as typed. Both look the same on screen; the ``str`` keeps the option list
    what it was before for everyone who reads it back."""
    text = safe_text(value)
    if "[" in text:
        return Text(text, no_wrap=True, overflow="ellipsis")
    return text


__all__ = ["safe_prompt", "safe_rich_text"]
