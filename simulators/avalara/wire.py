"""The fake AvaTax's answers as bytes: JSON encoded with orjson (amounts are Decimal inside and JSON
numbers on the wire, as AvaTax's .NET decimals are), and the encoded answers of stored
transactions kept until the transaction store changes (``AnswerCache``).

``encode`` gives the same JSON values as ``core.jsonutil.dumps`` (Decimal -> number, datetime ->
ISO 8601 with ``Z``, dataclasses -> objects), compactly; what orjson refuses (integers beyond 64
bits, strings with lone surrogates, keys that are not strings) is encoded by ``jsonutil.dumps``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import orjson

from ..core.jsonutil import dumps
from ..core.store import CountingRLock
from .memo import StampedMemo

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class _FloatOf(dict):
    """Decimal -> float, the conversions kept (float(Decimal) goes through a string: slow, and an
    answer repeats its amounts). Zeros are not kept (0 == -0, but they encode apart); anything
    but a finite Decimal raises TypeError, and ``encode`` hands the payload to jsonutil."""

    def __missing__(self, value: Any) -> float:
        if type(value) is not Decimal:
            raise TypeError(type(value).__name__)
        if not value:   # a zero (NaN is not): its sign, without the string round trip
            return -0.0 if value.is_signed() else 0.0
        if not value.is_finite():
            raise TypeError("a Decimal that is not a finite number")
        if len(self) >= FLOATS_KEPT:
            self.clear()
        number = self[value] = float(value)
        return number


FLOATS_KEPT = 4096
_float_of = _FloatOf()


def encode(payload: Any) -> bytes:
    # Decimal (the only type besides JSON's own in nearly every answer) through the kept
    # conversions; a date, datetime or dataclass is refused there, and the payload goes to jsonutil.
    try:
        return orjson.dumps(payload, default=_float_of.__getitem__, option=_OPTIONS)
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
