"""Exactly once across hosts (README "Team mode"), on SQLite and PostgreSQL.

Each "host" is an engine of its own on the test's database (its own connections, as another
process would have). The races are made deterministic: one host's transaction is held open
at the critical point while the other host's write arrives, then let go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import InventoryItem, Order, StockMove
from reverb_tui.services.inventory import InventoryService
from reverb_tui.sync.orders import store_with_retry
from reverb_tui.sync.stock import apply_order_stock, record_count
from tests.db_rows import add_channel, add_order
from tests.fakes.reverb import FakeReverb

COUNT_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the moment host A's count is recorded
EARLIER = COUNT_AT - timedelta(days=1)


@pytest.fixture
def hosts(db_path) -> Iterator[tuple]:
    a, b = make_engine(str(db_path)), make_engine(str(db_path))
    yield a, b
    a.dispose()
    b.dispose()


def add_item(engine, sku: str, on_hand: int, counted_at: datetime = EARLIER) -> None:
    with session_scope(engine) as s:
        s.add(InventoryItem(sku=sku, sku_key=sku.lower(), on_hand=on_hand, counted_at=counted_at))


def on_hand(engine, sku: str) -> int:
    with session_scope(engine) as s:
        item = s.exec(select(InventoryItem).where(InventoryItem.sku_key == sku.lower())).one()
        return item.on_hand


def sale_moves(engine) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).where(StockMove.reason == "sale")).one()


def held_open(engine, work: Callable) -> tuple[threading.Thread, threading.Event, list]:
    """Run ``work(session)`` in a transaction on another thread and hold it open, uncommitted,
    until the returned event is set. Returns once the work is done (its locks are held)."""
    done, go, errors = threading.Event(), threading.Event(), []

    def run() -> None:
        try:
            with session_scope(engine) as s:
                work(s)
                done.set()
                assert go.wait(30)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
            done.set()

    t = threading.Thread(target=run)
    t.start()
    assert done.wait(30)
    return t, go, errors


def in_thread(fn: Callable) -> tuple[threading.Thread, list]:
    out: list = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)

    t = threading.Thread(target=run)
    t.start()
    return t, out


def blocked(t: threading.Thread) -> bool:
    """The other host's write is waiting for the held transaction (not done on its own)."""
    time.sleep(0.4)
    return t.is_alive()


def test_a_count_arriving_while_a_later_sale_commits_keeps_the_sale(hosts) -> None:
    """Host B stores a sale paid after the count moment; host A records the count meanwhile.
    The count must not overwrite the sale: 10 counted, one sold after -> 9."""
    a, b = hosts
    cid = add_channel(a, "Shop A").id
    add_item(a, "GTR", 5)
    oid = add_order(
        a, cid, "1001", sku="GTR", status="paid", paid_at=COUNT_AT + timedelta(minutes=1)
    )

    def sale(s) -> None:
        apply_order_stock(s, s.get(Order, oid), COUNT_AT)

    t_sale, go, errors = held_open(b, sale)
    t_count, out = in_thread(
        lambda: InventoryService(a, clock=lambda: COUNT_AT).set_on_hand("GTR", 10)
    )
    try:
        assert blocked(t_count)
    finally:
        go.set()
        t_sale.join(30)
        t_count.join(30)
    assert not errors and not isinstance(out[0], BaseException), (errors, out)
    assert on_hand(a, "GTR") == 9
    assert out[0].on_hand == 9
    assert sale_moves(a) == 1


@pytest.mark.parametrize(
    ("paid", "delta", "left", "moves"),
    [
        # Paid before the count moment: the count already has it (the guitar was gone when
        # counted): 10 stays 10, no stock taken.
        (-1, 0, 10, 0),
        # Paid after it: B waits for the count, then takes its unit: 9, one move.
        (+1, -1, 9, 1),
    ],
    ids=["sale-before-the-count", "sale-after-the-count"],
)
def test_a_sale_stored_while_a_count_commits_lands_once(
    hosts, paid: int, delta: int, left: int, moves: int
) -> None:
    """Host A is recording a count (held open); host B stores a sale of the same SKU. B waits
    for the count; whichever commits first, the sale lands exactly once against it."""
    a, b = hosts
    cid = add_channel(a, "Shop A").id
    add_item(a, "GTR", 5)
    oid = add_order(
        a, cid, "1001", sku="GTR", status="paid", paid_at=COUNT_AT + timedelta(minutes=paid)
    )
    t_count, go, errors = held_open(a, lambda s: record_count(s, "gtr", 10, COUNT_AT))

    def sale() -> int:
        with session_scope(b) as s:
            return apply_order_stock(s, s.get(Order, oid), COUNT_AT)

    t_sale, out = in_thread(sale)
    try:
        assert blocked(t_sale)
    finally:
        go.set()
        t_count.join(30)
        t_sale.join(30)
    assert not errors and out == [delta], (errors, out)
    assert on_hand(a, "GTR") == left
    assert sale_moves(a) == moves


