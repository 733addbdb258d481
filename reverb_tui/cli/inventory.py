"""``reverb-tui inventory …``: local stock from a shell (docs/cli.md)."""

from __future__ import annotations

import argparse

from .common import json_flag, print_json, services


def register(sub, parent: argparse.ArgumentParser) -> None:
    grp = sub.add_parser(
        "inventory",
        parents=[parent],
        help="local inventory: list, set on hand, CSV import and export",
        description=(
            "Local inventory, the master of every linked listing's stock. Setting on hand "
            "(set, add, import) records the moment of the count: orders paid before it are "
            "already in the figure."
        ),
    )
    cmds = grp.add_subparsers(dest="inventory_command", metavar="SUBCOMMAND")

    p = cmds.add_parser(
        "import",
        parents=[parent],
        help="upsert SKUs from a CSV file (columns sku,title,on_hand)",
        description=(
            "Upsert local SKUs from a UTF-8 CSV file with the columns sku,title,on_hand. Every "
            "bad row is reported by line number and then nothing is imported; a clean file is "
            "imported whole, in one transaction."
        ),
    )
    p.add_argument("file", metavar="FILE.csv")
    json_flag(p)
    p.set_defaults(handler=cmd_import)

    p = cmds.add_parser(
        "export",
        parents=[parent],
        help="write every SKU to a CSV file (columns sku,title,on_hand)",
        description="Write every local SKU to a UTF-8 CSV file with the columns sku,title,on_hand.",
    )
    p.add_argument("file", metavar="FILE.csv")
    p.set_defaults(handler=cmd_export)

    p = cmds.add_parser(
        "list",
        parents=[parent],
        help="list SKUs with on hand, reserved and available",
        description=(
            "List local SKUs: on hand (counted), reserved (pending orders × kit) and available "
            "(on hand − reserved)."
        ),
    )
    p.add_argument(
        "--search", metavar="TEXT", default=None, help="only SKUs or titles containing TEXT"
    )
    json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = cmds.add_parser(
        "set",
        parents=[parent],
        help="record a count: set a SKU's on hand",
        description="Record a count: set an existing SKU's on-hand quantity as of now.",
    )
    p.add_argument("sku", metavar="SKU")
    p.add_argument("--on-hand", required=True, metavar="N", help="the counted quantity (0 or more)")
    json_flag(p)
    p.set_defaults(handler=cmd_set)

    p = cmds.add_parser(
        "add",
        parents=[parent],
        help="add a SKU (or update its title and count)",
        description="Add a local SKU, or update the title and on hand of an existing one.",
    )
    p.add_argument("sku", metavar="SKU")
    p.add_argument("--title", default=None, help="a title for the SKU")
    p.add_argument("--on-hand", default=None, metavar="N", help="the counted quantity (0 or more)")
    json_flag(p)
    p.set_defaults(handler=cmd_add)

    p = cmds.add_parser(
        "delete",
        parents=[parent],
        help="delete a SKU (refused while a SKU mapping uses it)",
        description="Delete a local SKU. Refused while a SKU mapping of any integration uses it.",
    )
    p.add_argument("sku", metavar="SKU")
    p.set_defaults(handler=cmd_delete)

    p = cmds.add_parser(
        "from-listings",
        parents=[parent],
        help="create local SKUs (and their mappings) from an integration's unlinked listings",
        description=(
            "Create one local SKU per distinct SKU of the integration's unlinked listings (as "
            "last downloaded; trimmed, case-insensitive duplicates merged), titled after the "
            "listing, and map each channel SKU to it, all in one transaction. Listings without "
            "a SKU are listed, not created; existing local SKUs are never changed; a second "
            "run creates nothing."
        ),
    )
    p.add_argument("channel", metavar="CHANNEL", help="integration name")
    p.add_argument(
        "--on-hand-from",
        choices=("listing", "zero"),
        default="listing",
        help="starting on hand: the listing's inventory (default) or 0",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be created; change nothing"
    )
    json_flag(p)
    p.set_defaults(handler=cmd_from_listings)

    grp.set_defaults(handler=None, _group_parser=grp)


