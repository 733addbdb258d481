"""Reports: orders and revenue per integration per day, totals in each currency, top SKUs.
Shared by the TUI (Reports screen) and ``reverb-tui report``.
No Textual here.

Semantics:
- An order's *day* is the UTC date of ``paid_at``, else ``created_at`` (orders with neither are
  left out). Timestamps are stored as naive UTC, so the database's own date function gives the
  UTC day; ``day_of`` is the one place that knows the dialect.
- *Revenue* orders are the sale statuses (``paid``, ``shipped``, ``picked_up``, ``received``):
  they count in ``orders``, ``units`` and ``revenue_cents`` (the order's ``total_cents``).
  ``orders_all`` counts every order on its day whatever its status (pending, cancelled,
  refunded, unknown), so ``orders <= orders_all`` on every day.
- Series are per integration *row* (channel id): a removed integration keeps its own series,
  labelled "Name (removed)", and a re-created integration with the same name is a new series
  (two integrations are two sites to the reports, whatever their names).
- Money is never added across currencies: every amount is a ``{currency: cents}`` map. An order
  without a currency counts in its integration's default currency.

Everything is aggregated in SQL (GROUP BY integration, day, currency), so a report over
100,000 orders reads a few hundred rows, never the orders themselves.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Integer, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from ..clock import Clock, iso, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, Order, fold
from ..domain import SALE
from ..errors import NotFound, UserError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years of days: enough for any chart, bounded for the JSON
TOP_SKUS = 10
NO_SKU = "(no SKU)"
SPARK_LEVELS = "▁▂▃▄▅▆▇█"

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- helpers ----------------------------------------------------------------------------------


def day_of(expr: ColumnElement, dialect: str) -> ColumnElement:
    """The UTC calendar day of a naive-UTC timestamp expression, in SQL.

    SQLite has no DATE type (``CAST(x AS DATE)`` gives a number) but ``date(x)`` returns
    ``'YYYY-MM-DD'``; PostgreSQL and others cast to DATE.
    """
    if dialect == "sqlite":
        return func.date(expr)
    return cast(expr, Date)


def _as_date(value: Any) -> date:
    """A day as the database returned it (a string on SQLite, a date elsewhere)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def parse_day(text: str | None, what: str = "date") -> date | None:
    """``YYYY-MM-DD`` as a date; None for an empty value; UserError otherwise."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if not _DAY_RE.match(value):
        raise UserError(f"The {what} {value!r} is not a date in the form YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"The {what} {value!r} is not a real calendar date.") from None


def resolve_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The inclusive day range: default the last 30 days ending today (UTC)."""
    if end is None:
        end = today if start is None or start <= today else start + timedelta(DEFAULT_DAYS - 1)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise UserError(
            f"The start date {start.isoformat()} is after the end date {end.isoformat()}."
        )
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise UserError(f"The range is {days} days long; a report covers at most {MAX_DAYS}.")
    return start, end


def sparkline(values: list[int], width: int | None = None) -> str:
    """Unicode block sparkline: zero is ``▁``, any non-zero value at least ``▂``.

    With ``width`` smaller than the number of values, consecutive values are summed into
    ``ceil(len / width)``-sized buckets so the line fits.
    """
    if not values:
        return ""
    vals = list(values)
    if width is not None and width > 0 and len(vals) > width:
        size = math.ceil(len(vals) / width)
        vals = [sum(vals[i : i + size]) for i in range(0, len(vals), size)]
    top = max(vals)
    if top <= 0:
        return SPARK_LEVELS[0] * len(vals)
    steps = len(SPARK_LEVELS) - 1
    out = []
    for v in vals:
        if v <= 0:
            out.append(SPARK_LEVELS[0])
        else:
            out.append(SPARK_LEVELS[max(1, math.ceil(v / top * steps))])
    return "".join(out)


