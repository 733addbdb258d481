"""Validated settings of the simulator: dataclasses whose every assignment is checked.

``FaultPlan`` (faults.py) and ``WorldSettings`` (world.py) subclass ``Knobs``; each names a
check per field. A bad value raises ValueError, an unknown name TypeError, and ``checked()``
validates a whole batch before anything is set (``ReverbSimulator.configure`` is all or
nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, ClassVar

from .model import LINK_STYLES

Check = Callable[[str, Any], Any]


class Knobs:
    """Base of a settings dataclass: ``CHECKS`` maps each field to its check."""

    CHECKS: ClassVar[dict[str, Check]] = {}

    def __setattr__(self, key: str, value: Any) -> None:
        object.__setattr__(self, key, self.check(key, value))

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    @classmethod
    def check(cls, key: str, value: Any) -> Any:
        check = cls.CHECKS.get(key)
        if check is None:
            raise TypeError(f"unknown simulator setting {key!r}")
        return check(key, value)

    @classmethod
    def checked(cls, knobs: dict[str, Any]) -> dict[str, Any]:
        """Every value checked (raises on the first bad one); nothing is set."""
        return {key: cls.check(key, value) for key, value in knobs.items()}

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.keys()}


def fraction(key: str, value: Any) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{key} must be between 0 and 1")
    return v


def positive(key: str, value: Any) -> float:
    v = float(value)
    if v <= 0:
        raise ValueError(f"{key} must be > 0")
    return v


def non_negative(key: str, value: Any) -> float:
    v = float(value)
    if v < 0:
        raise ValueError(f"{key} must be >= 0")
    return v


def optional_non_negative(key: str, value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    if v < 0:
        raise ValueError(f"{key} must be >= 0 (or None)")
    return v


def optional_limit(key: str, value: Any) -> int | None:
    """A positive whole number; None or 0 mean no limit."""
    if value is None or value == 0:
        return None
    v = int(value)
    if v < 1:
        raise ValueError(f"{key} must be a positive whole number (or None)")
    return v


def count(key: str, value: Any) -> int:
    v = int(value)
    if v < 0:
        raise ValueError(f"{key} must be >= 0")
    return v


def flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false")
    return value


def link_style(key: str, value: Any) -> str:
    if value not in LINK_STYLES:
        raise ValueError(f"{key} must be one of {LINK_STYLES}")
    return value
