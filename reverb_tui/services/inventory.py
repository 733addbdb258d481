"""Local inventory (the stock master): list with reserved/available, count edits, CSV
import/export. Shared by the TUI and the CLI; no Textual here.

``on_hand`` is what a person counted; every way of setting it (screen, CLI, CSV import)
records the moment of the count in ``counted_at``: only orders paid after the count
take stock (docs/user-guide.md "Stock rules").
"""

from __future__ import annotations

import builtins
import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ..clock import Clock, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, InventoryItem, SkuMapping, fold
from ..errors import AppError, NotFound, UserError
from ..sync.stock import StockLevel, lock_item, record_count, stock_levels
from ..text_safety import csv_cell, csv_uncell

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MAX_SKU = 100
MAX_TITLE = 300
MAX_ON_HAND = 10_000_000
CSV_COLUMNS = ("sku", "title", "on_hand")


class CsvImportError(UserError):
    """A CSV file with bad rows; nothing was imported. ``problems`` is [(line, reason)]."""

    def __init__(self, path: str, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = problems
        n = len(problems)
        head = f"Nothing was imported from {path}: {n} problem{'s' if n != 1 else ''}"
        lines = "\n".join(f"  line {line}: {reason}" for line, reason in problems)
        super().__init__(f"{head}:\n{lines}")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated


def inventory_json(level: StockLevel) -> dict[str, Any]:
    """The CLI contract's inventory item (its keys are listed in docs/cli.md)."""
    return {
        "sku": level.sku,
        "title": level.title,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.available,
    }


def clean_sku(sku: Any, what: str = "The SKU") -> str:
    value = sku.strip() if isinstance(sku, str) else ""
    if not value:
        raise UserError(f"{what} is empty.")
    if len(value) > MAX_SKU:
        raise UserError(f"{what} {value[:20]!r}… is longer than {MAX_SKU} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UserError(f"{what} {value!r} contains control characters.")
    return value


def clean_title(title: Any) -> str:
    value = title.strip() if isinstance(title, str) else ""
    if len(value) > MAX_TITLE:
        raise UserError(f"The title is longer than {MAX_TITLE} characters.")
    if any(ord(c) < 32 for c in value):
        raise UserError("The title contains control characters.")
    return value


def parse_count(value: Any, what: str = "On hand") -> int:
    """A whole number of 0 or more (an int, or text such as "12")."""
    if isinstance(value, bool):
        raise UserError(f"{what} must be a whole number of 0 or more.")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise UserError(f"{what} is empty.")
        sign = text[1:] if text[:1] in "+-" else text
        if not sign.isdigit() or not sign.isascii():
            raise UserError(f"{what} {text!r} is not a whole number.")
        n = int(text)
    else:
        raise UserError(f"{what} must be a whole number of 0 or more.")
    if n < 0:
        raise UserError(f"{what} cannot be negative ({n}).")
    if n > MAX_ON_HAND:
        raise UserError(f"{what} {n} is implausibly large.")
    return n


class InventoryService:
    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # -- reads --------------------------------------------------------------------------------

    @staticmethod
    def _search(q, search: str | None):
        text = (search or "").strip()
        if not text:
            return q
        return q.where(
            or_(
                col(InventoryItem.sku_key).contains(fold(text), autoescape=True),
                func.lower(InventoryItem.title).contains(text.lower(), autoescape=True),
            )
        )

    def list(
        self, search: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[StockLevel]:
        """Local SKUs ordered by SKU, with reserved and available; every row unless ``limit``."""
        with session_scope(self.engine) as s:
            q = self._search(select(InventoryItem.sku_key), search).order_by(
                col(InventoryItem.sku_key)
            )
            if limit is not None:
                q = q.limit(limit).offset(offset)
            keys = list(s.exec(q))
            if not keys:
                return []
            levels = stock_levels(s, keys) if limit is not None else stock_levels(s)
            return [levels[k] for k in keys if k in levels]

    def count(self, search: str | None = None) -> int:
        with session_scope(self.engine) as s:
            q = self._search(select(func.count()).select_from(InventoryItem), search)
            return int(s.exec(q).one())

    def get(self, sku: str) -> StockLevel:
        with session_scope(self.engine) as s:
            level = stock_levels(s, [fold(sku or "")]).get(fold(sku or ""))
            if level is None:
                raise NotFound(f"There is no local SKU {str(sku).strip()!r}.")
            return level

    def choices(self, search: str | None = None, limit: int = 50) -> builtins.list[tuple[str, str]]:
        """(sku, title) pairs for a searchable drop-down."""
        with session_scope(self.engine) as s:
            q = self._search(select(InventoryItem.sku, InventoryItem.title), search)
            return [
                (sku, title or "")
                for sku, title in s.exec(q.order_by(col(InventoryItem.sku_key)).limit(limit))
            ]

    # -- writes -------------------------------------------------------------------------------

    @staticmethod
    def _item(s: Session, sku: str) -> InventoryItem | None:
        return s.exec(select(InventoryItem).where(col(InventoryItem.sku_key) == fold(sku))).first()

    def set_on_hand(self, sku: str, on_hand: Any) -> StockLevel:
        """Record a count: on hand becomes ``on_hand`` as of now."""
        n = parse_count(on_hand)
        key = fold(sku or "")
        with session_scope(self.engine) as s:
            if lock_item(s, key) is None:
                raise NotFound(f"There is no local SKU {str(sku).strip()!r}.")
            record_count(s, key, n, self.clock())
            return stock_levels(s, [key])[key]

    def upsert(self, sku: str, title: str | None = None, on_hand: Any = None) -> StockLevel:
        """Create a local SKU or update it. A given ``on_hand`` records a count; a title of
        None keeps the current one."""
        value = clean_sku(sku)
        n = parse_count(on_hand) if on_hand is not None else None
        t = clean_title(title) if title is not None else None
        with session_scope(self.engine) as s:
            self._upsert(s, value, t, n, self.clock())
            s.flush()
            return stock_levels(s, [fold(value)])[fold(value)]

    @staticmethod
    def _upsert(s: Session, sku: str, title: str | None, on_hand: int | None, now) -> bool:
        """True when created. The stored spelling of an existing SKU is kept: orders refer
        to it."""
        item = lock_item(s, fold(sku))
        created = item is None
        if item is None:
            item = InventoryItem(sku=sku, sku_key=fold(sku), title=title or "", on_hand=0)
        if title is not None:
            item.title = title
        item.updated_at = now
        s.add(item)
        if on_hand is not None:
            s.flush()
            record_count(s, item.sku_key, on_hand, now)
        return created

    def delete(self, sku: str) -> None:
        """Delete a local SKU; refused while a SKU mapping uses it."""
        key = fold(sku or "")
        with session_scope(self.engine) as s:
            item = self._item(s, key)
            if item is None:
                raise NotFound(f"There is no local SKU {str(sku).strip()!r}.")
            users = s.exec(
                select(Channel.name, SkuMapping.channel_sku)
                .join(Channel, col(Channel.id) == SkuMapping.channel_id)
                .where(col(SkuMapping.sku_key) == key)
                .order_by(Channel.name, SkuMapping.channel_sku_key)
            ).all()
            if users:
                where = ", ".join(f"{cs!r} on {name!r}" for name, cs in users[:5])
                more = f" and {len(users) - 5} more" if len(users) > 5 else ""
                raise UserError(
                    f"{item.sku!r} cannot be deleted: SKU mappings use it ({where}{more}); "
                    "unmap them first."
                )
            s.delete(item)

    # -- CSV ----------------------------------------------------------------------------------

    def import_csv(self, path: str | os.PathLike) -> ImportResult:
        """Upsert every row of a ``sku,title,on_hand`` CSV (UTF-8, BOM allowed) in one
        transaction, or none: every bad row is reported by line number first."""
        name = str(path)
        rows = parse_inventory_csv(_read_bytes(Path(path)), name)
        now = self.clock()
        result = ImportResult()
        with session_scope(self.engine) as s:
            for sku, title, on_hand in rows:
                if self._upsert(s, sku, title, on_hand, now):
                    result.created += 1
                else:
                    result.updated += 1
        return result

    def export_csv(self, path: str | os.PathLike) -> int:
        """Write every local SKU as ``sku,title,on_hand`` (UTF-8); returns the rows written.

        Text cells go through ``text_safety.csv_cell``: control characters replaced by their
        visible stand-ins, and a ``'`` before a cell a spreadsheet would run as a formula
        (``=``, ``+``, ``-``, ``@`` first). ``on_hand`` stays a plain integer. The import takes
        that quote off again, so an exported file reads back as the same SKUs."""
        target = Path(path)
        with session_scope(self.engine) as s:
            items = list(
                s.exec(
                    select(InventoryItem.sku, InventoryItem.title, InventoryItem.on_hand).order_by(
                        InventoryItem.sku_key
                    )
                )
            )
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for sku, title, on_hand in items:
            w.writerow([csv_cell(sku), csv_cell(title or ""), int(on_hand)])
        _write_atomic(target, buf.getvalue().encode("utf-8"))
        return len(items)


# -- CSV helpers ------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"There is no file {str(path)!r}.") from None
    except IsADirectoryError:
        raise UserError(f"{str(path)!r} is a directory, not a CSV file.") from None
    except PermissionError:
        raise UserError(f"Cannot read {str(path)!r}: permission denied.") from None
    except OSError as exc:
        raise AppError(f"Cannot read {str(path)!r}: {exc.strerror}.") from None


def _write_atomic(target: Path, data: bytes) -> None:
    if target.is_dir():
        raise UserError(f"{str(target)!r} is a directory; give a file name.")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"The folder {str(parent)!r} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".inventory-", suffix=".csv", dir=parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except PermissionError:
        raise UserError(f"Cannot write {str(target)!r}: permission denied.") from None
    except OSError as exc:
        raise AppError(f"Cannot write {str(target)!r}: {exc.strerror}.") from None


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (an initial BOM is dropped); every line with bytes that are not UTF-8 is reported."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    problems = []
    for no, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                (no, f"byte 0x{line[exc.start]:02x} is not UTF-8 (save the file as UTF-8)")
            )
    raise CsvImportError(name, problems)


def parse_inventory_csv(data: bytes, name: str = "the file") -> list[tuple[str, str, int]]:
    """Validated (sku, title, on_hand) rows, or ``CsvImportError`` listing every bad row.

    A sku or title cell written as ``'=…`` (also ``'+``, ``'-``, ``'@``) is the spreadsheet's
    way of saying "text, not a formula", as the export writes it: the value is ``=…``. To
    import a value that really starts with a quote before one of those, double the quote
    (``''=…`` reads as ``'=…``; ``text_safety.csv_uncell``)."""
    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[tuple[int, str]] = []
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)  # leading blank lines
        if header is None:
            raise CsvImportError(
                name, [(1, "the file is empty (expected a header sku,title,on_hand)")]
            )
        header_line = reader.line_num
        cols = [h.strip().casefold() for h in header]
        missing = [c for c in CSV_COLUMNS if c not in cols]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise CsvImportError(
                name,
                [
                    (
                        header_line,
                        f"missing column{plural} {', '.join(missing)} "
                        f"(the header must name sku, title and on_hand)",
                    )
                ],
            )
        dup_cols = [c for c in CSV_COLUMNS if cols.count(c) > 1]
        if dup_cols:
            raise CsvImportError(name, [(header_line, f"column {dup_cols[0]} appears twice")])
        idx = {c: cols.index(c) for c in CSV_COLUMNS}
        seen: dict[str, int] = {}
        rows: list[tuple[str, str, int]] = []
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            cells = {c: (record[i] if i < len(record) else None) for c, i in idx.items()}
            for c in ("sku", "title"):
                cell = cells[c]
                if cell is not None:
                    cells[c] = csv_uncell(cell.strip())
            reasons: list[str] = []
            sku = title = None
            on_hand = None
            if cells["sku"] is None or not cells["sku"].strip():
                reasons.append("the sku is empty")
            else:
                try:
                    sku = clean_sku(cells["sku"], "the sku")
                except UserError as exc:
                    reasons.append(_lower_first(exc.message))
            if cells["on_hand"] is None:
                reasons.append("the on_hand value is missing")
            else:
                try:
                    on_hand = parse_count(cells["on_hand"], "on_hand")
                except UserError as exc:
                    reasons.append(exc.message.rstrip("."))
            try:
                title = clean_title(cells["title"] or "")
            except UserError as exc:
                reasons.append(_lower_first(exc.message))
            if sku is not None:
                key = fold(sku)
                if key in seen:
                    reasons.append(f"sku {sku!r} already appears on line {seen[key]}")
                else:
                    seen[key] = line
            if reasons:
                problems.append((line, "; ".join(r.rstrip(".") for r in reasons)))
            else:
                rows.append((sku, title, on_hand))  # type: ignore[arg-type]
    except csv.Error as exc:
        problems.append((reader.line_num, f"not valid CSV ({exc})"))
    if problems:
        raise CsvImportError(name, problems)
    return rows


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


__all__ = [
    "CsvImportError",
    "ImportResult",
    "InventoryService",
    "inventory_json",
    "parse_count",
    "parse_inventory_csv",
]
