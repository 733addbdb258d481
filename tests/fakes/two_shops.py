"""Two simulated Reverb accounts selling the same SKUs, connected as two integrations with
stock updates on and a local stock take: the set-up of the tests where a sale on one account
must correct the other (the quick check, the push beside order storage)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reverb_tui.demo.simulator import ReverbSimulator
from reverb_tui.services.factory import Services

SHOPS = ("Shop A", "Shop B")


def two_shop_simulator(
    seed: int, tokens: Sequence[str], skus: Sequence[str], inventory: int
) -> ReverbSimulator:
    """Shop A and Shop B (one token each), each with a brand-new listing of every SKU."""
    sim = ReverbSimulator(seed=seed)
    for token, name in zip(tokens, SHOPS, strict=True):
        sim.add_shop(token, name, "USD")
        for sku in skus:
            sim.add_listing(name, sku=sku, condition="brand-new", inventory=inventory)
    return sim


async def connect_two_shops(
    svc: Services,
    sim: ReverbSimulator,
    tokens: Sequence[str],
    skus: Sequence[str],
    on_hand: int,
    workdir: Path,
) -> None:
    """Both shops added as integrations (orders from three days back), stock updates on, and
    every SKU counted at ``on_hand`` now."""
    since = datetime.now(UTC) - timedelta(days=3)
    for name, token in zip(SHOPS, tokens, strict=True):
        await svc.channels.add(
            name=name, currency="USD", token=token, site=sim.base_url, since=since
        )
        svc.channels.update_settings(name, stock_updates=True)
    csv = workdir / "stock.csv"
    csv.write_text("sku,title,on_hand\n" + "".join(f"{s},{s},{on_hand}\n" for s in skus))
    svc.inventory.import_csv(csv)
