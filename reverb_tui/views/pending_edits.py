"""``PendingEdits``: the additions and removals a mapping section holds until *Save*.

Plain Python (no Textual), shared by the SKU and the shipping mapping sections. Items are
keyed (a folded channel SKU, a Reverb shipping method); a key has at most one value after
Save, so adding to a key that has one is refused, and so is keeping a saved item whose key a
pending addition has taken over.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PendingEdits(Generic[K, V]):
    def __init__(self) -> None:
        self.saved: dict[K, V] = {}  # as stored
        self.adds: dict[K, V] = {}  # in the order they were added
        self.removes: set[K] = set()  # saved keys that go on Save

    def __len__(self) -> int:
        """How many changes are waiting for Save."""
        return len(self.adds) + len(self.removes)

    def load(self, saved: Mapping[K, V]) -> None:
        """The saved items as read now. A pending removal of an item removed elsewhere
        meanwhile has nothing left to remove: it goes."""
        self.saved = dict(saved)
        self.removes &= self.saved.keys()

    def after_save(self, key: K) -> V | None:
        """The key's value once Save has applied the changes (None: unmapped)."""
        if key in self.adds:
            return self.adds[key]
        if key in self.removes:
            return None
        return self.saved.get(key)

    def add(self, key: K, value: V) -> V | None:
        """Add ``value`` for ``key`` unless the key has a value after Save: that value is
        returned (and nothing changes), else None."""
        current = self.after_save(key)
        if current is None:
            self.adds[key] = value
        return current

    def drop_add(self, key: K) -> None:
        self.adds.pop(key, None)

    def remove(self, key: K) -> None:
        """Mark a saved item for removal (an unknown key is ignored)."""
        if key in self.saved:
            self.removes.add(key)

    def keep(self, key: K) -> bool:
        """Take a removal back; refused (False) while a pending addition holds the key."""
        if key in self.adds:
            return False
        self.removes.discard(key)
        return True

    def clear(self) -> int:
        """Forget every change; returns how many there were."""
        n = len(self)
        self.adds.clear()
        self.removes.clear()
        return n

    def saved_as(self, saved: Mapping[K, V]) -> None:
        """Save went through: ``saved`` is what is stored now, nothing is pending."""
        self.clear()
        self.load(saved)
