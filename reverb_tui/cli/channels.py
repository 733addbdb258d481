"""``reverb-tui channels …``: the integration lifecycle from a shell (docs/cli.md)."""

from __future__ import annotations

import argparse

from .common import err, json_flag, nonneg_int, print_json, read_token, services, token_args


def register(sub, parent: argparse.ArgumentParser) -> None:
    grp = sub.add_parser(
        "channels",
        parents=[parent],
        help="list, add, enable, disable, remove, reauthorise and configure integrations",
        description="Sales channel integrations (Reverb accounts).",
    )
    cmds = grp.add_subparsers(dest="channels_command", metavar="SUBCOMMAND")

    p = cmds.add_parser(
        "list",
        parents=[parent],
        help="list integrations",
        description="List the sales channel integrations.",
    )
    json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = cmds.add_parser(
        "add",
        parents=[parent],
        help="add a Reverb integration (verifies the token first)",
        description=(
            "Add a Reverb integration. The token is read from standard input (--token-stdin) or "
            "$REVERB_TOKEN, never from an argument, and is verified with Reverb before saving."
        ),
    )
    p.add_argument("--name", required=True, help="a name for this integration (unique)")
    p.add_argument(
        "--currency", required=True, help="default currency: USD CAD EUR GBP AUD JPY NZD MXN"
    )
    p.add_argument(
        "--site",
        default="production",
        help="production (default), sandbox, or a custom https API URL",
    )
    p.add_argument(
        "--since",
        metavar="ISO_DATE",
        default=None,
        help="download orders updated since this date (default: 30 days ago)",
    )
    token_args(p)
    json_flag(p)
    p.set_defaults(handler=cmd_add)

    for name, enabled in (("enable", True), ("disable", False)):
        p = cmds.add_parser(
            name,
            parents=[parent],
            help=f"{name} an integration",
            description=(
                f"{name.capitalize()} an integration. Disabled integrations download no orders "
                "and update no listings."
            ),
        )
        p.add_argument("name", metavar="NAME")
        json_flag(p)
        p.set_defaults(handler=cmd_enable if enabled else cmd_disable)

    p = cmds.add_parser(
        "remove",
        parents=[parent],
        help="remove an integration (needs --yes)",
        description=(
            "Remove an integration. A re-created integration is a new integration: reports will "
            "not join its orders with the old one's."
        ),
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p.set_defaults(handler=cmd_remove)

    p = cmds.add_parser(
        "reauthorise",
        aliases=["reauthorize"],
        parents=[parent],
        help="update and verify site, seller ID and token",
        description=(
            "Update and verify an integration's site, seller ID and access token. The token "
            "(optional: the stored one is re-verified otherwise) comes from --token-stdin or "
            "$REVERB_TOKEN. Nothing changes unless Reverb accepts it."
        ),
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--site", default=None, help="production, sandbox, or a custom https API URL")
    p.add_argument("--seller-id", default=None, help="the seller ID the token must belong to")
    token_args(p)
    json_flag(p)
    p.set_defaults(handler=cmd_reauthorise)

    p = cmds.add_parser(
        "set",
        parents=[parent],
        help="change an integration's settings",
        description=(
            "Change stock-update, quantity-rule, interval, rate-limit and read/write budget "
            "settings. The value pushed to a listing is worked out in this order from the "
            "available units (divided by the kit): the percentage, minus the buffer, at least "
            "the minimum while any stock exists, capped by the maximum, 0 when available is at "
            "or below the end-when level, never below 0. 'off' turns a rule off."
        ),
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--stock-updates",
        choices=("on", "off"),
        default=None,
        help="push stock levels to this account's listings",
    )
    p.add_argument(
        "--buffer",
        type=nonneg_int,
        default=None,
        metavar="N",
        help="hold back N units from every listing",
    )
    # No string default: argparse would run it through _max_value and reject "keep".
    p.add_argument(
        "--max",
        dest="max_quantity",
        type=_max_value,
        default=argparse.SUPPRESS,
        metavar="N",
        help="show at most N units on a listing ('none' clears it)",
    )
    # Rule options default to "not given" (SUPPRESS) so that 'off' can mean "clear it".
    p.add_argument(
        "--percent",
        type=_rule_value,
        default=argparse.SUPPRESS,
        metavar="P",
        help="show P%% of the available units, rounded down (1-100; 100 or 'off' turns it off)",
    )
    p.add_argument(
        "--min",
        dest="min_quantity",
        type=_rule_value,
        default=argparse.SUPPRESS,
        metavar="N",
        help="show at least N units while any stock is available ('off' or 0 turns it off)",
    )
    p.add_argument(
        "--end-when",
        dest="end_when",
        type=_rule_value,
        default=argparse.SUPPRESS,
        metavar="N",
        help="show 0 once N or fewer units are available ('off' or 0 turns it off)",
    )
    p.add_argument(
        "--interval",
        type=nonneg_int,
        default=None,
        metavar="SECONDS",
        help="seconds between full background syncs: orders and the listings correction pass (10-86400)",
    )
    p.add_argument(
        "--rate-limit",
        type=_positive_float,
        default=None,
        metavar="REQUESTS_PER_SECOND",
        help="at most N requests (reads and writes together) in any one second",
    )
    p.add_argument(
        "--read-rate",
        type=nonneg_int,
        default=None,
        metavar="PER_MINUTE",
        help="read budget: at most N reads a minute (default 1600, 80%% of Reverb's 2000)",
    )
    p.add_argument(
        "--write-rate",
        type=nonneg_int,
        default=None,
        metavar="PER_MINUTE",
        help="write budget: at most N writes a minute (default 480, 80%% of Reverb's 600)",
    )
    p.add_argument(
        "--orders-interval",
        type=nonneg_int,
        default=None,
        metavar="SECONDS",
        help="seconds between quick checks for new orders (default 10)",
    )
    p.add_argument("--currency", default=None, help="default currency")
    json_flag(p)
    p.set_defaults(handler=cmd_set)

    grp.set_defaults(handler=None, _group_parser=grp)


def _max_value(text: str) -> int | None:
    if text.strip().lower() in ("none", "off", ""):
        return None
    return nonneg_int(text)


def _rule_value(text: str) -> int | None:
    """A quantity rule's value: a whole number (its range is checked by the service, so the
    CLI and the settings form say the same), or 'off'/'none' to turn the rule off."""
    value = text.strip().lower().removesuffix("%")
    if value in ("none", "off"):
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or 'off'") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _show(ch, as_json: bool) -> None:
    from ..services.channels import channel_json

    if as_json:
        print_json(channel_json(ch))


def cmd_list(args: argparse.Namespace) -> int:
    from ..clock import iso
    from ..services.channels import channel_json

    svc = services(args)
    rows = svc.channels.list()
    if args.json:
        print_json([channel_json(c) for c in rows])
        return 0
    if not rows:
        print("No sales channel integrations yet. Add one with: reverb-tui channels add --help")
        return 0
    head = (
        f"{'NAME':<24} {'TYPE':<7} {'STATUS':<6} {'STOCK':<5} {'CUR':<4} {'LAST ORDERS':<21} ERRORS"
    )
    print(head)
    for c in rows:
        status = "Yes" if c.enabled else "No"
        stock = "on" if c.stock_updates else "off"
        last = iso(c.last_order_sync_at) or "never"
        note = "reauthorise needed" if c.needs_reauth else (c.last_error or "")
        print(f"{c.name:<24} {c.type:<7} {status:<6} {stock:<5} {c.currency:<4} {last:<21} {note}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    import asyncio

    token = read_token(args)
    svc = services(args)
    ch = asyncio.run(
        svc.channels.add(
            name=args.name, currency=args.currency, token=token, site=args.site, since=args.since
        )
    )
    if args.json:
        _show(ch, True)
    else:
        shop = f" (shop {ch.shop_name!r})" if ch.shop_name else ""
        print(f"Added integration {ch.name!r}{shop}; it is enabled.")
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    return _set_enabled(args, True)


def cmd_disable(args: argparse.Namespace) -> int:
    return _set_enabled(args, False)


def _set_enabled(args: argparse.Namespace, enabled: bool) -> int:
    svc = services(args)
    ch = svc.channels.set_enabled(args.name, enabled)
    if args.json:
        _show(ch, True)
    else:
        print(f"Integration {ch.name!r} is now {'enabled' if enabled else 'disabled'}.")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from ..errors import UserError

    svc = services(args)
    ch = svc.channels.get(args.name)  # unknown names fail before the --yes check
    if not args.yes:
        raise UserError(
            f"Removing {ch.name!r} needs --yes; a re-created integration is a new integration "
            "whose orders reports will not join with this one's."
        )
    svc.channels.remove(ch.id)
    print(f"Removed integration {ch.name!r}.")
    return 0


def cmd_reauthorise(args: argparse.Namespace) -> int:
    import asyncio

    token = read_token(args, required=False)
    svc = services(args)
    ch = asyncio.run(
        svc.channels.reauthorise(args.name, site=args.site, seller_id=args.seller_id, token=token)
    )
    if args.json:
        _show(ch, True)
    else:
        print(f"Integration {ch.name!r} verified with Reverb (seller {ch.seller_id or '?'}).")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    svc = services(args)
    stock = None if args.stock_updates is None else args.stock_updates == "on"
    ch = svc.channels.update_settings(
        args.name,
        stock_updates=stock,
        buffer=args.buffer,
        max_quantity=getattr(args, "max_quantity", "keep"),
        interval_seconds=args.interval,
        rate_limit=args.rate_limit,
        currency=args.currency,
        read_rate=args.read_rate,
        write_rate=args.write_rate,
        orders_interval_seconds=args.orders_interval,
        percent=getattr(args, "percent", "keep"),
        min_quantity=getattr(args, "min_quantity", "keep"),
        end_when=getattr(args, "end_when", "keep"),
    )
    if args.json:
        _show(ch, True)
    else:
        print(f"Updated settings of {ch.name!r}.")
    if stock and ch.last_stock_push_at is None:
        err(
            "Tip: preview the first push with: reverb-tui sync --stock-only --dry-run "
            f"--channel {ch.name!r}"
        )
    return 0
