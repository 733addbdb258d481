"""Logging with secrets redacted and outside text made safe.

Every registered token is replaced by its masked form in any log record or saved traceback,
so a token that slips into an exception message or a URL still never lands in a log.

Log messages quote text from strangers (Reverb's error texts, listing titles, SKUs): every
message goes through ``text_safety.safe_text``, so a log line never carries a control
character (none to drive the terminal the log is read in, no newline to forge a line of a
log file); a traceback keeps its own line breaks. The sync log in the database keeps
Reverb's text exactly as received.

The sync daemon (``sync --watch``) logs to stderr (the journal, under systemd) and to a
rotating file in the platform's log directory (``paths.log_dir()``), created owner-only.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

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

    def formatException(self, ei) -> str:
        return safe_text(redact(super().formatException(ei)), newlines=True)

    def formatStack(self, stack_info: str) -> str:
        return safe_text(redact(super().formatStack(stack_info)), newlines=True)


LOG_FILE_NAME = "reverb-tui.log"
LOG_FILE_MAX_BYTES = 1_000_000
LOG_FILE_BACKUPS = 5
STAMPED = "%(asctime)s %(levelname)s %(message)s"
# Under systemd (JOURNAL_STREAM set) the journal stamps each line itself.
UNSTAMPED = "%(levelname)s %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that is created, and re-created at each rotation, as 0600: log
    lines name shops, buyers and orders."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def open_log_file(
    path: Path, *, max_bytes: int = LOG_FILE_MAX_BYTES, backups: int = LOG_FILE_BACKUPS
) -> logging.Handler:
    """The rotating file handler for ``path``, its directory created 0700 if missing.
    Raises OSError when the file cannot be opened."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    handler.setFormatter(SafeFormatter(STAMPED))
    handler.addFilter(RedactingFilter())
    return handler


def setup_logging(
    level: int = logging.INFO,
    stream=None,
    *,
    log_file: Path | None = None,
    file_level: int = logging.INFO,
) -> Path | None:
    """Log to stderr at ``level`` (the daemon's one line per run) and, with ``log_file``, to
    that rotating file at ``file_level``; everything redacted and made safe. Returns the log
    file in use, None when there is none (one that cannot be opened is reported on stderr
    and the daemon goes on without it)."""
    console = logging.StreamHandler(stream)
    console.setFormatter(SafeFormatter(UNSTAMPED if os.environ.get("JOURNAL_STREAM") else STAMPED))
    console.addFilter(RedactingFilter())
    console.setLevel(level)
    handlers: list[logging.Handler] = [console]
    in_use = None
    if log_file is not None:
        try:
            handler = open_log_file(log_file)
        except OSError as exc:
            (stream or sys.stderr).write(
                safe_text(
                    f"Cannot write the log file {log_file}: {exc.strerror or exc}; "
                    "logging to stderr only."
                )
                + "\n"
            )
        else:
            handler.setLevel(file_level)
            handlers.append(handler)
            in_use = log_file
    root = logging.getLogger("reverb_tui")
    for old in root.handlers:
        old.close()
    root.handlers[:] = handlers
    root.setLevel(min(h.level for h in handlers))
    root.propagate = False
    return in_use
