"""``reverb-tui report``: orders and revenue per integration per day (docs/cli.md)."""

from __future__ import annotations

import argparse

from .common import json_flag, print_json, services


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "report",
        parents=[parent],
        help="orders and revenue per integration per day, totals, top SKUs",
        description=(
            "Orders and revenue per integration per day over a range of UTC days (default: the "
            "last 30 days ending today), totals in each currency and the top SKUs. Revenue "
            "counts paid, shipped, picked-up and received orders on the day they were paid. "
            "A removed and re-created integration is reported as two separate integrations."
        ),
    )
    p.add_argument(
        "--channel", metavar="NAME", default=None, help="only the integration(s) with this name"
    )
    p.add_argument(
        "--from", dest="start", metavar="YYYY-MM-DD", default=None, help="first day (UTC)"
    )
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", default=None, help="last day (UTC)")
    json_flag(p)
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from ..services.reports import parse_day, resolve_range

    start = parse_day(args.start, "--from date")
    end = parse_day(args.end, "--to date")
    if start is not None and end is not None:
        resolve_range(start, end, end)  # refuse a reversed range before opening the database
    svc = services(args)
    try:
        doc = svc.reports.report(start=start, end=end, channel=args.channel)
    finally:
        svc.close()
    if args.json:
        print_json(doc)
    else:
        print_text(doc)
    return 0


def print_text(doc: dict) -> None:
    import shutil

    from ..services.reports import format_cents, sparkline

    rng = doc["range"]
    chans = doc["channels"]
    print(f"Report {rng['start']} to {rng['end']} ({rng['days']} days, UTC).")
    if not chans:
        print("No sales channel integrations yet. Add one with: reverb-tui channels add --help")
        return
    print("Revenue counts paid, shipped, picked-up and received orders, on the day paid.")
    print()

    name_w = max(11, *(len(c["label"]) for c in chans))
    head = f"{'INTEGRATION':<{name_w}}  CUR  {'ORDERS':>7} {'UNITS':>7} {'REVENUE':>14} {'ALL':>7}"
    print(head)
    for c in chans:
        for i, (cur, t) in enumerate(c["totals"].items()):
            label = c["label"] if i == 0 else ""
            print(
                f"{label:<{name_w}}  {cur:<4} {t['orders']:>7} {t['units']:>7} "
                f"{format_cents(t['revenue_cents']):>14} {t['orders_all']:>7}"
            )
    if len(chans) > 1:
        for i, (cur, t) in enumerate(doc["totals"].items()):
            label = "All" if i == 0 else ""
            print(
                f"{label:<{name_w}}  {cur:<4} {t['orders']:>7} {t['units']:>7} "
                f"{format_cents(t['revenue_cents']):>14} {t['orders_all']:>7}"
            )
    print("(ALL counts every order, including pending, cancelled and refunded ones.)")

    cols = shutil.get_terminal_size(fallback=(100, 24)).columns
    width = max(10, cols - name_w - 14)
    days = rng["days"]
    per_mark = -(-days // width) if days > width else 1
    print()
    note = "" if per_mark == 1 else f", each mark {per_mark} days"
    print(f"Orders per day ({rng['start']} to {rng['end']}{note}):")
    for c in chans:
        values = [d["orders"] for d in c["daily"]]
        line = sparkline(values, width)
        peak = max(values) if values else 0
        print(f"{c['label']:<{name_w}}  {line}  max {peak}/day")

    for c in chans:
        if not c["top_skus"]:
            continue
        print()
        print(f"Top SKUs of {c['label']}:")
        sku_w = max(3, *(len(s["sku"]) for s in c["top_skus"]))
        for s in c["top_skus"]:
            money = ", ".join(f"{cur} {format_cents(v)}" for cur, v in s["revenue_cents"].items())
            tag = "" if s["linked"] else "  (channel SKU, not linked)"
            print(
                f"  {s['sku']:<{sku_w}}  {s['units']:>6} units  {s['orders']:>6} orders  {money}{tag}"
            )
