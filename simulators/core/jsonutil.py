"""JSON helpers shared by the fakes: Decimal and datetime aware."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """A Decimal rounded half-up to cents (never through float)."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, datetime):
        return obj.isoformat().replace("+00:00", "Z")
    if isinstance(obj, date):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    return obj


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        # JSON numbers are doubles on every client; amounts keep their exact digits up to 15
        # significant figures, far beyond any invoice total. Decimal is used everywhere inside.
        # A zero is 0.0 whatever its sign, as the vendors print it (``_KeptFloats``).
        return float(o) if o else 0.0
    if isinstance(o, datetime):
        return o.isoformat().replace("+00:00", "Z")
    if isinstance(o, date):
        return o.isoformat()
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(obj: Any, **kw: Any) -> str:
    return json.dumps(obj, default=_default, **kw)


class _KeptFloats(dict):
    """Decimal -> float for orjson, the conversions kept (float(Decimal) goes through a string: slow,
    and an answer repeats its amounts). The zero is always kept: every zero Decimal, whatever its
    exponent or sign, finds it and encodes 0.0, as no vendor's JSON carries a negative zero amount
    (Java's BigDecimal, Salesforce's and NetSuite's, has none; a .NET decimal, AvaTax's, prints its
    negative zero without the sign by design, dotnet/runtime issue 110712; Stripe's amounts are
    integers). Anything but a finite Decimal raises TypeError, so ``dumpb`` hands the payload to
    ``dumps`` (NaN stays NaN)."""

    def __init__(self):
        super().__init__({Decimal(0): 0.0})

    def __missing__(self, value: Any) -> float:
        if type(value) is not Decimal:
            raise TypeError(type(value).__name__)
        if not value.is_finite():
            raise TypeError("a Decimal that is not a finite number")
        if len(self) >= FLOATS_KEPT:
            self.clear()
            self[Decimal(0)] = 0.0
        number = self[value] = float(value)
        return number


FLOATS_KEPT = 4096
_kept_floats = _KeptFloats()


def dumpb(obj: Any, indent: bool = False) -> bytes:
    """``dumps`` as UTF-8 bytes, compact, through orjson (several times faster on large answers): the
    same JSON values (Decimal -> number, datetime -> ISO 8601 with ``Z``, dataclasses -> objects). What
    orjson refuses (integers beyond 64 bits, keys that are not strings, lone surrogates, a Decimal that
    is not finite, any other type) goes through ``dumps``. ``indent``: pretty-printed, two spaces."""
    try:
        return orjson.dumps(obj, default=_kept_floats.__getitem__,
                            option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2 if indent else orjson.OPT_UTC_Z)
    except (orjson.JSONEncodeError, TypeError):
        return dumps(obj, **({"indent": 2} if indent else {})).encode("utf-8")


MAX_DEPTH = 32   # objects/arrays nested deeper than this are refused with the vendor's 400


class BadJson(ValueError):
    """A request body that is not JSON the fakes accept: malformed, not UTF-8, or nested too deep."""


def depth(value: Any) -> int:
    """How deeply objects and arrays nest (iterative: a hostile body cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH, **kw: Any) -> Any:
    """``json.loads`` for request bodies: UTF-8 only, at most ``max_depth`` levels of nesting.
    Raises ``BadJson`` (a ValueError) instead of UnicodeDecodeError or RecursionError."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadJson(f"Invalid UTF-8 in the request body at byte {exc.start}") from None
    try:
        value = json.loads(raw, **kw)
    except RecursionError:
        raise BadJson(f"JSON nested more than {max_depth} levels deep") from None
    except ValueError as exc:
        raise BadJson(str(exc)) from None
    if depth(value) > max_depth:
        raise BadJson(f"JSON nested more than {max_depth} levels deep")
    return value
