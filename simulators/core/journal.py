"""A bounded journal of recorded requests: a ring buffer, so memory stays flat under load."""
from __future__ import annotations

import threading
from collections import deque
from typing import Any


class Journal:
    def __init__(self, maxlen: int = 1000):
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.total = 0

    @property
    def maxlen(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.total += 1
            entry = dict(entry, seq=self.total)
            self._entries.append(entry)

    def entries(self, operation: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = [e for e in self._entries if operation is None or e.get("operation") == operation]
        return items[-limit:] if limit else items

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._entries)
