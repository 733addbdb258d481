"""The Orders screen's filters, as the order service takes them (plain Python)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OrderFilters:
    channel_id: int | None = None
    status: str | None = None
    exceptions_only: bool = False
    search: str = ""

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``OrderService.query`` and ``count``."""
        return {
            "channel": self.channel_id,
            "status": self.status,
            "exceptions_only": self.exceptions_only,
            "search": self.search.strip() or None,
        }

    @property
    def active(self) -> bool:
        return (
            self.channel_id is not None
            or self.status is not None
            or self.exceptions_only
            or bool(self.search.strip())
        )
