"""``reverb-tui``: the CLI entry point. Builds the parser only; imports nothing heavy."""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .cli.common import db_parent, run_handler

# Command groups, one module each under reverb_tui/cli/, each exposing register(sub, parent).
COMMAND_MODULES = ("tui", "channels", "sync", "log", "report", "inventory", "skus", "orders", "shipping", "demo")


def build_parser() -> argparse.ArgumentParser:
    parent = db_parent()
    parser = argparse.ArgumentParser(
        prog="reverb-tui",
        description=(
            "Connect Reverb.com seller accounts as sales channel integrations: download orders, "
            "push stock levels, map SKUs and shipping. With no command, opens the TUI."
        ),
        parents=[parent],
    )
    parser.add_argument("--version", action="version", version=f"reverb-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f".cli.{name}", __package__).register(sub, parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if args.command is None:
            from .cli.tui import run_tui_command

            handler = run_tui_command
        else:  # a group given without its subcommand
            group = getattr(args, "_group_parser", parser)
            group.print_help(sys.stderr)
            return 2
    return run_handler(handler, args)


if __name__ == "__main__":
    sys.exit(main())
