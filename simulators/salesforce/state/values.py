"""Field values: JSON in (coercion per field type, with Salesforce's errors) and JSON out
(Salesforce's datetime format ``2026-01-05T09:00:00.000+0000``)."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from functools import lru_cache
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.core.ids import sf_id18, sf_id_key

from .. import errors as E
from ..objects import Field

STRINGY = ("string", "textarea", "email", "url", "phone", "picklist")
NUMERIC = ("double", "currency", "percent", "int")


@lru_cache(maxsize=8192)   # a pure function of an immutable value; records are read far more than written
def sf_datetime(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    t = text.strip().replace("Z", "+00:00")
    m = re.match(r"^(.*[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})(\d{2})$", t)
    if m:
        t = f"{m.group(1)}{m.group(2)}:{m.group(3)}"
    dt = datetime.fromisoformat(t)
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def normalize_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    key = sf_id_key(value)
    return sf_id18(key) if key else None


def _parser_error(kind: str, value: Any, f: Field) -> E.SalesforceError:
    shown = value if not isinstance(value, str) else value
    return E.JsonParserError(f"Cannot deserialize instance of {kind} from VALUE_STRING value {shown} or request "
                             f"may be missing a required field at [line:1, column:1]", fields=[f.name])


def coerce(f: Field, value: Any) -> Any:
    """A JSON value for field ``f`` -> the stored Python value, or the Salesforce error."""
    if value is None or (value == "" and f.type not in STRINGY):
        return None
    t = f.type
    if t in STRINGY:
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float, Decimal)):
            value = str(value)
        elif not isinstance(value, str):
            raise _parser_error("string", value, f)
        if value == "":
            return None
        if len(value) > f.length:
            raise E.StringTooLong(f"{f.label}: data value too large: {value[:40]} (max length={f.length})",
                                  fields=[f.name])
        if t == "picklist" and f.restricted and value not in f.picklist:
            raise E.RestrictedPicklist(f"{f.label}: bad value for restricted picklist field: {value}",
                                       fields=[f.name])
        if t == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise E.SalesforceError(f"{f.label}: invalid email address: {value}", code="INVALID_EMAIL_ADDRESS",
                                    fields=[f.name])
        return value
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _parser_error("boolean", value, f)
    if t in NUMERIC:
        if isinstance(value, bool):
            raise _parser_error("double", value, f)
        try:
            num = Decimal(str(value)) if not isinstance(value, float) else Decimal(repr(value))
        except InvalidOperation:
            raise _parser_error("double" if t != "int" else "int", value, f)
        if not num.is_finite():
            raise _parser_error("double", value, f)
        return int(num) if t == "int" else num
    if t == "date":
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10]) if len(value) in (10,) else date.fromisoformat(value)
            except ValueError:
                pass
        raise _parser_error("date", value, f)
    if t == "datetime":
        if isinstance(value, str):
            try:
                return parse_datetime(value)
            except ValueError:
                pass
        raise _parser_error("datetime", value, f)
    if t in ("reference", "id"):
        rid = normalize_id(value)
        if rid is None:
            raise E.MalformedId(f"{f.label}: id value of incorrect type: {value}", fields=[f.name])
        return rid
    return value


def to_json(value: Any) -> Any:
    if value is None or type(value) is str:   # most fields: returned as they are
        return value
    if isinstance(value, datetime):
        return sf_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() or True else int(value)
    return value
