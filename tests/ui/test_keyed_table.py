"""KeyedTable (widgets/keyed_table.py): rows refreshed by key, in one batch, never rebuilt."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from reverb_tui.widgets.keyed_table import KeyedTable


class Letters(KeyedTable):
    COLUMNS = (("letter", "Letter"), ("count", "Count"))
    CLICKABLE = frozenset({"count"})


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.clicked: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Letters(id="letters")
            yield Static("Nothing yet.", id="none", classes="empty-state")

    @on(KeyedTable.CellClicked, "#letters")
    def _clicked(self, event: KeyedTable.CellClicked) -> None:
        self.clicked.append((event.key, event.column))


def keys(table: KeyedTable) -> list[str | None]:
    return [row.key.value for row in table.ordered_rows]


async def test_sync_updates_by_key_reorders_without_rebuilding_and_keeps_the_cursor() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Letters)
        table.sync({"a": ("a", "1"), "b": ("b", "2"), "c": ("c", "3")})
        await pilot.pause()
        assert keys(table) == ["a", "b", "c"]
        table.move_cursor(row=1)
        b_key = next(k for k in table.rows if k.value == "b")

        # "z" arrives first, "a" is gone, "b" changes, and the order is new.
        table.sync({"z": ("z", "9"), "c": ("c", "3"), "b": ("b", "5")})
        await pilot.pause()
        assert keys(table) == ["z", "c", "b"]
        assert table.get_row("b") == ["b", "5"]
        assert next(k for k in table.rows if k.value == "b") is b_key  # the same row
        assert table.highlighted_key == "b"  # the cursor followed its row


async def test_rows_that_share_every_cell_still_end_in_order() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Letters)
        same = ("x", "1")
        table.sync({"p": same, "q": same})
        table.sync({"q": same, "p": same})
        await pilot.pause()
        assert keys(table) == ["q", "p"]


async def test_empty_state_is_a_class_on_the_parent_and_css_shows_the_placeholder() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Letters)
        box, note = app.query_one("#box"), app.query_one("#none")
        await pilot.pause()
        assert table.display and not note.display  # before the first read: no placeholder
        table.sync({})
        await pilot.pause()
        assert box.has_class("-empty") and table.empty
        assert not table.display and note.display
        table.sync({"a": ("a", "1")})
        await pilot.pause()
        assert not box.has_class("-empty")
        assert table.display and not note.display


async def test_a_click_on_a_clickable_column_posts_cell_clicked_only() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(Letters)
        table.sync({"a": ("a", "1"), "b": ("b", "2")})
        await pilot.pause()
        letter_x = 1
        count_x = table.columns[next(iter(table.columns))].get_render_width(table) + 1
        await pilot.click(Letters, offset=(count_x, 2))  # row "b", the count column
        await pilot.pause()
        assert app.clicked == [("b", "count")]
        assert table.highlighted_key == "b"
        await pilot.click(Letters, offset=(letter_x, 1))  # the letter column: not posted
        await pilot.pause()
        assert app.clicked == [("b", "count")]
