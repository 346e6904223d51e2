"""Field paths and function calls of a query, compiled once per query into readers of one record.

- Field paths follow lookups (``Account.Owner.Username``, up to 5 levels), may start with the
  object's name or its alias (``SELECT c.Name FROM Contact c``);
- date functions (``dates.py``), ``convertTimezone()`` (the org's users are on UTC: the identity),
  ``toLabel()`` (the picklist label from the describe), ``FORMAT()`` (en_US formatting) and
  ``convertCurrency()`` (the org's conversion rates; only in a multi-currency org, as in Salesforce)
  (SOQL and SOSL Reference: sforce_api_calls_soql_select_tolabel.htm, _format.htm,
  _convertcurrency.htm, _date_functions.htm).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from .. import errors as E
from ..objects import Field, Registry, SObject
from .ast import AGGREGATES, Func
from .dates import DATE_FUNCTIONS, date_function

NUMERIC = ("double", "currency", "percent", "int")


def groupable(f: Field) -> bool:
    """Groupable field types (the describe's ``groupable``; SOQL and SOSL Reference, "Considerations
    for GROUP BY"): not numbers with decimals, datetimes, long text areas or formulas."""
    if f.calculated and f.type not in ("boolean", "date"):
        return False
    if f.type == "textarea" and f.length > 255:
        return False
    return f.type not in ("double", "currency", "percent", "datetime")


def no_such_column(name: str, obj: str) -> E.InvalidField:
    return E.InvalidField(f"No such column '{name}' on entity '{obj}'. If you are attempting to use a custom field, "
                          f"be sure to append the '__c' after the custom field name. Please reference your WSDL or "
                          f"the describe call for the appropriate names.")


@dataclass
class Compiled:
    read: Callable[[dict], Any]
    field: Field               # the field read, or a pseudo-field typed like the result
    key: str                   # the name of the value in an AggregateResult
    source: Field | None = None


class Resolver:
    """Field paths on an object: validated once, then read per record (following lookups)."""

    def __init__(self, registry: Registry, find: Callable[[str], dict | None],
                 table: Callable[[str], dict] | None = None):
        self.registry = registry
        self.find = find
        self.table = table   # a lookup's target table, read by the stored id's 15-char key (the fast path)

    def compile(self, obj: SObject, path: list[str], alias: str | None = None) -> tuple[list[Field], Field]:
        segs = list(path)
        if len(segs) > 1 and obj.field(segs[0]) is None and obj.relationship(segs[0]) is None and (
                segs[0].lower() == obj.name.lower() or (alias and segs[0].lower() == alias.lower())):
            segs = segs[1:]
        if len(segs) > 6:
            raise E.MalformedQuery("SOQL statements cannot query relationships more than 5 levels away from the "
                                   "root entity object.")
        hops: list[Field] = []
        current = obj
        for seg in segs[:-1]:
            rel = current.relationship(seg)
            if rel is None:
                raise E.InvalidField(f"Didn't understand relationship '{seg}' in field path. If you are attempting "
                                     f"to use a custom relationship, be sure to append the '__r' after the custom "
                                     f"relationship name. Please reference your WSDL or the describe call for the "
                                     f"appropriate names.")
            hops.append(rel)
            current = self.registry.get(rel.reference_to[0])
        f = current.field(segs[-1])
        if f is None:
            raise no_such_column(segs[-1], current.name)
        return hops, f

    def read(self, rec: dict | None, hops: list[Field], f: Field) -> Any:
        for hop in hops:
            if rec is None:
                return None
            target = rec.get(hop.name)
            rec = self.parent(hop, target) if target else None
        return None if rec is None else rec.get(f.name)

    def parent(self, hop: Field, target: str) -> dict | None:
        if self.table is not None and len(hop.reference_to) == 1:
            rec = self.table(hop.reference_to[0]).get(target[:15])
            if rec is not None:
                return rec
        return self.find(target)   # deleted parents, polymorphic lookups

    def reader(self, hops: list[Field], f: Field) -> Callable[[dict], Any]:
        if not hops:
            name = f.name
            return lambda r: r.get(name)
        return lambda r: self.read(r, hops, f)


class Expressions:
    """Compiles the operands of one query (the engine passes the org's settings and checks)."""

    def __init__(self, resolver: Resolver, settings: Callable[[], dict], check_field: Callable[[SObject, Field], None]):
        self.resolver = resolver
        self.settings = settings
        self.check_field = check_field

    def path(self, obj: SObject, path: list[str], alias: str | None = None) -> Compiled:
        hops, f = self.resolver.compile(obj, path, alias)
        owner = self.resolver.registry.get(hops[-1].reference_to[0]) if hops else obj
        self.check_field(owner, f)
        return Compiled(self.resolver.reader(hops, f), f, f.name, f)

    def compile(self, obj: SObject, expr: Any, alias: str | None = None) -> Compiled:
        if isinstance(expr, list):
            return self.path(obj, expr, alias)
        if not isinstance(expr, Func):
            raise E.MalformedQuery(f"unexpected token: '{expr}'")
        name = expr.name
        if name in AGGREGATES:   # aggregate.py reads them from groups; anywhere else they are misplaced
            raise E.MalformedQuery(f"Aggregate functions are not allowed here: {name}")
        arg = self._single_field(obj, expr, alias)
        f = arg.field
        if name in DATE_FUNCTIONS:
            if f.type not in ("date", "datetime") or (name == "HOUR_IN_DAY" or name == "DAY_ONLY") and f.type == "date":
                raise E.MalformedQuery(f"{name} can only be used with a "
                                       f"{'datetime' if name in ('HOUR_IN_DAY', 'DAY_ONLY') else 'date or dateTime'} "
                                       f"field: {f.name}")
            settings = self.settings()
            start, ending = int(settings.get("fiscal_year_start_month") or 1), \
                settings.get("fiscal_year_based_on", "ending") == "ending"
            read = arg.read
            out_type = "date" if name == "DAY_ONLY" else "int"
            return Compiled(lambda r: date_function(name, read(r), start, ending), Field(f.name, out_type), "")
        if name == "CONVERTTIMEZONE":
            if f.type != "datetime":
                raise E.MalformedQuery(f"convertTimezone can only be used with a datetime field: {f.name}")
            return arg
        if name == "TOLABEL":
            labels = {p["value"]: p["label"] for p in f.describe()["picklistValues"]}
            read = arg.read
            return Compiled(lambda r: labels.get(read(r), read(r)), f, f.name, f)
        if name == "CONVERTCURRENCY":
            return self._convert_currency(arg)
        if name == "FORMAT":
            read = arg.read
            ftype = arg.field.type
            return Compiled(lambda r: format_value(read(r), ftype), Field(f.name, "string"), f.name, f)
        raise E.MalformedQuery(f"Unknown function {expr.name}. Check the spelling.")

    def _single_field(self, obj: SObject, expr: Func, alias: str | None) -> Compiled:
        if len(expr.args) != 1:
            raise E.MalformedQuery(f"{expr.name} takes exactly one argument")
        arg = expr.args[0]
        if isinstance(arg, Func):
            if expr.name == "FORMAT" or (arg.name == "CONVERTTIMEZONE" and expr.name in DATE_FUNCTIONS):
                return self.compile(obj, arg, alias)
            raise E.MalformedQuery(f"{expr.name} cannot take {arg.name}() as its argument")
        if not isinstance(arg, list):
            raise E.MalformedQuery(f"{expr.name} takes a field, not a literal")
        return self.path(obj, arg, alias)

    def _convert_currency(self, arg: Compiled) -> Compiled:
        if arg.field.type != "currency":
            raise E.InvalidField(f"convertCurrency can only be used on currency fields: {arg.field.name}")
        settings = self.settings()
        if not settings.get("multi_currency"):
            # Salesforce refuses convertCurrency() in an org without multiple currencies enabled.
            raise E.InvalidField("convertCurrency() is only supported in organizations with multiple currencies "
                                 "enabled")
        rates = settings.get("currency_rates") or {}
        corporate = settings.get("corporate_currency", "USD")
        user_rate = Decimal(str(rates.get(settings.get("user_currency") or corporate, 1)))
        read = arg.read

        def convert(r: dict) -> Any:
            v = read(r)
            if v is None:
                return None
            src = Decimal(str(rates.get(r.get("CurrencyIsoCode") or corporate, 1)))
            return (Decimal(v) / src * user_rate).quantize(Decimal("0.01"))
        return Compiled(convert, arg.field, arg.key, arg.source)


def format_value(v: Any, ftype: str) -> Any:
    """FORMAT() for an en_US user: grouped numbers, currency with its symbol, M/D/YYYY dates."""
    if v is None:
        return None
    if ftype == "currency":
        return f"${Decimal(v):,.2f}"
    if ftype in ("double", "percent", "int") and not isinstance(v, bool):
        text = f"{Decimal(v):,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(v, datetime):
        v = v.astimezone(timezone.utc)
        return f"{v.month}/{v.day}/{v.year}, {(v.hour % 12) or 12}:{v.minute:02d} {'AM' if v.hour < 12 else 'PM'}"
    if isinstance(v, date):
        return f"{v.month}/{v.day}/{v.year}"
    return v
