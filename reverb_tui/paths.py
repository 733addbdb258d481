"""platformdirs locations. Nothing is created at import time."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "reverb-tui"
DB_ENV = "REVERB_TUI_DB"
LOG_DIR_ENV = "REVERB_TUI_LOG_DIR"
ERROR_REPORT_NAME = "last-error.txt"


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def error_report_path() -> Path:
    """``last-error.txt`` in the cache directory: the redacted traceback of the last
    unexpected error (CLI or TUI), written 0600 when one happens."""
    return cache_dir() / ERROR_REPORT_NAME


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
    """The database the user asked for: ``--db``, else ``$REVERB_TUI_DB``, else the config
    file's ``database``, else the default."""
    return db_choice(cli_value)[0]


def db_choice(cli_value: str | None) -> tuple[str, str]:
    """The database to use and where that choice came from: ``--db``, ``$REVERB_TUI_DB``,
    ``config`` (the config file) or ``default``."""
    if cli_value:
        return cli_value, "--db"
    value = os.environ.get(DB_ENV)
    if value:
        return value, f"${DB_ENV}"
    from .config import current

    configured = current().database
    if configured:
        return (configured if "://" in configured else str(Path(configured).expanduser())), "config"
    return str(default_db_path()), "default"
