"""Portable column types."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, Text, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from .crypto import decrypt, encrypt, is_encrypted


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC. Rejects naive input (a bug elsewhere)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class db_now(FunctionElement):
    """The database server's clock as UTC, plus ``seconds`` (default 0).

    Hosts sharing one database need one clock: PostgreSQL's ``now()`` (the transaction's
    start), SQLite's ``'now'`` (the one host's, to the millisecond). Rendered naive UTC in the
    same text form as ``UTCDateTime`` stores on SQLite, so comparisons with stored times hold.
    """

    type = UTCDateTime()
    inherit_cache = True

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(literal(float(seconds), Float()))


@compiles(db_now, "postgresql")
def _db_now_postgresql(element: db_now, compiler, **kw) -> str:
    seconds = compiler.process(element.clauses, **kw)
    return (
        f"((now() AT TIME ZONE 'UTC') + make_interval(secs => CAST({seconds} AS double precision)))"
    )


@compiles(db_now, "sqlite")
def _db_now_sqlite(element: db_now, compiler, **kw) -> str:
    seconds = compiler.process(element.clauses, **kw)
    # %f is "SS.SSS"; three zeros make the six-digit fraction SQLAlchemy stores.
    return f"strftime('%Y-%m-%d %H:%M:%f000', 'now', ({seconds}) || ' seconds')"


class EncryptedToken(TypeDecorator):
    """A text column holding a token (db/crypto.py): encrypted on the way in, decrypted on the way out.
    A value that is already encrypted (a copy between databases) is stored as it is."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        if value is None or is_encrypted(value):
            return value
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        return decrypt(value)
