"""``reverb-tui``: the CLI entry point. Builds the parser only; imports nothing heavy."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .cli.common import db_parent, run_handler

# Command groups, one module each under reverb_tui/cli/, each exposing register(sub, parent).
COMMAND_MODULES = (
    "tui",
    "channels",
    "sync",
    "log",
    "orders",
    "shipping",
    "report",
    "inventory",
    "skus",
    "demo",
    "completion",
    "serve",
    "paths",
    "db",
    "cluster",
)


def _redact_argv_message(message: str) -> str:
    """argparse quotes what was typed; a token typed or pasted on the command line must not
    be echoed back (``--tok=SECRET``, ``--token-stdin=SECRET``, a stray pasted argument)."""
    import os
    import re

    from .errors import mask_token
    from .logs import redact, register_secret

    register_secret(os.environ.get("REVERB_TOKEN", "").strip() or None)
    message = re.sub(r"(--[\w-]+=)\S+?(?=['\s,]|$)", r"\1…", message)
    message = re.sub(r"explicit argument '[^']*'", "explicit argument", message)
    if message.startswith("unrecognized arguments:"):
        words = message.split(":", 1)[1].split()
        message = "unrecognized arguments: " + " ".join(
            mask_token(w) if len(w) >= 12 and not w.startswith("-") else w for w in words
        )
    return redact(message)


class Parser(argparse.ArgumentParser):
    """argparse with one-sentence errors: no usage block, a pointer to --help, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        text = _redact_argv_message(message)
        text = text[0].upper() + text[1:] if text else "Bad arguments"
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
    if argv is None and "_ARGCOMPLETE" in os.environ:  # the shell asks for completions
        from .cli.completion import complete

        complete(parser)  # answers and exits
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
