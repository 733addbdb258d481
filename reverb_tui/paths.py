"""platformdirs locations. Nothing is created at import time."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "reverb-tui"
DB_ENV = "REVERB_TUI_DB"
LOG_DIR_ENV = "REVERB_TUI_LOG_DIR"


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    """Where the sync daemon's log file goes: ``$REVERB_TUI_LOG_DIR``, else the platform's
    user log directory (``~/.local/state/reverb-tui/log`` on Linux)."""
    value = os.environ.get(LOG_DIR_ENV)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_log_path

    return user_log_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    return data_dir() / "reverb.db"


def db_target(cli_value: str | None) -> str:
    """The database the user asked for: ``--db``, else ``$REVERB_TUI_DB``, else the default."""
    value = cli_value or os.environ.get(DB_ENV)
    return value if value else str(default_db_path())
