"""Live screens: noticing what another process or host committed, without a key.

Two halves, neither imports Textual:

- **Writers** (every process that opens the database through ``make_engine``): on PostgreSQL,
  ``install_notify`` watches the statements each transaction runs; when an INSERT, UPDATE or
  DELETE changed rows of a table a screen shows, the transaction sends, just before it
  commits, ``NOTIFY reverb_tui_changes`` with the topics it touched (``orders,runs``).
  PostgreSQL delivers it only if the transaction commits, after the rows are visible. On
  SQLite nothing is added: the reader asks SQLite itself.
- **Reader** (the TUI): ``ChangeWatcher`` runs on a thread of its own with one dedicated
  connection. On PostgreSQL it ``LISTEN``s and costs no query while nothing happens; on SQLite
  it reads ``PRAGMA data_version`` every ``POLL_SECONDS`` (a read of shared memory: the number
  changes only when another connection committed). SQLite cannot say what changed, so a change
  there concerns every topic. Each change is handed to ``on_change`` as a ``Change``; the
  screens re-read only what concerns them, and only the screen in view does (the others
  read again when shown).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger("reverb_tui.live")

CHANNEL = "reverb_tui_changes"  # the PostgreSQL notification channel

# What changed, as the screens care about it.
ORDERS = "orders"  # orders downloaded, changed, shipped, mappings applied to them
STOCK = "stock"  # on hand counted or imported, stock taken or returned by orders
LISTINGS = "listings"  # Reverb listings read or pushed
MAPPINGS = "mappings"  # SKU and shipping mappings saved
RUNS = "runs"  # sync runs started, finished, failed, and their errors
CHANNELS = "channels"  # integrations added, changed, enabled, disabled, removed
SHIPPING = "shipping"  # local shipping services
LEASES = "leases"  # who syncs which integration (heartbeats); no screen re-reads for it
TOPICS = frozenset({ORDERS, STOCK, LISTINGS, MAPPINGS, RUNS, CHANNELS, SHIPPING, LEASES})

TABLE_TOPICS = {
    "reverb_order": ORDERS,
    "stock_move": STOCK,
    "inventory_item": STOCK,
    "listing": LISTINGS,
    "sku_mapping": MAPPINGS,
    "shipping_mapping": MAPPINGS,
    "sync_run": RUNS,
    "sync_error": RUNS,
    "channel": CHANNELS,
    "shipping_service": SHIPPING,
}

# A statement's execution option naming its topic instead of its table's (the lease
# statements update the channel row, but a heartbeat is not a change anyone reads).
TOPIC_OPTION = "reverb_tui_live_topic"
LEASE_WRITE = {TOPIC_OPTION: LEASES}

POLL_SECONDS = 0.5  # SQLite: how often data_version is read
LISTEN_WAKE_SECONDS = 0.5  # PostgreSQL: how often the listening thread looks for stop()
COALESCE_SECONDS = 0.05  # a burst of notifications (one per transaction) is one change
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0)  # a lost connection is opened again after these

_DML = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_INFO_KEY = "reverb_tui_live_topics"


@dataclass(frozen=True)
class Change:
    """Something was committed. ``topics``: what changed (every topic when the database
    cannot say, as on SQLite)."""

    topics: frozenset[str]

    def concerns(self, *topics: str) -> bool:
        return not self.topics.isdisjoint(topics)

    @property
    def payload(self) -> str:
        return ",".join(sorted(self.topics))

    @classmethod
    def parse(cls, payload: str) -> Change:
        """A notification's payload; one this version does not understand means everything."""
        topics = frozenset(t for t in payload.split(",") if t in TOPICS)
        return cls(topics or TOPICS)


EVERYTHING = Change(TOPICS)


def statement_topic(statement: str, options: Any = None) -> str | None:
    """The topic a statement writes to, or None (a read, or a table no screen shows)."""
    match = _DML.match(statement)
    if match is None:
        return None
    if options:
        topic = options.get(TOPIC_OPTION)
        if topic is not None:
            return topic
    return TABLE_TOPICS.get(match.group(1).lower())


# -- writers: NOTIFY on PostgreSQL ---------------------------------------------------------------


