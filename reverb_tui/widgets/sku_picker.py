"""A searchable SKU drop-down for catalogues with thousands of SKUs.

An ``Input`` with a list of matches under it (a combobox): each change of the text asks the
database for at most ``limit`` matching SKUs, in a worker, after a short pause in typing; up
and down move through the matches, enter (or a click) picks one. The typed text is the value
until a match is picked, so a SKU that is not in the list yet can still be typed in full.

Why not Textual's ``Select`` with type-to-search: it needs every option up front (thousands
of prompts built and kept in the widget, read from the database in one go), and its search
only moves the highlight to a match among the loaded options, with an invisible query that
resets after 0.7 s. Here nothing but one bounded query (SQL ``LIMIT``) runs per search, so a
catalogue of 5,000 or 500,000 SKUs costs the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..db.models import fold
from ..text_safety import safe_text
from ..ui_text import typing_pause
from ..ui_workers import WorkerRouting

DEBOUNCE_SECONDS = 0.15
LIMIT = 50


@dataclass(frozen=True)
class SkuChoice:
    """One match: the SKU and what to show for it."""

    value: str
    detail: str = ""

    def prompt(self) -> Text:
        text = Text(safe_text(self.value), style="bold", no_wrap=True, overflow="ellipsis")
        if self.detail:
            text.append("  " + safe_text(self.detail), style="dim")
        return text


# (search text, limit) -> matches; called in a worker thread, never on the event loop.
Fetch = Callable[[str, int], list[SkuChoice]]


class MatchList(OptionList):
    """The matches. Focusable only under the mouse: a click focuses it (so the picker keeps
    focus within and the list stays shown until the click lands), Tab passes it by."""

    def allow_focus(self) -> bool:
        return self.display and self.is_mouse_over


class SkuPicker(WorkerRouting, Widget):
    """A text field that searches SKUs as you type and offers the matches under it."""

    DEFAULT_CSS = """
    SkuPicker {
        height: auto;
        width: 1fr;
    }
    SkuPicker > OptionList {
        display: none;
        height: auto;
        max-height: 8;
        border: none;
        padding: 0;
        background: $surface;
    }
    SkuPicker:focus-within > OptionList {
        display: block;
    }
    SkuPicker > OptionList:focus {
        border: none;
        background-tint: $foreground 0%;
    }
    SkuPicker > .picker-status {
        display: none;
        height: auto;
        color: $text-muted;
        padding: 0 1;
    }
    SkuPicker:focus-within > .picker-status {
        display: block;
    }
    """

    BINDINGS = [
        Binding("down", "move(1)", "Next match", show=False, id="sku-picker.down"),
        Binding("up", "move(-1)", "Previous match", show=False, id="sku-picker.up"),
    ]

    class Picked(Message):
        """A SKU was picked from the matches, or typed and confirmed with enter."""

        def __init__(self, picker: SkuPicker, value: str) -> None:
            super().__init__()
            self.picker = picker
            self.value = value

        @property
        def control(self) -> SkuPicker:
            return self.picker

    class MatchesLoaded(Message):
        """The matches for ``query`` were read (posted by the search worker)."""

        def __init__(self, query: str, choices: list[SkuChoice]) -> None:
            super().__init__()
            self.query = query
            self.choices = choices

    def __init__(
        self,
        fetch: Fetch,
        *,
        placeholder: str = "Type to search SKUs",
        limit: int = LIMIT,
        id: str,
    ) -> None:
        super().__init__(id=id)
        self.fetch = fetch
        self.placeholder = placeholder
        self.limit = limit
        self.choices: list[SkuChoice] = []
        self._loaded_query: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id=f"{self.id}-input")
        yield MatchList(id=f"{self.id}-options")  # up/down in the field move its highlight
        yield Static("", classes="picker-status", markup=False)

    # -- parts ------------------------------------------------------------------------------

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def value(self) -> str:
        """The SKU in the field (trimmed)."""
        return self.input.value.strip()

    def set_value(self, value: str) -> None:
        """Put ``value`` in the field; the matches follow it."""
        self.input.value = value

    def clear(self) -> None:
        self.set_value("")

    # -- searching --------------------------------------------------------------------------

    def on_descendant_focus(self) -> None:
        if self._loaded_query is None:
            self.search(self.input.value, debounce=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    @work(group="sku-search", exclusive=True, exit_on_error=False, name="sku-search")
    async def search(self, text: str, debounce: bool = True) -> None:
        """Matches for ``text``; a newer keystroke cancels this one while it waits."""
        if debounce:
            await typing_pause(DEBOUNCE_SECONDS)
        choices = await asyncio.to_thread(self.fetch, text.strip(), self.limit)
        self.post_message(self.MatchesLoaded(text, choices))

    def on_sku_picker_matches_loaded(self, message: SkuPicker.MatchesLoaded) -> None:
        message.stop()
        if message.query != self.input.value:
            return  # the field changed since; a newer search is on its way
        self._loaded_query = message.query
        self.choices = message.choices
        options = self.options
        options.set_options(Option(c.prompt()) for c in message.choices)
        typed = fold(message.query) if message.query.strip() else None
        exact = next((i for i, c in enumerate(message.choices) if fold(c.value) == typed), None)
        options.highlighted = exact if exact is not None else (0 if message.choices else None)
        self.query_one(".picker-status", Static).update(self._status(message))

    def _status(self, message: SkuPicker.MatchesLoaded) -> str:
        n = len(message.choices)
        query = message.query.strip()
        if n == 0:
            return f"No SKU matches {query!r}." if query else "There are no SKUs to choose from."
        if n >= self.limit:
            return f"The first {n} matches; type more to narrow them."
        return f"{n} match{'es' if n != 1 else ''}; up/down to choose, enter to pick."

    # -- picking ----------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        options = self.options
        if not options.option_count:
            return
        current = options.highlighted
        index = 0 if current is None else current + step
        options.highlighted = max(0, min(options.option_count - 1, index))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.options.highlighted
        # Pick the highlighted match only when it belongs to what is typed now.
        if index is not None and self._loaded_query == self.input.value and self.choices:
            self._pick(self.choices[index].value)
        else:
            self._pick(self.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.choices):
            self._pick(self.choices[event.option_index].value)

    def _pick(self, value: str) -> None:
        field = self.input
        if field.value != value:
            field.value = value  # searches again: the list narrows to the picked SKU
        field.cursor_position = len(value)
        if self.options.has_focus:
            field.focus()  # picked by a click: typing goes on in the field
        self.post_message(self.Picked(self, value))


__all__ = ["Fetch", "SkuChoice", "SkuPicker"]
