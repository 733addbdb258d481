"""``reverb-tui tui``: open the terminal UI (also the default with no command)."""

from __future__ import annotations

import argparse


def register(sub, parent: argparse.ArgumentParser) -> None:  # noqa: ANN001
    p = sub.add_parser(
        "tui",
        parents=[parent],
        help="open the terminal UI (the default)",
        description="Open the terminal UI on the database.",
    )
    p.set_defaults(handler=run_tui_command)


def run_tui_command(args: argparse.Namespace) -> int:
    from .common import services

    svc = services(args)
    try:
        from ..app import ReverbApp

        ReverbApp(svc).run()
    finally:
        svc.close()
    return 0
