"""Values and the Oracle functions SQLite lacks, as Python UDFs of the SuiteQL mirror.

Inside SQLite every date and timestamp is one canonical text, ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, the
account time zone of the fake; an Oracle DATE carries a time too): it sorts and compares in time
order, and no ordinary value (nor a ``TO_CHAR`` result) looks like it, so the answer can show it in
the account's short date format. Money is stored as REAL for comparisons and ordering, and summed
exactly through ``Decimal`` (``o2c_sum``): a sum of amounts equals the Decimal sum to the cent.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InvalidQuery

CANON = "%Y-%m-%dT%H:%M:%SZ"
_CANON_RX = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SIGNIFICANT = "{:.15g}"   # a float's 15 significant digits: drops binary artefacts (0.30000000000000004)
# Oracle datetime format elements -> strftime (longest first); "text" in double quotes is literal
ORA_FORMATS = [("YYYY", "%Y"), ("HH24", "%H"), ("HH12", "%I"), ("MONTH", "%B"), ("MON", "%b"), ("MM", "%m"),
               ("DD", "%d"), ("DY", "%a"), ("DAY", "%A"), ("MI", "%M"), ("SS", "%S"), ("HH", "%I"),
               ("AM", "%p"), ("PM", "%p"), ("YY", "%y"), ("Q", "%Q")]


def canon(dt: date | datetime) -> str:
    if type(dt) is date:
        return dt.isoformat() + "T00:00:00Z"
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(microsecond=0).isoformat() + "Z"


def is_temporal(v: Any) -> bool:
    return isinstance(v, str) and len(v) == 20 and _CANON_RX.fullmatch(v) is not None


def from_canon(v: str) -> datetime:
    return datetime.strptime(v, CANON)


_TO_SQL = {bool: lambda v: "T" if v else "F", date: canon, datetime: canon, Decimal: float,
           dict: lambda v: None, list: lambda v: None}


def to_sql(v: Any) -> Any:
    """A record's value as stored in SQLite."""
    conv = _TO_SQL.get(type(v))
    return v if conv is None else conv(v)


def number(v: Any) -> Decimal:
    """An SQLite number as the Decimal it stands for."""
    if isinstance(v, int):
        return Decimal(v)
    return Decimal(SIGNIFICANT.format(v)).normalize() if isinstance(v, float) else Decimal(str(v))


def short_date(v: str) -> str:
    """SuiteQL's JSON shows dates in the account's short date format (M/D/YYYY)."""
    return f"{int(v[5:7])}/{int(v[8:10])}/{int(v[0:4])}"


def ora_to_strftime(fmt: str) -> str:
    out, i, quoted = "", 0, False
    while i < len(fmt):
        ch = fmt[i]
        if ch == '"':
            quoted, i = not quoted, i + 1
            continue
        if not quoted:
            for ora, py in ORA_FORMATS:
                if fmt[i:i + len(ora)].upper() == ora:
                    out, i = out + py, i + len(ora)
                    break
            else:
                out, i = out + ch.replace("%", "%%"), i + 1
            continue
        out, i = out + ch.replace("%", "%%"), i + 1
    return out


def parse_temporal(text: Any, fmt: str | None = None, py_fmt: bool = False) -> str | None:
    """``TO_DATE`` / ``TO_TIMESTAMP``: text (ISO, M/D/YYYY, or in ``fmt``) -> canonical."""
    if text is None:
        return None
    if is_temporal(text):
        return text
    s = str(text).strip()
    try:
        if fmt:
            dt = datetime.strptime(s, fmt if py_fmt else ora_to_strftime(fmt))
        else:
            try:
                dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
            except ValueError:
                dt = datetime.strptime(s, "%m/%d/%Y")
    except ValueError:
        raise InvalidQuery(f"Invalid date value {s!r}" + (f" for the format {fmt!r}" if fmt else "") + ".")
    return canon(dt)


def _temporal_arg(v: Any, fn: str) -> datetime | None:
    if v is None:
        return None
    if is_temporal(v):
        return from_canon(v)
    return from_canon(parse_temporal(v))


