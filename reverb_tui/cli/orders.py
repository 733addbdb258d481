"""``reverb-tui orders …``: the order book from a shell (docs/cli.md)."""

from __future__ import annotations

import argparse
import sys

from .common import json_flag, json_text, nonneg_int, print_json, services


def register(sub, parent: argparse.ArgumentParser) -> None:
    grp = sub.add_parser(
        "orders",
        parents=[parent],
        help="list, show, ship, pick up and export orders; apply current mappings",
        description="Downloaded Reverb orders.",
    )
    cmds = grp.add_subparsers(dest="orders_command", metavar="SUBCOMMAND")

    p = cmds.add_parser(
        "list",
        parents=[parent],
        help="list orders, newest first",
        description=(
            "List downloaded orders, newest first. Prints every matching order unless --limit "
            "is given."
        ),
    )
    p.add_argument("--channel", metavar="NAME", default=None, help="only this integration")
    p.add_argument(
        "--status",
        metavar="S",
        default=None,
        help="only this Reverb status (e.g. paid, shipped, cancelled)",
    )
    p.add_argument(
        "--exceptions",
        action="store_true",
        help="only orders whose SKU or shipping method is unmapped",
    )
    p.add_argument(
        "--search",
        metavar="TEXT",
        default=None,
        help="order number, channel SKU, local SKU or buyer name contains TEXT",
    )
    p.add_argument(
        "--limit", metavar="N", type=nonneg_int, default=None, help="print at most N orders"
    )
    json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = cmds.add_parser(
        "show",
        parents=[parent],
        help="show one order",
        description="Show one order in detail, including why it is an exception.",
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("order_number", metavar="ORDER_NUMBER")
    json_flag(p)
    p.set_defaults(handler=cmd_show)

    p = cmds.add_parser(
        "ship",
        parents=[parent],
        help="mark an order shipped on Reverb",
        description=(
            "Mark an order shipped on Reverb with a carrier and tracking number. The provider "
            "defaults to the carrier of the order's mapped shipping service, else 'Other'. "
            "After a timeout the order is re-read, never posted twice."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("order_number", metavar="ORDER_NUMBER")
    p.add_argument("--tracking", metavar="NUMBER", required=True, help="the tracking number")
    p.add_argument(
        "--provider",
        metavar="NAME",
        default=None,
        help="Reverb's carrier name (see: reverb-tui shipping providers)",
    )
    p.add_argument(
        "--no-notify",
        dest="notify",
        action="store_false",
        help="do not let Reverb e-mail the buyer",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_ship)

    p = cmds.add_parser(
        "ship-many",
        parents=[parent],
        help="mark several orders shipped from a CSV of order number and tracking number",
        description=(
            "Mark several orders of one integration shipped on Reverb, one request each, from a "
            "CSV file whose first line names the columns order_number,tracking_number and "
            "optionally provider (empty: the carrier of the order's mapped shipping service, "
            "else 'Other'). A file with an order twice or a line without a tracking number is "
            "refused whole. Orders that cannot be shipped are listed at the end; the others "
            "are shipped. Nothing is posted twice."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument(
        "--no-notify",
        dest="notify",
        action="store_false",
        help="do not let Reverb e-mail the buyers",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_ship_many)

    p = cmds.add_parser(
        "pickup",
        parents=[parent],
        help="mark a local pickup order picked up on Reverb",
        description=(
            "Mark a paid local pickup order picked up on Reverb. After a timeout the order is "
            "re-read, never posted twice."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("order_number", metavar="ORDER_NUMBER")
    json_flag(p)
    p.set_defaults(handler=cmd_pickup)

    p = cmds.add_parser(
        "export",
        parents=[parent],
        help="write orders to a CSV file, one row per order line",
        description=(
            "Write the matching orders to a UTF-8 CSV file, oldest first, one row per order "
            "line: money as decimals beside the currency, times in UTC (ISO 8601), the mapped "
            "local SKU and shipping service. An existing file is replaced only with --force."
        ),
    )
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--channel", metavar="NAME", default=None, help="only this integration")
    p.add_argument("--status", metavar="S", default=None, help="only this Reverb status")
    p.add_argument(
        "--since",
        metavar="DATE",
        default=None,
        help="only orders created on or after DATE (YYYY-MM-DD, UTC; or an ISO 8601 time)",
    )
    p.add_argument(
        "--exceptions",
        action="store_true",
        help="only orders whose SKU or shipping method is unmapped",
    )
    p.add_argument(
        "--search",
        metavar="TEXT",
        default=None,
        help="order number, channel SKU, local SKU or buyer name contains TEXT",
    )
    p.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    json_flag(p)
    p.set_defaults(handler=cmd_export)

    p = cmds.add_parser(
        "apply",
        parents=[parent],
        help="apply current mappings to exception orders",
        description=(
            "Fill a missing local SKU and shipping service from today's mappings, on the given "
            "orders or on all of the integration's exception orders. Fields already set never "
            "change."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("order_numbers", metavar="ORDER_NUMBER", nargs="*")
    json_flag(p)
    p.set_defaults(handler=cmd_apply)

    grp.set_defaults(handler=None, _group_parser=grp)


def _money(cents: int | None, currency: str | None) -> str:
    if cents is None:
        return ""
    return f"{cents / 100:.2f} {currency or ''}".strip()


def cmd_list(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        rows = svc.orders.iter_rows(
            channel=args.channel,
            status=args.status,
            exceptions_only=args.exceptions,
            search=args.search,
            limit=args.limit,
        )
        out = sys.stdout
        if args.json:
            # One JSON array, streamed one compact object per line (jq- and grep-friendly,
            # and several times cheaper than indenting 100,000 objects). The first page is
            # read (and any refusal raised) before anything is written on stdout.
            first = next(rows, None)
            if first is None:
                out.write("[]\n")
                return 0
            out.write("[\n")
            out.write(json_text(first.to_json()))
            for row in rows:
                out.write(",\n")
                out.write(json_text(row.to_json()))
            out.write("\n]\n")
            return 0
        first = next(rows, None)
        if first is None:
            print("No orders match.")
            return 0
        print(
            f"{'CHANNEL':<16} {'ORDER':<12} {'STATUS':<15} {'CREATED':<20} {'CHANNEL SKU':<16} "
            f"{'SKU':<16} {'QTY':>3} {'TOTAL':>14} {'SHIPPING':<18} !"
        )
        for row in _chain(first, rows):
            o = row.order
            print(
                f"{row.channel_name[:16]:<16} {o.order_number[:12]:<12} {o.status[:15]:<15} "
                f"{(_iso(o.created_at) or '')[:20]:<20} {(o.channel_sku or '')[:16]:<16} "
                f"{(o.sku or '')[:16]:<16} {o.quantity:>3} "
                f"{_money(o.total_cents, o.currency):>14} "
                f"{(row.service_name or o.channel_shipping_method or '')[:18]:<18} "
                f"{'!' if row.exception else ''}"
            )
        return 0
    finally:
        svc.close()


def _chain(first, rest):
    yield first
    yield from rest


def _iso(dt) -> str | None:
    from ..clock import iso

    return iso(dt)


def cmd_show(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        doc = svc.orders.detail(args.channel, args.order_number)
    finally:
        svc.close()
    if args.json:
        print_json(doc)
        return 0
    labels = (
        ("channel", "Integration"), ("order_number", "Order"), ("status", "Status"),
        ("title", "Title"), ("buyer_name", "Buyer"), ("channel_sku", "Channel SKU"),
        ("sku", "Local SKU"), ("quantity", "Quantity"), ("kit", "Kit"),
        ("channel_shipping_method", "Shipping method"), ("shipping_service", "Shipping service"),
        ("shipping_provider", "Carrier"), ("tracking_number", "Tracking"),
        ("created_at", "Created"), ("paid_at", "Paid"), ("shipped_at", "Shipped"),
        ("updated_at", "Updated"),
    )  # fmt: skip
    for key, label in labels:
        value = doc.get(key)
        print(f"{label + ':':<18} {'' if value is None else value}")
    print(f"{'Total:':<18} {_money(doc.get('total_cents'), doc.get('currency'))}")
    for reason in doc["exception_reasons"]:
        print(f"Exception: {reason}")
    if doc["ship_refusal"]:
        print(f"Cannot ship: {doc['ship_refusal']}")
    return 0


def cmd_ship(args: argparse.Namespace) -> int:
    import asyncio

    from .common import err

    svc = services(args)
    try:
        result = asyncio.run(
            svc.orders.ship(
                args.channel, args.order_number, args.tracking, args.provider, args.notify
            )
        )
    finally:
        svc.close()
    for note in result.notes:
        err(f"Note: {note}")
    if args.json:
        print_json(result.row.to_json())
        return 0
    o = result.row.order
    told = "the buyer was notified" if result.notified else "the buyer was not notified"
    print(
        f"Order {o.order_number} on {result.row.channel_name!r} is marked shipped with "
        f"{o.shipping_provider} {o.tracking_number}; {told}."
    )
    return 0


def cmd_ship_many(args: argparse.Namespace) -> int:
    import asyncio

    from ..services.orders import read_ship_csv
    from .common import err

    items = read_ship_csv(args.file, args.channel)
    svc = services(args)
    try:
        svc.channels.get(args.channel)  # an unknown name is refused before any order
        result = asyncio.run(svc.orders.ship_many(items, notify=args.notify))
    finally:
        svc.close()
    if args.json:
        print_json(
            {
                "shipped": [o.result.row.to_json() for o in result.shipped if o.result],
                "failed": [
                    {"order_number": o.item.order_number, "error": o.message} for o in result.failed
                ],
            }
        )
    else:
        for outcome in result.shipped:
            print(outcome.message)
        print(result.summary())
    for outcome in result.failed:
        err(f"Failed: {outcome.message}")
    return result.exit_code


def cmd_pickup(args: argparse.Namespace) -> int:
    import asyncio

    from .common import err

    svc = services(args)
    try:
        result = asyncio.run(svc.orders.pickup(args.channel, args.order_number))
    finally:
        svc.close()
    for note in result.notes:
        err(f"Note: {note}")
    if args.json:
        print_json(result.row.to_json())
        return 0
    print(
        f"Order {result.row.order.order_number} on {result.row.channel_name!r} is marked picked up."
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        n = svc.orders.export_csv(
            args.file,
            channel=args.channel,
            status=args.status,
            since=args.since,
            exceptions_only=args.exceptions,
            search=args.search,
            overwrite=args.force,
        )
    finally:
        svc.close()
    if args.json:
        print_json({"file": args.file, "orders": n})
    else:
        print(f"Exported {n} order{'s' if n != 1 else ''} to {args.file}.")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        result = svc.orders.apply_for_channel(args.channel, args.order_numbers)
    finally:
        svc.close()
    if args.json:
        print_json(
            {"channel": result.channel, "checked": result.checked, "changed": result.changed}
        )
        return 0
    if not result.checked:
        print("No exception orders to apply mappings to.")
    else:
        print(
            f"Applied the current mappings to {result.checked} order"
            f"{'s' if result.checked != 1 else ''}; {result.changed} changed."
        )
    return 0
