"""WHERE and HAVING conditions compiled into predicates of one record (or one group).

Semantics (SOQL and SOSL Reference: sforce_api_calls_soql_select_comparisonoperators.htm,
_dateformats.htm, _querying_multiselect_picklists.htm):
- string ``=``/``!=``/``LIKE``/``IN`` compare case-insensitively; ids compare on their 15-char key;
- a date literal is a range: ``=`` inside it, ``<`` before its start, ``>`` after its end; datetimes
  are compared in UTC;
- ``!=`` is true for null values; ordering and range comparisons are false for null;
- ``INCLUDES``/``EXCLUDES`` (multi-select picklists): each value is one selection or a ``;``-joined
  set that must all be selected;
- a currency literal (``USD5000``) is the org's currency, or converted with its rates in a
  multi-currency org.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from simulators.core.ids import sf_id_key

from .. import errors as E
from ..objects import Field, SObject
from .ast import BoolOp, Cmp, DateLiteral, Money, Query
from .dates import as_date, literal_range
from .exprs import Compiled

STRINGY = ("string", "textarea", "email", "url", "phone", "picklist", "multipicklist")


def like_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
            continue
        out += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.compile(f"^{out}$", re.IGNORECASE | re.DOTALL)


def plain(value: Any) -> Any:
    return value.plain if hasattr(value, "plain") else value


def key(f: Field, v: Any) -> Any:
    if f.type in ("id", "reference") and isinstance(v, str):
        return sf_id_key(v) or v.lower()
    if isinstance(v, str):
        return v.lower()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Decimal(str(v))
    return v


class Conditions:
    """``operand(obj, expr)`` compiles an operand to a ``Compiled``; ``semi_join(query)`` runs an
    inner select and returns its ids; ``settings()`` the org's settings (currencies)."""

    def __init__(self, operand: Callable[[SObject, Any], Compiled], semi_join: Callable[[Query], list],
                 today: Callable[[], date], settings: Callable[[], dict]):
        self.operand = operand
        self.semi_join = semi_join
        self.today = today
        self.settings = settings

    def compile(self, obj: SObject, node: Any) -> Callable[[Any], bool]:
        if isinstance(node, BoolOp):
            parts = [self.compile(obj, a) for a in node.args]
            if node.op == "AND":
                return lambda r: all(p(r) for p in parts)
            if node.op == "OR":
                return lambda r: any(p(r) for p in parts)
            return lambda r: not parts[0](r)
        return self._compare(obj, node)

    def _compare(self, obj: SObject, c: Cmp) -> Callable[[Any], bool]:
        compiled = self.operand(obj, c.operand)
        f, read = compiled.field, compiled.read
        if c.op in ("INCLUDES", "EXCLUDES"):
            return self._includes(f, read, c)
        if c.op in ("IN", "NOT IN"):
            if isinstance(c.value, Query):
                values = self.semi_join(c.value)
            else:
                values = [self.literal(f, plain(v)) for v in c.value]
            keys = {key(f, v) for v in values}
            if c.op == "IN":
                return lambda r: (v := read(r)) is not None and key(f, v) in keys
            return lambda r: (v := read(r)) is None or key(f, v) not in keys
        if c.op == "LIKE":
            if f.type not in STRINGY and f.type not in ("id", "reference") or not isinstance(c.value, str):
                raise E.InvalidField(f"invalid operator on {f.type} field: LIKE")
            rx = like_regex(c.value)
            return lambda r: (v := read(r)) is not None and bool(rx.match(str(v)))
        value = plain(c.value)
        if isinstance(value, DateLiteral):
            if f.type not in ("date", "datetime"):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type {f.type} and "
                                     f"should not be a date literal")
            fiscal = int(self.settings().get("fiscal_year_start_month") or 1)
            lo, hi = literal_range(value, self.today(), fiscal)
            return self._range(read, c.op, lo, hi)
        lit = self.literal(f, value)
        if lit is None:
            if c.op == "=":
                return lambda r: read(r) is None
            if c.op == "!=":
                return lambda r: read(r) is not None
            raise E.MalformedQuery("null can only be compared with = or !=")
        if c.op in ("<", "<=", ">", ">=") and f.type == "boolean":
            raise E.InvalidField(f"invalid operator on boolean field: {c.op}")
        k = key(f, lit)
        if c.op == "=":
            return lambda r: (v := read(r)) is not None and key(f, v) == k
        if c.op == "!=":
            return lambda r: (v := read(r)) is None or key(f, v) != k
        op = {"<": lambda a: a < k, "<=": lambda a: a <= k, ">": lambda a: a > k, ">=": lambda a: a >= k}[c.op]
        return lambda r: (v := read(r)) is not None and op(key(f, v))

    @staticmethod
    def _range(read, op: str, lo: date, hi: date) -> Callable[[Any], bool]:
        tests = {"=": lambda d: lo <= d <= hi, "!=": lambda d: not (lo <= d <= hi), "<": lambda d: d < lo,
                 "<=": lambda d: d <= hi, ">": lambda d: d > hi, ">=": lambda d: d >= lo}
        test = tests[op]
        if op == "!=":
            return lambda r: (v := read(r)) is None or test(as_date(v))
        return lambda r: (v := read(r)) is not None and test(as_date(v))

    @staticmethod
    def _includes(f: Field, read, c: Cmp) -> Callable[[Any], bool]:
        if f.type != "multipicklist":
            raise E.InvalidField(f"invalid operator on {f.type} field: {c.op}. INCLUDES and EXCLUDES are only "
                                 f"valid on multi-select picklist fields")
        wanted = []
        for v in c.value:
            if not isinstance(v, str):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type string and "
                                     f"should be enclosed in quotes")
            wanted.append({p.strip().lower() for p in plain(v).split(";") if p.strip()})

        def selected(r) -> set[str]:
            v = read(r)
            return {p.strip().lower() for p in v.split(";")} if v else set()
        if c.op == "INCLUDES":
            return lambda r: any(w <= selected(r) for w in wanted)
        return lambda r: not any(w <= selected(r) for w in wanted)

    def literal(self, f: Field, value: Any) -> Any:
        """Type-check a literal against the field, as Salesforce does before running anything."""
        if value is None:
            return None
        t = f.type
        if t in STRINGY or t in ("id", "reference"):
            if not isinstance(value, str):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type string and "
                                     f"should be enclosed in quotes")
            return str(value)
        if t == "boolean":
            if not isinstance(value, bool):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type boolean and "
                                     f"should not be enclosed in quotes")
            return value
        if isinstance(value, Money):
            if t != "currency":
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type {t} and "
                                     f"should not be a currency literal")
            return self._money(value)
        if t in ("double", "currency", "percent", "int"):
            if isinstance(value, bool) or not isinstance(value, Decimal):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type {t} and "
                                     f"should not be enclosed in quotes")
            return value
        if t == "date":
            if isinstance(value, datetime) or not isinstance(value, date):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type date and "
                                     f"should not be enclosed in quotes")
            return value
        if t == "datetime":
            if not isinstance(value, datetime):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type dateTime "
                                     f"and should not be enclosed in quotes")
            return value.astimezone(timezone.utc)
        return value

    def _money(self, value: Money) -> Decimal:
        settings = self.settings()
        corporate = settings.get("corporate_currency", "USD")
        rates = settings.get("currency_rates") or {}
        if value.code == corporate:
            return value.amount
        if not settings.get("multi_currency") or value.code not in rates:
            raise E.InvalidField(f"invalid currency code: {value.code}")
        return value.amount / Decimal(str(rates[value.code]))


