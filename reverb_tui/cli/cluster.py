"""``reverb-tui cluster status``: hosts and daemons, their heartbeats, who holds what."""

from __future__ import annotations

import argparse

from .common import json_flag, print_json, services


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "cluster",
        parents=[parent],
        help="hosts and daemons sharing the database",
        description="Hosts and sync daemons sharing this database, and who holds what.",
    )
    p.set_defaults(handler=None, _group_parser=p)
    csub = p.add_subparsers(dest="cluster_command", metavar="COMMAND")
    s = csub.add_parser(
        "status",
        parents=[parent],
        help="each host/daemon with its last heartbeat and the integrations it holds",
        description=(
            "Each sync daemon (sync --watch) sharing the database, alive or dead, with its "
            "last heartbeat (the database's clock) and the integrations it runs; each other "
            "process that holds a sync lease or ran a sync in the last hour; and who holds "
            "each integration."
        ),
    )
    json_flag(s)
    s.set_defaults(handler=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from ..sync.cluster import cluster_status

    svc = services(args)
    st = cluster_status(svc.engine)
    if args.json:
        print_json(st.as_json())
        return 0
    if not st.daemons:
        print("No daemon holds a lease or ran a sync in the last hour.")
    for d in st.daemons:
        beat = d.last_heartbeat.strftime("%H:%M:%S") if d.last_heartbeat else "-"
        holds = ", ".join(sorted(d.holds)) or "nothing"
        what = ""
        if d.daemon:
            what = f"daemon, lease {d.lease_seconds}s, " if d.alive else "daemon, DEAD, "
        print(
            f"{d.host} pid {d.pid if d.pid is not None else '?'}: {what}heartbeat {beat}, "
            f"holds {holds}"
        )
    for i in st.integrations:
        who = i["claimed_by"] or i["holder"]
        state = f"held by {who['host']} pid {who['pid']}" if who else "free"
        if i["claimed_by"] and i["holder"]:
            state += ", syncing now"
        print(f"  {i['channel']}: {state}{'' if i['enabled'] else ' (disabled)'}")
    return 0
