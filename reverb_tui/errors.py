"""Errors a user sees as one sentence.

Every exception that reaches the CLI or a notification derives from ``AppError`` and carries
an ``exit_code`` (the exit codes of docs/cli.md): 2 when the request was refused (bad input,
unknown name, a token Reverb refuses, Reverb rejecting the action), 1 for everything else.
"""

from __future__ import annotations


class AppError(Exception):
    """An error with a message fit to show a user as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(AppError):
    """The request was refused: bad input, unknown name, conflict. Nothing was changed."""

    exit_code = 2


class NotFound(UserError):
    """A name (channel, SKU, order, service) that does not exist."""


class StorageError(AppError):
    """The database could not be opened or written."""

    exit_code = 1


def mask_token(token: str | None) -> str:
    """Show at most the last four characters of a secret."""
    if not token:
        return "(none)"
    tail = token[-4:] if len(token) > 8 else ""
    return f"…{tail}" if tail else "…"
