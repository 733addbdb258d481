"""Logging with secrets redacted.

Every registered token is replaced by its masked form in any log record or saved traceback,
so a token that slips into an exception message or a URL still never lands in a log.
"""

from __future__ import annotations

import logging
import re
import threading

from .errors import mask_token

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
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: int = logging.INFO, stream=None) -> None:  # noqa: ANN001
    """Log to stderr (the daemon's one line per run), redacted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("reverb_tui")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
