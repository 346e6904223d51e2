"""Aggregate queries: COUNT(field), COUNT_DISTINCT, SUM, AVG, MIN, MAX with GROUP BY, GROUP BY
ROLLUP / CUBE (and GROUPING()), HAVING, ORDER BY and LIMIT over the groups.

Rows come back as ``AggregateResult`` records (``attributes: {type: AggregateResult}``, no url); a
grouped field is named after the field, a function after its alias or ``expr0``, ``expr1``... in
the order of the unaliased functions (SOQL and SOSL Reference: sforce_api_calls_soql_select_agg_functions.htm,
_groupby.htm, _groupby_rollup.htm, _groupby_cube.htm, _grouping.htm, _having.htm,
_group_by_considerations.htm).
"""
from __future__ import annotations

from decimal import Decimal
from itertools import combinations
from typing import Any, Callable

from .. import errors as E
from ..objects import Field, SObject
from ..state.values import to_json
from .ast import AGGREGATES, Func, Item, Query
from .exprs import NUMERIC, Compiled, Expressions, groupable
from .where import Conditions, key


def signature(expr: Any) -> str:
    if isinstance(expr, list):
        return ".".join(s.lower() for s in expr)
    return f"{expr.name}(" + ",".join(signature(a) if isinstance(a, (list, Func)) else repr(a) for a in expr.args) + ")"


class Group:
    __slots__ = ("rows", "values", "rolled")

    def __init__(self, values: tuple, rolled: tuple[bool, ...]):
        self.rows: list[dict] = []
        self.values = values
        self.rolled = rolled


