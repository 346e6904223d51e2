"""Which records changed: the one place the ERP's writes report to (``StateBase.stamp``, ``register``
and record deletion), read by what is derived from the records (the SuiteQL mirror rebuilds only the
rows of the records named here). Bounded: past ``LIMIT`` ids it keeps only "everything changed"."""
from __future__ import annotations

import weakref
from typing import Any

LIMIT = 10_000


class ChangeLog:
    __slots__ = ("ids", "overflow", "__weakref__")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.overflow = False

    def note(self, rid: Any) -> None:
        if self.overflow:
            return
        if len(self.ids) >= LIMIT:
            self.ids.clear()
            self.overflow = True
            return
        self.ids.add(str(rid))

    def take(self) -> tuple[set[str], bool]:
        """The ids noted since the last ``take`` (and whether some were let go): the log starts afresh."""
        ids, overflow = self.ids, self.overflow
        self.ids, self.overflow = set(), False
        return ids, overflow


_LOGS: "weakref.WeakKeyDictionary[Any, ChangeLog]" = weakref.WeakKeyDictionary()


def changes_of(store) -> ChangeLog:
    log = _LOGS.get(store)
    if log is None:
        log = _LOGS[store] = ChangeLog()
    return log
