"""The database itself: its status, upgrading it, copying it whole, and backing it up.

Behind ``reverb-tui db status | upgrade | copy --to | backup`` (docs/cli.md). A copy
moves every table, ids and all, from the current database into an empty one (SQLite to
PostgreSQL and back), from one consistent snapshot of the source, in one transaction on the
target, and then proves itself: the row count and a checksum of every table are computed on
both sides and must agree.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, Text, func, inspect, select, text, type_coerce
from sqlalchemy.engine import Connection, Engine

from ..errors import StorageError, UserError
from .engine import make_engine, sqlite_path, to_url
from .migrate import HEAD, stored_revision, upgrade

BATCH = 2_000


def _metadata():
    from sqlmodel import SQLModel

    from . import models  # noqa: F401  (registers every table)

    return SQLModel.metadata


def tables() -> list[Table]:
    """Our tables, parents before children (the order rows can be inserted in)."""
    return list(_metadata().sorted_tables)


def location(engine: Engine) -> str:
    """Where the database is, for people: the file's path, or the URL without a password."""
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    return str(path) if path is not None else engine.url.render_as_string()


def backend(engine: Engine) -> str:
    return engine.url.get_backend_name()


@dataclass
class Status:
    backend: str
    location: str
    exists: bool
    revision: str | None
    head: str = HEAD
    known: bool = True  # False: a revision this version does not know (a newer reverb-tui)

    @property
    def pending(self) -> bool:
        return self.known and self.revision != self.head

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "location": self.location,
            "exists": self.exists,
            "revision": self.revision,
            "head": self.head,
            "pending": self.pending,
            "newer": not self.known,
        }


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from .migrate import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    return {rev.revision for rev in script.walk_revisions()}


def status(target: str) -> Status:
    """The database's backend, location and schema revision, changing nothing (a SQLite file
    that does not exist yet is reported, not created)."""
    url = to_url(target)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return Status("sqlite", str(path), False, None)
    engine = make_engine(target, migrate=False)
    try:
        revision = stored_revision(engine)
        known = revision is None or revision in _known_revisions()
        return Status(backend(engine), location(engine), True, revision, known=known)
    finally:
        engine.dispose()


# -- counts and checksums ---------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """One spelling per value whatever the backend returned (bools as 0/1 on SQLite, aware
    datetimes, floats)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


@dataclass
class TableSum:
    rows: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def add(self, row: tuple) -> None:
        self.rows += 1
        self.digest.update(json.dumps([_canonical(v) for v in row], default=str).encode())
        self.digest.update(b"\n")

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.digest.hexdigest()}


def _rows(conn: Connection, table: Table) -> Iterator[tuple]:
    """Every row of ``table`` in primary-key order, in batches, as stored: encrypted tokens
    stay encrypted (a copy needs no key and reveals nothing; the target stores them as is)."""
    from .types import EncryptedToken

    order = list(table.primary_key.columns)
    cols = [
        type_coerce(c, Text()).label(c.name) if isinstance(c.type, EncryptedToken) else c
        for c in table.columns
    ]
    result = conn.execution_options(yield_per=BATCH).execute(select(*cols).order_by(*order))
    for part in result.partitions():
        yield from (tuple(r) for r in part)