def format_cents(cents: int) -> str:
    """``123456`` -> ``1,234.56`` (Reverb's ``amount_cents`` are hundredths in every currency)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def _label(name: str, removed_at: datetime | None) -> str:
    return f"{name} (removed)" if removed_at is not None else name


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


# -- the service ------------------------------------------------------------------------------


class ReportService:
    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def report(
        self,
        start: date | None = None,
        end: date | None = None,
        channel: str | None = None,
        include_removed: bool = True,
    ) -> dict[str, Any]:
        """Orders and revenue per integration per day over ``start..end`` (inclusive, UTC).

        ``channel`` limits the report to integrations with that name: the current one and,
        with ``include_removed``, removed ones of the same name (each its own series). An
        unknown name raises NotFound. The result is JSON-ready (dates as ISO strings).
        """
        now = self.clock()
        start, end = resolve_range(start, end, now.astimezone(UTC).date())
        lo, hi = _utc_start(start), _utc_start(end + timedelta(days=1))
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]

        with session_scope(self.engine) as s:
            channels = self._channels(s, channel, include_removed)
            ids = [c["id"] for c in channels]
            # Without a filter every order's channel is in the list: no IN (…) needed, and a
            # plain scan beats an index walk when most orders are in the report.
            everyone = channel is None and include_removed
            if not ids:
                daily_rows, sku_rows = [], []
            else:
                daily_rows, sku_rows = self._aggregate(s, None if everyone else ids, lo, hi)

        by_id = {c["id"]: c for c in channels}
        # channel id -> day -> currency -> [orders, orders_all, units, revenue]
        cells: dict[int, dict[date, dict[str, list[int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
        )
        for cid, day, cur, n_sale, n_all, units, revenue in daily_rows:
            currency = cur or by_id[cid]["currency"]
            cell = cells[cid][_as_date(day)][currency]
            cell[0] += int(n_sale or 0)
            cell[1] += int(n_all or 0)
            cell[2] += int(units or 0)
            cell[3] += int(revenue or 0)

        tops = self._top_skus(sku_rows, by_id)

        out_channels = []
        for ch in channels:
            cid = ch["id"]
            if ch["removed_at"] is not None and not cells.get(cid) and channel is None:
                continue  # unasked for, a removed integration with nothing in range is noise
            out_channels.append(self._channel_block(ch, days, cells.get(cid, {}), tops))
        _disambiguate(out_channels)

        grand: dict[str, dict[str, int]] = {}
        for block in out_channels:
            for cur, t in block["totals"].items():
                g = grand.setdefault(
                    cur, {"orders": 0, "orders_all": 0, "units": 0, "revenue_cents": 0}
                )
                for k in g:
                    g[k] += t[k]

        return {
            "range": {"start": start.isoformat(), "end": end.isoformat(), "days": len(days)},
            "timezone": "UTC",
            "generated_at": iso(now),
            "channel": channel.strip() if channel else None,
            "sale_statuses": sorted(SALE),
            "channels": out_channels,
            "totals": {cur: grand[cur] for cur in sorted(grand)},
        }

    # -- queries ----------------------------------------------------------------------------

    @staticmethod
    def _channels(s, name: str | None, include_removed: bool) -> list[dict[str, Any]]:
        rows = s.execute(
            select(
                col(Channel.id),
                col(Channel.name),
                col(Channel.currency),
                col(Channel.created_at),
                col(Channel.removed_at),
            ).order_by(col(Channel.id))
        ).all()
        chans = [
            {
                "id": r.id,
                "name": r.name,
                "currency": r.currency,
                "created_at": r.created_at,
                "removed_at": r.removed_at,
            }
            for r in rows
            if include_removed or r.removed_at is None
        ]
        if name is not None:
            key = fold(name)
            if not key:
                raise UserError("The integration name is empty.")
            chans = [c for c in chans if fold(c["name"]) == key]
            if not chans:
                raise NotFound(f"There is no integration named {name.strip()!r}.")
        return chans

    def _aggregate(self, s, ids: list[int] | None, lo: datetime, hi: datetime):
        dialect = self.engine.dialect.name
        when = func.coalesce(Order.paid_at, Order.created_at)
        day = day_of(when, dialect).label("day")
        sale = col(Order.status).in_(sorted(SALE))
        in_range = [when >= lo, when < hi]
        if ids is not None:
            in_range.append(col(Order.channel_id).in_(ids))
        total = func.coalesce(Order.total_cents, 0)
        qty = func.coalesce(Order.quantity, 0)

        daily = s.execute(
            select(
                col(Order.channel_id),
                day,
                col(Order.currency),
                func.sum(case((sale, 1), else_=0)),
                func.count(),
                func.sum(case((sale, qty), else_=0)),
                func.sum(case((sale, total), else_=0)),
            )
            .where(*in_range)
            .group_by(col(Order.channel_id), day, col(Order.currency))
        ).all()

        linked = col(Order.sku).is_not(None)
        key = func.coalesce(Order.sku, Order.channel_sku).label("key")
        linked_flag = cast(linked, Integer).label("linked")
        skus = s.execute(
            select(
                col(Order.channel_id),
                key,
                linked_flag,
                col(Order.currency),
                func.count(),
                func.sum(qty),
                func.sum(qty * func.coalesce(Order.kit, 1)),
                func.sum(total),
            )
            .where(*in_range, sale)
            .group_by(col(Order.channel_id), key, linked_flag, col(Order.currency))
        ).all()
        return daily, skus

    # -- shaping ----------------------------------------------------------------------------

    @staticmethod
    def _top_skus(rows, by_id: dict[int, dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
        per: dict[int, dict[tuple[str | None, bool], dict[str, Any]]] = defaultdict(dict)
        for cid, key, linked, cur, n, units, local_units, revenue in rows:
            currency = cur or by_id[cid]["currency"]
            ident = (key, bool(linked))
            entry = per[cid].get(ident)
            if entry is None:
                entry = per[cid][ident] = {
                    "sku": key if key else NO_SKU,
                    "linked": bool(linked),
                    "orders": 0,
                    "units": 0,
                    "local_units": 0,
                    "revenue_cents": {},
                }
            entry["orders"] += int(n or 0)
            entry["units"] += int(units or 0)
            entry["local_units"] += int(local_units or 0)
            entry["revenue_cents"][currency] = entry["revenue_cents"].get(currency, 0) + int(
                revenue or 0
            )
        out = {}
        for cid, entries in per.items():
            ranked = sorted(
                entries.values(),
                key=lambda e: (-e["units"], -e["orders"], not e["linked"], e["sku"].casefold()),
            )[:TOP_SKUS]
            for e in ranked:
                e["revenue_cents"] = {c: e["revenue_cents"][c] for c in sorted(e["revenue_cents"])}
            out[cid] = ranked
        return out

    @staticmethod
    def _channel_block(
        ch: dict[str, Any],
        days: list[date],
        cells: dict[date, dict[str, list[int]]],
        tops: dict[int, list[dict[str, Any]]],
    ) -> dict[str, Any]:
        seen = sorted({cur for per_cur in cells.values() for cur in per_cur})
        currencies = seen or [ch["currency"]]
        totals = {
            cur: {"orders": 0, "orders_all": 0, "units": 0, "revenue_cents": 0}
            for cur in currencies
        }
        daily = []
        for d in days:
            per_cur = cells.get(d, {})
            orders = orders_all = units_all = 0
            revenue_by_cur = {cur: 0 for cur in currencies}
            for cur, (n_sale, n_all, units, revenue) in per_cur.items():
                orders += n_sale
                orders_all += n_all
                units_all += units
                revenue_by_cur[cur] += revenue
                t = totals[cur]
                t["orders"] += n_sale
                t["orders_all"] += n_all
                t["units"] += units
                t["revenue_cents"] += revenue
            daily.append(
                {
                    "date": d.isoformat(),
                    "orders": orders,
                    "orders_all": orders_all,
                    "units": units_all,
                    "revenue_cents": revenue_by_cur,
                }
            )
        return {
            "id": ch["id"],
            "name": ch["name"],
            "label": _label(ch["name"], ch["removed_at"]),
            "removed": ch["removed_at"] is not None,
            "removed_at": iso(ch["removed_at"]),
            "created_at": iso(ch["created_at"]),
            "currency": ch["currency"],
            "currencies": currencies,
            "orders": sum(t["orders"] for t in totals.values()),
            "orders_all": sum(t["orders_all"] for t in totals.values()),
            "units": sum(t["units"] for t in totals.values()),
            "totals": totals,
            "daily": daily,
            "top_skus": tops.get(ch["id"], []),
        }


def _disambiguate(blocks: list[dict[str, Any]]) -> None:
    """Two removed integrations of one name get their removal day in the label."""
    counts: dict[str, int] = defaultdict(int)
    for b in blocks:
        counts[b["label"]] += 1
    for b in blocks:
        if counts[b["label"]] > 1 and b["removed_at"]:
            b["label"] = f"{b['name']} (removed {b['removed_at'][:10]})"
