"""SuiteQL (Oracle dialect) -> SQLite, on sqlglot's syntax tree.

sqlglot parses the query as Oracle and writes it as SQLite (NVL/NVL2/DECODE become COALESCE/CASE,
FETCH FIRST and TOP become LIMIT, ORDER BY gets Oracle's NULLS LAST / NULLS FIRST, the Oracle (+)
outer join becomes a LEFT JOIN). This module rewrites what has no SQLite equivalent: SYSDATE (the
simulated clock), date functions and date arithmetic, exact sums, ROWNUM, BUILTIN.DF/CONSOLIDATE,
``*`` (without the display companions), and names the answer's columns as NetSuite does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError

from ..errors import InvalidQuery
from .functions import is_temporal, parse_temporal
from .tables import ID_COLUMNS, TABLES, TEMPORAL_COLUMNS

DF = "__df"
COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
# Functions SuiteQL documents (docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_158513731864.html)
# that sqlglot does not model itself; any other unknown function is refused, as SuiteQL refuses it
ORACLE_FUNCS = frozenset({"TO_DATE", "TO_TIMESTAMP", "TO_NUMBER", "LAST_DAY", "MONTHS_BETWEEN", "NEXT_DAY",
                          "INITCAP", "LPAD", "RPAD", "LTRIM", "RTRIM", "REPLACE", "TRANSLATE", "MOD", "SIGN",
                          "INSTR", "NULLIF", "GREATEST", "LEAST", "CONCAT"})
TEMPORAL_FUNCS = {"o2c_to_date", "o2c_to_date_py", "o2c_add_months", "o2c_date_add", "o2c_date_sub"}


class Lite(SQLite):
    """SQLite with every identifier in backquotes: a double-quoted name that is no column would
    otherwise be read by SQLite as a string (its "DQS" quirk) instead of failing."""

    class Tokenizer(SQLite.Tokenizer):
        IDENTIFIERS = ["`"]


@dataclass
class Plan:
    sql: str
    tables: set[str]
    names: list[str] = field(default_factory=list)   # output column names, in order
    ids: list[bool] = field(default_factory=list)     # output columns answered as id strings


def _call(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=[a for a in args if a is not None])


def _to_date(value: exp.Expression, fmt: exp.Expression | None = None, py: bool = False) -> exp.Expression:
    """TO_DATE / TO_TIMESTAMP: of literals, read now (a bad date is refused even if no row is read)."""
    if isinstance(value, exp.Literal) and value.is_string and (fmt is None or isinstance(fmt, exp.Literal)):
        return exp.Literal.string(parse_temporal(value.this, fmt.this if fmt is not None else None, py_fmt=py))
    if fmt is None:
        return _call("o2c_to_date", value)
    return _call("o2c_to_date_py" if py else "o2c_to_date", value, fmt)


def parse(q: str) -> exp.Expression:
    try:
        trees = sqlglot.parse(q, read="oracle")
    except SqlglotError as exc:
        raise InvalidQuery(f"Invalid or unsupported search ({str(exc).splitlines()[0][:200]}).")
    if len(trees) != 1 or trees[0] is None:
        raise InvalidQuery("One SELECT statement per query.")
    tree = trees[0]
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        raise InvalidQuery("Only SELECT statements are supported.")
    return tree


class Rewriter:
    """One query's rewrite. ``columns``/``display`` describe the tables (Mirror's catalogue)."""

    def __init__(self, now: str, columns, display):
        self.now = now
        self.used_now = False       # whether the last run put SYSDATE (the simulated now) in the SQL
        self.columns = columns      # callable: table -> list of columns
        self.display = display      # callable: table -> set of columns with a display value

    def run(self, q: str) -> Plan:
        self.used_now = False
        tree = parse(q)
        tree = transforms.eliminate_join_marks(tree)
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        tables = set()
        for t in tree.find_all(exp.Table):
            name = t.name.lower()
            if name in ctes:
                continue
            if t.args.get("db") or name not in TABLES:
                raise InvalidQuery(f"Record '{t.sql('oracle')}' was not found.")
            tables.add(name)
        for sel in list(tree.find_all(exp.Select)):
            self._star(sel)
        plan = Plan("", tables)
        self._name_outputs(tree, plan)
        for node in reversed(list(tree.walk(bfs=False))):
            self._node(node)
        for sel in list(tree.find_all(exp.Select)):
            self._rownum(sel)
        plan.sql = tree.sql(dialect=Lite, identify=True)
        return plan

    # ---- node rewrites (children first) ----------------------------------------------------------
    def _node(self, node: exp.Expression) -> None:
        new = self._rewrite(node)
        if new is not None and new is not node:
            node.replace(new)

    def _rewrite(self, n: exp.Expression) -> Any:
        if isinstance(n, exp.Dot) and isinstance(n.this, exp.Identifier) and n.this.name.upper() == "BUILTIN":
            return self._builtin(n)
        if isinstance(n, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentDatetime)) or \
                isinstance(n, exp.Column) and not n.table and n.name.upper() in ("SYSDATE", "CURRENT_DATE"):
            self.used_now = True
            return exp.Literal.string(self.now)
        if isinstance(n, exp.AddMonths):
            return _call("o2c_add_months", n.this, n.expression)
        if isinstance(n, exp.DateTrunc):
            return _call("o2c_trunc", n.this, n.args.get("unit"))
        if isinstance(n, exp.Trunc):
            return _call("o2c_trunc", n.this, n.args.get("decimals"))
        if isinstance(n, exp.ToChar):
            return _call("o2c_to_char", n.this, n.args.get("format"))
        if isinstance(n, (exp.StrToDate, exp.StrToTime)):
            fmt = n.args.get("format")
            return _to_date(n.this, fmt, py=True) if fmt is not None else _to_date(n.this)
        if isinstance(n, (exp.TsOrDsToDate, exp.TsOrDsToTimestamp)):
            return _to_date(n.this)
        if isinstance(n, exp.Anonymous) and n.name.upper() in ("TO_DATE", "TO_TIMESTAMP"):
            return _to_date(*n.expressions[:2])
        if isinstance(n, exp.Anonymous) and n.name.upper() not in ORACLE_FUNCS and not n.name.startswith("o2c_") \
                and not isinstance(n.parent, exp.Dot):
            raise InvalidQuery(f"Unknown function {n.name.upper()}.")
        if isinstance(n, exp.Sum):
            return _call("o2c_sum", n.this)
        if isinstance(n, exp.Avg):
            return _call("o2c_avg", n.this)
        if isinstance(n, exp.DPipe):     # Oracle: NULL in a concatenation is the empty string
            return exp.DPipe(this=exp.Coalesce(this=n.this, expressions=[exp.Literal.string("")]),
                             expression=exp.Coalesce(this=n.expression, expressions=[exp.Literal.string("")]))
        if isinstance(n, (exp.Add, exp.Sub)) and (self._temporal(n.this) or self._temporal(n.expression)):
            return _call("o2c_date_add" if isinstance(n, exp.Add) else "o2c_date_sub", n.this, n.expression)
        if isinstance(n, COMPARISONS):
            self._date_literals(n, [n.left, n.right])
        elif isinstance(n, exp.Between):
            self._date_literals(n, [n.this, n.args.get("low"), n.args.get("high")])
        elif isinstance(n, exp.In):
            self._date_literals(n, [n.this, *n.expressions])
        return None

    def _builtin(self, n: exp.Dot) -> exp.Expression:
        fn = n.expression
        name = fn.name.upper() if isinstance(fn, (exp.Anonymous, exp.Func)) else ""
        args = list(fn.expressions) if isinstance(fn, exp.Anonymous) else [fn.this] if fn.this else []
        if name == "CONSOLIDATE" and args:
            return args[0]          # single currency, single subsidiary: the amount as it is
        if name == "DF" and len(args) == 1 and isinstance(args[0], exp.Column):
            col = args[0]
            table = self._table_of(n, col)
            if table and col.name.lower() in self.display(table):
                return exp.column(col.name.lower() + DF, table=col.table or None)
            return col
        raise InvalidQuery(f"Unsupported function BUILTIN.{name or fn.sql('oracle')}.")

    def _table_of(self, node: exp.Expression, col: exp.Column) -> str | None:
        sel = node.find_ancestor(exp.Select)
        if sel is None:
            return None
        sources = [sel.args.get("from_") or sel.args.get("from")] + list(sel.args.get("joins") or [])
        for src in sources:
            t = src.this if src is not None else None
            if not isinstance(t, exp.Table):
                continue
            name = t.name.lower()
            if name not in TABLES:
                continue
            alias = (t.alias or t.name).lower()
            if col.table and col.table.lower() == alias:
                return name
            if not col.table and col.name.lower() in (c.lower() for c in self.columns(name)):
                return name
        return None

    def _temporal(self, n: exp.Expression | None) -> bool:
        if isinstance(n, exp.Column):
            return n.name.lower() in TEMPORAL_COLUMNS
        if isinstance(n, exp.Literal):
            return n.is_string and is_temporal(n.this)
        if isinstance(n, exp.Anonymous):
            return n.name.lower() in TEMPORAL_FUNCS or (n.name.lower() == "o2c_trunc" and bool(n.expressions)
                                                            and self._temporal(n.expressions[0]))
        if isinstance(n, exp.Paren):
            return self._temporal(n.this)
        return False

    def _date_literals(self, n: exp.Expression, operands: list) -> None:
        if not any(self._temporal(o) for o in operands if o is not None):
            return
        for o in operands:
            if isinstance(o, exp.Literal) and o.is_string and not is_temporal(o.this):
                o.replace(_call("o2c_to_date", o.copy()))

    # ---- per SELECT ------------------------------------------------------------------------------
    def _rownum(self, sel: exp.Select) -> None:
        for col in list(sel.find_all(exp.Column)):
            if col.table or col.name.upper() != "ROWNUM" or col.find_ancestor(exp.Select) is not sel:
                continue
            parent = col.parent
            if col.find_ancestor(exp.Where) is not None:
                cap = _rownum_cap(parent, col)
                if cap is None:
                    raise InvalidQuery("ROWNUM is supported in WHERE as ROWNUM <= n, ROWNUM < n or ROWNUM = 1.")
                _drop_conjunct(sel, parent)
                lim = sel.args.get("limit")
                old = int(lim.expression.this) if isinstance(lim, exp.Limit) and lim.expression.is_int else None
                sel.limit(min(cap, old) if old is not None else cap, copy=False)
            else:
                col.replace(exp.Window(this=exp.RowNumber()))

    def _star(self, sel: exp.Select) -> None:
        sources = []
        for src in [sel.args.get("from_") or sel.args.get("from")] + list(sel.args.get("joins") or []):
            t = src.this if src is not None else None
            if isinstance(t, exp.Table) and t.name.lower() in TABLES:
                sources.append(((t.alias or t.name).lower(), t.name.lower()))
            else:
                sources.append((None, None))
        out = []
        for e in sel.expressions:
            target = None
            if isinstance(e, exp.Star):
                target = [s for s in sources]
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                target = [s for s in sources if s[0] == e.table.lower()]
            if not target or any(s[1] is None for s in target):
                out.append(e)
                continue
            for alias, table in target:
                out.extend(exp.column(c, table=alias) for c in self.columns(table))
        sel.set("expressions", out)

    def _name_outputs(self, tree: exp.Expression, plan: Plan) -> None:
        first = tree
        while isinstance(first, exp.SetOperation):
            first = first.this
        selects = [tree] if isinstance(tree, exp.Select) else list(tree.find_all(exp.Select))
        for sel in selects:
            if sel.find_ancestor(exp.Select) is not None or sel.find_ancestor(exp.Subquery) is not None:
                continue
            named = []
            for i, e in enumerate(sel.expressions, start=1):
                inner = e.this if isinstance(e, exp.Alias) else e
                if isinstance(e, exp.Alias):
                    name = e.alias.lower()
                elif isinstance(e, exp.Column) and not isinstance(e.this, exp.Star):
                    name = e.name.lower()
                else:
                    name = f"expr{i}"
                is_id = isinstance(inner, exp.Column) and inner.name.lower() in ID_COLUMNS
                if isinstance(inner, exp.Star) or (isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)):
                    named.append(e)
                    if sel is first:
                        plan.names.append("*")
                        plan.ids.append(False)
                    continue
                named.append(exp.alias_(inner, exp.to_identifier(name, quoted=True)))
                if sel is first:
                    plan.names.append(name)
                    plan.ids.append(is_id)
            sel.set("expressions", named)


def _rownum_cap(cmp: exp.Expression, col: exp.Column) -> int | None:
    if not isinstance(cmp, (exp.LTE, exp.LT, exp.EQ)):
        return None
    other = cmp.right if cmp.left is col else cmp.left
    if not (isinstance(other, exp.Literal) and other.is_int) or cmp.left is not col:
        return None
    n = int(other.this)
    if isinstance(cmp, exp.EQ):
        return 1 if n == 1 else 0
    return n if isinstance(cmp, exp.LTE) else max(n - 1, 0)


def _drop_conjunct(sel: exp.Select, cmp: exp.Expression) -> None:
    """Take ``ROWNUM <= n`` out of the WHERE clause (it became a LIMIT)."""
    node, parent = cmp, cmp.parent
    while isinstance(parent, exp.Paren):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Where):
        sel.set("where", None)
    elif isinstance(parent, exp.And):
        parent.replace(parent.right if parent.left is node else parent.left)
    else:
        raise InvalidQuery("ROWNUM must be a condition of its own in WHERE (joined with AND).")
