"""Command-line options shared by ``reverb-tui demo`` (cli/demo.py) and the standalone runner
(``python -m reverb_tui.demo``): the sample data, its pace and the added latency.

Imports nothing but argparse, so the CLI can build its parser without loading the simulator.
"""

from __future__ import annotations

import argparse

MAX_COUNT = 100_000


def count(text: str) -> int:
    """A whole number from 0 to 100000 (orders, listings)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and {MAX_COUNT}")
    return value


def days(text: str) -> int:
    value = count(text)
    if not 1 <= value <= 3650:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 and 3650")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 3600 seconds")
    return value


def add_sample_arguments(
    p: argparse.ArgumentParser,
    *,
    orders: int,
    listings: int,
    shops: tuple[int, ...],
    default_shops: int,
    activity: float,
    latency: float,
) -> None:
    """--orders, --listings, --shops, --activity, --days, --seed and --latency, with these
    defaults (``shops``: the counts allowed)."""
    p.add_argument(
        "--orders",
        type=count,
        default=orders,
        metavar="N",
        help=f"order history per sample shop (default {orders})",
    )
    p.add_argument(
        "--listings",
        type=count,
        default=listings,
        metavar="N",
        help=f"listings per sample shop (default {listings})",
    )
    p.add_argument(
        "--shops",
        type=int,
        choices=shops,
        default=default_shops,
        help=f"how many sample Reverb accounts (default {default_shops})",
    )
    p.add_argument(
        "--activity",
        type=seconds,
        default=activity,
        metavar="SECONDS",
        help=f"a new sale or status change every SECONDS (default {activity:g}; 0 = none)",
    )
    p.add_argument(
        "--days", type=days, default=60, metavar="N", help="days of order history (default 60)"
    )
    p.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    p.add_argument(
        "--latency",
        type=seconds,
        default=latency,
        metavar="SECONDS",
        help=f"added to every simulated request (default {latency:g})",
    )