def to_char(v: Any, fmt: Any = None) -> Any:
    if v is None:
        return None
    if is_temporal(v):
        dt = from_canon(v)
        if fmt is None:
            return short_date(v)
        py = ora_to_strftime(str(fmt))
        return dt.strftime(py.replace("%Q", str((dt.month - 1) // 3 + 1)))
    if isinstance(v, float):
        return str(number(v))
    return str(v)


def add_months(v: Any, n: Any) -> str | None:
    dt = _temporal_arg(v, "ADD_MONTHS")
    if dt is None or n is None:
        return None
    y, m = divmod(dt.month - 1 + int(n), 12)
    y, m = dt.year + y, m + 1
    last = calendar.monthrange(y, m)[1]
    # Oracle: the last day of a month maps to the last day of the target month
    day = last if dt.day == calendar.monthrange(dt.year, dt.month)[1] else min(dt.day, last)
    return canon(dt.replace(year=y, month=m, day=day))


def trunc(v: Any, unit: Any = None) -> Any:
    """TRUNC(date[, 'MM'|'YYYY'|'Q'|'DD']) or TRUNC(number[, places])."""
    if v is None:
        return None
    if is_temporal(v):
        dt = from_canon(v)
        u = str(unit or "DD").upper()
        if u in ("DD", "DDD", "J", "DAY"):
            dt = dt.replace(hour=0, minute=0, second=0)
        elif u in ("MM", "MON", "MONTH"):
            dt = datetime(dt.year, dt.month, 1)
        elif u in ("Q",):
            dt = datetime(dt.year, (dt.month - 1) // 3 * 3 + 1, 1)
        elif u in ("YYYY", "YEAR", "YY", "Y"):
            dt = datetime(dt.year, 1, 1)
        else:
            raise InvalidQuery(f"Unsupported TRUNC format {unit!r}.")
        return canon(dt)
    try:
        d = number(v)
        places = int(unit or 0)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidQuery(f"TRUNC expects a date or a number, not {v!r}.")
    q = Decimal(1).scaleb(-places)
    return float(d.quantize(q, rounding="ROUND_DOWN"))


def date_add(a: Any, b: Any) -> Any:
    """``+`` where a date may be involved: date + days -> date."""
    if a is None or b is None:
        return None
    if is_temporal(b):
        a, b = b, a
    if is_temporal(a):
        return canon(from_canon(a) + timedelta(days=float(b)))
    return float(number(a) + number(b))


def date_sub(a: Any, b: Any) -> Any:
    """``-`` where a date may be involved: date - date -> days (a number), date - days -> date."""
    if a is None or b is None:
        return None
    if is_temporal(a) and is_temporal(b):
        days = (from_canon(a) - from_canon(b)).total_seconds() / 86400
        return int(days) if days == int(days) else days
    if is_temporal(a):
        return canon(from_canon(a) - timedelta(days=float(b)))
    return float(number(a) - number(b))


class DecimalSum:
    """SUM over Decimals: exact to the cent whatever the number of rows."""

    def __init__(self):
        self.total: Decimal | None = None

    def step(self, v: Any) -> None:
        if v is None:
            return
        if isinstance(v, str):
            try:
                v = Decimal(v)
            except InvalidOperation:
                raise InvalidQuery(f"SUM of a non-numeric value {v!r}.")
        d = number(v)
        self.total = d if self.total is None else self.total + d

    def finalize(self) -> Any:
        if self.total is None:
            return None
        return int(self.total) if self.total == self.total.to_integral_value() else float(self.total)


class DecimalAvg(DecimalSum):
    def __init__(self):
        super().__init__()
        self.n = 0

    def step(self, v: Any) -> None:
        if v is not None:
            self.n += 1
        super().step(v)

    def finalize(self) -> Any:
        return None if self.total is None else float(self.total / self.n)


SCALARS = {"o2c_to_date": (-1, parse_temporal), "o2c_to_char": (-1, to_char),
           "o2c_to_date_py": (2, lambda v, fmt: parse_temporal(v, fmt, py_fmt=True)), "o2c_add_months": (2, add_months),
           "o2c_trunc": (-1, trunc), "o2c_date_add": (2, date_add), "o2c_date_sub": (2, date_sub)}
AGGREGATES = {"o2c_sum": (1, DecimalSum), "o2c_avg": (1, DecimalAvg)}
