"""Reading values out of Reverb's JSON, which is loose: numbers come as strings, objects
where text was expected, links missing. Each reader returns a clean value or a default and
never raises."""

from __future__ import annotations

from typing import Any


def text(value: Any) -> str | None:
    """A trimmed string; None when absent, blank, or an object or list."""
    if value is None or isinstance(value, dict | list):
        return None
    out = str(value).strip()
    return out or None


def integer(value: Any, default: int = 0) -> int:
    """An int, a bool or a string of digits (signed) as an int; anything else is ``default``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return default


def positive(value: Any, default: int) -> int:
    """A count of 1 or more (quantities, page numbers); ``default`` for anything else."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return n if n > 0 else default


def next_href(body: Any) -> str | None:
    """The HAL ``_links.next.href`` of a page, when it has a usable one."""
    links = body.get("_links") if isinstance(body, dict) else None
    if isinstance(links, dict):
        nxt = links.get("next")
        if isinstance(nxt, dict) and isinstance(nxt.get("href"), str) and nxt["href"].strip():
            return nxt["href"]
    return None


__all__ = ["integer", "next_href", "positive", "text"]
