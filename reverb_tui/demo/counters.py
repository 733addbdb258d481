"""What the simulator counts: requests (per shop, kind, status, Accept-Version), faults per
kind, PUTs per listing and named events ("sales", "ships", "unauthorized", "sim_errors" …).

Shares the simulator's lock, so a snapshot is consistent with the world it describes.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from .faults import FAULT_KINDS


class Counters:
    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._by_shop: defaultdict[str, int] = defaultdict(int)
            self._by_kind: defaultdict[str, int] = defaultdict(int)
            self._by_shop_kind: defaultdict[str, defaultdict[str, int]] = defaultdict(
                lambda: defaultdict(int)
            )
            self._by_status: defaultdict[int, int] = defaultdict(int)
            self._faults = {k: 0 for k in FAULT_KINDS}
            self._writes: defaultdict[int, int] = defaultdict(int)
            self._accept_version: defaultdict[str, int] = defaultdict(int)
            self._events: defaultdict[str, int] = defaultdict(int)

    # -- counting --------------------------------------------------------------------------------

    def request(self, shop_key: str, kind: str, accept_version: str | None) -> None:
        with self._lock:
            self._requests += 1
            self._by_shop[shop_key] += 1
            self._by_kind[kind] += 1
            self._by_shop_kind[shop_key][kind] += 1
            self._accept_version[accept_version or "(missing)"] += 1

    def status(self, code: int) -> None:
        with self._lock:
            self._by_status[code] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def write(self, listing_id: int) -> None:
        with self._lock:
            self._writes[listing_id] += 1

    def event(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._events[name] += n

    # -- reading -----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every counter as plain dicts (listing ids and statuses as ints)."""
        with self._lock:
            return {
                "requests": self._requests,
                "by_shop": dict(self._by_shop),
                "by_kind": dict(self._by_kind),
                "by_shop_kind": {k: dict(v) for k, v in self._by_shop_kind.items()},
                "by_status": dict(self._by_status),
                "faults": dict(self._faults),
                "faults_total": sum(self._faults.values()),
                "writes": dict(self._writes),
                "writes_total": sum(self._writes.values()),
                "accept_version": dict(self._accept_version),
                **dict(self._events),
            }

    def requests_of(self, shop_key: str, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return self._by_shop.get(shop_key, 0)
            kinds = self._by_shop_kind.get(shop_key)
            return kinds.get(kind, 0) if kinds is not None else 0

    def writes_of(self, listing_id: int) -> int:
        with self._lock:
            return self._writes.get(listing_id, 0)

    def faults_of(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return sum(self._faults.values())
            return self._faults[kind]
