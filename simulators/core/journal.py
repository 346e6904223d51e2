"""A bounded journal of recorded requests: a ring buffer bounded in entries and in bytes, so memory
stays flat under load whatever callers send. Long text (a path with a huge query, a caller's
multi-megabyte API key) is cut to ``max_field`` characters with a note of its full length."""
from __future__ import annotations

import threading
from collections import deque
from datetime import datetime
from typing import Any

from .clock import iso

MAX_FIELD = 256          # characters kept of any one text value
MAX_BYTES = 4 * 2**20    # the whole journal's text, roughly (values plus a fixed cost per entry)
_ENTRY_COST = 400        # the dict, its keys and small values


def clip(value: Any, limit: int = MAX_FIELD) -> Any:
    """A string cut to ``limit`` characters, saying how long it was; anything else unchanged."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}...({len(value)} chars)"
    return value


class Journal:
    def __init__(self, maxlen: int = 1000, max_bytes: int = MAX_BYTES, max_field: int = MAX_FIELD):
        self._lock = threading.Lock()
        self._entries: deque[tuple[int, dict[str, Any]]] = deque()
        self._maxlen = maxlen
        self.max_bytes = max_bytes
        self.max_field = max_field
        self.bytes = 0
        self.total = 0

    @property
    def maxlen(self) -> int:
        return self._maxlen

    def record(self, entry: dict[str, Any]) -> None:
        entry = dict(entry)
        size, limit = _ENTRY_COST, self.max_field
        for key, value in entry.items():   # one pass: clip long text and count the entry's size
            if isinstance(value, str):
                if len(value) > limit:
                    value = entry[key] = clip(value, limit)
                size += len(value)
        with self._lock:
            self.total += 1
            entry["seq"] = self.total
            self._entries.append((size, entry))
            self.bytes += size
            while len(self._entries) > self._maxlen or (self.bytes > self.max_bytes and len(self._entries) > 1):
                self.bytes -= self._entries.popleft()[0]

    def entries(self, operation: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The entries, oldest first; an entry's ``at`` (recorded as a datetime: formatting it costs more
        than the rest of a record) is ISO 8601 here, formatted once when first read."""
        with self._lock:
            items = [e for _, e in self._entries if operation is None or e.get("operation") == operation]
            items = items[-limit:] if limit else items
            for e in items:
                if isinstance(e.get("at"), datetime):
                    e["at"] = iso(e["at"])
        return items

    def clear(self) -> None:
        with self._lock:
            self._entries = deque()   # a new deque: the old one's blocks go back at once
            self.bytes = 0
            self.total = 0

    def __len__(self) -> int:
        return len(self._entries)
