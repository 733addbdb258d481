"""HTTP framing of the simulator: a ThreadingHTTPServer, fault injection, control endpoints.

Order of events for an API request: count it, wait ``latency``, then (maybe) a fault decided
before the work (dropped connection, 429 from the per-token window or a burst, 5xx), then the
endpoint, then (maybe) a fault on the answer (truncated JSON, a delay past the client's
timeout). ``/_sim/...`` is the control API for a simulator running in another process; it is
never counted and never faulted.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from .api import Reply, Request, classify
from .faults import Fault, FaultPick, FaultPlan

log = logging.getLogger("reverb_tui.demo")

_GATEWAY_HTML = {
    502: b"<html><body><h1>502 Bad Gateway</h1></body></html>\n",
    503: b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n",
}


class SimulatorHooks(Protocol):
    """What the HTTP layer needs from the simulator (``ReverbSimulator`` implements it)."""

    api_root: str  # e.g. "/api"
    fault_plan: FaultPlan  # latency, retry_after and slow_seconds are read per request

    def record(self, token: str | None, kind: str, accept_version: str | None) -> None:
        """Count an API request as it arrives."""

    def pick_faults(self, method: str, token: str | None) -> FaultPick:
        """The faults of this request (counted)."""

    def latency_now(self) -> float:
        """The latency to add to this request (``latency`` with its jitter)."""

    def serve(self, req: Request, token: str | None) -> Reply:
        """The endpoint's answer."""

    def answered(self, status: int) -> None:
        """Count an answer's status."""

    def control(self, method: str, path: str, query: dict[str, str], data: Any) -> Reply:
        """Answer a ``/_sim`` request; KeyError, ValueError or TypeError mean a bad body."""

    def wait(self, seconds: float) -> None:
        """Sleep, cut short when the simulator stops."""


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], sim: SimulatorHooks) -> None:
        self.sim = sim
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, SimHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every kept-alive connection so handler threads end with the server."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer is normal here (timeouts, chaos); anything else is
        # a simulator bug and is logged.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        log.exception("simulator: unexpected error while serving a request")


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ReverbSim/1.0"
    sys_version = ""
    timeout = 120  # an idle kept-alive connection is closed after this
    server: SimHTTPServer

    def setup(self) -> None:
        super().setup()
        # Without this, small answers on a kept-alive connection wait ~40 ms for a delayed ACK.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _write_response(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        """Status line, headers and body in one write."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self._headers_buffer.append(b"\r\n" + payload)  # type: ignore[attr-defined]
        self.flush_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: a test double must not spray stderr

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -------------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            return b""
        return self.rfile.read(n) if n > 0 else b""

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()

    def _handle(self, method: str) -> None:
        sim = self.server.sim
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if path.startswith("/_sim/") or path == "/_sim":
            self._control(method, path, dict(pairs), body)
            return
        api_root = sim.api_root
        sub_path = path[len(api_root) :] if path.startswith(api_root + "/") else None
        token = self._token()
        kind = classify(method, sub_path)
        sim.record(token, kind, self.headers.get("Accept-Version"))
        plan = sim.fault_plan
        if plan.latency > 0:
            sim.wait(sim.latency_now())
        before, after = sim.pick_faults(method, token)
        if before is Fault.DROP:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if before is not None and before.status == 429:
            headers = {}
            if plan.retry_after is not None:
                headers["Retry-After"] = f"{plan.retry_after:g}"
            self._send(Reply(429, {"message": "Too many requests. Please retry later."}, headers))
            return
        if before is not None and before.status is not None:  # a server error
            code = before.status
            if code in _GATEWAY_HTML:
                reply = Reply(code, _GATEWAY_HTML[code], {"Content-Type": "text/html"})
            else:
                reply = Reply(code, {"message": "Internal Server Error"})
            self._send(reply)
            return
        if sub_path is None:
            reply = Reply(404, {"message": "The requested resource could not be found."})
        else:
            req = Request(
                method=method,
                sub_path=sub_path,
                full_path=path,
                query={k: v for k, v in pairs},
                query_order=list(dict.fromkeys(k for k, _ in pairs)),
                shop=None,
                body=body,
                content_type=self.headers.get("Content-Type") or "",
            )
            reply = sim.serve(req, token)
        payload = _encode(reply)
        if after is Fault.MALFORMED and 200 <= reply.status < 300 and len(payload) > 2:
            payload = payload[: max(1, len(payload) // 2)]
        if after is Fault.SLOW:
            sim.wait(plan.slow_seconds)
        self._send(reply, payload)

    def _send(self, reply: Reply, payload: bytes | None = None) -> None:
        if payload is None:
            payload = _encode(reply)
        self.server.sim.answered(reply.status)
        headers = {
            "Content-Type": "application/hal+json; charset=utf-8",
            "Vary": "Accept-Version",
            "X-Request-Id": str(uuid.uuid4()),
            **reply.headers,
        }
        try:
            self._write_response(reply.status, headers, payload)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            self.close_connection = True  # the client gave up (e.g. its timeout passed)

    def _control(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        sim = self.server.sim
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            self._send_plain(Reply(400, {"message": "control body must be JSON"}))
            return
        try:
            reply = sim.control(method, path.rstrip("/"), query, data)
        except (KeyError, ValueError, TypeError) as exc:
            reply = Reply(400, {"message": str(exc)})
        self._send_plain(reply)

    def _send_plain(self, reply: Reply) -> None:
        payload = _encode(reply)
        try:
            self._write_response(reply.status, {"Content-Type": "application/json"}, payload)
        except OSError:
            self.close_connection = True


def _encode(reply: Reply) -> bytes:
    if isinstance(reply.body, bytes):
        return reply.body
    if reply.body is None:
        return b""
    return json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
