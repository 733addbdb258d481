"""The checks of an integration's additional settings, written once for
``ChannelService.update_settings`` and the detail screen's settings form, so that both refuse
a bad value with the same sentence (and the form can say it before anything is saved).

No database here: the form imports this without the database stack. ``"keep"`` leaves a
setting as it is; ``None`` turns an optional one off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import UserError

KEEP = "keep"
MIN_INTERVAL = 10
MIN_ORDERS_INTERVAL = 5
MAX_SECONDS = 86_400

BUFFER_ERROR = "The buffer must be a whole number of 0 or more."
MAX_ERROR = "The maximum must be a whole number of 0 or more."
PERCENT_ERROR = "The percentage must be a whole number from 1 to 100."
MIN_ERROR = "The minimum must be a whole number of 0 or more."
END_WHEN_ERROR = "The end-when level must be a whole number of 0 or more."
INTERVAL_ERROR = f"The interval must be between {MIN_INTERVAL} and {MAX_SECONDS} seconds."
ORDERS_INTERVAL_ERROR = (
    f"The orders interval must be between {MIN_ORDERS_INTERVAL} and {MAX_SECONDS} seconds."
)
RATE_LIMIT_ERROR = "The rate limit must be between 0.1 and 100 requests per second."


def rate_error(label: str) -> str:
    """The sentence for a read or write budget (per minute) out of range."""
    from ..reverb.ratelimit import MAX_PER_MINUTE, MIN_PER_MINUTE

    return (
        f"The {label} rate must be a whole number of requests a minute between "
        f"{MIN_PER_MINUTE} and {MAX_PER_MINUTE}."
    )


def whole(value: Any) -> bool:
    """An ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def _rule(value: Any, low: int, high: int | None, off: int, message: str) -> Any:
    """A quantity rule checked: "keep", ``None`` or a whole number in ``low..high``; the
    value that changes nothing (``off``) becomes ``None``."""
    if value is None or (isinstance(value, str) and value == KEEP):
        return value
    if not whole(value) or value < low or (high is not None and value > high):
        raise UserError(message)
    return None if value == off else int(value)


def min_above_max(low: int | None, high: int | None) -> str | None:
    """The sentence refusing a minimum above the maximum, else None."""
    if low is not None and high is not None and low > high:
        return (
            f"The minimum ({low}) is more than the maximum ({high}); lower the minimum or "
            "raise the maximum."
        )
    return None


@dataclass(frozen=True)
class QuantityRuleValues:
    """The quantity rules of a request, checked: each "keep", ``None`` (off) or a value."""

    percent: Any
    min_quantity: Any
    end_when: Any


def check_settings(
    *,
    buffer: Any = None,
    max_quantity: Any = KEEP,
    interval_seconds: Any = None,
    rate_limit: Any = None,
    read_rate: Any = None,
    write_rate: Any = None,
    orders_interval_seconds: Any = None,
    percent: Any = KEEP,
    min_quantity: Any = KEEP,
    end_when: Any = KEEP,
) -> QuantityRuleValues:
    """Refuse the first bad value with its sentence (``UserError``); the quantity rules as
    they are to be stored (100 %, a minimum of 0 and end-when 0 change nothing: off).

    A minimum above the maximum is refused here when both are given; against a stored value
    the caller checks it with ``min_above_max``."""
    if buffer is not None and (not whole(buffer) or buffer < 0):
        raise UserError(BUFFER_ERROR)
    if max_quantity is not None and not (isinstance(max_quantity, str) and max_quantity == KEEP):
        if not whole(max_quantity) or max_quantity < 0:
            raise UserError(MAX_ERROR)
    rules = QuantityRuleValues(
        percent=_rule(percent, 1, 100, 100, PERCENT_ERROR),
        min_quantity=_rule(min_quantity, 0, None, 0, MIN_ERROR),
        end_when=_rule(end_when, 0, None, 0, END_WHEN_ERROR),
    )
    if interval_seconds is not None and (
        not whole(interval_seconds) or not MIN_INTERVAL <= interval_seconds <= MAX_SECONDS
    ):
        raise UserError(INTERVAL_ERROR)
    if rate_limit is not None and not 0.1 <= rate_limit <= 100:
        raise UserError(RATE_LIMIT_ERROR)
    from ..reverb.ratelimit import MAX_PER_MINUTE, MIN_PER_MINUTE

    for label, per_minute in (("read", read_rate), ("write", write_rate)):
        if per_minute is not None and (
            not whole(per_minute) or not MIN_PER_MINUTE <= per_minute <= MAX_PER_MINUTE
        ):
            raise UserError(rate_error(label))
    if orders_interval_seconds is not None and (
        not whole(orders_interval_seconds)
        or not MIN_ORDERS_INTERVAL <= orders_interval_seconds <= MAX_SECONDS
    ):
        raise UserError(ORDERS_INTERVAL_ERROR)
    low, high = rules.min_quantity, max_quantity
    if not isinstance(low, str) and not isinstance(high, str):
        message = min_above_max(low, high)
        if message:
            raise UserError(message)
    return rules
