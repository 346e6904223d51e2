"""The SOQL syntax tree the parser (``parser.py``) builds and the engine (``engine.py``) runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGGREGATES = ("COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX")


@dataclass(frozen=True)
class DateLiteral:
    name: str  # upper case, e.g. LAST_N_DAYS
    n: int | None = None


@dataclass(frozen=True)
class Money:
    """A currency literal (``USD5000``): the ISO code and the amount."""
    code: str
    amount: Any


@dataclass
class Func:
    """A function call: an aggregate, a date function, toLabel, FORMAT, convertCurrency, FIELDS..."""
    name: str          # upper case
    args: list[Any]    # field paths (list[str]), Func, or literals

    @property
    def is_aggregate(self) -> bool:
        return self.name in AGGREGATES

    def contains_aggregate(self) -> bool:
        return self.is_aggregate or any(isinstance(a, Func) and a.contains_aggregate() for a in self.args)


@dataclass
class Item:
    """One SELECT list entry: a field path or a function call, with an optional alias."""
    expr: Any          # list[str] | Func
    alias: str | None = None


@dataclass
class TypeOf:
    path: list[str]
    whens: list[tuple[str, list[list[str]]]]
    otherwise: list[list[str]] | None


@dataclass
class Query:
    sobject: str | list[str]          # a child subquery names a relationship path
    fields: list[Any]                 # Item | TypeOf | Query (child subquery)
    alias: str | None = None
    scope: str | None = None
    where: Any = None
    with_: list[str] = field(default_factory=list)      # SECURITY_ENFORCED, USER_MODE, SYSTEM_MODE, DATA CATEGORY
    group: list[Any] = field(default_factory=list)
    group_kind: str = ""                                 # "", "PLAIN", "ROLLUP", "CUBE"
    having: Any = None
    order: list[tuple[Any, bool, bool]] = field(default_factory=list)  # (expr, desc, nulls_last)
    limit: int | None = None
    offset: int | None = None
    for_: list[str] = field(default_factory=list)        # VIEW, REFERENCE, UPDATE
    update: str | None = None                            # TRACKING, VIEWSTAT

    @property
    def is_count(self) -> bool:
        return any(isinstance(f, Item) and isinstance(f.expr, Func) and f.expr.name == "COUNT" and not f.expr.args
                   for f in self.fields)

    @property
    def is_aggregate(self) -> bool:
        if self.group_kind:
            return True
        return any(isinstance(f, Item) and isinstance(f.expr, Func) and f.expr.contains_aggregate()
                   and not (f.expr.name == "COUNT" and not f.expr.args) for f in self.fields)


@dataclass
class Cmp:
    operand: Any    # list[str] path or Func
    op: str         # = != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES
    value: Any      # a literal, a list of literals or a Query (semi-join)


@dataclass
class BoolOp:
    op: str  # AND OR NOT
    args: list[Any]
