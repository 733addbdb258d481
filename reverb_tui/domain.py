"""The closed vocabularies of the domain, written once: order statuses, sync run kinds and
statuses, sync phases and stock-plan actions.

Every one is a ``StrEnum``: a member equals its string value, hashes like it and prints as
it, so the database columns stay plain strings (no migration) and a value read back from
the database compares equal to the member. No Textual and no database here.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Reverb's order statuses, in the order the status filter offers them. Reverb may send
    others; those are stored and shown as they come."""

    UNPAID = "unpaid"
    PAYMENT_PENDING = "payment_pending"
    PENDING_REVIEW = "pending_review"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    SHIPPED = "shipped"
    PICKED_UP = "picked_up"
    RECEIVED = "received"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"


# The status groups. Module constants, not enum attributes: a frozenset assigned in the class
# body would become a member.

# Not paid yet: the quantity is reserved (it counts against available stock).
PENDING: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.UNPAID,
        OrderStatus.PAYMENT_PENDING,
        OrderStatus.PENDING_REVIEW,
        OrderStatus.PARTIALLY_PAID,
    }
)
# A sale: the order takes stock (once) and counts as revenue.
SALE: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.PICKED_UP, OrderStatus.RECEIVED}
)
# On its way or delivered: it can no longer be marked shipped, and cancelling it later never
# gives the stock back.
SHIPPED: frozenset[OrderStatus] = frozenset(
    {OrderStatus.SHIPPED, OrderStatus.PICKED_UP, OrderStatus.RECEIVED}
)
# Where a paid order can end without passing through a sale status we saw.
UNDONE: frozenset[OrderStatus] = frozenset({OrderStatus.REFUNDED, OrderStatus.CANCELLED})
# The only status Reverb lets a seller mark shipped.
SHIPPABLE: frozenset[OrderStatus] = frozenset({OrderStatus.PAID})


class RunKind(StrEnum):
    """What one sync run does (``SyncRun.kind``)."""

    SYNC = "sync"  # orders, then listings and the stock push
    ORDERS = "orders"  # the order download only
    STOCK = "stock"  # listings and the stock push only
    DRY_RUN = "dry-run"  # listings and the push's plan; nothing written to Reverb
    # The quick check between syncs: new orders, then a push of only the listings whose
    # SKUs those orders moved (from the values last read; no listings re-read).
    CHECK = "check"

    @property
    def downloads_orders(self) -> bool:
        return self in (RunKind.SYNC, RunKind.ORDERS, RunKind.CHECK)

    @property
    def pushes_stock(self) -> bool:
        """Runs the whole listings step (read as needed, push every listing)."""
        return self not in (RunKind.ORDERS, RunKind.CHECK)


class RunStatus(StrEnum):
    """How a run ended (``SyncRun.status`` and a channel summary's ``status``)."""

    RUNNING = "running"  # a run row not finished yet
    OK = "ok"
    PARTIAL = "partial"  # completed, with item errors
    FAILED = "failed"
    # Stopped before it finished: SIGTERM, Ctrl-C or quitting, or its process died (closed
    # by the next run that sees it abandoned). What it stored is kept.
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"  # not started: the integration needs reauthorising
    BUSY = "busy"  # not started: another sync of the integration holds the lease


class SyncPhase(StrEnum):
    """Where a run is, in its progress reports."""

    ORDERS = "orders"
    LISTINGS = "listings"
    PUSH = "push"
    DONE = "done"


class PlanAction(StrEnum):
    """What the stock push does with one listing (``PlanRow.action``)."""

    WRITE = "write"  # the listing shows another value than it should: write it
    SAME = "same"  # already right
    SKIP_ENDED = "skip-ended"  # an ended one-of-a-kind listing: never written
    UNLINKED = "unlinked"  # no local SKU: nothing to push


class QuantityRule(StrEnum):
    """Which rule decided the value a listing should show (``PlanRow.rule``): the last one,
    in the order they apply, that changed it."""

    AVAILABLE = "available"  # floor(available / kit), no rule changed it
    PERCENT = "percent"  # a percentage of available
    BUFFER = "buffer"  # units held back
    MINIMUM = "min"  # raised to the minimum shown while any stock exists
    MAXIMUM = "max"  # capped by the maximum
    END_WHEN = "end-when"  # 0 because available is at or below the end-when level
    ONE_OF_A_KIND = "one-of-a-kind"  # a one-of-a-kind listing shows 0 or 1


def budget_in_force(rate: int, learnt: int | None) -> int:
    """Requests a minute an integration may make: its setting, or lower if a 429 taught us
    a lower budget (remembered until the setting is changed)."""
    return min(rate, learnt or rate)


__all__ = [
    "budget_in_force",
    "PENDING",
    "SALE",
    "SHIPPABLE",
    "SHIPPED",
    "UNDONE",
    "OrderStatus",
    "PlanAction",
    "QuantityRule",
    "RunKind",
    "RunStatus",
    "SyncPhase",
]