def cmd_import(args: argparse.Namespace) -> int:
    svc = services(args)
    result = svc.inventory.import_csv(args.file)
    if args.json:
        print_json({"file": args.file, "created": result.created, "updated": result.updated})
    else:
        print(
            f"Imported {result.total} SKU{'s' if result.total != 1 else ''} from {args.file} "
            f"({result.created} new, {result.updated} updated)."
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    svc = services(args)
    n = svc.inventory.export_csv(args.file)
    print(f"Exported {n} SKU{'s' if n != 1 else ''} to {args.file}.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..services.inventory import inventory_json

    svc = services(args)
    rows = svc.inventory.list(args.search)
    if args.json:
        print_json([inventory_json(r) for r in rows])
        return 0
    if not rows:
        print(
            "No local SKUs match."
            if args.search
            else "No local SKUs yet. Add some with: reverb-tui inventory import FILE.csv"
        )
        return 0
    w = max(12, min(32, max(len(r.sku) for r in rows)))
    print(f"{'SKU':<{w}} {'ON HAND':>8} {'RESERVED':>8} {'AVAILABLE':>9}  TITLE")
    for r in rows:
        print(f"{r.sku:<{w}} {r.on_hand:>8} {r.reserved:>8} {r.available:>9}  {r.title}")
    return 0


def _show(level, as_json: bool, text: str) -> None:
    from ..services.inventory import inventory_json

    if as_json:
        print_json(inventory_json(level))
    else:
        print(text)


def cmd_set(args: argparse.Namespace) -> int:
    svc = services(args)
    level = svc.inventory.set_on_hand(args.sku, args.on_hand)
    _show(
        level,
        args.json,
        f"{level.sku}: on hand {level.on_hand}, reserved {level.reserved}, "
        f"available {level.available}.",
    )
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    svc = services(args)
    level = svc.inventory.upsert(args.sku, args.title, args.on_hand)
    _show(level, args.json, f"{level.sku}: on hand {level.on_hand}, available {level.available}.")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    svc = services(args)
    level = svc.inventory.get(args.sku)
    svc.inventory.delete(args.sku)
    print(f"Deleted local SKU {level.sku!r}.")
    return 0


def cmd_from_listings(args: argparse.Namespace) -> int:
    svc = services(args)
    ch = svc.skus.channel(args.channel)
    if args.dry_run:
        plan = svc.onboarding.preview(ch.id, args.on_hand_from)
    else:
        plan = svc.onboarding.create(ch.id, args.on_hand_from)
    if args.json:
        print_json(plan.to_json())
        return 0
    n = len(plan.skus)
    print(plan.summary())
    source = "the listing's inventory" if plan.on_hand_from == "listing" else "0"
    if n:
        print(f"On hand starts at {source}, counted as of now.")
    if plan.already_linked:
        k = plan.already_linked
        print(f"{k:,} listing{'s' if k != 1 else ''} already linked, left unchanged.")
    if plan.skus:
        w = max(12, min(32, max(len(p.sku) for p in plan.skus)))
        print(f"\n{'SKU':<{w}} {'ON HAND':>8} {'LISTINGS':>8}  TITLE")
        for p in plan.skus:
            print(f"{p.sku:<{w}} {p.on_hand:>8} {len(p.listing_ids):>8}  {p.title}")
    if plan.skipped:
        k = len(plan.skipped)
        print(f"\nSkipped {k:,} listing{'s' if k != 1 else ''} (nothing created for them):")
        print(f"  {'LISTING':<12} {'SKU':<24} {'WHY':<32} TITLE")
        for x in plan.skipped:
            print(
                f"  {x.listing_id:<12} {x.channel_sku or '(no SKU)':<24} {x.reason:<32} "
                f"{x.title or ''}"
            )
    if plan.created:
        import shlex

        print(
            "Orders already downloaded without a local SKU stay unlinked until you run: "
            f"reverb-tui skus apply {shlex.quote(ch.name)}"
        )
    return 0