def index_hint(obj: SObject, where: Any, alias: str | None = None) -> tuple[list[str], list[str]] | None:
    """An equality (or IN list) on an ``Id``, external-id or unique field, of the object or of one
    parent (``Account.Customer_Key__c``), among the top-level AND terms of a WHERE clause:
    (field path, values). The engine reads those records from an index, then applies the full filter."""
    terms = where.args if isinstance(where, BoolOp) and where.op == "AND" else [where]
    prefixes = (obj.name.lower(), (alias or obj.name).lower())
    for t in terms:
        if not (isinstance(t, Cmp) and isinstance(t.operand, list) and t.op in ("=", "IN")
                and not isinstance(t.value, Query)):
            continue
        path = t.operand[1:] if len(t.operand) > 1 and t.operand[0].lower() in prefixes \
            and obj.field(t.operand[0]) is None and obj.relationship(t.operand[0]) is None else t.operand
        if len(path) == 1:
            f = obj.field(path[0])
            if f is None or not (f.type == "id" or f.external_id or f.unique):
                continue
            path = [f.name]
        elif len(path) != 2 or obj.relationship(path[0]) is None:
            continue
        values = [t.value] if t.op == "=" else list(t.value)
        if all(isinstance(v, str) for v in values):
            return path, [plain(v) for v in values]
    return None
