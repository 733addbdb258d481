"""Onboarding from listings: a seller with listings on Reverb and no local catalogue creates one
local SKU per distinct unlinked channel SKU of an integration, each with its SKU mapping.

The listings are the ones stored by the last download (the same rows the Unlinked view shows).
A listing is unlinked when its SKU resolves to no local SKU (no mapping, no local SKU equal to
it trimmed and case-insensitively). From those:

- SKUs are trimmed and merged case-insensitively: ``ABC-1``, ``abc-1`` and `` ABC-1 `` make
  one local SKU (spelt as the first listing spells it, trimmed) and one mapping;
- a listing without a SKU, or whose SKU cannot be a local SKU (too long, control
  characters), or whose mapping points to a local SKU that no longer exists, is listed as
  skipped with its reason, never created;
- the title is the first listing's; ``on_hand`` is the listing's inventory as last
  downloaded (the largest, when several listings share the SKU) with ``listing``, or 0 with
  ``zero``. Either way it is a count as of now, so orders paid before it never move it;
- existing local SKUs are never touched: a channel SKU equal to one is already linked.

``preview`` computes this and changes nothing; ``create`` computes it again and writes every
local SKU and mapping in one transaction (bulk inserts), so a second run finds nothing left to
create. Shared by the TUI and the CLI; no Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..clock import Clock, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, InventoryItem, Listing, SkuMapping, fold, row_id, table_of
from ..db.queries import channel_by_ref
from ..errors import AppError, UserError
from .inventory import MAX_ON_HAND, MAX_SKU, MAX_TITLE

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ON_HAND_FROM = ("listing", "zero")
NO_SKU = "no SKU"
ATTEMPTS = 3  # another writer adding one of the same SKUs meanwhile: plan again


@dataclass
class PlannedSku:
    """One local SKU to create, with the mapping of its channel SKU."""

    sku: str
    title: str
    on_hand: int
    listing_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "channel_sku": self.sku,
            "title": self.title,
            "on_hand": self.on_hand,
            "listing_ids": self.listing_ids,
        }


@dataclass
class SkippedListing:
    """An unlinked listing that gives no local SKU, and why."""

    listing_id: str
    channel_sku: str | None
    title: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "listing_id": self.listing_id,
            "channel_sku": self.channel_sku,
            "title": self.title,
            "reason": self.reason,
        }


@dataclass
class OnboardingPlan:
    """What onboarding creates (or, in a preview, would create) for one integration."""

    channel: str
    on_hand_from: str
    skus: list[PlannedSku]
    skipped: list[SkippedListing]
    already_linked: int  # listings whose SKU resolves already (left as they are)
    dry_run: bool = True
    created: int = 0  # local SKUs created (0 in a preview)
    mapped: int = 0  # SKU mappings created (0 in a preview)

    @property
    def listings_linked(self) -> int:
        """Listings that the planned SKUs link."""
        return sum(len(p.listing_ids) for p in self.skus)

    @property
    def listings(self) -> int:
        """Every stored listing of the integration."""
        return self.listings_linked + len(self.skipped) + self.already_linked

    @property
    def without_sku(self) -> int:
        return sum(1 for x in self.skipped if x.reason == NO_SKU)

    def summary(self) -> str:
        """One or two sentences for the CLI and the TUI's notification."""
        n = len(self.skus)
        linked = _plural(self.listings_linked, "listing")
        if not self.listings:
            return (
                f"Nothing to create on {self.channel!r}: none of its listings has been "
                "downloaded yet; sync it first."
            )
        if not n:
            text = f"Nothing to create on {self.channel!r}: no unlinked listing has a usable SKU."
        elif self.dry_run:
            text = (
                f"Would create {_plural(n, 'local SKU')}, each mapped to its channel SKU, "
                f"linking {linked} of {self.channel!r}."
            )
        else:
            text = (
                f"Created {_plural(n, 'local SKU')}, each mapped to its channel SKU, "
                f"linking {linked} of {self.channel!r}."
            )
        others = len(self.skipped) - self.without_sku
        if self.without_sku:
            text += f" {_plural(self.without_sku, 'listing')} without a SKU left out."
        if others:
            text += f" {_plural(others, 'listing')} skipped for another reason."
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "dry_run": self.dry_run,
            "on_hand_from": self.on_hand_from,
            "created": self.created,
            "mapped": self.mapped,
            "listings": self.listings,
            "listings_linked": self.listings_linked,
            "already_linked": self.already_linked,
            "skus": [p.to_json() for p in self.skus],
            "skipped": [x.to_json() for x in self.skipped],
        }


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def parse_on_hand_from(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in ON_HAND_FROM:
        shown = value.strip() if isinstance(value, str) else value
        raise UserError(f"The starting on hand must come from 'listing' or 'zero', not {shown!r}.")
    return text


def _sku_problem(sku: str) -> str | None:
    """Why a (trimmed) channel SKU cannot be a local SKU, or None."""
    if len(sku) > MAX_SKU:
        return f"SKU longer than {MAX_SKU} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in sku):
        return "SKU contains control characters"
    return None


def _title(text: str | None) -> str:
    """A listing's title as a local SKU's title: control characters become spaces (a title
    is one line), trimmed to the length the inventory allows."""
    if not text:
        return ""
    clean = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return " ".join(clean.split())[:MAX_TITLE].strip()


def plan_onboarding(s: Session, ch: Channel, on_hand_from: str) -> OnboardingPlan:
    """The plan for ``ch`` from its stored listings, as this session sees the database."""
    ch_id = row_id(ch)
    mappings: dict[str, str] = dict(
        s.exec(
            select(SkuMapping.channel_sku_key, SkuMapping.sku_key).where(
                col(SkuMapping.channel_id) == ch_id
            )
        ).all()
    )
    items = set(s.exec(select(InventoryItem.sku_key)).all())
    planned: dict[str, PlannedSku] = {}
    skipped: list[SkippedListing] = []
    linked = 0
    rows = s.exec(
        select(Listing.listing_id, Listing.sku, Listing.title, Listing.inventory)
        .where(col(Listing.channel_id) == ch_id)
        .order_by(col(Listing.id))
    )
    for listing_id, sku, title, inventory in rows:
        if sku is None or not sku.strip():
            skipped.append(SkippedListing(listing_id, None, title, NO_SKU))
            continue
        key = fold(sku)
        target = mappings.get(key)
        if target is not None:
            if target in items:
                linked += 1
            else:  # a mapping whose local SKU is gone: a person decides, not onboarding
                skipped.append(
                    SkippedListing(
                        listing_id,
                        sku,
                        title,
                        f"mapped to local SKU {target!r}, which no longer exists",
                    )
                )
            continue
        if key in items:
            linked += 1
            continue
        spelling = sku.strip()
        problem = _sku_problem(spelling)
        if problem is not None:
            skipped.append(SkippedListing(listing_id, sku, title, problem))
            continue
        count = min(max(int(inventory or 0), 0), MAX_ON_HAND) if on_hand_from == "listing" else 0
        p = planned.get(key)
        if p is None:
            planned[key] = PlannedSku(spelling, _title(title), count, [listing_id])
        else:
            p.listing_ids.append(listing_id)
            p.on_hand = max(p.on_hand, count)
            if not p.title:
                p.title = _title(title)
    return OnboardingPlan(
        channel=ch.name,
        on_hand_from=on_hand_from,
        skus=sorted(planned.values(), key=lambda p: fold(p.sku)),
        skipped=skipped,
        already_linked=linked,
    )


class OnboardingService:
    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def preview(self, channel: str | int, on_hand_from: Any = "listing") -> OnboardingPlan:
        """What ``create`` would do now; nothing is written."""
        mode = parse_on_hand_from(on_hand_from)
        with session_scope(self.engine) as s:
            return plan_onboarding(s, channel_by_ref(s, channel), mode)

    def create(self, channel: str | int, on_hand_from: Any = "listing") -> OnboardingPlan:
        """Create the planned local SKUs and their mappings, all in one transaction."""
        mode = parse_on_hand_from(on_hand_from)
        for _attempt in range(ATTEMPTS):
            try:
                return self._create(channel, mode)
            except IntegrityError:
                continue  # someone added one of these SKUs meanwhile: nothing was written
        raise AppError(
            "Other writers kept adding the same SKUs while the local SKUs were being created; "
            "nothing was created: run it again."
        )

    def _create(self, channel: str | int, mode: str) -> OnboardingPlan:
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            # Take the write lock before planning (SQLite's database lock; the integration's
            # row on PostgreSQL), so two onboardings of one integration take turns and the
            # plan is what gets written.
            s.execute(
                update(Channel)
                .where(col(Channel.id) == ch.id)
                .values(id=col(Channel.id))
                .execution_options(synchronize_session=False)
            )
            plan = plan_onboarding(s, ch, mode)
            plan.dry_run = False
            if not plan.skus:
                return plan
            now = self.clock()
            ch_id = row_id(ch)
            s.execute(
                insert(table_of(InventoryItem)),
                [
                    {
                        "sku": p.sku,
                        "sku_key": fold(p.sku),
                        "title": p.title,
                        "on_hand": p.on_hand,
                        "counted_at": now,
                        "updated_at": now,
                    }
                    for p in plan.skus
                ],
            )
            s.execute(
                insert(table_of(SkuMapping)),
                [
                    {
                        "channel_id": ch_id,
                        "channel_sku": p.sku,
                        "channel_sku_key": fold(p.sku),
                        "sku_key": fold(p.sku),
                        "kit": 1,
                        "created_at": now,
                    }
                    for p in plan.skus
                ],
            )
            plan.created = plan.mapped = len(plan.skus)
            return plan


__all__ = [
    "ON_HAND_FROM",
    "OnboardingPlan",
    "OnboardingService",
    "PlannedSku",
    "SkippedListing",
    "parse_on_hand_from",
    "plan_onboarding",
]
