"""A quick, read-only look at an SQLite database with the standard library alone.

The TUI's first frame shows the integrations before SQLAlchemy, SQLModel and Alembic are
imported (together about 0.35 s of start-up): ``read_channels`` reads the ``channel`` table
with ``sqlite3`` when the file is already at the schema's head revision, and returns ``None``
in every other case (no file, another revision, anything unexpected), which means "open the
database the normal way". The values are converted as the ORM converts them (booleans,
aware UTC datetimes, the token reduced to its hint), so the rows equal
``ChannelView.of(ch)`` for each ``ChannelService.list()`` row (tests/unit/test_quick_read.py).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import StorageError, mask_token

# The newest migration revision. A database already at head opens without loading Alembic's
# script machinery, and only such a database is read here. tests/unit/test_migrations.py
# checks it against the scripts: bump it with every new migration.
HEAD = "0007"

# Column -> how the ORM would hand it over. The order and the names (token -> token_hint)
# are those of reverb_tui.views.channel.ChannelView's fields.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "int"),
    ("name", "str"),
    ("type", "str"),
    ("enabled", "bool"),
    ("stock_updates", "bool"),
    ("currency", "str"),
    ("site", "str"),
    ("api_url", "str"),
    ("seller_id", "str?"),
    ("shop_name", "str?"),
    ("shop_currency", "str?"),
    ("token", "hint"),
    ("orders_since", "time"),
    ("buffer", "int"),
    ("max_quantity", "int?"),
    ("percent", "int?"),
    ("min_quantity", "int?"),
    ("end_when", "int?"),
    ("interval_seconds", "int"),
    ("orders_interval_seconds", "int"),
    ("rate_limit", "float"),
    ("read_rate", "int"),
    ("write_rate", "int"),
    ("read_budget", "int?"),
    ("write_budget", "int?"),
    ("budget_lowered_at", "time?"),
    ("last_order_sync_at", "time?"),
    ("last_stock_push_at", "time?"),
    ("needs_reauth", "bool"),
    ("last_error", "str?"),
    ("error_count", "int"),
    ("created_at", "time"),
)
QUERY = (
    f"SELECT {', '.join(name for name, _ in _COLUMNS)} FROM channel "
    "WHERE removed_at IS NULL ORDER BY id"
)


def _utc(value: Any) -> datetime:
    """What ``UTCDateTime`` returns for SQLite's stored text: naive UTC made aware."""
    if not isinstance(value, str):
        raise ValueError(f"not a stored timestamp: {value!r}")
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _convert(kind: str, value: Any) -> Any:
    if kind.endswith("?"):
        if value is None:
            return None
        kind = kind[:-1]
    elif value is None:
        raise ValueError("NULL in a NOT NULL column")
    if kind == "int":
        if not isinstance(value, int):
            raise ValueError(f"not an integer: {value!r}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"not text: {value!r}")
        return value
    if kind == "bool":
        return bool(value)
    if kind == "float":
        return float(value)
    if kind == "hint":  # the token is encrypted at rest (db/crypto.py)
        from .crypto import decrypt

        return mask_token(decrypt(value))
    return _utc(value)


def read_channels(path: Path) -> list[dict[str, Any]] | None:
    """The integrations that are not removed, by id, as ``ChannelView`` keyword arguments;
    ``None`` unless ``path`` is an SQLite file of ours at the head revision.

    Read-only (``mode=ro``): it never creates the file, migrates or writes anything."""
    try:
        if not path.is_file():
            return None
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2.0)
    except (OSError, ValueError, sqlite3.Error):
        return None
    try:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if version != [(HEAD,)]:
            return None
        rows = conn.execute(QUERY).fetchall()
        names = [name if name != "token" else "token_hint" for name, _ in _COLUMNS]
        kinds = [kind for _, kind in _COLUMNS]
        return [dict(zip(names, map(_convert, kinds, row), strict=True)) for row in rows]
    except (sqlite3.Error, ValueError, TypeError, StorageError):
        return None  # not ours (or no key to read its tokens), not SQLite, or not what this version wrote: the normal path
    finally:
        conn.close()
