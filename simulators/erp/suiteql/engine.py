"""Evaluate a parsed SuiteQL query over the ERP's tables.

Supported: SELECT [DISTINCT] [TOP n] columns / expressions [AS alias] / * / COUNT(*)
FROM table [alias] [[INNER|LEFT [OUTER]] JOIN table alias ON cond]* [WHERE cond]
[ORDER BY expr [ASC|DESC], ...]; predicates = <> != < <= > >= IN, LIKE, IS [NOT] NULL, BETWEEN,
AND / OR / NOT, ||; functions BUILTIN.DF, TO_DATE, TO_TIMESTAMP, TO_CHAR, NVL, UPPER, LOWER,
COUNT(*). Anything else (GROUP BY, sub-queries, UNION, other functions) is a 400.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from ..errors import InvalidQuery
from .tables import TABLES

PARSER = Lark(Path(__file__).with_name("grammar.lark").read_text(), parser="lalr", maybe_placeholders=False)
MAX_LIMIT = 1000
MAX_RESULTS = 100_000
ORA_FORMATS = [("YYYY", "%Y"), ("HH24", "%H"), ("MM", "%m"), ("DD", "%d"), ("MI", "%M"), ("SS", "%S"),
               ("MON", "%b"), ("HH", "%I"), ("AM", "%p")]


def ora_to_strftime(fmt: str) -> str:
    out, i = "", 0
    while i < len(fmt):
        for ora, py in ORA_FORMATS:
            if fmt[i:i + len(ora)].upper() == ora:
                out += py
                i += len(ora)
                break
        else:
            out += fmt[i].replace('"', "")
            i += 1
    return out


def parse_temporal(text: str, fmt: str | None = None) -> datetime:
    try:
        if fmt:
            dt = datetime.strptime(text, ora_to_strftime(fmt))
        else:
            t = text.strip().replace("Z", "+00:00")
            try:
                dt = datetime.fromisoformat(t)
            except ValueError:
                dt = datetime.strptime(t, "%m/%d/%Y")
    except ValueError:
        raise InvalidQuery(f"Invalid date value {text!r}" + (f" for the format {fmt!r}" if fmt else ""))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _norm(v: Any) -> Any:
    """Comparable form: dates -> aware datetimes, numbers -> Decimal."""
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=timezone.utc)
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    return v


def _coerce_pair(a: Any, b: Any) -> tuple[Any, Any]:
    a, b = _norm(a), _norm(b)
    if isinstance(a, datetime) and isinstance(b, str):
        b = parse_temporal(b)
    elif isinstance(b, datetime) and isinstance(a, str):
        a = parse_temporal(a)
    elif isinstance(a, Decimal) and isinstance(b, str):
        try:
            b = Decimal(b)
        except InvalidOperation:
            a = str(a)
    elif isinstance(b, Decimal) and isinstance(a, str):
        try:
            a = Decimal(a)
        except InvalidOperation:
            b = str(b)
    return a, b


def compare(a: Any, op: str, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    a, b = _coerce_pair(a, b)
    try:
        return {"=": a == b, "<>": a != b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,
                ">=": a >= b}[op]
    except TypeError:
        raise InvalidQuery(f"Cannot compare {a!r} and {b!r}")


class Query:
    def __init__(self, tree: Tree, state):
        self.state = state
        self.tree = tree
        self.distinct = any(isinstance(c, Tree) and c.data == "distinct" for c in tree.children)
        self.top = None
        self.joins: list[tuple[str, str, str, Tree]] = []
        self.where = None
        self.order: list[tuple[Tree, bool]] = []
        self.select = None
        self.tables: dict[str, tuple[str, list[dict], set[str]]] = {}
        for c in tree.children:
            if not isinstance(c, Tree):
                continue
            if c.data == "top":
                self.top = int(c.children[0])
            elif c.data in ("star", "select_list"):
                self.select = c
            elif c.data == "table_ref":
                self.base = self._table(c)
            elif c.data == "join":
                kind = "inner"
                kids = list(c.children)
                if isinstance(kids[0], Tree) and kids[0].data in ("inner", "left"):
                    kind = kids.pop(0).data
                self.joins.append((kind, self._table(kids[0]), kids[1]))
            elif c.data == "where":
                self.where = c.children[0]
            elif c.data == "order":
                for item in c.children:
                    desc = len(item.children) > 1 and str(item.children[1]).upper() == "DESC"
                    self.order.append((item.children[0], desc))

    def _table(self, ref: Tree) -> str:
        name = str(ref.children[0]).lower()
        alias = str(ref.children[1]).lower() if len(ref.children) > 1 else name
        if name not in TABLES:
            raise InvalidQuery(f"Record '{name}' was not found.")
        rows = TABLES[name](self.state)
        cols = set().union(*(r.keys() for r in rows)) - {"_df"} if rows else set()
        self.tables[alias] = (name, rows, cols)
        return alias

    # ---- evaluation ------------------------------------------------------------------
    def _lookup(self, env: dict, node: Tree) -> tuple[str, str]:
        parts = [str(t).lower() for t in node.children]
        if len(parts) == 2:
            alias, col = parts
            if alias not in self.tables:
                raise InvalidQuery(f"Unknown identifier '{alias}'.")
            name, _, cols = self.tables[alias]
            if cols and col not in cols:
                raise InvalidQuery(f"Field '{col}' for record '{name}' was not found.")
            return alias, col
        col = parts[0]
        owners = [a for a, (_, _, cols) in self.tables.items() if col in cols]
        if len(owners) > 1:
            raise InvalidQuery(f"Column '{col}' is ambiguous.")
        if not owners:
            if any(not cols for _, _, cols in self.tables.values()):
                return next(iter(self.tables)), col
            raise InvalidQuery(f"Field '{col}' for record '{self.tables[next(iter(self.tables))][0]}' was not found.")
        return owners[0], col

    def ev(self, node: Any, env: dict) -> Any:
        if isinstance(node, Token):
            return str(node)
        d = node.data
        if d == "column":
            alias, col = self._lookup(env, node)
            row = env.get(alias)
            return None if row is None else row.get(col)
        if d == "string":
            return str(node.children[0])[1:-1].replace("''", "'")
        if d == "number":
            return Decimal(str(node.children[0]))
        if d == "null":
            return None
        if d == "or_":
            vals = [self.ev(c, env) for c in node.children]
            return True if any(v is True for v in vals) else (None if None in vals else False)
        if d == "and_":
            vals = [self.ev(c, env) for c in node.children]
            return False if any(v is False for v in vals) else (None if None in vals else True)
        if d == "not_":
            v = self.ev(node.children[0], env)
            return None if v is None else not v
        if d == "compare":
            return compare(self.ev(node.children[0], env), str(node.children[1]), self.ev(node.children[2], env))
        if d == "in_":
            kids = list(node.children)
            neg = isinstance(kids[1], Token) and kids[1].type == "NOT"
            left = self.ev(kids[0], env)
            values = [self.ev(c, env) for c in kids[(2 if neg else 1):]]
            hit = any(compare(left, "=", v) for v in values)
            return None if left is None else (not hit if neg else hit)
        if d == "like":
            kids = list(node.children)
            neg = isinstance(kids[1], Token) and kids[1].type == "NOT"
            left, pattern = self.ev(kids[0], env), self.ev(kids[-1], env)
            if left is None or pattern is None:
                return None
            rx = "^" + "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern) + "$"
            hit = re.match(rx, str(left), re.S) is not None
            return not hit if neg else hit
        if d == "is_null":
            neg = len(node.children) > 1
            v = self.ev(node.children[0], env)
            return (v is not None) if neg else (v is None)
        if d == "between":
            kids = list(node.children)
            neg = isinstance(kids[1], Token) and kids[1].type == "NOT"
            v, lo, hi = [self.ev(c, env) for c in (kids[0], kids[-2], kids[-1])]
            ok = compare(v, ">=", lo) and compare(v, "<=", hi)
            return None if ok is None else (not ok if neg else ok)
        if d == "concat":
            vals = [self.ev(c, env) for c in node.children]
            return "".join("" if v is None else fmt_value(v) for v in vals)
        if d == "func":
            return self.func(node, env)
        raise InvalidQuery("Invalid or unsupported search.")

    def func(self, node: Tree, env: dict) -> Any:
        kids = list(node.children)
        names = []
        while kids and isinstance(kids[0], Token) and kids[0].type == "NAME":
            names.append(str(kids.pop(0)).upper())
        name = ".".join(names)
        if name == "BUILTIN.DF":
            if len(kids) != 1 or not isinstance(kids[0], Tree) or kids[0].data != "column":
                raise InvalidQuery("BUILTIN.DF takes one field.")
            alias, col = self._lookup(env, kids[0])
            row = env.get(alias)
            if row is None:
                return None
            return row.get("_df", {}).get(col, row.get(col))
        if name == "COUNT":
            raise InvalidQuery("COUNT is supported only as the whole select list, e.g. SELECT COUNT(*) FROM ...")
        args = [self.ev(k, env) for k in kids]
        if name in ("TO_DATE", "TO_TIMESTAMP"):
            if not args or args[0] is None:
                return None
            if isinstance(args[0], (date, datetime)):
                return args[0]
            return parse_temporal(str(args[0]), str(args[1]) if len(args) > 1 else None)
        if name == "TO_CHAR":
            if not args or args[0] is None:
                return None
            v = _norm(args[0])
            if isinstance(v, datetime) and len(args) > 1:
                return v.strftime(ora_to_strftime(str(args[1])))
            return fmt_value(args[0])
        if name == "NVL":
            return args[0] if args[0] is not None else (args[1] if len(args) > 1 else None)
        if name in ("UPPER", "LOWER"):
            return None if args[0] is None else (str(args[0]).upper() if name == "UPPER" else str(args[0]).lower())
        raise InvalidQuery(f"Unknown function {name}.")

    # ---- run ------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        envs = [{self.base: r} for r in self.tables[self.base][1]]
        for kind, alias, cond in self.joins:
            right = self.tables[alias][1]
            out = []
            for env in envs:
                matched = False
                for r in right:
                    e2 = {**env, alias: r}
                    if self.ev(cond, e2) is True:
                        out.append(e2)
                        matched = True
                if not matched and kind == "left":
                    out.append({**env, alias: None})
            envs = out
        if self.where is not None:
            envs = [e for e in envs if self.ev(self.where, e) is True]
        if self.order:
            def cmp(a, b):
                for expr, desc in self.order:
                    x, y = self.ev(expr, a), self.ev(expr, b)
                    if x == y:
                        continue
                    if x is None:
                        return 1          # NULLs last ascending, first descending (Oracle)
                    if y is None:
                        return -1
                    x, y = _coerce_pair(x, y)
                    r = -1 if x < y else (1 if x > y else 0)
                    if r:
                        return -r if desc else r
                return 0
            envs.sort(key=cmp_to_key(cmp))
        return envs

    def project(self, envs: list[dict]) -> list[dict]:
        if self.select.data == "star":
            out = []
            for env in envs:
                row: dict = {}
                for alias in reversed(list(self.tables)):
                    r = env.get(alias) or {}
                    row.update({k: v for k, v in r.items() if k != "_df"})
                out.append(row)
            return out
        items = self.select.children
        if len(items) == 1 and _is_count(items[0].children[0]):
            name = _alias(items[0]) or "expr1"
            return [{name: Decimal(len(envs))}]
        out = []
        for env in envs:
            row = {}
            for n, item in enumerate(items, start=1):
                expr = item.children[0]
                name = _alias(item) or (str(expr.children[-1]).lower() if expr.data == "column" else f"expr{n}")
                row[name] = self.ev(expr, env)
            out.append(row)
        if self.distinct:
            seen, uniq = set(), []
            for r in out:
                key = tuple(sorted((k, fmt_value(v)) for k, v in r.items()))
                if key not in seen:
                    seen.add(key)
                    uniq.append(r)
            out = uniq
        return out


def _alias(item: Tree) -> str | None:
    if len(item.children) > 1:
        tok = item.children[1].children[0]
        return str(tok).strip('"').lower()
    return None


def _is_count(expr: Any) -> bool:
    return isinstance(expr, Tree) and expr.data == "func" and str(expr.children[0]).upper() == "COUNT"


def fmt_value(v: Any) -> Any:
    """SuiteQL's JSON: dates in the account's short date format (M/D/YYYY), T/F booleans."""
    if isinstance(v, datetime):
        return f"{v.month}/{v.day}/{v.year}"
    if isinstance(v, date):
        return f"{v.month}/{v.day}/{v.year}"
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, int):
        return str(v)
    return v


def run_query(state, q: str, limit: int, offset: int) -> tuple[list[dict], int]:
    if not isinstance(q, str) or not q.strip():
        raise InvalidQuery("The query is empty.")
    try:
        tree = PARSER.parse(q.strip().rstrip(";"))
    except LarkError as exc:
        line = getattr(exc, "line", None)
        col = getattr(exc, "column", None)
        where = f" (near line {line}, column {col})" if line else ""
        raise InvalidQuery(f"Invalid or unsupported search{where}.")
    with state.store.lock:
        query = Query(tree, state)
        envs = query.rows()
        rows = query.project(envs)
    if query.top is not None:
        rows = rows[:query.top]
    rows = rows[:MAX_RESULTS]
    page = rows[offset:offset + limit]
    return [{k: fmt_value(v) for k, v in r.items() if v is not None} for r in page], len(rows)
