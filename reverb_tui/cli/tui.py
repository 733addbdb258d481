"""``reverb-tui tui``: open the terminal UI (also the default with no command)."""

from __future__ import annotations

import argparse


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "tui",
        parents=[parent],
        help="open the terminal UI (the default)",
        description="Open the terminal UI on the database.",
    )
    theme_flag(p)
    p.set_defaults(handler=run_tui_command)


def theme_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--theme",
        metavar="NAME",
        default=None,
        help="the TUI's theme for this run (wins over $REVERB_TUI_THEME, the theme last "
        "picked in the command palette and the config file)",
    )


def quick_rows(target: str):
    """The integrations for the first frame, read without the database stack, when the
    database is an SQLite file already at the schema's head; None otherwise (a URL, a new
    file, one to migrate), and the database is then opened before the TUI starts, as ever."""
    if "://" in target:
        return None
    from pathlib import Path

    from ..db.quick import read_channels
    from ..views.channel import ChannelView

    try:
        path = Path(target).expanduser().resolve()
    except (OSError, RuntimeError):
        return None
    rows = read_channels(path)
    return None if rows is None else [ChannelView(**row) for row in rows]


def run_tui_command(args: argparse.Namespace) -> int:
    from ..paths import db_target
    from ..services.factory import build_services

    target = db_target(getattr(args, "db", None))
    first_rows = quick_rows(target)
    # With rows read already, the database is opened on a thread after the first frame.
    svc = build_services(target, lazy=first_rows is not None)
    try:
        from ..app import ReverbApp
        from ..config import tui_settings

        app = ReverbApp(
            svc, first_rows=first_rows, settings=tui_settings(getattr(args, "theme", None))
        )
        app.run()
        if app.open_error is not None:  # the same error as if opened before the TUI started
            raise app.open_error
    finally:
        svc.close()
    return 0
