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


# -- faults of the storage, in one sentence each --------------------------------------------------
#
# Each names the problem and the way out. Nothing was lost in any of them: a write that failed
# was rolled back whole, and the next run after the cause is removed completes.

DISK_FULL = (
    "The disk holding the database{at} is full; nothing was lost: free some space and run it again."
)
LOCKED = (
    "The database{at} stayed locked by another program for more than {seconds} s; nothing "
    "was changed: wait for the other reverb-tui (a sync, the TUI, a backup) to finish or "
    "stop it, then try again."
)
NOT_A_DATABASE = (
    "{where} is not a reverb-tui database (not an SQLite file); it was left untouched: point "
    "--db (or $REVERB_TUI_DB) at your database, or move this file away to start a new one."
)
READ_ONLY = (
    "The database{at} is read-only; nothing was changed: make the file and its folder "
    "writable (or point --db at a writable copy), then try again."
)
PERMISSION = (
    "Cannot write the database{at}: permission denied; nothing was changed: make the file "
    "and its folder writable by this user (or point --db elsewhere), then try again."
)
CANNOT_OPEN = (
    "Cannot open the database{at}: its folder is missing or not writable; create the folder "
    "or make it writable (or point --db elsewhere), then try again."
)
DISK_IO = (
    "The disk holding the database{at} reported an I/O error (is it full, or no longer "
    "mounted?); nothing more was written: free some space or check the disk, then try again."
)
NEWER_SCHEMA = (
    "{where} was written by a newer reverb-tui (schema revision {revision!r}); it was left "
    "untouched: upgrade reverb-tui (pip install -U reverb-tui) or point --db at another "
    "database."
)

BUSY_TIMEOUT_SECONDS = 15  # how long a write waits for another writer's lock (db/engine.py)

_ENOSPC, _EFBIG, _EROFS, _EACCES, _EPERM, _EIO, _EDQUOT = 28, 27, 30, 13, 1, 5, 122


def storage_fault(exc: BaseException | None, where: str | None = None) -> StorageError | None:
    """The one sentence for a database or disk fault (an SQLAlchemy/DB-API error or an
    ``OSError``), or None when ``exc`` is not one (a bug, shown as such elsewhere).

    Read from the driver's own text and errno, without importing SQLAlchemy: this module is
    the error boundary of the CLI, the TUI and the daemon alike and must stay cheap.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # the driver's error behind SQLAlchemy's
        seen.add(id(exc))
        if isinstance(exc, StorageError):
            return exc
        fault = _one_fault(exc, where)
        if fault is not None:
            return fault
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


def _one_fault(exc: BaseException, where: str | None) -> StorageError | None:
    at = f" at {where}" if where else ""
    if isinstance(exc, OSError) and not _is_db_api(exc):
        code = exc.errno
        if code in (_ENOSPC, _EFBIG, _EDQUOT):
            return StorageError(DISK_FULL.format(at=at))
        if code == _EROFS:
            return StorageError(READ_ONLY.format(at=at))
        if code in (_EACCES, _EPERM):
            return StorageError(PERMISSION.format(at=at))
        if code == _EIO:
            return StorageError(DISK_IO.format(at=at))
        return None
    if not _is_db_api(exc):
        return None
    text = str(exc).lower()
    if (
        "database or disk is full" in text
        or "no space left" in text
        or "could not extend file" in text
        or "disk quota" in text
    ):
        return StorageError(DISK_FULL.format(at=at))
    if (
        "database is locked" in text
        or "database table is locked" in text
        or ("lock" in text and ("timeout" in text or "could not obtain" in text))
    ):
        return StorageError(LOCKED.format(at=at, seconds=BUSY_TIMEOUT_SECONDS))
    if "file is not a database" in text or "file is encrypted" in text:
        return StorageError(NOT_A_DATABASE.format(where=where or "The database file"))
    if "readonly" in text or "read-only" in text or "read only" in text:
        return StorageError(READ_ONLY.format(at=at))
    if "unable to open database file" in text:
        return StorageError(CANNOT_OPEN.format(at=at))
    if "disk i/o error" in text:
        return StorageError(DISK_IO.format(at=at))
    return None


def _is_db_api(exc: BaseException) -> bool:
    """An error of a database driver (sqlite3, psycopg) or of SQLAlchemy wrapping one."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("sqlite3", "psycopg", "psycopg2", "sqlalchemy") or (
        type(exc).__name__ in ("OperationalError", "DatabaseError")
    )


def mask_token(token: str | None) -> str:
    """Show at most the last four characters of a secret."""
    if not token:
        return "(none)"
    tail = token[-4:] if len(token) > 8 else ""
    return f"…{tail}" if tail else "…"
