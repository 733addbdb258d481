"""Text from strangers, made safe to show: the one sanitising boundary for display.

Buyer names, addresses, listing titles, SKUs, shipping methods and API error texts come from
Reverb (typed by strangers), from CSV files or from a database another host wrote. Written
raw to a terminal, an ESC or C1 control character starts an escape sequence: OSC 52 sets the
user's clipboard, OSC 0 the window title, CSI 2J clears the screen, OSC 8 plants a hyperlink.
Bidirectional overrides and isolates make text read in a different order than it is stored.
So before any such text is shown (TUI, notifications, CLI plain output, logs, CSV exports)
it goes through ``safe_text``; the database and ``--json`` keep the original.

Stand-ins (visible, one character each, so a value keeps its length and shape):

- C0 controls U+0000–U+001F: the matching Unicode control picture, U+2400–U+241F (ESC shows
  as ``␛``, a newline as ``␊``, a tab as ``␉``);
- DEL U+007F: ``␡`` (U+2421);
- everything else replaced: U+FFFD ``�`` — C1 controls U+0080–U+009F (U+009B is a one-byte
  CSI), bidirectional embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069, the
  line and paragraph separators U+2028/U+2029 (a line break by another name), and lone
  surrogates U+D800–U+DFFF (they reach Python from JSON's ``\\udXXX`` and cannot be encoded,
  so writing one would crash the output).

Everything else — accents, CJK, emoji, right-to-left letters and the weak direction marks —
is kept as it is. ``max_len`` cuts in code points (not terminal cells) and ends with ``…``.

No Textual and no Rich here: the lower layers and the CLI use this module too
(``tests/unit/test_layering.py`` checks it). The TUI's Rich helper is ``reverb_tui.safe_rich``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TextIO

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"

# Every code point that must never reach a terminal (or a spreadsheet) as it is; the second
# set lets the newline (U+000A) through.
_OTHERS = r"\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_UNSAFE_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return REPLACEMENT


def _replace(match: re.Match[str]) -> str:
    return _stand_in(ord(match.group()))


def safe_text(value: object, *, max_len: int | None = None, newlines: bool = False) -> str:
    """``value`` as text that cannot drive a terminal (see the module docstring).

    ``None`` gives ``""``; anything else that is not a string is shown with ``str()``.
    ``newlines=True`` keeps ``\\n`` (for multi-line output the program itself composed; a
    value shown in one table cell or line keeps the default). ``max_len`` (1 or more) cuts a
    longer result to that many code points, the last one ``…``.
    """
    if value is None:
        text = ""
    else:
        text = value if isinstance(value, str) else str(value)
    pattern = _UNSAFE_BUT_NEWLINE if newlines else _UNSAFE
    if pattern.search(text) is not None:
        text = pattern.sub(_replace, text)
    if max_len is not None:
        if max_len < 1:
            raise ValueError(f"max_len must be 1 or more, not {max_len}")
        if len(text) > max_len:
            text = text[: max_len - 1] + ELLIPSIS
    return text


def is_safe(text: str, *, newlines: bool = False) -> bool:
    """True when ``text`` holds nothing ``safe_text`` would replace."""
    return (_UNSAFE_BUT_NEWLINE if newlines else _UNSAFE).search(text) is None


# -- JSON ---------------------------------------------------------------------------------------


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_json(document: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with every unsafe code point
    written as a ``\\uXXXX`` escape, so the terminal sees none of them while any JSON reader
    gets the original text back. ``json.dumps`` escapes C0 itself but leaves DEL, C1, bidi
    overrides and lone surrogates raw; outside strings JSON is plain ASCII, so every match is
    inside a string, where the escape means the same character.
    """
    if (document.isascii() and "\x7f" not in document) or not _UNSAFE_BUT_NEWLINE.search(document):
        return document  # the usual case, found quickly (C0 is escaped by json.dumps already)
    return _UNSAFE_BUT_NEWLINE.sub(_json_escape, document)


# -- CSV ----------------------------------------------------------------------------------------

# OWASP's CSV injection advice: a cell starting with one of these is a formula (or becomes
# one) in a spreadsheet. The full-width forms are read as formulas by spreadsheets in some
# East Asian locales. Tab and CR are listed for completeness: ``safe_text`` already turned
# them into control pictures.
FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
_NEEDS_QUOTE = re.compile(f"'*[{re.escape(FORMULA_STARTS)}]")
_QUOTED = re.compile(f"'+[{re.escape(FORMULA_STARTS)}]")


def csv_cell(value: Any) -> Any:
    """One cell for a CSV export: numbers (``Decimal`` amounts too) stay numbers; text gets ``safe_text`` and a leading
    ``'`` when a spreadsheet would take it for a formula.

    Text that already starts with quotes before a formula character gets one more quote too,
    so ``csv_uncell`` (used by the import) gives back exactly what was exported.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value  # a number (an amount of money, -12.50 too) is never a formula
    text = safe_text(value)
    if _NEEDS_QUOTE.match(text):
        return "'" + text
    return text


def csv_uncell(text: str) -> str:
    """Undo ``csv_cell``'s quote: ``'=SUM(A1)`` reads as ``=SUM(A1)`` (the quote is the
    spreadsheet's mark for "text, not a formula"); ``''=X`` reads as ``'=X``. Text without a
    quote before a formula character is returned unchanged."""
    if _QUOTED.match(text):
        return text[1:]
    return text


# -- Standard streams -----------------------------------------------------------------------


class SafeTextStream:
    """A text stream that passes everything written through ``safe_text(newlines=True)``.

    The CLI runs every command with its stdout and stderr wrapped in one (``safe_stdio``), so
    no plain output line can carry a control character, whatever field it came from, while
    the program's own line breaks stay. Everything but ``write`` is the wrapped stream's.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        clean = text if _UNSAFE_BUT_NEWLINE.search(text) is None else safe_text(text, newlines=True)
        self._stream.write(clean)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def safe_stdio() -> Iterator[None]:
    """Within the block, ``sys.stdout`` and ``sys.stderr`` are ``SafeTextStream``s."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = SafeTextStream(out)
    sys.stderr = SafeTextStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


__all__ = [
    "ELLIPSIS",
    "FORMULA_STARTS",
    "REPLACEMENT",
    "SafeTextStream",
    "csv_cell",
    "csv_uncell",
    "is_safe",
    "safe_json",
    "safe_stdio",
    "safe_text",
]
