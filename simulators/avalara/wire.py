"""The fake AvaTax's answers as bytes: JSON encoded with orjson (amounts are Decimal inside and JSON
numbers on the wire, as AvaTax's .NET decimals are), and the encoded answers of stored
transactions kept until the transaction store changes.

``encode`` gives the same JSON values as ``core.jsonutil.dumps`` (Decimal -> number, datetime ->
ISO 8601 with ``Z``, dataclasses -> objects), compactly; what orjson refuses (integers beyond 64
bits, strings with lone surrogates, keys that are not strings) is encoded by ``jsonutil.dumps``.
"""
from __future__ import annotations

from typing import Any, Callable

import orjson

from ..core.jsonutil import _default, dumps
from ..core.store import CountingRLock

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode(payload: Any) -> bytes:
    try:
        return orjson.dumps(payload, default=_default, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return dumps(payload).encode("utf-8")


class Encoded(bytes):
    """A handler's answer already encoded (``routes.dispatch`` sends it as it is)."""


ANSWERS_KEPT = 2048   # encoded answers remembered; all are dropped when the cache is full


class AnswerCache:
    """Encoded answers derived from a store, without taking its lock (the reads that use it run on
    the live server's event loop). Every write to the store holds ``lock``; an answer is kept with
    the lock's ``quiet()`` stamp only if no writer came in while it was encoded, and served only
    while no writer has come in since (``entries`` unchanged). Any change (a commit, a void, a
    reset, a restore) therefore drops every kept answer: the next read encodes afresh."""

    def __init__(self, lock: CountingRLock, size: int = ANSWERS_KEPT):
        self.lock = lock
        self.size = size
        self._kept: dict[Any, tuple[int, Encoded]] = {}

    def get(self, key: Any, build: Callable[[], Any]) -> Encoded:
        hit = self._kept.get(key)
        if hit is not None and hit[0] == self.lock.entries:
            return hit[1]
        stamp = self.lock.quiet()
        body = Encoded(encode(build()))
        if stamp is not None and self.lock.entries == stamp:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = (stamp, body)
        return body
