"""Small renderables shared by the list and the detail screen: logo badge, status, health.

Plain functions returning Rich ``Text`` so a table cell, a Static and a test can use them.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ..text_safety import safe_text

REVERB_ORANGE = "#f26b21"
STATUS_BLUE = "#3d8ee8"
STATUS_GREY = "#8a8a8a"

CHANNEL_TYPES = {"reverb": ("Reverb", "R", REVERB_ORANGE)}


def type_label(channel_type: str) -> str:
    return CHANNEL_TYPES.get(channel_type, (channel_type.title(), "?", STATUS_GREY))[0]


def logo_badge(channel_type: str) -> Text:
    """The coloured glyph standing for the channel type (the logo column)."""
    _label, glyph, colour = CHANNEL_TYPES.get(channel_type, ("", "?", STATUS_GREY))
    return Text(f" {glyph} ", style=f"bold #ffffff on {colour}")


def status_text(enabled: bool) -> Text:
    """The status switch: Yes/blue enabled, No/grey disabled."""
    if enabled:
        return Text("● Yes", style=f"bold {STATUS_BLUE}")
    return Text("○ No", style=STATUS_GREY)


def relative_time(when: datetime | None, now: datetime) -> str:
    """'never', 'just now', '5 min ago', '3 h ago', '2 d ago', else the date."""
    if when is None:
        return "never"
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86_400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86_400:
        return f"{int(seconds // 86_400)} d ago"
    return when.strftime("%Y-%m-%d")


def time_text(when: datetime | None, now: datetime) -> Text:
    text = relative_time(when, now)
    return Text(text, style="dim" if when is None else "")


def reauth_text(needs_reauth: bool) -> Text:
    if needs_reauth:
        return Text("Yes", style="bold #e5484d")
    return Text("No", style="dim")


def errors_text(count: int, last_error: str | None, width: int = 40) -> Text:
    """The error count, with the start of the last error when there is one."""
    if not count and not last_error:
        return Text("0", style="dim")
    text = str(count)
    if last_error:
        # An API error text (it can quote a stranger's text): made safe before it is cut.
        first_line = last_error.strip().splitlines()[0] if last_error.strip() else ""
        first_line = safe_text(first_line)
        if len(first_line) > width:
            first_line = first_line[: width - 1].rstrip() + "…"
        text = f"{count} · {first_line}" if first_line else text
    return Text(text, style="#e5484d")
