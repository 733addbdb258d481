"""``reverb-tui``: the CLI entry point. Builds the parser only; imports nothing heavy."""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .cli.common import db_parent, run_handler

# Command groups, one module each under reverb_tui/cli/, each exposing register(sub, parent).
COMMAND_MODULES = ("tui", "channels", "sync", "log", "orders", "shipping", "report", "inventory", "skus", "demo")


class Parser(argparse.ArgumentParser):
    """argparse with one-sentence errors: no usage block, a pointer to --help, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        text = message[0].upper() + message[1:] if message else "Bad arguments"
        sys.stderr.write(f"Error: {text.rstrip('.')}; see '{self.prog} --help'.\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parent = db_parent()
    parser = Parser(
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
