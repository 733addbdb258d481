"""``reverb-tui completion bash|zsh|fish``: shell completion, through argcomplete.

How it works: the script printed here makes the shell run ``reverb-tui`` itself with
``_ARGCOMPLETE`` set whenever Tab is pressed; ``__main__.main`` then builds the parser as usual
and calls ``complete``, which attaches the completers below and lets argcomplete answer
(commands, options, choices, files). Where an argument takes an integration name, a local SKU
or a shipping service, the names are read from the database the command line points at
(``--db``, else ``$REVERB_TUI_DB``, else the default) — only then, read-only, and never
creating a database that is not there. No other run imports this module's dependencies, so
``--help`` and every command cost what they did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

SHELLS = ("bash", "zsh", "fish")
PROG = "reverb-tui"

INSTALL = """\
To enable completion, add to your shell's start-up file:

  bash  ~/.bashrc      eval "$(reverb-tui completion bash)"
  zsh   ~/.zshrc       eval "$(reverb-tui completion zsh)"      (after compinit)
  fish  once:          reverb-tui completion fish > ~/.config/fish/completions/reverb-tui.fish

Integration names, local SKUs and shipping service names are completed from the database.
"""


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "completion",
        parents=[parent],
        help="print the shell completion script for bash, zsh or fish",
        description="Print the completion script for SHELL on standard output.",
        epilog=INSTALL,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(handler=cmd_completion)


def cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode([PROG], shell=args.shell))
    return 0


# ---------------------------------------------------------------------------------------------
# Completing (only when the shell asks: $_ARGCOMPLETE is set)

INTEGRATION, LOCAL_SKU, SERVICE = "integration", "local SKU", "shipping service"

QUERIES = {
    INTEGRATION: "SELECT name FROM channel ORDER BY name",
    LOCAL_SKU: "SELECT sku FROM inventory_item ORDER BY sku",
    SERVICE: "SELECT name FROM shipping_service ORDER BY name",
}


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol)."""
    import argcomplete

    attach_completers(parser)
    # Options are offered once "-" is typed, so Tab after a command lists the names. Files
    # only where a file is asked for (--db, FILE.csv): a new SKU or name is the user's to type.
    argcomplete.autocomplete(
        parser, always_complete_options=False, default_completer=_nothing_completer()
    )


def _nothing_completer():
    from argcomplete.completers import BaseCompleter

    class Nothing(BaseCompleter):
        def __call__(self, **_: Any) -> list[str]:
            return []

    return Nothing()


def what_it_takes(path: tuple[str, ...], action: argparse.Action) -> str | None:
    """Which stored names ``action`` of the command ``path`` takes, if any."""
    positional = not action.option_strings
    if action.dest == "channel":  # --channel NAME, or the CHANNEL of orders/skus/shipping
        return INTEGRATION
    if positional and path[:1] == ("channels",) and action.dest == "name":
        return INTEGRATION
    if action.dest == "sku" and path not in (("inventory", "add"),):  # add names a new one
        return LOCAL_SKU
    if action.dest == "service":  # shipping map --service NAME
        return SERVICE
    if (
        positional
        and path[:2] == ("shipping", "services")
        and path[2:] != ("add",)
        and action.dest in ("name", "old")
    ):
        return SERVICE
    return None


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.Action]]:
    """Every (command path, action) of the parser tree; an alias is walked once per name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, (*path, name))
        else:
            yield path, action


def attach_completers(parser: argparse.ArgumentParser) -> None:
    from argcomplete.completers import FilesCompleter

    for path, action in walk(parser):
        kind = what_it_takes(path, action)
        if kind is not None:
            action.completer = stored_names(kind)  # type: ignore[attr-defined]
        elif action.dest in ("db", "file"):
            action.completer = FilesCompleter()  # type: ignore[attr-defined]


def stored_names(kind: str) -> Callable[..., list[str]]:
    def completer(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        import argcomplete

        from ..errors import UserError
        from ..paths import db_target

        try:
            target = db_target(getattr(parsed_args, "db", None))
        except UserError as exc:  # a config file that cannot be used: say so under the prompt
            argcomplete.warn(f"reverb-tui: {exc.message}")
            return []
        names = read_names(target, QUERIES[kind])
        return [n for n in names if n.startswith(prefix)]

    return completer


def read_names(target: str, query: str) -> list[str]:
    """The first column of ``query`` on the database ``target`` (a path or a SQLAlchemy URL),
    read-only; nothing when there is no database yet. A database that cannot be read is
    reported in one line under the prompt (argcomplete's ``warn``), not as a traceback."""
    import argcomplete

    try:
        if "://" not in target or target.startswith("sqlite:"):
            return _read_sqlite(target, query)
        return _read_url(target, query)
    except Exception as exc:  # whatever the driver raises: say so, complete nothing
        argcomplete.warn(f"reverb-tui: cannot read names from {target}: {exc}")
        return []


def _read_sqlite(target: str, query: str) -> list[str]:
    import sqlite3
    from pathlib import Path

    if target.startswith("sqlite:"):
        from sqlalchemy.engine import make_url

        database = make_url(target).database
        if not database or database == ":memory:":
            return []
        path = Path(database)
    else:
        path = Path(target).expanduser()
    if not path.is_file():
        return []
    # mode=ro: a completion never creates, migrates or locks anything.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            return []  # an empty file, or not ours
        return [str(r[0]) for r in conn.execute(query) if r[0] is not None]
    finally:
        conn.close()


def _read_url(target: str, query: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            return [str(v) for v in conn.execute(text(query)).scalars() if v is not None]
    finally:
        engine.dispose()
