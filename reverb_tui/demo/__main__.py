"""The standalone simulator: ``python -m reverb_tui.demo --port 8765 --orders 500 --shops 2``.

Prints one JSON line (base URL, control URL, shops with masked tokens) when it listens, serves
until SIGINT/SIGTERM, then prints the counters as one JSON line. The chaos test runs it in its
own process and drives it through the control API (``/_sim``). The sample-data options are
those of ``reverb-tui demo`` (options.py); the fault knobs are ``FaultPlan``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .model import LINK_STYLES
from .options import add_sample_arguments

PROG = "python -m reverb_tui.demo"


def build_arg_parser(prog: str = PROG) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run the simulated Reverb API on loopback. Prints one JSON line "
            "{base_url, control_url, shops} when listening; serves until SIGINT/SIGTERM, then "
            "prints the counters as one JSON line."
        ),
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    add_sample_arguments(
        p, orders=200, listings=120, shops=(1, 2, 3), default_shops=1, activity=0.0, latency=0.0
    )
    p.add_argument(
        "--token",
        action="append",
        default=[],
        help="a shop's bearer token (repeat per shop; also $REVERB_SIM_TOKENS, comma-separated)",
    )
    p.add_argument("--link-style", choices=LINK_STYLES, default="mixed")
    p.add_argument("--rate-limit", type=int, default=0, help="requests per token per second")
    p.add_argument(
        "--rate-window",
        type=float,
        default=1.0,
        help="the rate limit's window in seconds (default 1; a little less tolerates jitter)",
    )
    p.add_argument("--retry-after", type=float, default=None)
    p.add_argument("--fail-rate", type=float, default=0.0)
    p.add_argument("--burst-429", type=int, default=0)
    p.add_argument("--slow-rate", type=float, default=0.0)
    p.add_argument("--slow-seconds", type=float, default=30.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--malformed-rate", type=float, default=0.0)
    p.add_argument("--faults-on-writes", action="store_true")
    p.add_argument("--ready-file", default=None, help="also write the ready JSON to this file")
    return p


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    from .control import jsonable
    from .model import shop_summary
    from .simulator import ReverbSimulator

    args = build_arg_parser(prog).parse_args(argv)
    tokens = list(args.token)
    env = os.environ.get("REVERB_SIM_TOKENS", "")
    tokens += [t.strip() for t in env.split(",") if t.strip()]
    try:
        sim = ReverbSimulator(
            args.host,
            args.port,
            seed=args.seed,
            link_style=args.link_style,
            latency=args.latency,
            rate_limit=args.rate_limit or None,
            rate_window=args.rate_window,
            retry_after=args.retry_after,
            fail_rate=args.fail_rate,
            burst_429=args.burst_429,
            slow_rate=args.slow_rate,
            slow_seconds=args.slow_seconds,
            drop_rate=args.drop_rate,
            malformed_rate=args.malformed_rate,
            faults_on_writes=args.faults_on_writes,
        )
        shops = sim.add_sample_shops(
            args.shops,
            tokens=tokens,
            orders=args.orders,
            listings=args.listings,
            days=args.days,
            seed=args.seed,
        )
        sim.start()
    except (ValueError, TypeError, OSError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 2
    ready = {
        "base_url": sim.base_url,
        "control_url": sim.control_url,
        "shops": [shop_summary(s) for s in shops],
    }
    line = json.dumps(ready)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(line + "\n")
        os.replace(tmp, args.ready_file)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    try:
        if args.activity > 0:
            sim.start_activity(args.activity)
        sim.serve_until_signal()
    finally:
        sim.stop()
        sys.stdout.write(json.dumps(jsonable(sim.stats())) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