class Aggregator:
    def __init__(self, exprs: Expressions, conditions: Callable[[Callable], Conditions]):
        self.exprs = exprs
        self.conditions = conditions

    def run(self, obj: SObject, q: Query, rows: list[dict]) -> list[dict]:
        strip = lambda e: self._strip_alias(e, obj, q.alias)  # noqa: E731
        group_exprs = [strip(g) for g in q.group]
        grouped = [self._group_expr(obj, g, q.alias) for g in group_exprs]
        sigs = {signature(g): i for i, g in enumerate(group_exprs)}
        if not q.group_kind and q.limit is not None:
            raise E.MalformedQuery("A query with an aggregate function and a LIMIT clause must have a GROUP BY "
                                   "clause")
        columns = self._columns(obj, q, sigs, grouped)
        groups = self._groups(rows, grouped, q.group_kind)
        if q.having is not None:
            pred = self.conditions(lambda o, e: self._operand(o, strip(e), q, sigs, grouped)).compile(obj, q.having)
            groups = [g for g in groups if pred(g)]
        if q.order:
            for expr, desc, nulls_last in reversed(q.order):
                read = self._operand(obj, strip(expr), q, sigs, grouped).read
                present = [g for g in groups if read(g) is not None]
                absent = [g for g in groups if read(g) is None]
                present.sort(key=lambda g: _sortable(read(g)), reverse=desc)
                groups = present + absent if nulls_last else absent + present
        if q.offset:
            groups = groups[q.offset:]
        if q.limit is not None:
            groups = groups[:q.limit]
        return [{"attributes": {"type": "AggregateResult"}, **{name: to_json(read(g)) for name, read in columns}}
                for g in groups]

    @staticmethod
    def _strip_alias(expr: Any, obj: SObject, alias: str | None) -> Any:
        if isinstance(expr, list) and len(expr) > 1 and alias and expr[0].lower() == alias.lower() \
                and obj.field(expr[0]) is None and obj.relationship(expr[0]) is None:
            return expr[1:]
        return expr

    def _group_expr(self, obj: SObject, expr: Any, alias: str | None) -> Compiled:
        if isinstance(expr, Func) and expr.contains_aggregate():
            raise E.MalformedQuery(f"Grouped field should not be aggregated: {expr.name}")
        compiled = self.exprs.compile(obj, expr, alias)
        f = compiled.field
        if isinstance(expr, list) and not groupable(f):
            raise E.InvalidField(f"field '{f.name}' can not be grouped in a query call")
        return compiled

    def _columns(self, obj: SObject, q: Query, sigs: dict, grouped: list[Compiled]) -> list[tuple[str, Callable]]:
        out, n = [], 0
        for item in q.fields:
            if not isinstance(item, Item):
                raise E.MalformedQuery("Aggregate queries do not support child relationship queries or TYPEOF")
            expr = self._strip_alias(item.expr, obj, q.alias)
            compiled = self._operand(obj, expr, q, sigs, grouped)
            if item.alias:
                name = item.alias
            elif isinstance(expr, list):
                name = compiled.field.name
            else:
                name, n = f"expr{n}", n + 1
            out.append((name, compiled.read))
        return out

    def _operand(self, obj: SObject, expr: Any, q: Query, sigs: dict, grouped: list[Compiled]) -> Compiled:
        """A grouped expression, an aggregate or GROUPING(), read from a group."""
        sig = signature(expr)
        if sig in sigs:
            i = sigs[sig]
            return Compiled(lambda g: None if g.rolled[i] else g.values[i], grouped[i].field, grouped[i].key)
        if isinstance(expr, Func) and expr.name == "GROUPING":
            if q.group_kind not in ("ROLLUP", "CUBE"):
                raise E.MalformedQuery("GROUPING() can only be used with GROUP BY ROLLUP or GROUP BY CUBE")
            inner = signature(expr.args[0]) if len(expr.args) == 1 else ""
            if inner not in sigs:
                raise E.MalformedQuery("The argument of GROUPING() must be a field of the GROUP BY clause")
            i = sigs[inner]
            return Compiled(lambda g: 1 if g.rolled[i] else 0, Field("GROUPING", "int"), "")
        if isinstance(expr, Func) and expr.name == "FORMAT" and len(expr.args) == 1 and isinstance(expr.args[0], Func):
            from .exprs import format_value
            inner = self._operand(obj, expr.args[0], q, sigs, grouped)
            ftype = inner.field.type
            return Compiled(lambda g: format_value(inner.read(g), ftype), Field("FORMAT", "string"), "")
        if isinstance(expr, Func) and expr.name in AGGREGATES:
            return self._aggregate(obj, expr, q.alias)
        name = expr[-1] if isinstance(expr, list) else sig
        raise E.MalformedQuery(f"Field must be grouped or aggregated: {name}")

    def _aggregate(self, obj: SObject, expr: Func, alias: str | None) -> Compiled:
        name = expr.name
        if len(expr.args) != 1:
            raise E.MalformedQuery(f"{name} takes exactly one field" if name != "COUNT" else
                                   "COUNT() must be the only element in the SELECT list.")
        arg = self.exprs.compile(obj, expr.args[0], alias)
        f, read = arg.field, arg.read
        if name in ("SUM", "AVG") and f.type not in NUMERIC:
            raise E.MalformedQuery(f"field {f.name} does not support aggregate operator {name}")
        if name == "COUNT":
            return Compiled(lambda g: sum(1 for r in g.rows if read(r) is not None), Field(name, "int"), "")
        if name == "COUNT_DISTINCT":
            return Compiled(lambda g: len({key(f, v) for v in map(read, g.rows) if v is not None}),
                            Field(name, "int"), "")

        def values(g: Group) -> list:
            return [v for v in map(read, g.rows) if v is not None]
        if name == "SUM":
            return Compiled(lambda g: sum((Decimal(v) for v in values(g)), Decimal(0)) if values(g) else None, f, "")
        if name == "AVG":
            def avg(g: Group):
                vs = values(g)
                return sum((Decimal(v) for v in vs), Decimal(0)) / len(vs) if vs else None
            return Compiled(avg, Field(f.name, "double"), "")
        pick = min if name == "MIN" else max
        return Compiled(lambda g: pick(values(g), key=_sortable) if values(g) else None, f, "")

    @staticmethod
    def _groups(rows: list[dict], grouped: list[Compiled], kind: str) -> list[Group]:
        n = len(grouped)
        if not kind:
            g = Group((), ())
            g.rows = rows
            return [g]
        if kind == "PLAIN":
            sets = [tuple(range(n))]
        elif kind == "ROLLUP":
            sets = [tuple(range(k)) for k in range(n, -1, -1)]
        else:
            sets = [c for k in range(n, -1, -1) for c in combinations(range(n), k)]
        out: list[Group] = []
        for keep in sets:
            buckets: dict[tuple, Group] = {}
            for r in rows:
                raw = tuple(grouped[i].read(r) if i in keep else None for i in range(n))
                k = tuple(key(grouped[i].field, v) for i, v in enumerate(raw))
                g = buckets.get(k)
                if g is None:
                    g = buckets[k] = Group(raw, tuple(i not in keep for i in range(n)))
                g.rows.append(r)
            detail = sorted(buckets.values(), key=lambda g: tuple((v is not None, _sortable(v)) for v in g.values))
            out.extend(detail if keep or rows else [Group((None,) * n, (True,) * n)])
        return out


def _sortable(v: Any) -> Any:
    if isinstance(v, str):
        return v.lower()
    if isinstance(v, bool):
        return int(v)
    return v
