"""Logging with secrets redacted and outside text made safe.

Every registered token is replaced by its masked form in any log record or saved traceback,
so a token that slips into an exception message or a URL still never lands in a log.

Log messages quote text from strangers (Reverb's error texts, listing titles, SKUs): every
message goes through ``text_safety.safe_text``, so a log line never carries a control
character (none to drive the terminal the log is read in, no newline to forge a line of a
log file); a traceback keeps its own line breaks. The sync log in the database keeps
Reverb's text exactly as received.
"""

from __future__ import annotations

import logging
import re
import threading

from .errors import mask_token
from .text_safety import safe_text

_lock = threading.Lock()
_secrets: set[str] = set()
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def register_secret(secret: str | None) -> None:
    if secret and len(secret) >= 8:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, mask_token(s))
    return _BEARER.sub(r"\1…", text)


class RedactingFilter(logging.Filter):
    """Masks tokens and replaces control characters in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = safe_text(redact(msg))
        if clean != msg:
            record.msg, record.args = clean, None
        return True


class SafeFormatter(logging.Formatter):
    """A formatter whose tracebacks and stack dumps are redacted and safe too (their own
    line breaks kept): an exception text may quote Reverb's words."""

    def formatException(self, ei) -> str:  # noqa: ANN001, N802
        return safe_text(redact(super().formatException(ei)), newlines=True)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return safe_text(redact(super().formatStack(stack_info)), newlines=True)


def setup_logging(level: int = logging.INFO, stream=None) -> None:  # noqa: ANN001
    """Log to stderr (the daemon's one line per run), redacted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("reverb_tui")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
