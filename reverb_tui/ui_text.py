"""Small text and timing helpers shared by screens and widgets (no Textual here)."""

from __future__ import annotations

import asyncio

# Seconds a search waits for a pause in typing before it reads (a newer keystroke cancels
# the waiting worker: searches run as exclusive workers in their own group).
TYPING_PAUSE = 0.2


def plural(n: int, word: str) -> str:
    """``plural(1, "order")`` is "1 order"; ``plural(1200, "order")`` is "1,200 orders"."""
    return f"{n:,} {word}{'s' if n != 1 else ''}"


async def typing_pause(seconds: float = TYPING_PAUSE) -> None:
    """The debounce of every search: an exclusive worker awaits this first, so a keystroke
    that starts a newer search cancels it before it reads anything."""
    await asyncio.sleep(seconds)
