"""Per-simulator state: plain data in one object, with reset, snapshot and restore."""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable


class Store:
    """Holds a simulator's state as a dict of plain Python data.

    ``factory`` builds empty state; reset rebuilds from it (moto's ``reset``), snapshots are
    deep copies kept by name, and ``dump`` renders the state as JSON-ready data.
    """

    def __init__(self, factory: Callable[[], dict[str, Any]]):
        self._factory = factory
        self.lock = threading.RLock()
        self._snapshots: dict[str, dict[str, Any]] = {}
        self.data: dict[str, Any] = factory()

    def reset(self) -> None:
        with self.lock:
            self.data = self._factory()

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
