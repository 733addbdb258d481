"""``reverb-tui serve``: the TUI in a web browser (textual-serve), on this machine only.

Each browser tab that opens the page starts its own ``reverb-tui tui`` process on the same
database (the database's lease keeps their background syncs from running twice). textual-serve
has no login of its own, so the server listens on a loopback address only and answers only
requests addressed to a loopback name: a web page from elsewhere, open in the same browser,
can neither load it under another host name (DNS rebinding) nor drive it over a websocket
(its ``Origin`` is not loopback). To use it from another computer, forward the port over SSH.

textual-serve (and aiohttp with it) is an optional extra: ``pip install 'reverb-tui[web]'``.
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

DEFAULT_PORT = 8000
LOOPBACK_NAMES = ("localhost",)


def register(sub, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[parent],
        help="open the TUI in a web browser on this machine (needs reverb-tui[web])",
        description=(
            "Serve the TUI to a web browser at http://127.0.0.1:PORT/; each tab runs its own "
            "TUI on the database. Listens on this machine only, as the page has no login: "
            "from another computer, forward the port over SSH "
            "(ssh -L 8000:127.0.0.1:8000 SERVER) and open http://127.0.0.1:8000/ there. "
            "Needs the optional extra: pip install 'reverb-tui[web]'."
        ),
    )
    p.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"TCP port (default {DEFAULT_PORT})",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="a loopback address to listen on: 127.0.0.1 (default), ::1 or localhost",
    )
    p.set_defaults(handler=cmd_serve)


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return value


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and any loopback IP address (127.0.0.0/8, ::1)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tui_command(db: str | None) -> str:
    """The shell command each browser session runs: this Python, this package."""
    import shlex
    import sys

    argv = [sys.executable, "-m", "reverb_tui", "tui"]
    if db:
        argv += ["--db", db]
    return shlex.join(argv)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..errors import AppError, UserError
    from .common import err

    if not is_loopback(args.host):
        raise UserError(
            f"reverb-tui serve listens on this machine only (127.0.0.1, ::1 or localhost), "
            f"not {args.host!r}: the page has no login, so reach it from elsewhere through "
            f"an SSH tunnel (ssh -L {args.port}:127.0.0.1:{args.port} SERVER)."
        )
    try:
        server_class = loopback_server_class()
    except ModuleNotFoundError as exc:
        if exc.name not in ("textual_serve", "aiohttp", "aiohttp_jinja2", "jinja2"):
            raise
        raise UserError(
            "reverb-tui serve needs textual-serve: pip install 'reverb-tui[web]'."
        ) from None
    host = args.host.strip("[]")
    shown = f"[{host}]" if ":" in host else host
    server = server_class(
        tui_command(getattr(args, "db", None)),
        host=host,
        port=args.port,
        title="reverb-tui",
        public_url=f"http://{shown}:{args.port}",
    )
    err(
        f"Open http://{shown}:{args.port}/ in a browser on this machine; Ctrl-C stops the "
        "server. Each tab runs its own TUI."
    )
    try:
        server.serve()
    except OSError as exc:  # the port is taken, or the address is not on this machine
        raise AppError(f"Cannot listen on {shown}:{args.port}: {exc.strerror or exc}.") from None
    return 0


def loopback_server_class() -> Any:
    """textual-serve's Server, answering only requests addressed to a loopback name."""
    from aiohttp import web
    from textual_serve.server import Server

    @web.middleware
    async def loopback_only(request: web.Request, handler: Any) -> web.StreamResponse:
        from urllib.parse import urlsplit

        origin = request.headers.get("Origin")
        if not is_loopback(urlsplit(f"//{request.host}").hostname) or (
            origin is not None and not is_loopback(urlsplit(origin).hostname)
        ):
            raise web.HTTPForbidden(text="reverb-tui serve answers loopback addresses only.\n")
        return await handler(request)

    class LoopbackServer(Server):
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(loopback_only)
            return app

    return LoopbackServer
