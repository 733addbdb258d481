"""Which database errors are worth running a transaction again for.

Writers on several hosts meet in the database. SQLite makes the second one wait for the
lock (and fail with "database is locked" past the busy timeout); PostgreSQL locks rows, and
two transactions that each wait for the other's rows are a deadlock: the server aborts one
of them (SQLSTATE 40P01), as it aborts a transaction that cannot be serialised (40001). In
every case the aborted transaction changed nothing and running it again is right.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

DEADLOCK, SERIALIZATION_FAILURE = "40P01", "40001"
RETRYABLE_STATES = frozenset({DEADLOCK, SERIALIZATION_FAILURE})


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error (psycopg 3 ``sqlstate``, psycopg2 ``pgcode``)."""
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


def transient(exc: BaseException) -> bool:
    """A deadlock or serialisation failure (PostgreSQL), or a locked database (SQLite)."""
    if not isinstance(exc, DBAPIError):
        return False
    return sqlstate(exc) in RETRYABLE_STATES or "locked" in str(exc.orig).lower()
