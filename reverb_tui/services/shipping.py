"""Local shipping services, per-integration shipping mappings, and Reverb's carrier list.

Shared by the TUI (shipping services screen, the integration's shipping mapping section) and
the CLI (``reverb-tui shipping …``). No Textual here. Database functions are synchronous;
``providers`` talks to Reverb and is async.

A mapping affects only orders downloaded after it is saved (mappings are frozen on
an order when it is first downloaded; docs/user-guide.md "Stock rules"): nothing in
this module touches stored orders. ``OrderService.apply_current_mappings`` is the explicit
action that does.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..clock import Clock, iso, parse_ts, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, Order, ShippingMapping, ShippingService, fold, row_id
from ..db.queries import channel_by_ref
from ..errors import NotFound, UserError
from ..sync.shipping import CHANNEL_METHODS, FALLBACK_PROVIDERS

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reverb.client import ClientFactory

log = logging.getLogger(__name__)

MAX_NAME = 60
MAX_CARRIER = 60
MAX_CODE = 60
MAX_CHANNEL_SERVICE = 100
PROVIDERS_TTL = timedelta(days=1)
PROVIDERS_CACHE_FILE = "shipping-providers.json"


# -- input cleaning --------------------------------------------------------------------------


def _clean_text(value: str | None, what: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise UserError(f"The {what} is empty.")
    if len(text) > limit:
        raise UserError(f"The {what} is longer than {limit} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise UserError(f"The {what} contains control characters.")
    return text


def clean_service_name(name: str | None) -> str:
    return _clean_text(name, "shipping service name", MAX_NAME)


def canonical_provider(carrier: str | None, known: list[str] | tuple[str, ...] = ()) -> str:
    """A carrier as Reverb spells it: a case-insensitive match in ``known`` or the swagger
    list is replaced by that spelling; anything else is kept as typed (Reverb's live list
    has providers the swagger lacks)."""
    text = _clean_text(carrier, "carrier", MAX_CARRIER)
    key = fold(text)
    for name in (*known, *FALLBACK_PROVIDERS):
        if fold(name) == key:
            return name
    return text


def clean_channel_service(value: str | None) -> str:
    """A Reverb ``shipping_method`` key; a readable label (``Local pickup``) is accepted too."""
    text = _clean_text(value, "sales channel shipping service", MAX_CHANNEL_SERVICE)
    key = fold(text)
    for method, label in CHANNEL_METHODS.items():
        if key in (method, fold(label)):
            return method
    return text


def channel_service_label(key: str) -> str:
    return CHANNEL_METHODS.get(key, key)


# -- plain results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    name: str
    carrier: str
    code: str | None
    mappings: int = 0
    orders: int = 0

    @classmethod
    def of(cls, row: ShippingService, mappings: int = 0, orders: int = 0) -> ServiceInfo:
        return cls(row_id(row), row.name, row.carrier, row.code, mappings, orders)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "carrier": self.carrier,
            "code": self.code,
            "mappings": self.mappings,
            "orders": self.orders,
        }


@dataclass(frozen=True)
class MappingInfo:
    channel: str
    channel_service: str
    label: str
    service_id: int
    service: str
    carrier: str
    created_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "channel_service": self.channel_service,
            "channel_service_label": self.label,
            "service": self.service,
            "carrier": self.carrier,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class ProvidersResult:
    providers: list[str]
    source: str  # live | cache | stale-cache | fallback
    note: str | None = None


class ShippingCatalog:
    def __init__(
        self, engine: Engine, client_factory: ClientFactory, clock: Clock = utcnow
    ) -> None:
        self.engine = engine
        self.client_factory = client_factory
        self.clock = clock

    # -- local shipping services ------------------------------------------------------------

    def list(self) -> list[ServiceInfo]:
        """Every local shipping service, by name, with how many mappings and orders use it."""
        with session_scope(self.engine) as s:
            rows = s.exec(select(ShippingService).order_by(col(ShippingService.name_key))).all()
            maps = dict(
                s.exec(
                    select(ShippingMapping.shipping_service_id, func.count()).group_by(
                        col(ShippingMapping.shipping_service_id)
                    )
                ).all()
            )
            orders = dict(
                s.exec(
                    select(Order.shipping_service_id, func.count())
                    .where(col(Order.shipping_service_id).is_not(None))
                    .group_by(col(Order.shipping_service_id))
                ).all()
            )
            return [
                ServiceInfo.of(r, maps.get(row_id(r), 0), orders.get(row_id(r), 0)) for r in rows
            ]

    def get(self, name: str) -> ServiceInfo:
        with session_scope(self.engine) as s:
            r = self._get(s, name)
            return ServiceInfo.of(r)

    @staticmethod
    def _get(s: Session, name: str | None) -> ShippingService:
        text = (name or "").strip()
        if not text:
            raise UserError("The shipping service name is empty.")
        row = s.exec(
            select(ShippingService).where(col(ShippingService.name_key) == fold(text))
        ).first()
        if row is None:
            raise NotFound(f"There is no local shipping service named {text!r}.")
        return row

    def add(self, name: str, carrier: str | None = "Other", code: str | None = None) -> ServiceInfo:
        value = clean_service_name(name)
        prov = canonical_provider(carrier) if carrier is not None and carrier.strip() else "Other"
        code_value = _clean_text(code, "service code", MAX_CODE) if code and code.strip() else None
        with session_scope(self.engine) as s:
            if s.exec(
                select(ShippingService.id).where(col(ShippingService.name_key) == fold(value))
            ).first():
                raise UserError(f"A local shipping service named {value!r} already exists.")
            row = ShippingService(name=value, name_key=fold(value), carrier=prov, code=code_value)
            s.add(row)
            s.flush()
            return ServiceInfo.of(row)

    def rename(self, old: str, new: str) -> ServiceInfo:
        value = clean_service_name(new)
        with session_scope(self.engine) as s:
            row = self._get(s, old)
            other = s.exec(
                select(ShippingService.id).where(col(ShippingService.name_key) == fold(value))
            ).first()
            if other is not None and other != row.id:
                raise UserError(f"A local shipping service named {value!r} already exists.")
            row.name, row.name_key = value, fold(value)
            s.add(row)
            return ServiceInfo.of(row)

    def set_carrier(self, name: str, carrier: str) -> ServiceInfo:
        prov = canonical_provider(carrier)
        with session_scope(self.engine) as s:
            row = self._get(s, name)
            row.carrier = prov
            s.add(row)
            return ServiceInfo.of(row)

    def set_code(self, name: str, code: str | None) -> ServiceInfo:
        code_value = _clean_text(code, "service code", MAX_CODE) if code and code.strip() else None
        with session_scope(self.engine) as s:
            row = self._get(s, name)
            row.code = code_value
            s.add(row)
            return ServiceInfo.of(row)

    def delete(self, name: str) -> ServiceInfo:
        """Delete a service no mapping and no stored order uses; otherwise refuse, saying why."""
        with session_scope(self.engine) as s:
            row = self._get(s, name)
            used = s.exec(
                select(Channel.name, ShippingMapping.channel_service)
                .join(Channel, col(Channel.id) == ShippingMapping.channel_id)
                .where(col(ShippingMapping.shipping_service_id) == row.id)
                .order_by(Channel.name, ShippingMapping.channel_service)
            ).all()
            if used:
                where = ", ".join(f"{ch} ({channel_service_label(m)})" for ch, m in used[:3])
                more = f" and {len(used) - 3} more" if len(used) > 3 else ""
                raise UserError(
                    f"The shipping service {row.name!r} is used by the shipping mapping of "
                    f"{where}{more}; remove those mappings first."
                )
            n_orders = s.exec(
                select(func.count())
                .select_from(Order)
                .where(col(Order.shipping_service_id) == row.id)
            ).one()
            if n_orders:
                raise UserError(
                    f"The shipping service {row.name!r} is recorded on {n_orders} downloaded "
                    f"order{'s' if n_orders != 1 else ''}, so it cannot be deleted; "
                    "rename it instead."
                )
            info = ServiceInfo.of(row)
            s.delete(row)
            return info

    # -- mappings -----------------------------------------------------------------------------

    def mappings(self, channel: str | int) -> builtins.list[MappingInfo]:
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            rows = s.exec(
                select(ShippingMapping, ShippingService)
                .join(
                    ShippingService, col(ShippingService.id) == ShippingMapping.shipping_service_id
                )
                .where(col(ShippingMapping.channel_id) == ch.id)
                .order_by(col(ShippingMapping.channel_service))
            ).all()
            return [
                MappingInfo(
                    ch.name,
                    m.channel_service,
                    channel_service_label(m.channel_service),
                    row_id(svc),
                    svc.name,
                    svc.carrier,
                    m.created_at,
                )
                for m, svc in rows
            ]

    def map(self, channel: str | int, channel_service: str, service_name: str) -> MappingInfo:
        """Add one mapping and save it (the CLI's ``shipping map``)."""
        self.save_mappings(channel, adds=[(channel_service, service_name)], removes=[])
        key = clean_channel_service(channel_service)
        return next(m for m in self.mappings(channel) if m.channel_service == key)

    def unmap(self, channel: str | int, channel_service: str) -> None:
        self.save_mappings(channel, adds=[], removes=[channel_service])

    def save_mappings(
        self,
        channel: str | int,
        adds: builtins.list[tuple[str, str]],
        removes: builtins.list[str],
    ) -> builtins.list[MappingInfo]:
        """Apply a mapping section's pending changes at once: all of them or none.

        Removals are applied first, so removing a mapping and mapping the same channel
        service to another local service in one Save works. Returns the mappings after.
        """
        remove_keys = [clean_channel_service(r) for r in removes]
        add_items = [(clean_channel_service(k), clean_service_name(n)) for k, n in adds]
        seen: set[str] = set()
        for key, _ in add_items:
            if key in seen:
                raise UserError(
                    f"The sales channel shipping service {channel_service_label(key)!r} is "
                    "mapped twice in these changes; keep one."
                )
            seen.add(key)
        now = self.clock()
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            for key in remove_keys:
                m = s.exec(
                    select(ShippingMapping).where(
                        col(ShippingMapping.channel_id) == ch.id,
                        col(ShippingMapping.channel_service) == key,
                    )
                ).first()
                if m is None:
                    raise NotFound(
                        f"The sales channel shipping service {channel_service_label(key)!r} is "
                        f"not mapped on {ch.name!r}."
                    )
                s.delete(m)
            s.flush()
            for key, service_name in add_items:
                existing = s.exec(
                    select(ShippingService.name)
                    .join(
                        ShippingMapping,
                        col(ShippingMapping.shipping_service_id) == ShippingService.id,
                    )
                    .where(
                        col(ShippingMapping.channel_id) == ch.id,
                        col(ShippingMapping.channel_service) == key,
                    )
                ).first()
                if existing is not None:
                    raise UserError(
                        f"The sales channel shipping service {channel_service_label(key)!r} on "
                        f"{ch.name!r} is already mapped to {existing!r}; remove that mapping "
                        "first."
                    )
                svc = s.exec(
                    select(ShippingService).where(
                        col(ShippingService.name_key) == fold(service_name)
                    )
                ).first()
                if svc is None:
                    raise NotFound(
                        f"There is no local shipping service named {service_name!r} "
                        "(it may have been deleted)."
                    )
                s.add(
                    ShippingMapping(
                        channel_id=row_id(ch),
                        channel_service=key,
                        shipping_service_id=row_id(svc),
                        created_at=now,
                    )
                )
                s.flush()
            channel_id = row_id(ch)
        return self.mappings(channel_id)

    def channel_service_choices(self, channel: str | int) -> builtins.list[tuple[str, str]]:
        """The *Sales channel shipping service* drop-down: Reverb's three methods with
        readable labels, then any other ``shipping_method`` seen on this channel's orders."""
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, channel)
            seen = s.exec(
                select(Order.channel_shipping_method)
                .where(
                    col(Order.channel_id) == ch.id,
                    col(Order.channel_shipping_method).is_not(None),
                )
                .distinct()
            ).all()
        choices = list(CHANNEL_METHODS.items())
        extra = sorted({v.strip() for v in seen if v and v.strip()} - set(CHANNEL_METHODS))
        choices.extend((v, v) for v in extra)
        return choices

    # -- carriers (GET /shipping/providers) ----------------------------------------------------

    async def providers(self, channel: str | int | None = None) -> builtins.list[str]:
        return (await self.providers_info(channel)).providers

    async def providers_info(self, channel: str | int | None = None) -> ProvidersResult:
        """Reverb's carrier names: a day-old cache, else the live list, else the last cached
        list, else the swagger list. ``channel=None`` uses the first enabled integration."""
        ch = await asyncio.to_thread(self._provider_channel, channel)
        if ch is None:
            cached = self._read_cache(None)
            if cached:
                return ProvidersResult(cached[1], "stale-cache", "No integration to ask Reverb.")
            return ProvidersResult(
                list(FALLBACK_PROVIDERS),
                "fallback",
                "No enabled integration to ask Reverb; showing Reverb's documented list.",
            )
        now = self.clock()
        cached = self._read_cache(ch.api_url)
        if cached and timedelta(0) <= now - cached[0] < PROVIDERS_TTL:
            return ProvidersResult(cached[1], "cache")
        from ..reverb.client import RetryPolicy
        from ..reverb.errors import ReverbError

        client = self.client_factory(ch.api_url, ch.token, ch.rate_limit)
        # A person is waiting on a drop-down: one quick retry at most, never a long backoff.
        r = client.retry
        client.retry = RetryPolicy(
            max_attempts=min(2, r.max_attempts),
            budget_seconds=min(3.0, r.budget_seconds),
            base_delay=min(0.5, r.base_delay),
            max_delay=min(2.0, r.max_delay),
        )
        problem: str
        try:
            names = await client.shipping_providers()
        except ReverbError as exc:
            problem = f"Reverb's carrier list could not be read ({exc.message})"
            names = []
        else:
            problem = "Reverb's carrier list had an unexpected shape"
        finally:
            await client.aclose()
        if names:
            if "Other" not in names:
                names.append("Other")  # Reverb's own plugins fall back to it (reverb-api 2.6)
            self._write_cache(ch.api_url, now, names)
            return ProvidersResult(names, "live")
        log.warning("%s; using %s.", problem, "the cached list" if cached else "the swagger list")
        if cached:
            return ProvidersResult(cached[1], "stale-cache", f"{problem}; showing the last list.")
        return ProvidersResult(
            list(FALLBACK_PROVIDERS), "fallback", f"{problem}; showing Reverb's documented list."
        )

    def _provider_channel(self, channel: str | int | None) -> Channel | None:
        with session_scope(self.engine) as s:
            if channel is not None:
                return channel_by_ref(s, channel)
            return s.exec(
                select(Channel)
                .where(col(Channel.removed_at).is_(None), col(Channel.enabled).is_(True))
                .order_by(col(Channel.id))
            ).first()

    @staticmethod
    def cache_path() -> Path:
        from ..paths import cache_dir

        return cache_dir() / PROVIDERS_CACHE_FILE

    def _read_cache(self, api_url: str | None) -> tuple[datetime, builtins.list[str]] | None:
        """The cached list for ``api_url`` (or the newest for any site when None)."""
        path = self.cache_path()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("Ignoring the unreadable carrier cache %s: %s", path, exc)
            return None
        if not isinstance(doc, dict):
            return None
        entries = [doc.get(api_url)] if api_url is not None else list(doc.values())
        best: tuple[datetime, builtins.list[str]] | None = None
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            when = parse_ts(entry.get("fetched_at"))
            names = entry.get("providers")
            if when is None or not isinstance(names, list):
                continue
            clean = [n for n in names if isinstance(n, str) and n.strip()]
            if clean and (best is None or when > best[0]):
                best = (when, clean)
        return best

    def _write_cache(self, api_url: str, when: datetime, names: builtins.list[str]) -> None:
        path = self.cache_path()
        try:
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(doc, dict):
                    doc = {}
            except (OSError, ValueError):
                doc = {}
            doc[api_url] = {"fetched_at": iso(when), "providers": names}
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # a cache is an optimisation: say so in the log, go on
            log.warning("Could not write the carrier cache %s: %s", path, exc)
