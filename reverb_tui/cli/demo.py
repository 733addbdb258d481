"""``reverb-tui demo``: the TUI against a built-in simulated Reverb on loopback.

The sample integrations are created through the same path as real ones
(``services.channels.add`` verifies the token against the simulator's ``/my/account``), so the
demo exercises the real client, sync and push. Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..demo.options import add_sample_arguments

if TYPE_CHECKING:
    from ..demo.model import SimShop
    from ..demo.simulator import ReverbSimulator
    from ..services.factory import Services

LOCAL_SKUS_PER_SHOP = 25
DEMO_INTERVAL = 15


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo",
        parents=[parent],
        help="open the TUI against a built-in simulated Reverb (no account needed)",
        description=(
            "Start a simulated Reverb on 127.0.0.1 with sample shops, orders and listings, "
            "connect them as integrations (verified like real ones), let sales and status "
            "changes arrive over time, and open the TUI. Without --db the demo uses a fresh "
            "database in a temporary folder, printed on exit."
        ),
    )
    add_sample_arguments(
        p, orders=300, listings=150, shops=(1, 2), default_shops=2, activity=5.0, latency=0.05
    )
    p.add_argument(
        "--no-tui",
        action="store_true",
        help="do not open the TUI: print the API URL and serve until Ctrl-C",
    )
    from .tui import theme_flag

    theme_flag(p)
    # For tests: serve this long with --no-tui, then stop as if Ctrl-C was pressed.
    p.add_argument("--serve-seconds", type=float, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio
    import secrets
    import tempfile
    from pathlib import Path

    from ..demo.simulator import ReverbSimulator
    from ..errors import UserError
    from ..services.factory import build_services
    from .common import err

    if args.listings == 0 and args.orders > 0:
        raise UserError("Orders need listings: give --listings 1 or more.")
    # The demo never falls back to $REVERB_TUI_DB or the user's real database.
    explicit = getattr(args, "db", None)
    temp_dir = None
    if explicit:
        db = explicit
    else:
        temp_dir = tempfile.mkdtemp(prefix="reverb-tui-demo-")
        db = str(Path(temp_dir) / "reverb.db")

    sim = ReverbSimulator(seed=args.seed, latency=args.latency)
    services = None
    try:
        tokens = ["demo_" + secrets.token_urlsafe(24) for _ in range(args.shops)]
        shops = sim.add_sample_shops(
            args.shops,
            tokens=tokens,
            orders=args.orders,
            listings=args.listings,
            days=args.days,
            seed=args.seed,
        )
        sim.start()
        services = build_services(db)
        notes = asyncio.run(setup_demo(services, sim, shops, days=args.days))
        if args.activity > 0:
            sim.start_activity(args.activity)
        if args.no_tui:
            _print_banner(sim, shops, db, notes)
            _serve(args.serve_seconds)
        else:
            _run_tui(services, args.theme)
    finally:
        sim.stop()
        if services is not None:
            services.close()
        if temp_dir is not None:
            err(f"Demo database: {db} (a temporary folder; delete it when you are done).")
    return 0


async def setup_demo(
    services: Services,
    sim: ReverbSimulator,
    shops: list[SimShop],
    *,
    days: int = 60,
    interval: int = DEMO_INTERVAL,
) -> list[str]:
    """Connect each simulated shop as an integration, like the wizard does, and give the
    database a small local inventory. Returns notes worth printing.

    An integration of the same name (a re-run on the same ``--db``) is reauthorised against
    the new simulator instead; both paths verify the token with Reverb first.
    """
    import asyncio
    from datetime import timedelta

    from ..db.models import row_id
    from ..errors import NotFound

    notes: list[str] = []
    since = (services.clock() - timedelta(days=days + 1)).date().isoformat()
    for shop in shops:
        try:
            existing = await asyncio.to_thread(services.channels.get, shop.name)
        except NotFound:
            existing = None
        if existing is None:
            ch = await services.channels.add(
                name=shop.name,
                currency=shop.currency,
                token=shop.token,
                site=sim.base_url,
                since=since,
            )
        else:
            ch = await services.channels.reauthorise(
                row_id(existing), site=sim.base_url, token=shop.token
            )
            notes.append(f"Integration {shop.name!r} already existed: reauthorised it.")
        await asyncio.to_thread(
            services.channels.update_settings,
            row_id(ch),
            stock_updates=True,
            interval_seconds=interval,
        )
    notes.extend(await asyncio.to_thread(seed_inventory, services, sim, shops))
    return notes


def seed_inventory(services: Services, sim: ReverbSimulator, shops: list[SimShop]) -> list[str]:
    """A small local inventory: SKUs listed on the sample shops, shared ones first.

    Optional: skipped (with a note) when this build has no inventory service. Skipped too
    when the database already holds local SKUs (a re-run keeps the user's counts).
    """
    try:
        inventory = services.inventory
    except ImportError:
        return ["This build has no local inventory service: no sample stock was created."]
    if inventory.count() > 0:
        return []
    rows = sample_inventory(sim, shops)
    for sku, title, on_hand in rows:
        inventory.upsert(sku, title=title, on_hand=on_hand)
    return [f"Created {len(rows)} local SKUs linked by SKU to the sample listings."]


def sample_inventory(
    sim: ReverbSimulator, shops: list[SimShop], per_shop: int = LOCAL_SKUS_PER_SHOP
) -> list[tuple[str, str, int]]:
    """(sku, title, on_hand) for up to ``per_shop`` live listings of each shop, preferring
    SKUs that more than one shop lists; on hand is the largest listing inventory seen."""
    shared = sim.shared_skus()
    chosen: dict[str, tuple[str, int]] = {}
    for shop in shops:
        live = [
            x
            for x in sim.listings(shop)
            if x.get("sku") and x["state"]["slug"] in ("live", "sold_out")
        ]
        live.sort(key=lambda x: (x["sku"] not in shared, -x["inventory"], x["sku"]))
        for x in live[:per_shop]:
            title, on_hand = chosen.get(x["sku"], (x["title"], 0))
            chosen[x["sku"]] = (title, max(on_hand, x["inventory"], 1))
    return [(sku, title, on_hand) for sku, (title, on_hand) in sorted(chosen.items())]


def _print_banner(sim: ReverbSimulator, shops: list[SimShop], db: str, notes: list[str]) -> None:
    import shlex

    from ..errors import mask_token

    lines = [f"Simulated Reverb listening at {sim.base_url}"]
    for s in shops:
        lines.append(
            f"  {s.name}  {s.currency}  seller {s.seller_id}  token {mask_token(s.token)}  "
            f"{len(s.orders)} orders, {len(s.listings)} listings"
        )
    lines.extend(notes)
    lines.append(f"Database: {db}")
    lines.append(
        f"Try in another shell: reverb-tui --db {shlex.quote(db)} channels list "
        "(or sync, orders list, log)."
    )
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def _serve(seconds: float | None) -> None:
    import threading

    try:
        threading.Event().wait(seconds)
    except KeyboardInterrupt:
        pass


def _run_tui(services: Any, theme: str | None = None) -> None:
    from ..errors import UserError

    try:
        from ..app import ReverbApp
    except ModuleNotFoundError as exc:
        if exc.name != "reverb_tui.app":
            raise
        raise UserError(
            "The TUI is not part of this build yet; run `reverb-tui demo --no-tui` instead."
        ) from None
    from ..config import tui_settings

    ReverbApp(services, settings=tui_settings(theme)).run()
