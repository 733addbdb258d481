"""``reverb-tui sync``: one pass, or ``--watch`` as a daemon beside an open TUI."""

from __future__ import annotations

import argparse

from ..domain import PlanAction, RunKind, RunStatus
from .common import err, json_flag, print_json, services

# After SIGTERM or SIGINT, how long a run may take to reach a clean stop before it is
# cancelled (the daemon must be gone within 2 s, back-off waits included).
STOP_GRACE = 1.2


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "sync",
        parents=[parent],
        help="download orders and push stock now, or run as a daemon (--watch)",
        description=(
            "Download orders and push stock levels for every enabled integration (or one). "
            "Exit 0 when every integration completed its walk and push (failed items are "
            "counted and logged), 1 when any could not. With --watch it runs until SIGINT or "
            "SIGTERM, logging one line per run to stderr and to a rotating log file "
            "(reverb-tui.log in the user log directory, or $REVERB_TUI_LOG_DIR); runs that "
            "fail are logged at ERROR, runs with item errors at WARNING."
        ),
    )
    p.add_argument("--channel", metavar="NAME", default=None, help="only this integration")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--orders-only", action="store_true", help="download orders, push nothing")
    only.add_argument("--stock-only", action="store_true", help="push stock, download no orders")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="preview the stock push: each listing's current and new value, no writes",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="keep syncing each integration on its interval until SIGINT/SIGTERM",
    )
    p.add_argument(
        "--interval",
        type=int,
        default=None,
        metavar="SECONDS",
        help="with --watch: sync every N seconds instead of each integration's own",
    )
    p.add_argument(
        "--lease-seconds",
        type=int,
        default=None,
        metavar="SECONDS",
        help=(
            "with --watch: the lease period (default 60, or $REVERB_TUI_LEASE_SECONDS, or "
            "lease_seconds in the config file): another daemon takes over this one's "
            "integrations within it once this one dies"
        ),
    )
    talk = p.add_mutually_exclusive_group()
    talk.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="with --watch: log debug detail too (stderr and the log file)",
    )
    talk.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="with --watch: only errors on stderr (the log file keeps every run)",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    import asyncio

    from ..errors import UserError

    if args.watch:
        if args.json or args.dry_run or args.orders_only or args.stock_only or args.channel:
            raise UserError(
                "--watch syncs every enabled integration; it takes only --interval, "
                "--lease-seconds, --verbose or --quiet."
            )
        if args.interval is not None and args.interval < 1:
            raise UserError("The interval must be at least 1 second.")
        return asyncio.run(_watch(args))
    if args.interval is not None:
        raise UserError("--interval goes with --watch.")
    if args.lease_seconds is not None:
        raise UserError("--lease-seconds goes with --watch.")
    if args.verbose or args.quiet:
        raise UserError("--verbose and --quiet go with --watch.")
    kind = run_kind(args)
    svc = services(args)
    summaries = asyncio.run(svc.sync.run(kind, args.channel, wait_for_lease=60.0))
    if args.json:
        print_json([s.to_json() for s in summaries])
    else:
        if not summaries:
            print("No enabled integrations to sync.")
        for s in summaries:
            _print_summary(s, args.dry_run)
    return 0 if all(s.completed for s in summaries) else 1


def run_kind(args: argparse.Namespace) -> RunKind:
    """The run the flags ask for; the flags' wording stays here, in the CLI."""
    from ..errors import UserError

    if args.orders_only and args.stock_only:
        raise UserError("Choose --orders-only or --stock-only, not both.")
    if args.dry_run and args.orders_only:
        raise UserError("--dry-run previews a stock push; it cannot go with --orders-only.")
    if args.dry_run:
        return RunKind.DRY_RUN
    if args.stock_only:
        return RunKind.STOCK
    if args.orders_only:
        return RunKind.ORDERS
    return RunKind.SYNC


