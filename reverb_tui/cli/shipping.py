"""``reverb-tui shipping …``: local shipping services, per-integration shipping mappings and
Reverb's carrier list (docs/cli.md)."""

from __future__ import annotations

import argparse

from .common import err, json_flag, print_json, services

NOTE = "A mapping affects only orders downloaded after it is saved."


def register(sub, parent: argparse.ArgumentParser) -> None:
    grp = sub.add_parser(
        "shipping",
        parents=[parent],
        help="local shipping services, shipping mappings and carriers",
        description="Local shipping services and how Reverb's shipping methods map to them.",
    )
    cmds = grp.add_subparsers(dest="shipping_command", metavar="SUBCOMMAND")

    # -- services ------------------------------------------------------------------------------
    sv = cmds.add_parser(
        "services",
        parents=[parent],
        help="add, list, rename, change or delete local shipping services",
        description=(
            "Local shipping services. The carrier is the Reverb provider name used when an "
            "order mapped to the service is marked shipped."
        ),
    )
    scmds = sv.add_subparsers(dest="services_command", metavar="SUBCOMMAND")

    p = scmds.add_parser(
        "add",
        parents=[parent],
        help="add a local shipping service",
        description="Add a local shipping service.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--carrier",
        metavar="PROVIDER",
        default="Other",
        help="Reverb's carrier name (default: Other)",
    )
    p.add_argument("--code", metavar="CODE", default=None, help="an optional service code")
    json_flag(p)
    p.set_defaults(handler=cmd_service_add)

    p = scmds.add_parser(
        "list",
        parents=[parent],
        help="list local shipping services",
        description="List local shipping services and what uses them.",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_service_list)

    p = scmds.add_parser(
        "rename",
        parents=[parent],
        help="rename a local shipping service",
        description="Rename a local shipping service; mappings and orders keep pointing at it.",
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    json_flag(p)
    p.set_defaults(handler=cmd_service_rename)

    p = scmds.add_parser(
        "set",
        parents=[parent],
        help="change a service's carrier or code",
        description="Change a local shipping service's carrier or code.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--carrier", metavar="PROVIDER", default=None, help="Reverb's carrier name")
    p.add_argument("--code", metavar="CODE", default=None, help="service code ('' clears it)")
    json_flag(p)
    p.set_defaults(handler=cmd_service_set)

    p = scmds.add_parser(
        "delete",
        parents=[parent],
        help="delete a local shipping service",
        description="Delete a local shipping service; refused while a mapping or an order uses it.",
    )
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_service_delete)
    sv.set_defaults(handler=None, _group_parser=sv)

    # -- mappings ------------------------------------------------------------------------------
    p = cmds.add_parser(
        "map",
        parents=[parent],
        help="map a Reverb shipping method to a local shipping service",
        description=f"Map one of Reverb's shipping methods on an integration to a local "
        f"shipping service. {NOTE}",
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument(
        "--channel-service",
        metavar="KEY",
        required=True,
        help="Reverb's shipping_method: shipped, expedited_shipping, local, …",
    )
    p.add_argument("--service", metavar="NAME", required=True, help="the local shipping service")
    json_flag(p)
    p.set_defaults(handler=cmd_map)

    p = cmds.add_parser(
        "unmap",
        parents=[parent],
        help="remove a shipping mapping",
        description=f"Remove the mapping of one Reverb shipping method. {NOTE}",
    )
    p.add_argument("channel", metavar="CHANNEL")
    p.add_argument(
        "--channel-service", metavar="KEY", required=True, help="Reverb's shipping_method"
    )
    p.set_defaults(handler=cmd_unmap)

    p = cmds.add_parser(
        "mappings",
        parents=[parent],
        help="list an integration's mappings",
        description=f"List an integration's shipping mappings. {NOTE}",
    )
    p.add_argument("channel", metavar="CHANNEL")
    json_flag(p)
    p.set_defaults(handler=cmd_mappings)

    p = cmds.add_parser(
        "channel-services",
        parents=[parent],
        help="list the Reverb shipping methods that can be mapped",
        description="Reverb's shipping methods, plus any other seen on the integration's "
        "downloaded orders.",
    )
    p.add_argument("channel", metavar="CHANNEL")
    json_flag(p)
    p.set_defaults(handler=cmd_choices)

    p = cmds.add_parser(
        "providers",
        parents=[parent],
        help="list Reverb's shipping carriers",
        description="Reverb's carrier names (GET /shipping/providers, cached for a day; "
        "Reverb's documented list when it cannot be read).",
    )
    p.add_argument(
        "--channel",
        metavar="NAME",
        default=None,
        help="ask through this integration (default: the first enabled one)",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_providers)

    grp.set_defaults(handler=None, _group_parser=grp)


def _run(args: argparse.Namespace, fn):
    svc = services(args)
    try:
        return fn(svc.shipping)
    finally:
        svc.close()


def _service_line(s) -> str:
    code = f", code {s.code}" if s.code else ""
    return f"{s.name!r} (carrier {s.carrier}{code})"


def cmd_service_add(args: argparse.Namespace) -> int:
    info = _run(args, lambda sh: sh.add(args.name, carrier=args.carrier, code=args.code))
    if args.json:
        print_json(info.to_json())
    else:
        print(f"Added the shipping service {_service_line(info)}.")
    return 0


def cmd_service_list(args: argparse.Namespace) -> int:
    rows = _run(args, lambda sh: sh.list())
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    if not rows:
        print("No local shipping services yet. Add one with: reverb-tui shipping services add")
        return 0
    print(f"{'NAME':<28} {'CARRIER':<18} {'CODE':<12} {'MAPPINGS':>8} {'ORDERS':>8}")
    for r in rows:
        print(f"{r.name:<28} {r.carrier:<18} {r.code or '':<12} {r.mappings:>8} {r.orders:>8}")
    return 0


def cmd_service_rename(args: argparse.Namespace) -> int:
    info = _run(args, lambda sh: sh.rename(args.old, args.new))
    if args.json:
        print_json(info.to_json())
    else:
        print(f"Renamed the shipping service to {info.name!r}.")
    return 0


def cmd_service_set(args: argparse.Namespace) -> int:
    from ..errors import UserError

    if args.carrier is None and args.code is None:
        raise UserError("Nothing to change: give --carrier or --code.")

    def apply(sh):
        info = None
        if args.carrier is not None:
            info = sh.set_carrier(args.name, args.carrier)
        if args.code is not None:
            info = sh.set_code(args.name, args.code)
        return info

    info = _run(args, apply)
    if args.json:
        print_json(info.to_json())
    else:
        print(f"Updated the shipping service {_service_line(info)}.")
    return 0


def cmd_service_delete(args: argparse.Namespace) -> int:
    info = _run(args, lambda sh: sh.delete(args.name))
    print(f"Deleted the shipping service {info.name!r}.")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    m = _run(args, lambda sh: sh.map(args.channel, args.channel_service, args.service))
    if args.json:
        print_json(m.to_json())
    else:
        print(f"Mapped {m.label} ({m.channel_service}) on {m.channel!r} to {m.service!r}.")
        err(f"Note: {NOTE}")
    return 0


def cmd_unmap(args: argparse.Namespace) -> int:
    from ..services.shipping import channel_service_label, clean_channel_service

    _run(args, lambda sh: sh.unmap(args.channel, args.channel_service))
    key = clean_channel_service(args.channel_service)
    print(f"Removed the mapping of {channel_service_label(key)} ({key}).")
    return 0


def cmd_mappings(args: argparse.Namespace) -> int:
    rows = _run(args, lambda sh: sh.mappings(args.channel))
    if args.json:
        print_json([m.to_json() for m in rows])
        return 0
    if not rows:
        print("No shipping mappings on this integration.")
    else:
        print(f"{'SALES CHANNEL SHIPPING SERVICE':<36} {'LOCAL SHIPPING SERVICE':<28} CARRIER")
        for m in rows:
            left = f"{m.label} ({m.channel_service})" if m.label != m.channel_service else m.label
            print(f"{left:<36} {m.service:<28} {m.carrier}")
    print(NOTE)
    return 0


def cmd_choices(args: argparse.Namespace) -> int:
    rows = _run(args, lambda sh: sh.channel_service_choices(args.channel))
    if args.json:
        print_json([{"key": k, "label": label} for k, label in rows])
        return 0
    for key, label in rows:
        print(f"{key:<24} {label}")
    return 0


def cmd_providers(args: argparse.Namespace) -> int:
    import asyncio

    result = _run(args, lambda sh: asyncio.run(sh.providers_info(args.channel)))
    if result.note:
        err(f"Note: {result.note}")
    if args.json:
        print_json(result.providers)
    else:
        for name in result.providers:
            print(name)
    return 0
