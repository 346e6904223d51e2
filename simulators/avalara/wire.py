"""The fake AvaTax's answers as bytes: JSON encoded with orjson (amounts are Decimal inside and JSON
numbers on the wire, as AvaTax's .NET decimals are), and the encoded answers of stored
transactions kept until the transaction store changes (``AnswerCache``).

``encode`` gives the same JSON values as ``core.jsonutil.dumps`` (Decimal -> number, datetime ->
ISO 8601 with ``Z``, dataclasses -> objects), compactly; what orjson refuses (integers beyond 64
bits, strings with lone surrogates, keys that are not strings) is encoded by ``jsonutil.dumps``.
"""
from __future__ import annotations

from typing import Any, Callable

import orjson

from ..core.jsonutil import dumps
from ..core.store import CountingRLock
from .memo import StampedMemo

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode(payload: Any) -> bytes:
    # ``default=float``: Decimal (the only other type in nearly every answer) converted in C; a
    # date, datetime or dataclass makes float() refuse, and the whole payload goes to jsonutil.
    try:
        return orjson.dumps(payload, default=float, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return dumps(payload).encode("utf-8")


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
