"""Engine creation: URL handling, file permissions, SQLite pragmas, migrations on start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlmodel import Session

from ..errors import (
    BUSY_TIMEOUT_SECONDS,
    DISK_FULL,
    NEWER_SCHEMA,
    READ_ONLY,
    StorageError,
    storage_fault,
)

BUSY_TIMEOUT_MS = BUSY_TIMEOUT_SECONDS * 1000


# PostgreSQL URLs without a driver name mean psycopg 3, the driver the `postgres` extra
# installs (SQLAlchemy alone would pick psycopg2); `postgres://` is the form many hosts print.
_PG_SCHEMES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
PG_DRIVER_HINT = "pip install 'reverb-tui[postgres]'"


def to_url(target: str) -> str:
    """A SQLAlchemy URL for a path or URL given by the user."""
    if "://" in target:
        scheme, rest = target.split("://", 1)
        if scheme.lower() in _PG_SCHEMES:
            target = f"{_PG_SCHEMES[scheme.lower()]}://{rest}"
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
    """Create the directory (0700) and file (0600) before SQLite does, with a clear error.

    An existing path is left exactly as it is here: it may be a directory or someone's
    unrelated file given by mistake, so nothing is changed until it proves to be ours.
    """
    parent = path.parent
    if path.is_dir():
        raise StorageError(f"The database path {path} is a directory, not a file.")
    try:
        if not parent.exists():
            parent.mkdir(parents=True, mode=0o700)
            os.chmod(parent, 0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            os.chmod(path, 0o600)
    except OSError as exc:  # read-only, full, permission denied: the problem and the way out
        raise storage_fault(exc, str(path)) or StorageError(
            f"Cannot create the database at {path}: {exc.strerror}; choose another place with --db."
        ) from exc


def _check_sqlite_is_ours(conn, where: str) -> None:
    """Refuse an SQLite file that holds another program's tables (never add ours to it)."""
    names = set(
        conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ).scalars()
    )
    if names and "alembic_version" not in names:
        raise StorageError(f"{where} is not a reverb-tui database (it holds other tables).")


def _restrict_file(path: Path) -> None:
    """An existing database that proved to be ours is made owner-only (0600)."""
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError as exc:
        raise StorageError(
            f"Cannot make the database at {path} private to its owner: {exc.strerror}."
        ) from exc


def _sqlite_pragmas(dbapi_conn, _record) -> None:
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
        except ImportError as exc:  # the URL's driver is not installed
            backend = make_url(url).get_backend_name()
            if backend == "postgresql":
                raise StorageError(
                    "The database is PostgreSQL, but its driver is not installed: run "
                    f"{PG_DRIVER_HINT}."
                ) from exc
            raise StorageError(
                f"The database URL needs a driver that is not installed ({exc.name or exc})."
            ) from exc
        except Exception as exc:  # bad URL parts
            raise StorageError(
                f"Cannot open the database {make_url(url).render_as_string()}: {exc}."
            ) from exc
        from ..live import install_notify

        install_notify(engine)  # committed writes tell the TUIs listening what changed
    where = str(path) if path is not None else make_url(url).render_as_string()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if path is not None:
                # Reading the schema is what fails on a file that is not SQLite.
                _check_sqlite_is_ours(conn, where)
        if migrate:
            _migrate(engine, where)
            from .crypto import encrypt_plain_tokens

            encrypt_plain_tokens(engine)  # and refuse, changing nothing, without the key
        if path is not None:
            _restrict_file(path)
    except StorageError:
        engine.dispose()
        raise
    except (DatabaseError, OSError) as exc:
        engine.dispose()
        fault = storage_fault(exc, where)
        if path is not None and _read_only(path):
            # SQLite says "unable to open database file" of a read-only file, folder or mount.
            fault = StorageError(READ_ONLY.format(at=f" at {where}"))
        elif path is not None and fault is not None and _disk_full(path):
            # ... and "disk I/O error" when its shared-memory index finds no room.
            fault = StorageError(DISK_FULL.format(at=f" at {where}"))
        if fault is not None:  # disk full, locked, not SQLite, read-only: problem and way out
            raise fault from exc
        if not isinstance(exc, DatabaseError):
            raise
        msg = str(getattr(exc, "orig", exc))
        # PostgreSQL's messages run over several lines (DETAIL, HINT): the first one says it.
        first = msg.strip().splitlines()[0].rstrip(".") if msg.strip() else type(exc).__name__
        raise StorageError(f"Cannot open the database at {where}: {first}.") from exc
    return engine


def _read_only(path: Path) -> bool:
    """Can this process not write the database file or its folder (a read-only mount, an
    immutable file, permissions)? The WAL and its index live beside the file."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
        return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    except OSError:
        return False


def _disk_full(path: Path) -> bool:
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def _migrate(engine: Engine, where: str) -> None:
    from alembic.util import CommandError

    from .migrate import current_revision, upgrade

    try:
        upgrade(engine)
    except CommandError as exc:  # a revision this code does not know: refused, untouched
        raise StorageError(
            NEWER_SCHEMA.format(where=where, revision=current_revision(engine))
        ) from exc


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