def test_a_csv_import_count_keeps_a_later_sale_stored_by_another_host(hosts, tmp_path) -> None:
    a, b = hosts
    cid = add_channel(a, "Shop A").id
    add_item(a, "GTR", 5)
    oid = add_order(
        a, cid, "1001", sku="GTR", status="paid", paid_at=COUNT_AT + timedelta(minutes=1)
    )
    with session_scope(b) as s:
        apply_order_stock(s, s.get(Order, oid), COUNT_AT)  # stored first, paid after the count
    csv = tmp_path / "count.csv"
    csv.write_text("sku,title,on_hand\nGTR,Guitar,10\n")
    InventoryService(a, clock=lambda: COUNT_AT).import_csv(csv)
    assert on_hand(a, "GTR") == 9


def test_two_hosts_storing_the_same_pages_store_each_order_once(hosts) -> None:
    """Order upserts never duplicate: two hosts store the same pages at once (an overlap, or
    a lease taken over mid-walk), each order is one row and takes stock once."""
    a, b = hosts
    cid = add_channel(a, "Shop A").id
    add_item(a, "SKU-1", 100)
    fake = FakeReverb()
    for _ in range(120):
        fake.add_order(created=COUNT_AT + timedelta(hours=1))
    pages = [fake.orders[i : i + 20] for i in range(0, 120, 20)]
    barrier = threading.Barrier(2)
    results: list = []

    def host(engine) -> None:
        barrier.wait()
        try:
            for page in pages:
                results.append(store_with_retry(engine, cid, page, COUNT_AT))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=host, args=(e,)) for e in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not [r for r in results if isinstance(r, BaseException)], results
    with session_scope(a) as s:
        numbers = s.exec(select(Order.order_number).where(Order.channel_id == cid)).all()
    assert len(numbers) == len(set(numbers)) == 120
    assert sum(r[0] for r in results) == 120  # each stored as new by exactly one host
    assert sale_moves(a) == 120 and on_hand(a, "SKU-1") == -20


def test_a_real_deadlock_between_two_hosts_storing_orders_is_retried(
    hosts, db_backend, monkeypatch
) -> None:
    """Two hosts store a page each while their transactions take two stock rows in
    opposite orders: PostgreSQL aborts one of them (deadlock, SQLSTATE 40P01), and the
    store path runs it again, so both pages land, each order once."""
    if db_backend != "pg":
        pytest.skip("SQLite locks the whole database: two writers wait, never deadlock")
    from sqlalchemy import text

    from reverb_tui.sync import stock
    from reverb_tui.sync.retry import DEADLOCK, sqlstate

    a, b = hosts
    cid = add_channel(a, "Shop A").id
    add_item(a, "GTR", 5)
    add_item(a, "AMP", 5)
    fake = FakeReverb()
    for n in range(4):
        fake.add_order(created=COUNT_AT + timedelta(hours=1 + n))
    pages = {a: fake.orders[:2], b: fake.orders[2:]}
    order = {a: ("gtr", "amp"), b: ("amp", "gtr")}
    real = stock.apply_stock_bulk
    barrier = threading.Barrier(2, timeout=30)
    first_try: dict[int, bool] = {}
    aborted: list[str | None] = []

    def crossing(session, *args, **kw):
        engine = session.get_bind()
        if first_try.setdefault(id(engine), True):
            first_try[id(engine)] = False
            one, two = order[engine]
            session.execute(
                text("UPDATE inventory_item SET on_hand = on_hand WHERE sku_key = :k"), {"k": one}
            )
            barrier.wait()
            try:
                session.execute(
                    text("UPDATE inventory_item SET on_hand = on_hand WHERE sku_key = :k"),
                    {"k": two},
                )
            except Exception as exc:
                aborted.append(sqlstate(exc))
                raise
        return real(session, *args, **kw)

    monkeypatch.setattr(stock, "apply_stock_bulk", crossing)
    threads = {
        e: in_thread(lambda e=e: store_with_retry(e, cid, pages[e], COUNT_AT)) for e in (a, b)
    }
    for t, _out in threads.values():
        t.join(60)
    outs = [out[0] for _t, out in threads.values()]
    assert aborted == [DEADLOCK]  # the server broke a real deadlock, once
    assert not [o for o in outs if isinstance(o, BaseException)], outs
    assert sorted(o[0] for o in outs) == [2, 2]  # every order stored as new, once
    with session_scope(a) as s:
        assert s.exec(select(func.count()).where(Order.channel_id == cid)).one() == 4


def test_serialisation_failures_and_deadlocks_count_as_worth_retrying(hosts, db_backend) -> None:
    """A real serialisation failure (SQLSTATE 40001) is retried like a deadlock; a broken
    constraint is not (running it again would fail the same way)."""
    if db_backend != "pg":
        pytest.skip("SQLite has no row-level serialisation failures")
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from reverb_tui.sync.retry import SERIALIZATION_FAILURE, sqlstate, transient

    a, b = hosts
    add_item(a, "GTR", 5)
    bump = text("UPDATE inventory_item SET on_hand = on_hand + 1 WHERE sku_key = 'gtr'")
    with a.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            conn.execute(text("SELECT on_hand FROM inventory_item"))
            with b.begin() as other:
                other.execute(bump)
            with pytest.raises(DBAPIError) as raised:
                conn.execute(bump)
    assert sqlstate(raised.value) == SERIALIZATION_FAILURE and transient(raised.value)
    with pytest.raises(DBAPIError) as broken, a.begin() as conn:
        conn.execute(
            text("INSERT INTO inventory_item (sku, sku_key, on_hand) VALUES ('x', 'gtr', 1)")
        )
    assert not transient(broken.value)
    assert on_hand(a, "GTR") == 6
