"""``reverb-tui db``: the database's status, upgrading it, copying it whole, backing it up."""

from __future__ import annotations

import argparse

from .common import json_flag, print_json


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "db",
        parents=[parent],
        help="database status, upgrade, copy and backup",
        description=(
            "The database itself: where it is and its schema revision, applying migrations, "
            "copying it whole into an empty database (SQLite or PostgreSQL), and a consistent "
            "backup while others write."
        ),
    )
    p.set_defaults(_group_parser=p)
    dsub = p.add_subparsers(dest="db_command", metavar="COMMAND")

    s = dsub.add_parser(
        "status",
        parents=[parent],
        help="backend, location, schema revision and pending migrations",
        description="Show the database's backend, location and schema revision; change nothing.",
    )
    json_flag(s)
    s.set_defaults(handler=cmd_status)

    u = dsub.add_parser(
        "upgrade",
        parents=[parent],
        help="apply pending migrations",
        description="Bring the database's schema to this version's revision.",
    )
    json_flag(u)
    u.set_defaults(handler=cmd_upgrade)

    c = dsub.add_parser(
        "copy",
        parents=[parent],
        help="copy the whole database into an empty one, verified",
        description=(
            "Copy every row of the database into an empty database (a path or a SQLAlchemy "
            "URL, e.g. postgresql://user@host/db), then verify row counts and checksums of "
            "every table. A target that is not empty is refused."
        ),
    )
    c.add_argument("--to", required=True, metavar="URL_OR_PATH", help="the empty target")
    json_flag(c)
    c.set_defaults(handler=cmd_copy)

    b = dsub.add_parser(
        "backup",
        parents=[parent],
        help="a consistent snapshot into a new SQLite file",
        description=(
            "Write a consistent snapshot of the database into FILE, a new SQLite file, while "
            "other processes keep writing. An existing FILE is refused."
        ),
    )
    b.add_argument("file", metavar="FILE")
    json_flag(b)
    b.set_defaults(handler=cmd_backup)


def _target(args: argparse.Namespace) -> str:
    from ..paths import db_target

    return db_target(getattr(args, "db", None))


def cmd_status(args: argparse.Namespace) -> int:
    from ..db.admin import status

    st = status(_target(args))
    if args.json:
        print_json(st.as_json())
        return 0
    print(f"Backend:   {st.backend}")
    print(f"Location:  {st.location}")
    if not st.exists:
        print(
            f"Revision:  none (no database yet; it is created at revision {st.head} on first use)"
        )
    elif not st.known:
        print(
            f"Revision:  {st.revision} (newer than this version of reverb-tui, which knows up "
            f"to {st.head}; upgrade reverb-tui)"
        )
    elif st.pending:
        print(
            f"Revision:  {st.revision or 'none'} (migrations pending up to {st.head}; run "
            "reverb-tui db upgrade)"
        )
    else:
        print(f"Revision:  {st.revision} (current)")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    from ..db.admin import backend, location, status
    from ..db.engine import make_engine
    from ..db.migrate import stored_revision

    target = _target(args)
    before = status(target).revision
    engine = make_engine(target)  # migrates; a newer database is refused untouched
    try:
        doc = {
            "backend": backend(engine),
            "location": location(engine),
            "from": before,
            "revision": stored_revision(engine),
        }
    finally:
        engine.dispose()
    if args.json:
        print_json(doc)
    elif before == doc["revision"]:
        print(f"The database is already at revision {doc['revision']}.")
    else:
        print(f"Upgraded the database from revision {before or 'none'} to {doc['revision']}.")
    return 0


def _print_copy(result, verb: str) -> None:
    rows = sum(t["rows"] for t in result.tables.values())
    print(
        f"{verb} {result.source} into {result.target}: {rows} rows in "
        f"{len(result.tables)} tables, counts and checksums verified."
    )


def cmd_copy(args: argparse.Namespace) -> int:
    from ..db.admin import copy_database
    from ..db.engine import make_engine

    source = make_engine(_target(args))
    try:
        result = copy_database(source, args.to)
    finally:
        source.dispose()
    if args.json:
        print_json(result.as_json())
    else:
        _print_copy(result, "Copied")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from ..db.admin import backup_database
    from ..db.engine import make_engine

    source = make_engine(_target(args))
    try:
        result = backup_database(source, args.file)
    finally:
        source.dispose()
    if args.json:
        print_json(result.as_json())
    else:
        _print_copy(result, "Backed up")
    return 0