def _print_summary(s, dry_run: bool) -> None:
    state = {
        RunStatus.OK: "ok",
        RunStatus.PARTIAL: "done with item errors",
        RunStatus.FAILED: "FAILED",
        RunStatus.INTERRUPTED: "interrupted (stopped before it finished)",
    }.get(s.status, s.status)
    if dry_run:
        # A dry run pushes nothing: what it would write is the plan's "write" rows.
        writes = sum(1 for r in s.plan if r.get("action") == PlanAction.WRITE)
        print(
            f"{s.channel}: dry run, {s.listings_seen} listings read; would write "
            f"{writes}, skip {s.listings_skipped}."
        )
        rows = [r for r in s.plan if r.get("action") != PlanAction.SAME]
        if rows:
            print(f"  {'LISTING':<12} {'SKU':<20} {'NOW':>5} {'NEW':>5}  {'ACTION':<10}  RULE")
        for r in rows:
            print(
                f"  {str(r.get('listing_id')):<12} {str(r.get('sku') or ''):<20} "
                f"{str(r.get('current')):>5} {str(r.get('new')):>5}  "
                f"{str(r.get('action')):<10}  {r.get('rule') or ''}".rstrip()
            )
    else:
        print(
            f"{s.channel}: {state}; orders {s.orders_new} new, {s.orders_updated} updated; "
            f"listings {s.listings_seen} seen, {s.listings_pushed} pushed, "
            f"{s.listings_skipped} skipped, {s.listings_failed} failed"
            + (
                f"; not stored: {s.orders_invalid} orders, {s.listings_invalid} listings."
                if s.orders_invalid or s.listings_invalid
                else "."
            )
        )
    for e in s.errors:
        err(f"  {s.channel}: {e}")


def log_failures(summaries, _request=None) -> None:
    """A run that could not complete at ERROR, one with item errors at WARNING, so that
    ``journalctl -p warning`` (or grep on the log file) finds every problem."""
    import logging

    log = logging.getLogger("reverb_tui.daemon")
    for s in summaries:
        errors = f"{len(s.errors)} error{'' if len(s.errors) == 1 else 's'}"
        first = f"; first: {s.errors[0]}" if s.errors else ""
        if s.status in (RunStatus.FAILED, RunStatus.INTERRUPTED):
            log.error("%s: sync failed (%s%s)", s.channel, errors, first)
        elif s.status == RunStatus.PARTIAL:
            log.warning("%s: sync done with item errors (%s%s)", s.channel, errors, first)


async def _watch(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from ..logs import LOG_FILE_NAME, setup_logging
    from ..paths import log_dir

    if args.verbose:
        console, file_level = logging.DEBUG, logging.DEBUG
    else:
        console, file_level = (logging.ERROR if args.quiet else logging.INFO), logging.INFO
    log_file = setup_logging(console, log_file=log_dir() / LOG_FILE_NAME, file_level=file_level)
    log = logging.getLogger("reverb_tui.sync")
    svc = services(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def daemon() -> None:
        team = await _join_team(svc, args)
        await _watch_in_team(svc, team, args, stop)

    watching = asyncio.create_task(daemon())

    def on_signal() -> None:
        if stop.is_set():
            return
        stop.set()  # a run stops between pages, and any back-off wait ends now
        # Whatever still waits (another request queued behind a 429 pause) is cancelled: the
        # run is closed as interrupted and the daemon is gone well within 2 s.
        loop.call_later(STOP_GRACE, watching.cancel)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    log.info(
        "sync daemon started (%s); stop with Ctrl-C or SIGTERM; log file: %s",
        f"every {args.interval}s" if args.interval else "each integration on its interval",
        log_file or "none",
    )
    try:
        await watching
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
    finally:
        svc.close()
    log.info("sync daemon stopped")
    return 0


async def _join_team(svc, args: argparse.Namespace):
    """Register this daemon among those sharing the database and claim its share of the
    integrations (sync/cluster.py) before the first run."""
    import asyncio

    from ..sync.cluster import Membership
    from ..sync.lease import lease_period

    period = lease_period(args.lease_seconds)
    svc.sync.lease_period = period
    team = Membership(svc.engine, period)
    await asyncio.to_thread(team.step)
    return team


async def _watch_in_team(svc, team, args: argparse.Namespace, stop) -> None:
    """The watch loop over the integrations this daemon holds, beside its heartbeat; on the
    way out its claims go back at once, so the other daemons need not wait a lease period."""
    import asyncio
    import contextlib
    import logging

    beating = asyncio.Event()
    heart = asyncio.create_task(team.run(beating))
    try:
        await svc.sync.watch(
            interval=args.interval,
            stop=stop,
            on_run=log_failures,
            scope=lambda channels: [c for c in channels if c.id in team.held],
        )
    finally:
        beating.set()
        await asyncio.gather(heart, return_exceptions=True)
        with contextlib.suppress(Exception):  # the database gone: the claims expire instead
            await asyncio.to_thread(team.leave)
        logging.getLogger("reverb_tui.sync").debug("daemon %s left", team.holder)
