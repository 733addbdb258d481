"""``reverb-tui paths``: where reverb-tui keeps its config, data, cache and logs."""

from __future__ import annotations

import argparse

from .common import json_flag


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "paths",
        parents=[parent],
        help="show where the config file, the database, the cache and the logs are",
        description=(
            "Show the config file, the database in use (and what chose it: --db, "
            "$REVERB_TUI_DB, the config file or the default), the data, cache and log "
            "directories, the daemon's log file, the report of the last unexpected error, "
            "the TUI's remembered settings and where the key that encrypts the tokens "
            "comes from. Nothing is created."
        ),
    )
    json_flag(p)
    p.set_defaults(handler=cmd_paths)


def locations(db: str | None) -> dict[str, str]:
    from ..config import config_path, state_path
    from ..db.crypto import key_location
    from ..logs import LOG_FILE_NAME
    from ..paths import cache_dir, data_dir, db_choice, error_report_path, log_dir

    database, source = db_choice(db)
    return {
        "config": str(config_path()),
        "database": database,
        "database_from": source,
        "data": str(data_dir()),
        "cache": str(cache_dir()),
        "log": str(log_dir()),
        "log_file": str(log_dir() / LOG_FILE_NAME),
        "error_report": str(error_report_path()),
        "tui_state": str(state_path()),
        "key": key_location(),
        "key_from": "env" if key_location().startswith("$") else "file",
    }


def cmd_paths(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .common import print_json

    found = locations(getattr(args, "db", None))
    if args.json:
        print_json(found)
        return 0
    for name, value in found.items():
        if name in ("database_from", "key_from"):
            continue
        note = ""
        if name == "database":
            note = f"  (from {found['database_from']})"
        if name == "key" and found["key_from"] == "env":
            note = "  (the environment)"
        elif "://" not in value and not Path(value).exists():
            note += "  (not there yet)"
        print(f"{name:<12} {value}{note}")
    return 0
