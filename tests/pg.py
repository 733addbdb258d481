"""The PostgreSQL leg of the test suite: the server, and one database per test.

The server is ``$REVERB_TUI_TEST_PG`` (a SQLAlchemy URL of a database the tests may connect
to and run ``CREATE DATABASE`` from), by default ``postgresql://root@127.0.0.1:5432/postgres``;
``REVERB_TUI_TEST_PG=off`` turns the leg off. Without a reachable server the leg is skipped
(one line in the summary), except under ``CI=true``, where the run fails.

Each test gets a database nobody else uses while it runs. Creating one from a template costs
~70 ms and dropping it ~200 ms (``DROP DATABASE`` forces a checkpoint), so each process keeps
a small pool instead: a database comes back after its test with its connections closed,
every row deleted and its id sequences restarted (a few ms), and is handed to the next test
exactly as a new one would be: at head, empty, ids from 1. A database the test left in
another state (another schema revision, tables added or dropped) is dropped, not reused.
Every database of the process is dropped when the process ends.
"""

from __future__ import annotations

import atexit
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

DEFAULT = "postgresql://root@127.0.0.1:5432/postgres"
ENV = "REVERB_TUI_TEST_PG"
HOW = (
    f"set {ENV}=postgresql://USER@HOST:PORT/DB to a server where USER may create databases "
    "(and pip install -e '.[dev]' for the driver)"
)
PREFIX = "rt_test_"


@dataclass(frozen=True)
class Status:
    url: str | None  # the admin URL when the leg runs
    reason: str  # why it does not
    off: bool = False  # turned off on purpose


@cache
def server() -> Status:
    raw = os.environ.get(ENV, DEFAULT).strip()
    if raw.lower() in ("", "off", "0", "no"):
        return Status(None, f"turned off by {ENV}={raw!r}.", off=True)
    from reverb_tui.db.engine import to_url

    url = to_url(raw)
    where = make_url(url).render_as_string()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return Status(None, f"the psycopg driver is not installed; {HOW}.")
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return Status(None, f"no server at {where} ({first}); {HOW}.")
    return Status(url, "")


class _Pool:
    def __init__(self, admin_url: str) -> None:
        self.base = make_url(admin_url)
        self.admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.tag = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template: str | None = None
        self.free: list[str] = []
        self.made: set[str] = set()
        self.count = 0
        self.shape: tuple | None = None

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _create(self, template: str | None) -> str:
        self.count += 1
        name = f"{self.tag}_{self.count}"
        with self.admin.connect() as conn:
            tpl = f" TEMPLATE {template}" if template else ""
            conn.execute(text(f"CREATE DATABASE {name}{tpl}"))
            # Commits need not wait for the disk: a test database never outlives a crash.
            conn.execute(text(f"ALTER DATABASE {name} SET synchronous_commit TO off"))
        self.made.add(name)
        return name

    def _template(self) -> str:
        if self.template is None:
            from reverb_tui.db.engine import make_engine

            _drop_stale(self.admin)
            name = self._create(None)
            engine = make_engine(self.url(name))  # migrated to head, once per process
            with engine.connect() as conn:
                self.shape = _shape(conn)
            engine.dispose()
            self.template = name
        return self.template

    def take(self, empty: bool) -> str:
        if empty:
            return self._create(None)
        if self.free:
            return self.free.pop()
        return self._create(self._template())

    def give_back(self, name: str, empty: bool) -> None:
        with self.admin.connect() as conn:
            _close_connections(conn, name)
        if not empty:
            engine = create_engine(self.url(name))
            try:
                with engine.begin() as conn:
                    if _shape(conn) == self.shape:
                        _empty(conn)
                        self.free.append(name)
                        return
            finally:
                engine.dispose()
        self.drop(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.made.discard(name)

    def close(self) -> None:
        for name in sorted(self.made):
            try:
                self.drop(name)
            except Exception:  # a process exiting: leave it for _drop_stale of a later run
                pass
        self.admin.dispose()


def _shape(conn: Connection) -> tuple:
    """What a clean database at head looks like: its revision and its tables."""
    version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    tables = tuple(
        sorted(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
    )
    return (version, tables)


def _empty(conn: Connection) -> None:
    """Every row deleted and every id sequence restarted: the database as new.

    DELETE rather than TRUNCATE: a test leaves a few rows, and TRUNCATE makes new files for
    every table and index (65-300 ms on a busy machine against a few ms); and the commit
    does not wait for the disk (nothing here needs to survive a crash).
    """
    from sqlmodel import SQLModel

    from reverb_tui.db import models  # noqa: F401  (registers every table)

    conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
    for table in reversed(SQLModel.metadata.sorted_tables):  # children before parents
        conn.execute(text(f'DELETE FROM "{table.name}"'))
    for seq in conn.execute(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
    ).scalars():
        conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))


def _close_connections(conn: Connection, name: str) -> None:
    conn.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )


def _drop_stale(admin: Engine) -> None:
    """Drop test databases left by test processes of this host that were killed."""
    pattern = re.compile(rf"^{PREFIX}(\d+)_")
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": PREFIX + "%"}
        ).scalars()
        for name in list(names):
            m = pattern.match(name)
            if m is None or _alive(int(m.group(1))):
                continue
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@cache
def _pool() -> _Pool:
    url = server().url
    assert url is not None
    pool = _Pool(url)
    atexit.register(pool.close)
    return pool


@contextmanager
def database(*, empty: bool = False) -> Iterator[str]:
    """A URL of a database of the caller's own: at head and empty, or with no schema."""
    pool = _pool()
    name = pool.take(empty)
    try:
        yield pool.url(name)
    finally:
        pool.give_back(name, empty)
