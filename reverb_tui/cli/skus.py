"""``reverb-tui skus …``: SKU mappings per integration from a shell (docs/cli.md)."""

from __future__ import annotations

import argparse

from .common import json_flag, print_json, services


def register(sub, parent: argparse.ArgumentParser) -> None:
    grp = sub.add_parser(
        "skus",
        parents=[parent],
        help="map channel SKUs to local SKUs, list mappings and unlinked items",
        description=(
            "SKU mappings of an integration: channel SKU -> local SKU, with an optional kit "
            "multiplier. A mapping affects only orders downloaded after it is saved; "
            "`skus apply` links stored orders that have no local SKU yet."
        ),
    )
    cmds = grp.add_subparsers(dest="skus_command", metavar="SUBCOMMAND")

    p = cmds.add_parser(
        "map",
        parents=[parent],
        help="map a channel SKU to a local SKU",
        description=(
            "Map a channel SKU to an existing local SKU. A channel SKU maps to one local SKU "
            "only: unmap it first to change it."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    p.add_argument("--channel-sku", required=True, metavar="SKU", help="the SKU on Reverb")
    p.add_argument("--sku", required=True, metavar="LOCAL_SKU", help="the local inventory SKU")
    p.add_argument(
        "--kit", default="1", metavar="N", help="local units sold per listing unit (default 1)"
    )
    json_flag(p)
    p.set_defaults(handler=cmd_map)

    p = cmds.add_parser(
        "unmap",
        parents=[parent],
        help="remove a mapping",
        description="Remove the mapping of a channel SKU.",
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    p.add_argument("--channel-sku", required=True, metavar="SKU", help="the SKU on Reverb")
    p.set_defaults(handler=cmd_unmap)

    p = cmds.add_parser(
        "mappings",
        parents=[parent],
        help="list an integration's mappings",
        description="List an integration's SKU mappings.",
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    json_flag(p)
    p.set_defaults(handler=cmd_mappings)

    p = cmds.add_parser(
        "unlinked",
        parents=[parent],
        help="listings and orders whose SKU maps to no local SKU",
        description=(
            "Listings (as last downloaded) whose SKU resolves to no local SKU, and stored "
            "orders without a local SKU."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    json_flag(p)
    p.set_defaults(handler=cmd_unlinked)

    p = cmds.add_parser(
        "autolink",
        parents=[parent],
        help="map channel SKUs equal to one local SKU (trimmed, case-insensitive)",
        description=(
            "Add a mapping for every channel SKU of the integration's listings and orders that "
            "equals exactly one local SKU, trimmed and case-insensitively. Ambiguous ones are "
            "reported, not mapped."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    json_flag(p)
    p.set_defaults(handler=cmd_autolink)

    p = cmds.add_parser(
        "apply",
        parents=[parent],
        help="apply the mappings to stored orders that have no local SKU",
        description=(
            "Link the integration's stored orders that have no local SKU but resolve now, and "
            "apply the stock rules to them. Mappings never change stored orders otherwise."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    json_flag(p)
    p.set_defaults(handler=cmd_apply)

    grp.set_defaults(handler=None, _group_parser=grp)


def cmd_map(args: argparse.Namespace) -> int:
    svc = services(args)
    ch = svc.skus.channel(args.channel)
    row = svc.skus.map(ch.id, args.channel_sku, args.sku, args.kit)
    if args.json:
        print_json(row.to_json(ch.name))
    else:
        kit = f" (kit of {row.kit})" if row.kit != 1 else ""
        print(f"Mapped {row.channel_sku!r} on {ch.name!r} to local SKU {row.sku!r}{kit}.")
    return 0


def cmd_unmap(args: argparse.Namespace) -> int:
    svc = services(args)
    ch = svc.skus.channel(args.channel)
    svc.skus.unmap(ch.id, args.channel_sku)
    print(f"Removed the mapping of {args.channel_sku.strip()!r} on {ch.name!r}.")
    return 0


def cmd_mappings(args: argparse.Namespace) -> int:
    svc = services(args)
    ch = svc.skus.channel(args.channel)
    rows = svc.skus.mappings(ch.id)
    if args.json:
        print_json([r.to_json(ch.name) for r in rows])
        return 0
    if not rows:
        print(f"{ch.name!r} has no SKU mappings.")
        return 0
    w = max(12, min(32, max(len(r.channel_sku) for r in rows)))
    print(f"{'CHANNEL SKU':<{w}}    {'LOCAL SKU':<20} {'KIT':>4}  TITLE")
    for r in rows:
        print(f"{r.channel_sku:<{w}} -> {r.sku:<20} {r.kit:>4}  {r.title}")
    return 0


def cmd_unlinked(args: argparse.Namespace) -> int:
    from ..clock import iso

    svc = services(args)
    ch = svc.skus.channel(args.channel)
    report = svc.skus.unlinked(ch.id)
    if args.json:
        print_json(report.to_json(ch.name))
        return 0
    print(
        f"{ch.name}: {report.listing_count} unlinked listings, {report.order_count} unlinked orders."
    )
    if report.listings:
        print("\nLISTINGS")
        for x in report.listings:
            print(
                f"  {x.listing_id:<12} {x.sku or '(no SKU)':<24} {x.inventory:>5}  {x.title or ''}"
            )
    if report.orders:
        print("\nORDERS")
        for o in report.orders:
            print(
                f"  {o.order_number:<12} {o.channel_sku or '(no SKU)':<24} {o.status:<16} "
                f"{iso(o.created_at) or ''}"
            )
    return 0


def cmd_autolink(args: argparse.Namespace) -> int:
    svc = services(args)
    ch = svc.skus.channel(args.channel)
    result = svc.skus.auto_link(ch.id)
    if args.json:
        print_json(
            {
                "channel": ch.name,
                "linked": [{"channel_sku": c, "sku": s} for c, s in result.linked],
                "ambiguous": [{"channel_sku": c, "candidates": m} for c, m in result.ambiguous],
                "already_mapped": result.already_mapped,
                "unmatched": result.unmatched,
            }
        )
        return 0
    print(
        f"Linked {len(result.linked)} channel SKU{'s' if len(result.linked) != 1 else ''} on "
        f"{ch.name!r}; {result.already_mapped} already mapped, {result.unmatched} match no local SKU."
    )
    for c, s in result.linked:
        print(f"  {c} -> {s}")
    for c, m in result.ambiguous:
        print(f"  ambiguous, not mapped: {c} (matches {', '.join(m)})")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    svc = services(args)
    ch = svc.skus.channel(args.channel)
    n = svc.skus.apply_to_waiting_orders(ch.id)
    if args.json:
        print_json({"channel": ch.name, "orders_linked": n})
    else:
        print(f"Linked {n} waiting order{'s' if n != 1 else ''} on {ch.name!r}.")
    return 0
