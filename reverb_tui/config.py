"""The config file: TOML in the platform's config directory (``reverb-tui paths`` shows it).

    # ~/.config/reverb-tui/config.toml on Linux
    database = "~/shop/reverb.db"   # a path or a SQLAlchemy URL
    http_timeout = 20               # seconds one request to Reverb may take
    interval = 60                   # seconds between syncs, for integrations added from now on
    theme = "reverb"                # the TUI's theme
    lease_seconds = 60              # sync daemons: a dead host's work is taken over after this

    [keymap]                        # a binding's id = the keys that trigger it
    "orders.search" = "ctrl+f"

Every setting is optional. A command-line flag wins over the environment
(``$REVERB_TUI_DB``, ``$REVERB_TUI_HTTP_TIMEOUT``, ``$REVERB_TUI_LEASE_SECONDS``), which wins over this file, which wins over
the built-in default. ``$REVERB_TUI_CONFIG`` names another file. A file that cannot be used
is refused in one sentence naming the file and the line, and nothing runs.

Only the standard library is imported (``tomllib``), and only when a setting is needed.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UserError

CONFIG_ENV = "REVERB_TUI_CONFIG"
FILE_NAME = "config.toml"
SETTINGS = ("database", "http_timeout", "interval", "theme", "keymap", "lease_seconds")
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 600.0
MIN_INTERVAL, MAX_INTERVAL = 10, 86_400
MIN_LEASE, MAX_LEASE = 2, 3600  # the lease period of sync daemons (sync/lease.py)


class ConfigError(UserError):
    """The config file cannot be used (exit 2)."""


@dataclass(frozen=True)
class Config:
    path: Path
    exists: bool = False
    database: str | None = None
    http_timeout: float | None = None
    interval: int | None = None
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    lease_seconds: int | None = None


def config_path() -> Path:
    """``$REVERB_TUI_CONFIG``, else ``config.toml`` in the user config directory."""
    value = os.environ.get(CONFIG_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    from platformdirs import user_config_path

    return user_config_path("reverb-tui", appauthor=False) / FILE_NAME


def current() -> Config:
    """The config file in effect, read once per process (and per file)."""
    return _load_cached(config_path())


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path) -> Config:
    return load(path)


def load(path: Path) -> Config:
    """Read and check ``path``; a missing file is an empty config. Raises ConfigError."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except IsADirectoryError:
        raise ConfigError(f"The config file {path} is a directory, not a file.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"The config file {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column \d+\)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message).rstrip(".")
        line = f", line {where.group(1)}" if where else ""
        raise ConfigError(
            f"The config file {path}{line} is not valid TOML: {reason[:1].lower()}{reason[1:]}."
        ) from None
    return _check(path, text, data)


def _check(path: Path, text: str, data: dict[str, Any]) -> Config:
    def bad(key: str, problem: str, section: str | None = None) -> ConfigError:
        line = _line_of(text, key, section)
        at = f", line {line}" if line else ""
        return ConfigError(f"The config file {path}{at}: {problem}.")

    for key in data:
        if key not in SETTINGS:
            raise bad(key, f"unknown setting {key!r} (known: {', '.join(SETTINGS)})")
    database = data.get("database")
    if database is not None and (not isinstance(database, str) or not database.strip()):
        raise bad("database", "database must be a path or a database URL, in quotes")
    timeout = data.get("http_timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
    ):
        raise bad("http_timeout", "http_timeout must be a number of seconds from 0.1 to 600")
    interval = data.get("interval")
    if interval is not None and (
        isinstance(interval, bool)
        or not isinstance(interval, int)
        or not MIN_INTERVAL <= interval <= MAX_INTERVAL
    ):
        raise bad("interval", "interval must be a whole number of seconds from 10 to 86400")
    lease = data.get("lease_seconds")
    if lease is not None and (
        isinstance(lease, bool) or not isinstance(lease, int) or not MIN_LEASE <= lease <= MAX_LEASE
    ):
        raise bad(
            "lease_seconds",
            f"lease_seconds must be a whole number of seconds from {MIN_LEASE} to {MAX_LEASE}",
        )
    theme = data.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise bad("theme", "theme must be a theme's name, in quotes")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise bad("keymap", 'keymap must be a table: [keymap] then binding-id = "keys"')
    for binding, keys in keymap.items():
        if not isinstance(keys, str) or not keys.strip():
            raise bad(
                binding,
                f'the keys for {binding!r} must be text such as "ctrl+f" or "f2,ctrl+f"',
                "keymap",
            )
    return Config(
        path=path,
        exists=True,
        database=database.strip() if database else None,
        http_timeout=float(timeout) if timeout is not None else None,
        interval=interval,
        theme=theme.strip() if theme else None,
        keymap={str(k): v.strip() for k, v in keymap.items()},
        lease_seconds=lease,
    )