def install_notify(engine: Engine) -> bool:
    """Make every committed write on ``engine`` announce its topics (PostgreSQL; on another
    backend nothing is installed and False is returned). Once per engine."""
    if engine.dialect.name != "postgresql" or getattr(engine, "_reverb_tui_live", False):
        return False
    from sqlalchemy import event

    event.listen(engine, "after_cursor_execute", _noted)
    event.listen(engine, "commit", _announce)
    event.listen(engine, "rollback", _forget)
    event.listen(engine.pool, "checkin", _forget_record)
    engine._reverb_tui_live = True  # type: ignore[attr-defined]
    return True


def _noted(conn, cursor, statement, parameters, context, executemany) -> None:
    topic = statement_topic(statement, getattr(context, "execution_options", None))
    if topic is None or cursor.rowcount == 0:  # -1: unknown (a batch), taken as changed
        return
    conn.info.setdefault(_INFO_KEY, set()).add(topic)


def _announce(conn) -> None:
    """Just before the transaction commits: one notification with its topics. Sent on the
    driver's connection, inside the transaction (PostgreSQL delivers it with the commit)."""
    topics = conn.info.pop(_INFO_KEY, None)
    if not topics:
        return
    dbapi = conn.connection.dbapi_connection
    with dbapi.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, ",".join(sorted(topics))))


def _forget(conn) -> None:
    conn.info.pop(_INFO_KEY, None)


def _forget_record(_dbapi_connection, record) -> None:
    record.info.pop(_INFO_KEY, None)


# -- the reader --------------------------------------------------------------------------------


class ChangeWatcher:
    """Calls ``on_change(change)`` (on its own thread) when another connection committed.

    ``start`` runs it on a daemon thread; ``stop`` ends it within about half a second.
    ``checks`` counts the queries it made (SQLite's data_version reads; PostgreSQL makes none
    while listening), ``changes`` the changes it reported."""

    def __init__(
        self,
        engine: Engine,
        on_change: Callable[[Change], object],
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.on_change = on_change
        self.poll_seconds = poll_seconds
        self.backend = engine.dialect.name
        self.checks = 0
        self.changes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set once the first check or LISTEN is done

    # -- the thread ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="reverb-tui-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                raw = self.engine.raw_connection()
            except Exception as exc:
                failures = self._failed(failures, "open", exc)
                continue
            raw.detach()  # its own connection, never handed back to the pool
            try:
                if failures:  # what was committed while it was away went unnoticed
                    self._report(EVERYTHING)
                failures = 0
                if self.backend == "postgresql":
                    self._listen(raw.dbapi_connection)
                else:
                    self._poll(raw.dbapi_connection)
            except Exception as exc:
                failures = self._failed(failures, "watch", exc)
            finally:
                try:
                    raw.close()
                except Exception:  # a connection that broke may not close cleanly
                    pass

    def _failed(self, failures: int, what: str, exc: BaseException) -> int:
        delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
        log.warning("live screens: cannot %s the database (%s); trying again", what, exc)
        self._stop.wait(delay)
        return failures + 1

    def _report(self, change: Change) -> None:
        self.changes += 1
        self.on_change(change)

    def _poll(self, dbapi: Any) -> None:
        """SQLite: ``data_version`` changes when another connection commits."""
        cursor = dbapi.cursor()

        def version() -> int:
            self.checks += 1
            # fetchall: the statement runs to its end, so no read transaction stays open
            # (one would keep checkpoints from emptying the WAL).
            return cursor.execute("PRAGMA data_version").fetchall()[0][0]

        last = version()
        self.listening.set()
        while not self._stop.wait(self.poll_seconds):
            now = version()
            if now != last:
                last = now
                self._report(EVERYTHING)

    def _listen(self, dbapi: Any) -> None:
        """PostgreSQL: LISTEN; each notification's payload names the topics."""
        dbapi.rollback()  # the pool's liveness check may have opened a transaction
        dbapi.autocommit = True
        dbapi.execute(f"LISTEN {CHANNEL}")
        self.listening.set()
        while not self._stop.is_set():
            topics: set[str] = set()
            for note in dbapi.notifies(timeout=LISTEN_WAKE_SECONDS, stop_after=1):
                topics |= Change.parse(note.payload).topics
            if not topics:
                continue
            for note in dbapi.notifies(timeout=COALESCE_SECONDS):
                topics |= Change.parse(note.payload).topics
            self._report(Change(frozenset(topics)))
