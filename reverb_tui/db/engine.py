"""Engine creation: URL handling, file permissions, SQLite pragmas, migrations on start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlmodel import Session

from ..errors import StorageError

BUSY_TIMEOUT_MS = 15_000


def to_url(target: str) -> str:
    """A SQLAlchemy URL for a path or URL given by the user."""
    if "://" in target:
        try:
            make_url(target)
        except ArgumentError as exc:
            raise StorageError(f"The database URL {target!r} is not valid.") from exc
        return target
    path = Path(target).expanduser().resolve()
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the directory (0700) and file (0600) before SQLite does, with a clear error."""
    parent = path.parent
    try:
        if not parent.exists():
            parent.mkdir(parents=True, mode=0o700)
            os.chmod(parent, 0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        os.chmod(path, 0o600)
    except PermissionError as exc:
        raise StorageError(f"Cannot write the database at {path}: permission denied.") from exc
    except OSError as exc:
        raise StorageError(f"Cannot create the database at {path}: {exc.strerror}.") from exc
    if path.is_dir():
        raise StorageError(f"The database path {path} is a directory, not a file.")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def make_engine(target: str, *, migrate: bool = True) -> Engine:
    """Open (creating lazily) the database at ``target`` and bring its schema to head."""
    url = to_url(target)
    path = sqlite_path(url)
    if path is not None:
        _prepare_sqlite_file(path)
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # missing driver, bad URL parts
            raise StorageError(
                f"Cannot open the database {make_url(url).render_as_string()}: {exc}."
            ) from exc
    where = str(path) if path is not None else make_url(url).render_as_string()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if path is not None:
                # Reading the schema is what fails on a file that is not SQLite.
                conn.execute(text("SELECT count(*) FROM sqlite_master"))
        if migrate:
            from .migrate import upgrade

            upgrade(engine)
    except DatabaseError as exc:
        engine.dispose()
        msg = str(getattr(exc, "orig", exc))
        if "not a database" in msg or "file is encrypted" in msg:
            raise StorageError(f"{where} is not a reverb-tui database (not SQLite).") from exc
        if isinstance(exc, OperationalError) and "readonly" in msg:
            raise StorageError(f"Cannot write the database at {where}: it is read-only.") from exc
        raise StorageError(f"Cannot open the database at {where}: {msg}.") from exc
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short unit of work: commit on success, roll back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
