"""Two ``sync --watch`` daemons as two hosts on one database: they share the integrations,
and when one is SIGKILLed the other takes its integrations over within the lease period,
with no integration ever synced by both at once. Sales arrive before and after the kill:
every order is stored exactly once and each sale takes its stock exactly once.

Each daemon is a real process with a host identity of its own (``$REVERB_TUI_HOST_ID``),
against the demo simulator, with a 3 s lease period so the test takes seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from reverb_tui.cli.demo import setup_demo
from reverb_tui.db.models import SyncRun
from reverb_tui.db.types import db_now
from reverb_tui.demo.simulator import ReverbSimulator
from reverb_tui.sync.cluster import cluster_status

pytestmark = pytest.mark.slow

LEASE = 3  # seconds
SLACK = 2.0  # seconds of a loaded machine on top of the lease period


def wait_for(what: str, check: Callable[[], object], timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def shop(make_services) -> Iterator:
    """Three simulated shops connected as integrations; the services on the database."""
    sim = ReverbSimulator(seed=7)
    shops = sim.add_sample_shops(3, orders=40, listings=15)
    sim.start()
    svc = make_services()
    try:
        asyncio.run(setup_demo(svc, sim, shops, days=30, interval=10))
        svc.sim = sim  # the test adds sales while the daemons run
        yield svc
    finally:
        sim.stop()


def start_daemon(db: str, host: str, workdir: Path) -> subprocess.Popen:
    env = dict(os.environ, REVERB_TUI_HOST_ID=host, REVERB_TUI_LOG_DIR=str(workdir / host))
    return subprocess.Popen(
        [sys.executable, "-m", "reverb_tui", "--db", db, "sync", "--watch", "--interval", "2"]
        + ["--lease-seconds", str(LEASE)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / f"{host}.err", "w"),
    )


def holdings(engine) -> dict[str, set[str]]:
    """Integrations held by each live daemon, by host."""
    st = cluster_status(engine)
    return {d.host: set(d.holds) for d in st.daemons if d.daemon and d.alive}


def test_a_killed_daemon_is_taken_over_within_the_lease_period(
    shop, db_path, tmp_path: Path
) -> None:
    engine = shop.engine
    names = {c.name for c in shop.channels.list()}
    assert len(names) == 3
    a = start_daemon(str(db_path), "host-a", tmp_path)
    b = None
    try:
        wait_for("host-a to hold every integration", lambda: holdings(engine) == {"host-a": names})
        b = start_daemon(str(db_path), "host-b", tmp_path)

        def shared() -> dict[str, set[str]] | None:
            held = holdings(engine)
            sizes = sorted(len(v) for v in held.values())
            return held if set(held) == {"host-a", "host-b"} and sizes == [1, 2] else None

        on_hand_before = wait_for(
            "a first sync of every integration", lambda: _after_first_syncs(engine, names)
        )
        assert isinstance(on_hand_before, dict)
        sales = [_sell(shop.sim, n, on_hand_before) for n in sorted(names) for _ in range(2)]

        held = wait_for("the two daemons to share the three integrations", shared)
        assert isinstance(held, dict)
        assert held["host-a"] | held["host-b"] == names
        a_held = held["host-a"]
        time.sleep(LEASE)  # let both run a few syncs side by side

        a.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        a.wait(10)
        with engine.connect() as conn:
            killed_at = conn.execute(select(db_now())).scalar_one()
        wait_for(
            "host-b to hold every integration",
            lambda: holdings(engine).get("host-b") == names,
            timeout=LEASE + SLACK + 10,
        )
        taken_after = time.monotonic() - killed
        assert taken_after <= LEASE + SLACK, f"took {taken_after:.1f} s"

        def synced_by_b() -> bool:
            runs = _runs(engine)
            return all(
                any(h == "host-b" and start > killed_at for h, start, _ in runs.get(name, []))
                for name in a_held
            )

        wait_for("host-b to sync host-a's integrations", synced_by_b, timeout=15)
        sales += [_sell(shop.sim, n, on_hand_before) for n in sorted(names)]
        want = sorted(set(_stored(engine)) | {(s["_shop"], str(s["order_number"])) for s in sales})
        try:
            wait_for("every sale to be stored", lambda: _stored(engine) == want, timeout=30)
        except AssertionError:
            got = _stored(engine)
            raise AssertionError(
                f"missing {sorted(set(want) - set(got))}, extra {sorted(set(got) - set(want))}, "
                f"{len(got) - len(set(got))} duplicated"
            ) from None
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(15)
    assert b is not None and b.returncode == 0, (tmp_path / "host-b.err").read_text()

    # Each sale took its unit exactly once, whichever host stored it (and none other moved).
    from collections import Counter

    from reverb_tui.db.models import fold

    sold = Counter(fold(sale["sku"]) for sale in sales)
    with engine.connect() as conn:
        from reverb_tui.db.models import InventoryItem

        after = dict(conn.execute(select(InventoryItem.sku_key, InventoryItem.on_hand)).all())
    assert {k: on_hand_before[k] - after[k] for k in after if after[k] != on_hand_before[k]} == (
        dict(sold)
    )

    # No integration was ever synced by both hosts at once. A run of the killed daemon that
    # never finished ended at the latest when it was killed.
    for name, runs in _runs(engine).items():
        spans = [(start, end or killed_at, host) for host, start, end in runs]
        for s1, e1, h1 in spans:
            for s2, e2, h2 in spans:
                overlap = s1 < e2 and s2 < e1
                assert h1 == h2 or not overlap, f"{name}: {h1} {s1}-{e1} and {h2} {s2}-{e2}"
        assert {h for _s, _e, h in spans} == {"host-a", "host-b"} or name not in a_held


def _sell(sim, shop_name: str, local: dict[str, int]) -> dict:
    """A paid sale of one unit on a listing whose SKU is in the local inventory."""
    from reverb_tui.db.models import fold

    shop = next(s for s in sim.shops.values() if s.name == shop_name)
    for listing in sorted(shop.listings.values(), key=lambda x: x.id):
        if listing.sellable and listing.inventory >= 1 and fold(listing.sku or "") in local:
            try:
                return {**sim.add_sale(shop, listing_id=listing.id), "_shop": shop_name}
            except ValueError:
                continue
    raise AssertionError(f"no listing of {shop_name} can take a sale")


def _after_first_syncs(engine, names: set[str]) -> dict[str, int] | None:
    """Each local SKU's on hand once every integration finished a sync, else None."""
    from reverb_tui.db.models import Channel, InventoryItem

    with engine.connect() as conn:
        done = set(
            conn.execute(
                select(Channel.name)
                .join(SyncRun, Channel.id == SyncRun.channel_id)
                .where(SyncRun.status == "ok", SyncRun.kind == "sync")
            ).scalars()
        )
        if done < names:
            return None
        return dict(conn.execute(select(InventoryItem.sku_key, InventoryItem.on_hand)).all())


def _stored(engine) -> list[tuple[str, str]]:
    """(integration, order number) of every stored order, duplicates kept, sorted."""
    from reverb_tui.db.models import Channel, Order

    with engine.connect() as conn:
        return sorted(
            conn.execute(
                select(Channel.name, Order.order_number).join(
                    Channel, Channel.id == Order.channel_id
                )
            ).all()
        )


def _on_reverb(sim, names: set[str]) -> list[tuple[str, str]]:
    out = []
    for shop in sim.shops.values():
        if shop.name in names:
            out += [(shop.name, str(o["order_number"])) for o in sim.orders(shop)]
    return sorted(out)


def _runs(engine) -> dict[str, list[tuple[str, datetime, datetime | None]]]:
    """Each integration's runs: (host, started, finished), on the database's clock."""
    from reverb_tui.db.models import Channel
    from reverb_tui.sync.cluster import parse_holder

    out: dict[str, list[tuple[str, datetime, datetime | None]]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Channel.name, SyncRun.holder, SyncRun.started_at, SyncRun.finished_at).join(
                Channel, Channel.id == SyncRun.channel_id
            )
        ).all()
    for name, holder, started, finished in rows:
        out.setdefault(name, []).append((parse_holder(holder or "")[0], started, finished))
    return out
