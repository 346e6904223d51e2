"""JSON helpers shared by the fakes: Decimal and datetime aware."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
        return float(o)
    if isinstance(o, datetime):
        return o.isoformat().replace("+00:00", "Z")
    if isinstance(o, date):
        return o.isoformat()
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(obj: Any, **kw: Any) -> str:
    return json.dumps(obj, default=_default, **kw)
