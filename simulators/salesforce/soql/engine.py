"""Evaluates a parsed SOQL query against the org's records.

Semantics (developer.salesforce.com soql_sosl: comparisonoperators, dateformats):
- string ``=``/``!=``/``LIKE``/``IN`` compare case-insensitively; ids compare on their 15-char key;
- a date literal is a range: ``=`` inside it, ``<`` before its start, ``>`` after its end;
  LAST_N_DAYS:n is [today-n, today], NEXT_N_DAYS:n is [tomorrow, today+n], weeks start Sunday;
  datetimes are compared in UTC;
- ``!=`` is true for null values; ordering and range comparisons are false for null;
- ORDER BY defaults to NULLS FIRST ascending, NULLS LAST descending;
- parent fields come back as nested objects (null when the parent is null), child subqueries as
  ``{totalSize, done, records}``; every record carries ``attributes {type, url}``.
Anything the grammar does not cover is MALFORMED_QUERY; unknown objects INVALID_TYPE; unknown
fields INVALID_FIELD.
"""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from simulators.core.ids import sf_id_key

from .. import errors as E
from ..schema import Field, Registry, SObject
from ..state.values import to_json
from .parser import BoolOp, Cmp, DateLiteral, Query, parse

STRINGY = ("string", "textarea", "email", "url", "phone", "picklist")


def literal_range(lit: DateLiteral, today: date) -> tuple[date, date]:
    n = lit.n or 0
    name = lit.name
    if name == "TODAY":
        return today, today
    if name == "YESTERDAY":
        d = today - timedelta(days=1)
        return d, d
    if name == "TOMORROW":
        d = today + timedelta(days=1)
        return d, d
    if name == "LAST_N_DAYS":
        return today - timedelta(days=n), today
    if name == "NEXT_N_DAYS":
        return today + timedelta(days=1), today + timedelta(days=n)
    if name == "N_DAYS_AGO":
        d = today - timedelta(days=n)
        return d, d
    if name == "LAST_90_DAYS":
        return today - timedelta(days=90), today
    if name == "NEXT_90_DAYS":
        return today + timedelta(days=1), today + timedelta(days=90)
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)  # Sunday (en_US locale)
    if name.endswith("_WEEK"):
        shift = {"LAST_WEEK": -7, "THIS_WEEK": 0, "NEXT_WEEK": 7}[name]
        s = week_start + timedelta(days=shift)
        return s, s + timedelta(days=6)
    if name.endswith("_MONTH"):
        y, m = today.year, today.month + {"LAST_MONTH": -1, "THIS_MONTH": 0, "NEXT_MONTH": 1}[name]
        if m == 0:
            y, m = y - 1, 12
        elif m == 13:
            y, m = y + 1, 1
        return date(y, m, 1), date(y, m, monthrange(y, m)[1])
    if name.endswith("_YEAR"):
        y = today.year + {"LAST_YEAR": -1, "THIS_YEAR": 0, "NEXT_YEAR": 1}[name]
        return date(y, 1, 1), date(y, 12, 31)
    raise E.MalformedQuery(f"unsupported date literal {name}")


def _like_regex(pattern: str) -> re.Pattern:
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


class Resolver:
    """Field paths on an object: validated once, then read per record (following lookups)."""

    def __init__(self, registry: Registry, find: Callable[[str], dict | None]):
        self.registry = registry
        self.find = find

    def compile(self, obj: SObject, path: list[str]) -> tuple[list[Field], Field]:
        segs = list(path)
        if len(segs) > 1 and segs[0].lower() == obj.name.lower() and obj.field(segs[0]) is None \
                and obj.relationship(segs[0]) is None:
            segs = segs[1:]
        if len(segs) > 5:
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
            raise E.InvalidField(f"No such column '{segs[-1]}' on entity '{current.name}'. If you are attempting to "
                                 f"use a custom field, be sure to append the '__c' after the custom field name. "
                                 f"Please reference your WSDL or the describe call for the appropriate names.")
        return hops, f

    def read(self, rec: dict | None, hops: list[Field], f: Field) -> Any:
        for hop in hops:
            if rec is None:
                return None
            target = rec.get(hop.name)
            rec = self.find(target) if target else None
        return None if rec is None else rec.get(f.name)