def checksums(conn: Connection) -> dict[str, dict[str, Any]]:
    out = {}
    for table in tables():
        total = TableSum()
        for row in _rows(conn, table):
            total.add(row)
        out[table.name] = total.as_json()
    return out


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one consistent state of the database while others write."""
    with engine.connect() as conn:
        if backend(engine) == "sqlite":
            conn.exec_driver_sql("BEGIN")  # a WAL read transaction: one snapshot
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SELECT 1")  # the snapshot starts with the first statement
        try:
            yield conn
        finally:
            conn.rollback()


# -- copy -------------------------------------------------------------------------------------


def _foreign_or_filled(engine: Engine) -> str | None:
    """Why the target is not empty, or None when it is: tables of another program, or ours
    with rows in them."""
    ours = {t.name for t in tables()} | {"alembic_version"}
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        foreign = sorted(names - ours)
        if foreign:
            return f"it holds tables that are not reverb-tui's ({', '.join(foreign[:3])})"
        for table in tables():
            if (
                table.name in names
                and conn.execute(select(func.count()).select_from(table)).scalar()
            ):
                return f"its {table.name} table has rows"
    return None


def _same(a: Engine, b: Engine) -> bool:
    ua, ub = a.url, b.url
    pa = sqlite_path(ua.render_as_string(hide_password=False))
    pb = sqlite_path(ub.render_as_string(hide_password=False))
    if pa is not None or pb is not None:
        return pa is not None and pb is not None and pa.resolve() == pb.resolve()
    return (ua.host, ua.port, ua.database) == (ub.host, ub.port, ub.database)


@dataclass
class CopyResult:
    source: str
    target: str
    tables: dict[str, dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "verified": True,
            "tables": [{"table": k, **v} for k, v in self.tables.items()],
        }


def copy_database(source: Engine, to: str) -> CopyResult:
    """Copy every row of ``source`` into the empty database ``to`` (created and migrated to
    head when needed), then verify counts and checksums. Refuses a non-empty target."""
    target = make_engine(to, migrate=False)
    try:
        if _same(source, target):
            raise UserError("The copy's target is the database itself; name another one.")
        why = _foreign_or_filled(target)
        if why:
            raise UserError(
                f"Refusing to copy into {location(target)}: {why}; "
                "the target must be an empty database."
            )
        revision = stored_revision(target)
        if revision not in (None, *_known_revisions()):
            raise StorageError(
                f"Refusing to copy into {location(target)}: its schema revision {revision!r} "
                "is newer than this version of reverb-tui."
            )
        upgrade(target)
        with snapshot(source) as src:
            expected: dict[str, dict[str, Any]] = {}
            with target.begin() as dst:
                for table in tables():
                    total = TableSum()
                    batch: list[dict[str, Any]] = []
                    for row in _rows(src, table):
                        total.add(row)
                        batch.append(dict(zip(table.columns.keys(), row, strict=True)))
                        if len(batch) >= BATCH:
                            dst.execute(table.insert(), batch)
                            batch = []
                    if batch:
                        dst.execute(table.insert(), batch)
                    expected[table.name] = total.as_json()
                _reset_sequences(dst)
        with snapshot(target) as check:
            got = checksums(check)
        for name, want in expected.items():
            if got.get(name) != want:
                raise StorageError(
                    f"The copy into {location(target)} does not match the source in table "
                    f"{name} ({got.get(name, {}).get('rows')} rows against {want['rows']}); "
                    "empty the target and run the copy again."
                )
        return CopyResult(location(source), location(target), expected)
    finally:
        target.dispose()


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: ids inserted explicitly do not move the id sequences; set each to the
    table's largest id so the next row gets the next id (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        if "id" not in table.columns:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )


# -- backup -----------------------------------------------------------------------------------


def backup_database(source: Engine, file: str) -> CopyResult:
    """A consistent snapshot of the database, taken while others write, into a new SQLite
    file (0600). From SQLite: SQLite's online backup; from PostgreSQL: a verified copy."""
    dest = Path(file).expanduser().resolve()
    if dest.exists():
        raise UserError(f"{dest} already exists; name a new file for the backup.")
    if not dest.parent.is_dir():
        raise UserError(f"The directory {dest.parent} does not exist.")
    if backend(source) != "sqlite":
        return copy_database(source, str(dest))
    import sqlite3

    fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src_path = sqlite_path(source.url.render_as_string(hide_password=False))
    assert src_path is not None
    try:
        with sqlite3.connect(f"file:{src_path}?mode=ro", uri=True) as src:
            with sqlite3.connect(dest) as dst:
                src.backup(dst)
            dst.close()
        src.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise StorageError(f"Cannot back up the database into {dest}: {exc}.") from exc
    copied = make_engine(str(dest), migrate=False)
    try:
        with snapshot(copied) as conn:
            sums = checksums(conn)
    finally:
        copied.dispose()
    return CopyResult(location(source), str(dest), sums)
