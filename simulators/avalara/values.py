"""How the fake AvaTax reads request values: keys case-insensitively (lower-cased), dates, and
numbers as .NET decimals. A value it cannot read is AvaTax's ModelStateInvalid."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..core.jsonutil import MAX_DEPTH, BadJson
from .errors import AvaTaxError


def lower_keys(obj: Any, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of decoded JSON with every object's keys lower-cased (scalars are not visited).
    Objects and arrays nested more than ``max_depth`` levels deep are ``BadJson``."""
    if max_depth < 1 and isinstance(obj, (dict, list)):
        raise BadJson(f"JSON nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, dict):
        return {str(k).lower(): lower_keys(v, max_depth - 1) if isinstance(v, (dict, list)) else v
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [lower_keys(v, max_depth - 1) if isinstance(v, (dict, list)) else v for v in obj]
    return obj


def parse_date(value: Any, default: date) -> date:
    if not value:
        return default
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise AvaTaxError("ModelStateInvalid", f"The value '{text}' is not a valid date.", refers_to="date")


DECIMAL_MAX = Decimal("79228162514264337593543950335")   # .NET System.Decimal, AvaTax's number type


def decimal_of(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        number = None
    if number is None or isinstance(value, bool) or not number.is_finite() or abs(number) > DECIMAL_MAX:
        raise AvaTaxError("ModelStateInvalid", f"The value '{str(value)[:40]}' of field '{field}' is not a number.",
                          refers_to=field)
    return number
