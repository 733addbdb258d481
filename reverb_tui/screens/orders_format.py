"""How the Orders screen and the order detail show an order's values (plain functions), and
the Orders table's columns and cells.

Rich ``Text`` in, nothing else: a table cell, a Static and a test can all use them. Every
value that came from Reverb goes through ``safe_text`` here (a ``Text`` already keeps markup
literal; ``safe_text`` replaces the control characters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from ..domain import OrderStatus
from ..services.shipping import channel_service_label
from ..text_safety import safe_text

# Reverb's order statuses (docs/reverb-api-notes.md): always offered by the status filter, with
# any other status seen on a stored order after them.
KNOWN_STATUSES: tuple[str, ...] = tuple(status.value for status in OrderStatus)
STATUS_STYLES = {
    "paid": "bold #f5a623",  # waiting to be shipped
    "shipped": "#46a758",
    "picked_up": "#46a758",
    "received": "#46a758",
    "cancelled": "#8a8a8a",
    "refunded": "#8a8a8a",
    "blocked": "#e5484d",
}
EXCEPTION_STYLE = "bold #e5484d"
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "C$", "EUR": "€", "GBP": "£", "AUD": "A$", "JPY": "¥",
                    "NZD": "NZ$", "MXN": "MX$"}  # fmt: skip


def status_label(status: str | None) -> str:
    """``picked_up`` -> ``Picked up``; an unknown status is shown as stored."""
    text = (status or "").strip()
    return text.replace("_", " ").capitalize() if text else "—"


def status_text(status: str | None) -> Text:
    return Text(
        safe_text(status_label(status)), style=STATUS_STYLES.get((status or "").lower(), "")
    )


def status_options(seen: list[str]) -> list[tuple[str, str]]:
    """The status filter's options: Reverb's statuses, then any other status seen."""
    extra = sorted({s for s in seen if s and s not in KNOWN_STATUSES})
    return [(status_label(s), s) for s in (*KNOWN_STATUSES, *extra)]


def local_time(when: datetime | None, *, seconds: bool = False) -> str:
    """A stored UTC moment in the machine's local time zone, short."""
    if when is None:
        return "—"
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def money(cents: int | None, currency: str | None) -> str:
    """``123456, "USD"`` -> ``$1,234.56 USD`` (Reverb's cents are hundredths everywhere)."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code, "")
    return f"{sign}{symbol}{whole:,}.{frac:02d} {code}".strip()


def exception_kinds(order: Any) -> list[str]:
    """What is unmapped on this order: ``SKU`` and/or ``shipping`` (the exceptions rule)."""
    kinds = []
    if order.channel_sku and order.sku is None:
        kinds.append("SKU")
    if order.channel_shipping_method and order.shipping_service_id is None:
        kinds.append("shipping")
    return kinds


def exception_text(order: Any) -> Text:
    kinds = exception_kinds(order)
    return Text("⚠ " + ", ".join(kinds), style=EXCEPTION_STYLE) if kinds else Text("")


def local_sku_text(order: Any) -> Text:
    if order.sku:
        return Text(safe_text(order.sku) + (f" ×{order.kit}" if (order.kit or 1) > 1 else ""))
    if order.channel_sku:
        return Text("unlinked", style=EXCEPTION_STYLE)
    return Text("—", style="dim")


def shipping_text(method: str | None, service_name: str | None) -> Text:
    """``Standard shipping → UPS Ground``, or ``… → unmapped`` when no mapping applied."""
    if not method:
        return Text(safe_text(service_name) or "—", style="" if service_name else "dim")
    text = Text(safe_text(channel_service_label(method)) + " → ")
    if service_name:
        text.append(safe_text(service_name))
    else:
        text.append("unmapped", style=EXCEPTION_STYLE)
    return text


# -- the Orders table's rows -------------------------------------------------------------------

MARK = Text("✓", style="bold #3d8ee8")
NO_MARK = Text("")
# (key, label, least width) in display order; a column is as wide as its label and its
# least width at first and grows to fit the rows shown. Least widths come from the formats
# above (every known status label, a local time, both exception kinds).
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", "✓", 1),
    ("channel", "Integration", 0),
    ("number", "Order #", 0),
    ("status", "Status", max(len(status_label(s)) for s in KNOWN_STATUSES)),
    ("created", "Created", len("2026-01-01 00:00")),
    ("channel-sku", "Channel SKU", 0),
    ("sku", "Local SKU", 0),
    ("qty", "Qty", 0),
    ("total", "Total", 0),
    ("shipping", "Shipping", 0),
    ("exception", "Exception", len("⚠ SKU, shipping")),
)


def row_cells(row: Any, marked: bool) -> tuple[Text, ...]:
    """The Orders table's cells of one ``OrderRow``, in ``COLUMNS`` order."""
    o = row.order
    return (
        MARK if marked else NO_MARK,
        Text(safe_text(row.channel_name)),
        Text(safe_text(o.order_number), style="bold"),
        status_text(o.status),
        Text(local_time(o.created_at)),
        Text(safe_text(o.channel_sku) or "—", style="" if o.channel_sku else "dim"),
        local_sku_text(o),
        Text(str(o.quantity), justify="right"),
        Text(money(o.total_cents, o.currency), justify="right"),
        shipping_text(o.channel_shipping_method, row.service_name),
        exception_text(o),
    )


def count_text(count: int | None, filtered: bool, marked: int) -> Text:
    """``1,234 orders match the filters · 2 marked`` (the count once it is known)."""
    text = Text()
    if count is not None:
        text.append(f"{count:,} {'order' if count == 1 else 'orders'}", style="bold")
        if filtered:
            text.append(" match the filters")
    if marked:
        text.append(f" · {marked:,} marked", style="#3d8ee8")
    return text


def empty_text(filtered: bool) -> str:
    if filtered:
        return "No orders match these filters."
    return (
        "No orders downloaded yet. Enabled integrations download their orders in the "
        "background; press r to look again."
    )


def applied_text(checked: int, changed: int) -> str:
    """What "Apply current mappings" did to ``checked`` orders."""
    noun = "order" if checked == 1 else "orders"
    if changed:
        return (
            f"Applied the current mappings to {checked} {noun}: {changed} changed "
            "(missing local SKU or shipping service filled in)."
        )
    return (
        f"Applied the current mappings to {checked} {noun}: none changed (no mapping "
        "covers their missing SKU or shipping method yet)."
    )
