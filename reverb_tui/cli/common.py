"""Shared CLI plumbing: the --db option, token input, JSON output, one-sentence errors.

Nothing heavy is imported at module level: ``reverb-tui --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

TOKEN_ENV = "REVERB_TOKEN"

Handler = Callable[[argparse.Namespace], int]


def db_parent() -> argparse.ArgumentParser:
    """A parent parser giving every command ``--db`` (also accepted before the command)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=argparse.SUPPRESS,
        help="database file or SQLAlchemy URL (env REVERB_TUI_DB; default: the user data dir)",
    )
    return p


def json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def token_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--token-stdin",
        action="store_true",
        help=f"read the access token from standard input (else from ${TOKEN_ENV})",
    )
    # Accepted only to refuse it with a clear sentence: a token in argv lands in shell history
    # and in `ps` output.
    p.add_argument("--token", dest="token_argv", default=None, help=argparse.SUPPRESS)


def nonneg_int(text: str) -> int:
    """argparse type: a whole number of 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def read_token(args: argparse.Namespace, *, required: bool = True) -> str | None:
    from ..errors import UserError

    if getattr(args, "token_argv", None) is not None:
        raise UserError(
            "Refusing a token given as an argument (it would end up in shell history); "
            f"use --token-stdin or ${TOKEN_ENV}."
        )
    from ..logs import register_secret

    if getattr(args, "token_stdin", False):
        data = sys.stdin.readline()
        token = data.strip()
        if not token:
            raise UserError("No access token was given on standard input.")
        register_secret(token)  # masked in any error text or saved traceback from here on
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        register_secret(token)
        return token
    if required:
        raise UserError(f"No access token: pass --token-stdin or set ${TOKEN_ENV}.")
    return None


def services(args: argparse.Namespace, **kw: Any):  # noqa: ANN201
    from ..services.factory import build_services

    return build_services(getattr(args, "db", None), **kw)


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")


def err(message: str) -> None:
    from ..logs import redact  # any token that slipped into a message is masked

    sys.stderr.write(redact(message.rstrip()) + "\n")


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    """Run a command; turn every failure into one sentence on stderr and an exit code."""
    from ..errors import AppError

    try:
        return handler(args)
    except AppError as exc:
        # One line, whatever Reverb's own text (quoted in the message) contained.
        err("Error: " + " ".join(exc.message.split()))
        return exc.exit_code
    except KeyboardInterrupt:
        err("Interrupted.")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug: say so in one sentence, keep the details in a file
        where = _save_traceback()
        err(
            f"Error: an unexpected {type(exc).__name__} occurred"
            + (f"; details were written to {where}." if where else ".")
        )
        return 1


def _save_traceback() -> str | None:
    try:
        from ..logs import redact
        from ..paths import cache_dir

        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = d / "last-error.txt"
        path.write_text(redact(traceback.format_exc()))
        os.chmod(path, 0o600)
        return str(path)
    except Exception:
        return None
