"""Refreshing a DataTable by row key (CONTRIBUTING.md "Lists that grow": never clear)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.widgets import DataTable


def update_rows(
    table: DataTable, cells_by_key: Mapping[str, Sequence[Any]], column_keys: Sequence[str]
) -> None:
    """Remove rows whose key is gone, update only the cells that changed, append new rows.

    The cursor stays on its row; the caller reorders afterwards if order matters.
    """
    for key in [k for k in table.rows if k.value not in cells_by_key]:
        table.remove_row(key)
    for key, cells in cells_by_key.items():
        if key in table.rows:
            current = table.get_row(key)
            for column, new, old in zip(column_keys, cells, current, strict=True):
                if new != old:
                    table.update_cell(key, column, new, update_width=True)
        else:
            table.add_row(*cells, key=key)
