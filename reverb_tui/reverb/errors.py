"""Typed errors of the Reverb API. Messages never contain the token."""

from __future__ import annotations

from typing import Any

from ..errors import AppError


class ReverbError(AppError):
    """Anything that went wrong talking to Reverb. Exit code 1 unless refused (4xx)."""

    status: int | None = None
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.body = body


class RefusedError(ReverbError):
    """Reverb refused the request (4xx): exit code 2."""

    exit_code = 2


class AuthError(RefusedError):
    status = 401


class ForbiddenError(RefusedError):
    status = 403


class NotFoundError(RefusedError):
    status = 404


class ValidationError(RefusedError):
    """400/406/412/422 with Reverb's ``errors`` body kept in ``errors``."""

    def __init__(
        self, message: str, *, status: int | None = None, body: Any = None, errors: Any = None
    ) -> None:
        super().__init__(message, status=status, body=body)
        self.errors = errors


class RateLimitedError(ReverbError):
    status = 429
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ReverbError):
    retryable = True


class NetworkError(ReverbError):
    """Could not connect, connection dropped, or timed out."""

    retryable = True

    def __init__(self, message: str, *, sent: bool = True, **kw: Any) -> None:
        super().__init__(message, **kw)
        # False when the request certainly never reached the server (connect failure).
        self.sent = sent


class StopRequested(ReverbError):
    """A stop (SIGTERM, Ctrl-C, quitting the TUI) came while waiting out Reverb's back-off:
    the request is given up at once instead of after the wait."""


class BadResponseError(ReverbError):
    """A response that is not the JSON we expect. Retryable on reads (a truncated body)."""

    retryable = True


def describe_body(body: Any) -> str:
    """Reverb's own words from an error body: ``message``/``error`` plus ``errors``/``details``."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    msg = body.get("message") or body.get("error")
    if isinstance(msg, str) and msg.strip():
        parts.append(msg.strip().rstrip("."))
    errs = body.get("errors")
    if isinstance(errs, dict):
        for field, val in errs.items():
            vals = val if isinstance(val, list) else [val]
            text = "; ".join(str(v) for v in vals if v not in (None, ""))
            if text:
                parts.append(f"{field} {text}")
    elif isinstance(errs, list):
        parts.extend(str(e) for e in errs if e)
    details = body.get("details")
    if isinstance(details, str) and details.strip() and not parts:
        parts.append(details.strip().rstrip("."))
    return ": ".join(parts[:1]) + ("; " + "; ".join(parts[1:]) if len(parts) > 1 else "")
