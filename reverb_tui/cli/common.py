"""Shared CLI plumbing: the --db option, token input, JSON output, one-sentence errors.

Text from strangers (buyer names, titles, SKUs, Reverb's error texts, CSV cells) never
reaches the terminal raw: ``run_handler`` runs every command with stdout and stderr passed
through ``text_safety.safe_text`` (the program's own newlines kept), and JSON output escapes
what ``json.dumps`` leaves raw (``json_text``), so ``--json`` still carries the original.

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

from ..text_safety import safe_json, safe_stdio  # stdlib only, quick to import

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


def services(args: argparse.Namespace, **kw: Any):
    from ..services.factory import build_services

    return build_services(getattr(args, "db", None), **kw)


def json_text(doc: Any, *, indent: int | None = None) -> str:
    """``doc`` as JSON that is safe on a terminal and reads back as the original: DEL, C1
    controls, bidi overrides and lone surrogates are written as ``\\uXXXX`` escapes too."""
    return safe_json(json.dumps(doc, indent=indent, ensure_ascii=False, default=str))


def print_json(doc: Any) -> None:
    sys.stdout.write(json_text(doc, indent=2) + "\n")


def err(message: str) -> None:
    from ..logs import redact  # any token that slipped into a message is masked

    sys.stderr.write(redact(message.rstrip()) + "\n")


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    """Run a command; turn every failure into one sentence on stderr and an exit code."""
    with safe_stdio():  # every line a command prints, whatever field it came from
        return _run(handler, args)


def _run(handler: Handler, args: argparse.Namespace) -> int:
    from ..errors import AppError, storage_fault

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
    except Exception as exc:
        # A fault of the disk or the database (full, locked, read-only…): the problem and the
        # way out, exit 1. Anything else is a bug: one sentence, the details in a file.
        fault = storage_fault(exc)
        if fault is not None:
            err("Error: " + fault.message)
            return fault.exit_code
        where = _save_traceback()
        err(
            f"Error: an unexpected {type(exc).__name__} occurred"
            + (f"; details were written to {where}." if where else ".")
        )
        return 1


def _save_traceback() -> str | None:
    try:
        from ..logs import redact
        from ..paths import error_report_path

        path = error_report_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        from ..text_safety import safe_text

        # Exception texts may quote Reverb's words; the file is meant to be read in a terminal.
        path.write_text(safe_text(redact(traceback.format_exc()), newlines=True))
        os.chmod(path, 0o600)
        return str(path)
    except Exception:
        return None