class Engine:
    def __init__(self, db, today: Callable[[], date]):
        self.db = db
        self.registry: Registry = db.registry
        self.today = today
        self.resolver = Resolver(self.registry, lambda rid: db.find(rid, include_deleted=True))

    # ---- entry point --------------------------------------------------------------------
    def run(self, text: str, include_deleted: bool = False, version: str = "59.0") -> tuple[list[dict], int]:
        q = parse(text)
        obj = self._object(q.sobject)
        rows = self._select(obj, q, include_deleted)
        if q.is_count:
            if len(q.fields) > 1:
                raise E.MalformedQuery("COUNT() must be the only element in the SELECT list.")
            return [], len(rows)
        return [self._project(obj, q, r, include_deleted, version) for r in rows], len(rows)

    def _object(self, name: str) -> SObject:
        obj = self.registry.get(name)
        if obj is None or not obj.queryable:
            raise E.InvalidType(f"\n{name}\n^\nERROR at Row:1:Column:1\nsObject type '{name}' is not supported. If "
                                f"you are attempting to use a custom object, be sure to append the '__c' after the "
                                f"entity name. Please reference your WSDL or the describe call for the appropriate "
                                f"names.")
        return obj

    def _select(self, obj: SObject, q: Query, include_deleted: bool, base: list[dict] | None = None) -> list[dict]:
        for item in q.fields:  # validate the select list even when nothing matches
            if isinstance(item, list):
                self.resolver.compile(obj, item)
            elif isinstance(item, Query):
                self._child(obj, item)
        pred = self._predicate(obj, q.where) if q.where is not None else None
        rows = base if base is not None else self.db.all(obj.name, include_deleted)
        if pred:
            rows = [r for r in rows if pred(r)]
        else:
            rows = list(rows)
        if q.order:
            rows = self._sort(obj, rows, q.order)
        else:
            rows.sort(key=lambda r: r["Id"])
        if q.offset:
            if q.offset > 2000:
                raise E.SalesforceError("Maximum SOQL offset allowed is 2000", code="NUMBER_OUTSIDE_VALID_RANGE")
            rows = rows[q.offset:]
        if q.limit is not None:
            rows = rows[:q.limit]
        return rows

    def _sort(self, obj: SObject, rows: list[dict], order) -> list[dict]:
        for path, desc, nulls_last in reversed(order):
            hops, f = self.resolver.compile(obj, path)
            present, absent = [], []
            for r in rows:
                (absent if self.resolver.read(r, hops, f) is None else present).append(r)
            present.sort(key=lambda r: self._sort_key(f, self.resolver.read(r, hops, f)), reverse=desc)
            rows = present + absent if nulls_last else absent + present
        return rows

    @staticmethod
    def _sort_key(f: Field, v: Any) -> Any:
        if isinstance(v, str):
            return v.lower()
        if isinstance(v, bool):
            return int(v)
        return v

    # ---- projection ---------------------------------------------------------------------
    def _attributes(self, obj: SObject, rec: dict, version: str) -> dict:
        return {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{rec['Id']}"}

    def _project(self, obj: SObject, q: Query, rec: dict, include_deleted: bool, version: str) -> dict:
        out: dict[str, Any] = {"attributes": self._attributes(obj, rec, version)}
        for item in q.fields:
            if isinstance(item, Query):
                rel_name, child, fname = self._child(obj, item)
                kids = [r for r in self.db.all(child.name, include_deleted)
                        if r.get(fname) and r[fname][:15] == rec["Id"][:15]]
                kids = self._select(child, item, include_deleted, base=kids)
                out[rel_name] = None if not kids else {
                    "totalSize": len(kids), "done": True,
                    "records": [self._project(child, item, k, include_deleted, version) for k in kids]}
                continue
            hops, f = self.resolver.compile(obj, item)
            self._place(out, obj, rec, hops, f, version)
        return out

    def _place(self, out: dict, obj: SObject, rec: dict, hops: list[Field], f: Field, version: str) -> None:
        node, current, cur_obj = out, rec, obj
        for hop in hops:
            target_id = current.get(hop.name) if current else None
            parent = self.db.find(target_id, include_deleted=True) if target_id else None
            key = hop.relationship_name
            if parent is None:
                if key not in node:
                    node[key] = None
                return
            p_obj = self.registry.for_id(parent["Id"])
            if not isinstance(node.get(key), dict):
                node[key] = {"attributes": self._attributes(p_obj, parent, version)}
            node, current, cur_obj = node[key], parent, p_obj
        node[f.name] = to_json(current.get(f.name))

    def _child(self, obj: SObject, sub: Query) -> tuple[str, SObject, str]:
        hit = self.registry.child(obj, sub.sobject)
        if hit is None:
            raise E.InvalidType(f"Didn't understand relationship '{sub.sobject}' in FROM part of query call. If you "
                                f"are attempting to use a custom relationship, be sure to append the '__r' after "
                                f"the custom relationship name. Please reference your WSDL or the describe call for "
                                f"the appropriate names.")
        if any(isinstance(f, Query) for f in sub.fields):
            raise E.MalformedQuery("Nested child subqueries are not supported")
        if sub.is_count:
            raise E.MalformedQuery("COUNT() is not supported in a child subquery")
        return hit

    # ---- WHERE --------------------------------------------------------------------------
    def _predicate(self, obj: SObject, node: Any) -> Callable[[dict], bool]:
        if isinstance(node, BoolOp):
            parts = [self._predicate(obj, a) for a in node.args]
            if node.op == "AND":
                return lambda r: all(p(r) for p in parts)
            if node.op == "OR":
                return lambda r: any(p(r) for p in parts)
            return lambda r: not parts[0](r)
        return self._compare(obj, node)

    def _compare(self, obj: SObject, c: Cmp) -> Callable[[dict], bool]:
        hops, f = self.resolver.compile(obj, c.path)
        read = lambda r: self.resolver.read(r, hops, f)  # noqa: E731
        if c.op in ("IN", "NOT IN"):
            if isinstance(c.value, Query):
                values = self._semi_join(c.value)
            else:
                values = [self._literal(f, v, "IN") for v in c.value]
            keys = {self._key(f, v) for v in values}
            if c.op == "IN":
                return lambda r: read(r) is not None and self._key(f, read(r)) in keys
            return lambda r: read(r) is None or self._key(f, read(r)) not in keys
        if c.op == "LIKE":
            if f.type not in STRINGY and f.type not in ("id", "reference"):
                raise E.InvalidField(f"invalid operator on {f.type} field: LIKE")
            rx = _like_regex(c.value)
            return lambda r: read(r) is not None and bool(rx.match(str(read(r))))
        value = c.value
        if isinstance(value, DateLiteral):
            if f.type not in ("date", "datetime"):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type {f.type} and "
                                     f"should not be a date literal")
            lo, hi = literal_range(value, self.today())
            return self._range_pred(f, read, c.op, lo, hi)
        lit = self._literal(f, value, c.op)
        if lit is None:
            if c.op == "=":
                return lambda r: read(r) is None
            if c.op == "!=":
                return lambda r: read(r) is not None
            raise E.MalformedQuery(f"null can only be compared with = or !=")
        key = self._key(f, lit)
        ops = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
        op = ops[c.op]
        if c.op == "!=":
            return lambda r: read(r) is None or op(self._key(f, read(r)), key)
        if c.op in ("<", "<=", ">", ">=") and f.type in ("boolean",):
            raise E.InvalidField(f"invalid operator on boolean field: {c.op}")
        return lambda r: read(r) is not None and op(self._key(f, read(r)), key)

    def _range_pred(self, f: Field, read, op: str, lo: date, hi: date) -> Callable[[dict], bool]:
        def as_date(v: Any) -> date:
            return v.astimezone(timezone.utc).date() if isinstance(v, datetime) else v
        tests = {"=": lambda d: lo <= d <= hi, "!=": lambda d: not (lo <= d <= hi), "<": lambda d: d < lo,
                 "<=": lambda d: d <= hi, ">": lambda d: d > hi, ">=": lambda d: d >= lo}
        test = tests[op]
        if op == "!=":
            return lambda r: read(r) is None or test(as_date(read(r)))
        return lambda r: read(r) is not None and test(as_date(read(r)))

    def _semi_join(self, sub: Query) -> list[Any]:
        if any(isinstance(x, Query) for x in sub.fields) or sub.is_count or len(sub.fields) != 1:
            raise E.MalformedQuery("The inner select field of a semi-join must be a single Id or reference field")
        obj = self._object(sub.sobject)
        hops, f = self.resolver.compile(obj, sub.fields[0])
        if f.type not in ("id", "reference"):
            raise E.MalformedQuery(f"The selected field '{f.name}' in the subquery must be an Id or reference field")
        return [v for v in (self.resolver.read(r, hops, f) for r in self._select(obj, sub, False)) if v]

    def _literal(self, f: Field, value: Any, op: str) -> Any:
        """Type-check a literal against the field, as Salesforce does before running anything."""
        if value is None:
            return None
        t = f.type
        if t in STRINGY or t in ("id", "reference"):
            if not isinstance(value, str):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type string and "
                                     f"should be enclosed in quotes")
            return value
        if t == "boolean":
            if not isinstance(value, bool):
                raise E.InvalidField(f"value of filter criterion for field '{f.name}' must be of type boolean and "
                                     f"should not be enclosed in quotes")
            return value
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

    @staticmethod
    def _key(f: Field, v: Any) -> Any:
        if f.type in ("id", "reference") and isinstance(v, str):
            return sf_id_key(v) or v.lower()
        if isinstance(v, str):
            return v.lower()
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return Decimal(str(v))
        return v
