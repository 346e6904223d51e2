"""Values derived from a store, kept without taking its lock (the reads that use them run on the
live server's event loop) and dropped as soon as the store changes: a seqlock on the store's
``CountingRLock``. Every write to the store holds that lock; a value is kept with the lock's
``quiet()`` stamp only if no writer came in while it was built, and served only while no writer
has come in since (``entries`` unchanged). Any change (a commit, a void, a new restriction, a
reset, a restore) therefore drops every kept value: the next read builds afresh."""
from __future__ import annotations

from typing import Any, Callable

from ..core.store import CountingRLock


class StampedMemo:
    def __init__(self, lock: CountingRLock, size: int):
        self.lock = lock
        self.size = size   # values kept at most; all are dropped when full
        self._kept: dict[Any, tuple[int, Any]] = {}

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        """The kept value of ``key``, or ``build()`` (kept when no writer came in meanwhile). What
        ``build`` raises is raised, and nothing is kept."""
        hit = self._kept.get(key)
        if hit is not None and hit[0] == self.lock.entries:
            return hit[1]
        stamp = self.lock.quiet()
        value = build()
        if stamp is not None and self.lock.entries == stamp:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = (stamp, value)
        return value

    def __len__(self) -> int:
        return len(self._kept)
