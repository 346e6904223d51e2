"""Per-simulator state: plain data in one object, with reset, snapshot and restore."""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable


class CountingRLock:
    """A re-entrant lock that counts how often it was entered. Every write to a store holds its
    lock, so an unchanged count means unchanged state: caches derived from the state (the ERP's
    SuiteQL tables) rebuild only when someone else has held the lock since they were built.
    ``exits`` counts the releases: a cache filled without taking the lock stamps it with ``quiet()``."""

    __slots__ = ("_lock", "entries", "exits")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.entries = 0
        self.exits = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.entries += 1
        return got

    def release(self) -> None:
        self.exits += 1
        self._lock.release()

    def __enter__(self) -> "CountingRLock":
        self._lock.acquire()
        self.entries += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        self.exits += 1
        self._lock.release()

    def quiet(self) -> int | None:
        """The entry count if no thread held the lock when asked, else None. A reader that does not
        take the lock may keep what it derived from the state under this stamp if ``entries`` still
        equals it afterwards (no writer came in meanwhile), and use it while ``entries`` equals it
        (a seqlock)."""
        entries = self.entries
        return entries if self.exits == entries else None


class Store:
    """Holds a simulator's state as a dict of plain Python data.

    ``factory`` builds empty state; reset rebuilds from it (moto's ``reset``), snapshots are
    deep copies kept by name, and ``dump`` renders the state as JSON-ready data.
    """

    def __init__(self, factory: Callable[[], dict[str, Any]]):
        self._factory = factory
        self.lock = CountingRLock()
        self._snapshots: dict[str, dict[str, Any]] = {}
        self.data: dict[str, Any] = factory()

    def reset(self) -> None:
        """As built: the factory's data, and no named snapshots."""
        with self.lock:
            self.data = self._factory()
            self._snapshots = {}

    def snapshot(self, name: str) -> None:
        with self.lock:
            self._snapshots[name] = copy.deepcopy(self.data)

    def restore(self, name: str) -> None:
        with self.lock:
            if name not in self._snapshots:
                raise KeyError(name)
            self.data = copy.deepcopy(self._snapshots[name])

    def snapshots(self) -> list[str]:
        return sorted(self._snapshots)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def dump(self) -> dict[str, Any]:
        from .jsonutil import to_jsonable
        with self.lock:
            return to_jsonable(self.data)
