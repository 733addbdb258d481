"""``reverb-tui log``: the sync log, newest first, each failure with the API's message."""

from __future__ import annotations

import argparse

from .common import err, json_flag, print_json, services

HUMAN_LIMIT = 20  # runs shown without --limit and without --json


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "log",
        parents=[parent],
        help="show the sync log",
        description="Show sync runs, newest first, with counts, duration and every error.",
    )
    p.add_argument("--channel", metavar="NAME", default=None, help="only this integration")
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="at most N runs (0 = all; default: all with --json, the newest 20 otherwise)",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_log)


def cmd_log(args: argparse.Namespace) -> int:
    from ..errors import UserError

    if args.limit is not None and args.limit < 0:
        raise UserError("The limit must be 0 (all) or more.")
    # A JSON list holds every match unless a limit is asked for (scripts must never miss a
    # run silently); the human listing keeps to a screenful.
    limit = args.limit if args.limit is not None else (0 if args.json else HUMAN_LIMIT)
    svc = services(args)
    _close_abandoned(svc)
    runs = svc.sync_log.runs(args.channel, limit=limit)
    if args.json:
        print_json(runs)
        return 0
    if not runs:
        print("The sync log is empty.")
        return 0
    if limit and len(runs) == limit:
        err(f"(the newest {limit} runs; --limit 0 shows all)")
    for r in runs:
        secs = f"{r['seconds']:.1f}s" if r["seconds"] is not None else "running"
        print(
            f"{r['started_at']}  {r['channel']:<20} {r['kind']:<7} {r['status']:<8} {secs:>8}  "
            f"orders +{r['orders_new']} ~{r['orders_updated']}  listings {r['listings_seen']} "
            f"pushed {r['listings_pushed']} skipped {r['listings_skipped']} "
            f"failed {r['listings_failed']}  {r['requests']} req" + _not_stored(r)
        )
        for e in r["errors"]:
            item = f"{e['item']}: " if e["item"] else ""
            print(f"    ! {item}{e['message']}")
    return 0


def _not_stored(run: dict) -> str:
    """The records Reverb sent that could not be stored (each is one of the errors below)."""
    parts = [
        f"{n} {what}"
        for n, what in ((run["orders_invalid"], "orders"), (run["listings_invalid"], "listings"))
        if n
    ]
    return f"  not stored: {', '.join(parts)}" if parts else ""


def _close_abandoned(svc) -> None:
    """Runs a killed process left "running" are shown (and stored) as interrupted."""
    from sqlalchemy.exc import OperationalError

    from ..sync.service import close_abandoned_runs

    try:
        close_abandoned_runs(svc.engine, svc.clock())
    except OperationalError:
        pass  # a read-only or busy database: the listing still shows what is stored
