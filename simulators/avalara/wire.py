"""The fake AvaTax's answers as bytes: JSON encoded with orjson (``core.jsonutil.dumpb``: amounts
are Decimal inside and JSON numbers on the wire, as AvaTax's .NET decimals are), and the encoded
answers of stored transactions kept until the transaction store changes (``AnswerCache``).
"""
from __future__ import annotations

from typing import Any, Callable

from ..core.jsonutil import dumpb
from ..core.store import CountingRLock
from .memo import StampedMemo

# every answer through the shared orjson encoder (Decimal amounts as JSON numbers, conversions kept)
encode = dumpb


class Encoded(bytes):
    """A handler's answer already encoded (``routes.dispatch`` sends it as it is)."""


ANSWERS_KEPT = 2048   # encoded answers remembered; all are dropped when the cache is full


class AnswerCache:
    """Encoded answers of stored transactions, kept until the transaction store next changes
    (``memo.StampedMemo``: no lock taken to read them)."""

    def __init__(self, lock: CountingRLock, size: int = ANSWERS_KEPT):
        self._memo = StampedMemo(lock, size)

    def get(self, key: Any, build: Callable[[], Any]) -> Encoded:
        return self._memo.get(key, lambda: Encoded(encode(build())))

    def __len__(self) -> int:
        return len(self._memo)
