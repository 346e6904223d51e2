"""Date literals and date functions, relative to the org's simulated clock and fiscal year.

Date literals (SOQL and SOSL Reference, "Date Formats and Date Literals in WHERE",
sforce_api_calls_soql_select_dateformats.htm) are ranges of whole days:
- ``LAST_N_DAYS:n`` is today and the n days before it; ``NEXT_N_DAYS:n`` starts tomorrow;
  ``N_DAYS_AGO:n`` is one day;
- ``LAST_N_<unit>:n`` (weeks, months, quarters, years, fiscal quarters, fiscal years) is the n whole
  units before the current one (the current one excluded); ``NEXT_N_<unit>:n`` the n after it;
  ``N_<unit>_AGO:n`` the one unit n units back;
- weeks start on Sunday (the en_US locale), quarters on January, April, July and October, fiscal
  quarters and years on the org's fiscal year start month (a setting, January by default).
Date functions (sforce_api_calls_soql_select_date_functions.htm): CALENDAR_MONTH, CALENDAR_QUARTER,
CALENDAR_YEAR, DAY_IN_MONTH, DAY_IN_WEEK (1 = Sunday), DAY_IN_YEAR, DAY_ONLY, FISCAL_MONTH,
FISCAL_QUARTER, FISCAL_YEAR, HOUR_IN_DAY, WEEK_IN_MONTH, WEEK_IN_YEAR; datetimes are taken in UTC
(the users of the fake org are on UTC), so convertTimezone() leaves them as they are.
"""
from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .. import errors as E
from .ast import DateLiteral


def _add_months(year: int, month: int, k: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + k
    return idx // 12, idx % 12 + 1


def _month_span(year: int, month: int, months: int) -> tuple[date, date]:
    ey, em = _add_months(year, month, months - 1)
    return date(year, month, 1), date(ey, em, monthrange(ey, em)[1])


def _unit_start(today: date, unit: str, fiscal_start: int) -> tuple[int, int, int]:
    """(year, month, length in months) of the current month / quarter / year / fiscal period."""
    if unit == "MONTH":
        return today.year, today.month, 1
    if unit in ("QUARTER", "FISCAL_QUARTER", "YEAR", "FISCAL_YEAR"):
        start = fiscal_start if unit.startswith("FISCAL") else 1
        length = 3 if unit.endswith("QUARTER") else 12
        offset = (today.month - start) % length
        y, m = _add_months(today.year, today.month, -offset)
        return y, m, length
    raise E.MalformedQuery(f"unsupported date literal unit {unit}")


def literal_range(lit: DateLiteral, today: date, fiscal_start: int = 1) -> tuple[date, date]:
    name, n = lit.name, lit.n or 0
    day = timedelta(days=1)
    fixed = {"TODAY": (today, today), "YESTERDAY": (today - day, today - day), "TOMORROW": (today + day,) * 2,
             "LAST_90_DAYS": (today - 90 * day, today), "NEXT_90_DAYS": (today + day, today + 90 * day)}
    if name in fixed:
        return fixed[name]
    if name == "LAST_N_DAYS":
        return today - n * day, today
    if name == "NEXT_N_DAYS":
        return today + day, today + n * day
    if name == "N_DAYS_AGO":
        return today - n * day, today - n * day
    if name.startswith(("LAST_N_", "NEXT_N_")) or (name.startswith("N_") and name.endswith("_AGO")):
        mode = name[:4] if not name.startswith("N_") else "AGO"
        unit = (name[7:] if mode != "AGO" else name[2:-4]).rstrip("S")
        shifts = {"LAST": (-n, n), "NEXT": (1, n), "AGO": (-n, 1)}[mode.rstrip("_")]
    else:
        when, unit = name.split("_", 1)
        shifts = ({"LAST": -1, "THIS": 0, "NEXT": 1}[when], 1)
    first, count = shifts
    if unit == "WEEK":
        week = today - timedelta(days=(today.weekday() + 1) % 7)  # Sunday
        start = week + timedelta(weeks=first)
        return start, start + timedelta(weeks=count) - day
    y, m, length = _unit_start(today, unit, fiscal_start)
    y, m = _add_months(y, m, first * length)
    return _month_span(y, m, count * length)


def as_date(v: Any) -> date:
    return v.astimezone(timezone.utc).date() if isinstance(v, datetime) else v


def fiscal_year(d: date, fiscal_start: int, based_on_ending: bool = True) -> int:
    """The fiscal year a day falls in: named after the calendar year it ends in (Salesforce's default
    for a standard fiscal year), or the year it starts in."""
    start_year = d.year if d.month >= fiscal_start else d.year - 1
    return start_year + 1 if based_on_ending and fiscal_start != 1 else start_year


DATE_FUNCTIONS = ("CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK",
                  "DAY_IN_YEAR", "DAY_ONLY", "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR", "HOUR_IN_DAY",
                  "WEEK_IN_MONTH", "WEEK_IN_YEAR")


def date_function(name: str, value: Any, fiscal_start: int = 1, based_on_ending: bool = True) -> Any:
    if value is None:
        return None
    if name == "HOUR_IN_DAY":
        return value.astimezone(timezone.utc).hour
    d = as_date(value)
    fiscal_month = (d.month - fiscal_start) % 12 + 1
    return {
        "CALENDAR_MONTH": lambda: d.month, "CALENDAR_QUARTER": lambda: (d.month - 1) // 3 + 1,
        "CALENDAR_YEAR": lambda: d.year, "DAY_IN_MONTH": lambda: d.day,
        "DAY_IN_WEEK": lambda: (d.weekday() + 1) % 7 + 1, "DAY_IN_YEAR": lambda: d.timetuple().tm_yday,
        "DAY_ONLY": lambda: d, "FISCAL_MONTH": lambda: fiscal_month,
        "FISCAL_QUARTER": lambda: (fiscal_month - 1) // 3 + 1,
        "FISCAL_YEAR": lambda: fiscal_year(d, fiscal_start, based_on_ending),
        "WEEK_IN_MONTH": lambda: (d.day - 1) // 7 + 1, "WEEK_IN_YEAR": lambda: (d.timetuple().tm_yday - 1) // 7 + 1,
    }[name]()
