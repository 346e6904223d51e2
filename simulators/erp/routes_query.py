"""Record-collection filtering (``GET /record/v1/{type}?q=...``) and SuiteQL (``POST /query/v1/suiteql``).

``q`` follows Oracle's "Record Collection Filtering" (docs.oracle.com/en/cloud/saas/netsuite/
ns-online-help/section_1545222128.html): conditions ``field OPERATOR value(s)`` joined by AND / OR,
parentheses for precedence; string operators compare case-insensitively (N/query), every operator
has a ``_NOT`` form; values are bare or double-quoted, several as ``[a, b]`` or ``a, b``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .errors import InvalidQuery, NetSuiteError
from .routes import COLLECTION, Call, answer, page, paging
from .suiteql import run_query

QUERY = "/services/rest/query/v1/suiteql"
_TOKEN = re.compile(r'\s*(\(|\)|\[|\]|,|"(?:[^"\\]|\\.)*"|[^\s()\[\],]+)')
NO_VALUE = {"EMPTY"}
TWO_VALUES = {"BETWEEN", "WITHIN"}
MANY_VALUES = {"ANY_OF"}
STRING_OPS = {"CONTAIN", "START_WITH", "END_WITH"}
NUMBER_OPS = {"EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "BETWEEN", "WITHIN"}
DATE_OPS = {"AFTER", "BEFORE", "ON", "ON_OR_AFTER", "ON_OR_BEFORE"}
OPERATORS = NO_VALUE | TWO_VALUES | MANY_VALUES | STRING_OPS | NUMBER_OPS | DATE_OPS | {"IS"}
Filter = Callable[[dict], bool]


def parse_filter(q: str) -> Filter:
    tokens = _tokens(q)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise InvalidQuery(f"Unexpected end of the query {q!r}.")
        pos += 1
        return tokens[pos - 1]

    def expr() -> Filter:
        parts = [term()]
        while (peek() or "").upper() == "OR":
            take()
            parts.append(term())
        return parts[0] if len(parts) == 1 else (lambda r, ps=parts: any(p(r) for p in ps))

    def term() -> Filter:
        parts = [factor()]
        while (peek() or "").upper() == "AND":
            take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else (lambda r, ps=parts: all(p(r) for p in ps))

    def factor() -> Filter:
        if peek() == "(":
            take()
            inner = expr()
            if take() != ")":
                raise InvalidQuery(f"Missing ')' in {q!r}.")
            return inner
        field = take()
        op = take().upper()
        negate = op.endswith("_NOT") and op != "EMPTY_NOT" or op == "EMPTY_NOT"
        base = op[:-4] if negate else op
        if base not in OPERATORS:
            raise InvalidQuery(f"Unknown operator {op} in {q!r}.")
        values = [] if base in NO_VALUE else values_after()
        want = 2 if base in TWO_VALUES else None if base in MANY_VALUES else 0 if base in NO_VALUE else 1
        if want is not None and len(values) != want:
            raise InvalidQuery(f"The operator {op} takes {want} value(s); got {len(values)} in {q!r}.")
        check = condition(field, base, values)
        return (lambda r: not check(r)) if negate else check

    def values_after() -> list[str]:
        bracket = peek() == "["
        if bracket:
            take()
        vals = [_unquote(take())]
        while peek() == ",":
            take()
            vals.append(_unquote(take()))
        if bracket and take() != "]":
            raise InvalidQuery(f"Missing ']' in {q!r}.")
        return vals

    result = expr()
    if pos != len(tokens):
        raise InvalidQuery(f"Unexpected {tokens[pos]!r} in {q!r}.")
    return result


def _tokens(q: str) -> list[str]:
    out, i = [], 0
    q = q.strip()
    while i < len(q):
        m = _TOKEN.match(q, i)
        if not m:
            raise InvalidQuery(f"Cannot read the query {q!r}.")
        out.append(m.group(1))
        i = m.end()
    return out


def _unquote(tok: str) -> str:
    if tok in ("(", ")", "[", "]", ","):
        raise InvalidQuery(f"A value was expected, not {tok!r}.")
    return re.sub(r'\\(.)', r'\1', tok[1:-1]) if tok.startswith('"') else tok


def _field(rec: dict, name: str) -> Any:
    if name in rec:
        return rec[name]
    low = name.lower()
    for k, v in rec.items():
        if k.lower() == low:
            return v
    return None


def _number(v: Any) -> Decimal | None:
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def _date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v)
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)   # N/query's M/D/YYYY
    try:
        return date(int(m[3]), int(m[1]), int(m[2])) if m else date.fromisoformat(s[:10])
    except ValueError:
        return None


def condition(field: str, op: str, values: list[str]) -> Filter:
    if op in DATE_OPS:
        wanted = _date(values[0])
        if wanted is None:
            raise InvalidQuery(f"Invalid date value {values[0]!r} for {field}.")
        cmp = {"AFTER": lambda d: d > wanted, "BEFORE": lambda d: d < wanted, "ON": lambda d: d == wanted,
               "ON_OR_AFTER": lambda d: d >= wanted, "ON_OR_BEFORE": lambda d: d <= wanted}[op]

        def by_date(rec: dict) -> bool:
            d = _date(_field(rec, field)) if _field(rec, field) is not None else None
            return d is not None and cmp(d)
        return by_date
    if op in ("GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "BETWEEN", "WITHIN"):
        nums = [_number(v) for v in values]
        if any(n is None for n in nums):
            raise InvalidQuery(f"Invalid number value in {values!r} for {field}.")
        cmpn = {"GREATER": lambda n: n > nums[0], "GREATER_OR_EQUAL": lambda n: n >= nums[0],
                "LESS": lambda n: n < nums[0], "LESS_OR_EQUAL": lambda n: n <= nums[0],
                "BETWEEN": lambda n: nums[0] <= n <= nums[1], "WITHIN": lambda n: nums[0] <= n <= nums[1]}[op]

        def by_number(rec: dict) -> bool:
            n = _number(_field(rec, field)) if _field(rec, field) is not None else None
            return n is not None and cmpn(n)
        return by_number
    if op == "EMPTY":
        return lambda rec: _field(rec, field) in (None, "", [], {})
    if op == "ANY_OF":
        wanted_set = {p.strip() for v in values for p in v.split(",")}
        return lambda rec: str(_field(rec, field)) in wanted_set
    needle = values[0]
    if op == "EQUAL":
        n = _number(needle)
        return lambda rec: (_number(_field(rec, field)) == n) if n is not None and _number(_field(rec, field)) \
            is not None else str(_field(rec, field)) == needle
    low = needle.lower()
    if op == "IS":
        def is_(rec: dict) -> bool:
            v = _field(rec, field)
            if isinstance(v, bool):
                return v == (low in ("true", "t"))
            return v is not None and str(v).lower() == low
        return is_
    test = {"CONTAIN": lambda s: low in s, "START_WITH": lambda s: s.startswith(low),
            "END_WITH": lambda s: s.endswith(low)}[op]
    return lambda rec: _field(rec, field) is not None and test(str(_field(rec, field)).lower())


# ---- SuiteQL ---------------------------------------------------------------------------------
def suiteql(call: Call) -> tuple:
    if "transient" not in call.header("Prefer").lower():
        raise NetSuiteError("Invalid request header: the 'Prefer: transient' header is required for SuiteQL.",
                            path="Prefer", code="INVALID_HEADER")
    limit, offset = paging(call, multiple=False)
    body = call.json()
    if "q" not in body:
        raise InvalidQuery("The request body must contain the q property.")
    items, total = run_query(call.state, body["q"], limit, offset)
    return answer(page(call, [{"links": [], **it} for it in items], total, limit, offset, {}), COLLECTION)


def table(state) -> list[tuple[str, str, str, Callable]]:
    return [("POST", QUERY, "suiteql.query", suiteql)]
