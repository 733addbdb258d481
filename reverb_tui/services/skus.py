"""SKU mappings per integration: channel SKU -> local SKU (with a kit multiplier), auto-link,
the unlinked view, and the explicit "apply mappings to waiting orders" action.

Like a shipping mapping, a saved mapping affects only orders downloaded after it
(orders freeze their local SKU at download); ``apply_to_waiting_orders`` is the one explicit
way to link orders already stored. Listings are resolved at every push, so a new mapping
reaches them on the next push. Shared by the TUI and the CLI; no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..clock import Clock, iso, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, InventoryItem, Listing, Order, SkuMapping, fold, row_id
from ..db.queries import channel_by_ref
from ..errors import NotFound, UserError
from ..sync.stock import SkuResolver, apply_order_stock
from .inventory import clean_sku

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MAX_KIT = 10_000
APPLY_BATCH = 500


@dataclass
class MappingRow:
    channel_sku: str
    sku: str
    kit: int
    title: str = ""
    created_at: datetime | None = None

    def to_json(self, channel: str) -> dict[str, Any]:
        return {
            "channel": channel,
            "channel_sku": self.channel_sku,
            "sku": self.sku,
            "kit": self.kit,
            "title": self.title,
            "created_at": iso(self.created_at),
        }


@dataclass
class AutoLinkResult:
    linked: list[tuple[str, str]] = field(default_factory=list)  # (channel SKU, local SKU)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)
    already_mapped: int = 0
    unmatched: int = 0


@dataclass
class UnlinkedListing:
    listing_id: str
    sku: str | None
    title: str | None
    inventory: int
    state: str | None


@dataclass
class UnlinkedOrder:
    order_number: str
    channel_sku: str | None
    title: str | None
    status: str
    quantity: int
    created_at: datetime | None


@dataclass
class UnlinkedReport:
    listings: list[UnlinkedListing]
    orders: list[UnlinkedOrder]
    listing_count: int
    order_count: int

    def to_json(self, channel: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {
                "channel": channel,
                "kind": "listing",
                "id": x.listing_id,
                "channel_sku": x.sku,
                "title": x.title,
                "inventory": x.inventory,
                "state": x.state,
            }
            for x in self.listings
        ]
        rows += [
            {
                "channel": channel,
                "kind": "order",
                "id": o.order_number,
                "channel_sku": o.channel_sku,
                "title": o.title,
                "status": o.status,
                "quantity": o.quantity,
                "created_at": iso(o.created_at),
            }
            for o in self.orders
        ]
        return rows


@dataclass
class ChannelSkuChoice:
    channel_sku: str
    title: str
    listings: int
    orders: int
    mapped_to: str | None  # the local SKU it resolves to now, if any


def parse_kit(value: Any) -> int:
    if isinstance(value, bool):
        raise UserError("The kit multiplier must be a whole number of 1 or more.")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit() or not text.isascii():
            raise UserError(f"The kit multiplier {text!r} is not a whole number of 1 or more.")
        value = int(text)
    if not isinstance(value, int) or value < 1:
        raise UserError("The kit multiplier must be a whole number of 1 or more.")
    if value > MAX_KIT:
        raise UserError(f"The kit multiplier {value} is implausibly large.")
    return value


class SkuService:
    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def channel(self, name_or_id: str | int) -> Channel:
        with session_scope(self.engine) as s:
            return channel_by_ref(s, name_or_id)

    # -- mappings -----------------------------------------------------------------------------

    def mappings(self, channel: str | int) -> list[MappingRow]:
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            rows = s.exec(
                select(SkuMapping, InventoryItem.sku, InventoryItem.title)
                .join(InventoryItem, col(InventoryItem.sku_key) == SkuMapping.sku_key, isouter=True)
                .where(col(SkuMapping.channel_id) == ch.id)
                .order_by(col(SkuMapping.channel_sku_key))
            ).all()
            return [
                MappingRow(m.channel_sku, sku or m.sku_key, m.kit, title or "", m.created_at)
                for m, sku, title in rows
            ]

    def map(self, channel: str | int, channel_sku: str, sku: str, kit: Any = 1) -> MappingRow:
        """Add one mapping. A channel SKU already mapped elsewhere is refused (unmap first)."""
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            return self._add(s, ch, channel_sku, sku, kit, set())

    def _add(
        self, s: Session, ch: Channel, channel_sku: str, sku: str, kit: Any, freed: set[str]
    ) -> MappingRow:
        cs = clean_sku(channel_sku, "The channel SKU")
        local = clean_sku(sku, "The local SKU")
        k = parse_kit(kit)
        item = s.exec(
            select(InventoryItem).where(col(InventoryItem.sku_key) == fold(local))
        ).first()
        if item is None:
            raise NotFound(f"There is no local SKU {local!r}; add it to the inventory first.")
        existing = s.exec(
            select(SkuMapping).where(
                col(SkuMapping.channel_id) == ch.id, col(SkuMapping.channel_sku_key) == fold(cs)
            )
        ).first()
        if existing is not None and existing.channel_sku_key not in freed:
            if existing.sku_key == item.sku_key and existing.kit == k:
                return MappingRow(
                    existing.channel_sku, item.sku, k, item.title, existing.created_at
                )
            target = s.exec(
                select(InventoryItem.sku).where(col(InventoryItem.sku_key) == existing.sku_key)
            ).first()
            raise UserError(
                f"Channel SKU {existing.channel_sku!r} is already mapped to "
                f"{target or existing.sku_key!r} (kit {existing.kit}) on {ch.name!r}; "
                "unmap it first."
            )
        if existing is not None:
            s.delete(existing)
            s.flush()
        m = SkuMapping(
            channel_id=row_id(ch),
            channel_sku=cs,
            channel_sku_key=fold(cs),
            sku_key=item.sku_key,
            kit=k,
            created_at=self.clock(),
        )
        s.add(m)
        s.flush()
        return MappingRow(cs, item.sku, k, item.title, m.created_at)

    def unmap(self, channel: str | int, channel_sku: str) -> None:
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            self._remove(s, ch, channel_sku)

    @staticmethod
    def _remove(s: Session, ch: Channel, channel_sku: str) -> str:
        cs = (channel_sku or "").strip()
        m = s.exec(
            select(SkuMapping).where(
                col(SkuMapping.channel_id) == ch.id, col(SkuMapping.channel_sku_key) == fold(cs)
            )
        ).first()
        if m is None:
            raise NotFound(f"Channel SKU {cs!r} has no mapping on {ch.name!r}.")
        s.delete(m)
        s.flush()
        return m.channel_sku_key

    def save_mappings(
        self,
        channel: str | int,
        adds: Iterable[tuple[str, str, Any]],
        removes: Iterable[str],
    ) -> list[MappingRow]:
        """The mapping section's Save: apply removals then additions in one transaction; any
        bad entry refuses the whole save. Returns the channel's mappings afterwards."""
        adds = list(adds)
        removes = list(removes)
        keys = [fold(str(cs or "")) for cs, _, _ in adds]
        dup = next((cs for cs, k in zip(adds, keys, strict=True) if keys.count(k) > 1), None)
        if dup is not None:
            raise UserError(f"Channel SKU {str(dup[0]).strip()!r} is mapped twice in this change.")
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            freed = {self._remove(s, ch, cs) for cs in removes}
            for cs, sku, kit in adds:
                self._add(s, ch, cs, sku, kit, freed)
        return self.mappings(channel)

    # -- auto-link ------------------------------------------------------------------------------

    def auto_link(self, channel: str | int) -> AutoLinkResult:
        """Map every channel SKU (from listings and orders) equal to exactly one local SKU,
        trimmed and case-insensitively. Ambiguous ones are reported, not mapped."""
        result = AutoLinkResult()
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            by_fold: dict[str, list[InventoryItem]] = {}
            for it in s.exec(select(InventoryItem)):
                by_fold.setdefault(fold(it.sku), []).append(it)
            mapped = set(
                s.exec(
                    select(SkuMapping.channel_sku_key).where(col(SkuMapping.channel_id) == ch.id)
                )
            )
            now = self.clock()
            for key, cs in sorted(_channel_skus(s, row_id(ch)).items()):
                if key in mapped:
                    result.already_mapped += 1
                    continue
                matches = by_fold.get(key, [])
                if len(matches) == 1:
                    s.add(
                        SkuMapping(
                            channel_id=row_id(ch),
                            channel_sku=cs,
                            channel_sku_key=key,
                            sku_key=matches[0].sku_key,
                            kit=1,
                            created_at=now,
                        )
                    )
                    result.linked.append((cs, matches[0].sku))
                elif matches:
                    result.ambiguous.append((cs, sorted(m.sku for m in matches)))
                else:
                    result.unmatched += 1
        return result

    # -- unlinked -------------------------------------------------------------------------------

    def unlinked(self, channel: str | int, *, limit: int | None = None) -> UnlinkedReport:
        """Listings whose SKU resolves to no local SKU (including listings with no SKU) and
        orders stored without a local SKU, with their counts."""
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            resolve = SkuResolver(s, row_id(ch))
            listings = [
                UnlinkedListing(x.listing_id, x.sku, x.title, x.inventory, x.state)
                for x in s.exec(
                    select(Listing)
                    .where(col(Listing.channel_id) == ch.id)
                    .order_by(col(Listing.id))
                )
                if resolve(x.sku)[0] is None
            ]
            oq = select(Order).where(col(Order.channel_id) == ch.id, col(Order.sku).is_(None))
            order_count = int(
                s.exec(
                    select(func.count())
                    .select_from(Order)
                    .where(col(Order.channel_id) == ch.id, col(Order.sku).is_(None))
                ).one()
            )
            oq = oq.order_by(col(Order.created_at).desc(), col(Order.id).desc())
            if limit is not None:
                oq = oq.limit(limit)
            orders = [
                UnlinkedOrder(
                    o.order_number, o.channel_sku, o.title, o.status, o.quantity, o.created_at
                )
                for o in s.exec(oq)
            ]
            return UnlinkedReport(
                listings=listings[:limit] if limit is not None else listings,
                orders=orders,
                listing_count=len(listings),
                order_count=order_count,
            )

    def unlinked_counts(self, channel: str | int) -> tuple[int, int]:
        """(unlinked listings, unlinked orders) for the integration detail screen."""
        report = self.unlinked(channel, limit=0)
        return report.listing_count, report.order_count

    # -- drop-down choices ------------------------------------------------------------------------

    def channel_sku_choices(
        self, channel: str | int, search: str | None = None, limit: int = 50
    ) -> list[ChannelSkuChoice]:
        """Distinct channel SKUs from the channel's listings and orders, filtered in SQL."""
        text = (search or "").strip().lower()
        with session_scope(self.engine) as s:
            ch_id = row_id(channel_by_ref(s, channel))
            merged: dict[str, ChannelSkuChoice] = {}
            # 1. Which channel SKUs match (by SKU or title), a bounded number from each side.
            spellings: set[str] = set()
            sides = (
                (col(Listing.sku), col(Listing.title), col(Listing.channel_id), True),
                (col(Order.channel_sku), col(Order.title), col(Order.channel_id), False),
            )
            for sku_col, title_col, channel_col, _listing in sides:
                q = (
                    select(sku_col)
                    .where(channel_col == ch_id, sku_col.is_not(None))
                    .group_by(sku_col)
                    .order_by(sku_col)
                    .limit(limit * 4)
                )
                if text:
                    q = q.where(
                        func.lower(sku_col).contains(text, autoescape=True)
                        | func.lower(title_col).contains(text, autoescape=True)
                    )
                spellings.update(x for x in s.exec(q) if x and x.strip())
            keys = sorted({fold(x) for x in spellings})[: limit * 4]
            if not keys:
                return []
            # 2. Counts and a title for those SKUs, from both sides.
            for sku_col, title_col, channel_col, is_listing in sides:
                counts = (
                    select(sku_col, func.count(), func.max(title_col))
                    .where(
                        channel_col == ch_id,
                        sku_col.in_(sorted(spellings)) | func.lower(func.trim(sku_col)).in_(keys),
                    )
                    .group_by(sku_col)
                )
                for sku, n, title in s.exec(counts):
                    if sku is None:
                        continue  # never: spellings holds no NULL
                    key = fold(sku)
                    if key not in keys:
                        continue
                    c = merged.get(key)
                    if c is None:
                        c = merged[key] = ChannelSkuChoice(sku.strip(), title or "", 0, 0, None)
                    if is_listing:
                        c.listings += int(n)
                    else:
                        c.orders += int(n)
                    if title and not c.title:
                        c.title = title
            resolve = SkuResolver(s, ch_id)
            out = sorted(merged.values(), key=lambda c: fold(c.channel_sku))[:limit]
            for c in out:
                c.mapped_to = resolve(c.channel_sku)[0]
            return out

    def local_sku_choices(
        self, search: str | None = None, limit: int = 50
    ) -> list[tuple[str, str]]:
        from .inventory import InventoryService

        return InventoryService(self.engine, self.clock).choices(search, limit)

    # -- apply to waiting orders ----------------------------------------------------------------

    def apply_to_waiting_orders(self, channel: str | int) -> int:
        """Link the channel's stored orders that have no local SKU but resolve now, and apply
        the stock rules to them. Returns how many orders were linked."""
        with session_scope(self.engine) as s:
            ch_id = row_id(channel_by_ref(s, channel))
        linked = 0
        last_id = 0
        while True:
            with session_scope(self.engine) as s:
                resolve = SkuResolver(s, ch_id)
                batch = list(
                    s.exec(
                        select(Order)
                        .where(
                            col(Order.channel_id) == ch_id,
                            col(Order.sku).is_(None),
                            col(Order.channel_sku).is_not(None),
                            col(Order.id) > last_id,
                        )
                        .order_by(col(Order.id))
                        .limit(APPLY_BATCH)
                    )
                )
                if not batch:
                    return linked
                now = self.clock()
                for o in batch:
                    last_id = row_id(o)
                    sku, kit = resolve(o.channel_sku)
                    if sku is None:
                        continue
                    o.sku, o.kit = sku, kit
                    s.add(o)
                    s.flush()
                    apply_order_stock(s, o, now)
                    linked += 1


def _channel_skus(s: Session, channel_id: int) -> dict[str, str]:
    """fold(channel SKU) -> a spelling of it, from the channel's listings and orders."""
    out: dict[str, str] = {}
    for q in (
        select(Listing.sku).where(col(Listing.channel_id) == channel_id).distinct(),
        select(Order.channel_sku).where(col(Order.channel_id) == channel_id).distinct(),
    ):
        for sku in s.exec(q):
            if sku and sku.strip():
                out.setdefault(fold(sku), sku.strip())
    return out


__all__ = [
    "AutoLinkResult",
    "ChannelSkuChoice",
    "MappingRow",
    "SkuService",
    "UnlinkedReport",
    "parse_kit",
]