def _line_of(text: str, key: str, section: str | None = None) -> int | None:
    """The line (1-based) where ``key`` is set: at the top level, or inside ``[section]``; a
    top-level key that is a table is found at its ``[key]`` header."""
    assignment = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""")
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    table: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            table = match.group(1).strip("\"'")
            if section is None and table == key:
                return number
        elif table == section and assignment.match(line):
            return number
    return None


# -- the TUI's side: theme and keymap ----------------------------------------------------------

THEME_ENV = "REVERB_TUI_THEME"
DEFAULT_THEME = "reverb"
STATE_FILE_NAME = "tui-state.json"


@dataclass(frozen=True)
class TuiSettings:
    """What the TUI starts with. ``theme_from``: ``--theme``, ``$REVERB_TUI_THEME``,
    ``palette`` (remembered), ``config`` or ``default``. ``state_file``: where a theme picked
    in the command palette is remembered (None: it is not)."""

    theme: str = DEFAULT_THEME
    theme_from: str = "default"
    keymap: dict[str, str] = field(default_factory=dict)
    config_theme: str | None = None
    state_file: Path | None = None


def state_path() -> Path:
    """The TUI's small state file (the remembered theme), in the user state directory
    (``~/.local/state/reverb-tui/`` on Linux). Never the config file: that one is the user's,
    comments and all, and reverb-tui only reads it."""
    from platformdirs import user_state_path

    return user_state_path("reverb-tui", appauthor=False) / STATE_FILE_NAME


def read_state(path: Path) -> dict[str, Any]:
    """The state file's contents; a missing, unreadable or damaged file is an empty state (it
    holds only conveniences, so it is never worth an error)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember_theme(path: Path, theme: str, config_theme: str | None) -> None:
    """Write the theme picked in the palette, with the config file's theme at that moment: if
    the user later edits ``theme`` in the config file, the file wins again. Written to a
    temporary file and renamed, so a crash never leaves half a file."""
    import json

    state = read_state(path)
    state.update(theme=theme, config_theme=config_theme)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def tui_settings(theme_flag: str | None = None, config: Config | None = None) -> TuiSettings:
    """The theme and keymap for the TUI. The theme: ``--theme``, else ``$REVERB_TUI_THEME``,
    else the one last picked in the command palette (unless the config file's ``theme`` was
    changed since), else the config file's, else "reverb". The keymap: the config file's."""
    config = config if config is not None else current()
    state_file = state_path()
    theme, source = DEFAULT_THEME, "default"
    remembered = read_state(state_file)
    env_theme = os.environ.get(THEME_ENV, "").strip()
    if theme_flag and theme_flag.strip():
        theme, source = theme_flag.strip(), "--theme"
    elif env_theme:
        theme, source = env_theme, f"${THEME_ENV}"
    elif isinstance(remembered.get("theme"), str) and remembered.get("config_theme") == (
        config.theme
    ):
        theme, source = remembered["theme"], "palette"
    elif config.theme:
        theme, source = config.theme, "config"
    return TuiSettings(
        theme=theme,
        theme_from=source,
        keymap=dict(config.keymap),
        config_theme=config.theme,
        state_file=state_file,
    )
