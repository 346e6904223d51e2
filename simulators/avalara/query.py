"""AvaTax list queries: ``$filter`` (developer.avalara.com/avatax/filtering-in-rest: eq ne gt lt ge
le and their symbols, contains, startswith, in, and/or, parentheses), ``$top``, ``$skip``,
``$orderBy`` and the ``FetchResult`` envelope ``{"@recordsetCount", "value"}``.

Field names and string values compare case-insensitively (AvaTax stores normalised data and its
SQL collation ignores case); a field the records do not have is refused. A bad filter is AvaTax's
error: OpenClauseException (unbalanced parentheses), ExpectedConjunctionError (two clauses with no
and/or), ModelStateInvalid (anything else it cannot read)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .errors import AvaTaxError

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op><>|!=|>=|<=|=|>|<)|(?P<punct>[(),])"
                    r"|(?P<word>[^\s(),'<>=!]+))")
_OPS = {"eq": "eq", "=": "eq", "ne": "ne", "<>": "ne", "!=": "ne", "gt": "gt", ">": "gt", "ge": "ge", ">=": "ge",
        "lt": "lt", "<": "lt", "le": "le", "<=": "le", "contains": "contains", "startswith": "startswith", "in": "in"}
Pred = Callable[[dict[str, Any]], bool]


def _bad(text: str, why: str) -> AvaTaxError:
    return AvaTaxError("ModelStateInvalid", "Error parsing $filter.", f"The $filter value '{text}' is invalid: {why}.",
                       refers_to="$filter")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _bad(text, f"unexpected character at position {pos}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    if sum(1 for k, v in out if v == "(") != sum(1 for k, v in out if v == ")"):
        raise AvaTaxError("OpenClauseException", "Error parsing $filter.",
                          f"The $filter value '{text}' had an uneven number of open parenthesis '(' and close "
                          "parenthesis ')'.  Please check your query and try again.", refers_to="$filter")
    return out


def _literal(kind: str, value: str) -> Any:
    if kind == "str":
        return value[1:-1].replace("''", "'")
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return value


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    return str(value).lower()


def _compare(op: str, have: Any, want: Any) -> bool:
    if op == "in":
        return any(_compare("eq", have, w) for w in want)
    a, b = _norm(have), _norm(want)
    if op in ("contains", "startswith"):
        return a is not None and (str(b) in str(a) if op == "contains" else str(a).startswith(str(b)))
    if isinstance(a, Decimal) and isinstance(b, str):
        try:
            b = Decimal(b)
        except InvalidOperation:
            return op == "ne"
    if isinstance(b, Decimal) and isinstance(a, str):
        a_num = None
        try:
            a_num = Decimal(a)
        except InvalidOperation:
            pass
        if a_num is None:
            return op == "ne"
        a = a_num
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if a is None or b is None or isinstance(a, bool) != isinstance(b, bool):
        return False
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


class _Parser:
    def __init__(self, text: str, fields: set[str] | None):
        self.text, self.fields = text, fields
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _bad(self.text, "it ends too early")
        self.i += 1
        return tok

    def parse(self) -> Pred:
        pred = self.expr()
        if self.peek() is not None:
            if self.peek()[1] == ")":
                raise _bad(self.text, "unexpected ')'")
            raise AvaTaxError("ExpectedConjunctionError", "The filter was missing a conjunction",
                              "Use one of the conjunctions 'AND', 'OR' to join filter clauses", refers_to="$filter")
        return pred

    def expr(self) -> Pred:
        left = self.term()
        while self.peek() and self.peek()[1].lower() == "or":
            self.take()
            right, prev = self.term(), left
            left = lambda r, a=prev, b=right: a(r) or b(r)  # noqa: E731
        return left

    def term(self) -> Pred:
        left = self.factor()
        while self.peek() and self.peek()[1].lower() == "and":
            self.take()
            right, prev = self.factor(), left
            left = lambda r, a=prev, b=right: a(r) and b(r)  # noqa: E731
        return left

    def factor(self) -> Pred:
        kind, value = self.take()
        if value == "(":
            inner = self.expr()
            if self.take()[1] != ")":
                raise _bad(self.text, "expected ')'")
            return inner
        if kind != "word":
            raise _bad(self.text, f"expected a field name, not {value}")
        field = value.lower()
        if self.fields is not None and field not in self.fields:
            raise _bad(self.text, f"'{value}' is not a field that can be filtered")
        _, op_text = self.take()
        op = _OPS.get(op_text.lower())
        if op is None:
            raise _bad(self.text, f"'{op_text}' is not a filter operation")
        if op == "in":
            if self.take()[1] != "(":
                raise _bad(self.text, "'in' needs a list in parentheses")
            values = []
            while True:
                k, v = self.take()
                values.append(_literal(k, v))
                sep = self.take()[1]
                if sep == ")":
                    break
                if sep != ",":
                    raise _bad(self.text, "expected ',' or ')' in the 'in' list")
            want: Any = values
        else:
            k, v = self.take()
            if v in ("(", ")", ","):
                raise _bad(self.text, f"expected a value after '{op_text}'")
            want = _literal(k, v)
        return lambda r, f=field, o=op, w=want: _compare(o, r.get(f), w)


def _lowered(record: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in record.items()}


def apply(records: list[dict[str, Any]], args: dict[str, str]) -> dict[str, Any]:
    """Filter, order and page ``records`` by the request's ``$filter``/``$orderBy``/``$top``/``$skip``."""
    rows = [(_lowered(r), r) for r in records]
    text = (args.get("$filter") or "").strip()
    if text:
        fields = set().union(*(low.keys() for low, _ in rows)) if rows else None
        pred = _Parser(text, fields).parse()
        rows = [(low, r) for low, r in rows if pred(low)]
    order = (args.get("$orderby") or "").strip()
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        key = name.lower()
        if rows and key not in rows[0][0]:
            raise AvaTaxError("ModelStateInvalid", f"The $orderBy field '{name}' is not a field of these records.",
                              refers_to="$orderBy")
        rows.sort(key=lambda lr: (lr[0].get(key) is None, _norm(lr[0].get(key)) if lr[0].get(key) is not None else 0),
                  reverse=direction.strip().lower() == "desc")
    top, skip = _count(args, "$top", 1000), _count(args, "$skip", 0)
    page = [r for _, r in rows[skip:skip + top]]
    return {"@recordsetCount": len(rows), "value": page}


def _count(args: dict[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    if not str(raw).isdecimal():
        raise AvaTaxError("ModelStateInvalid", f"The value '{raw}' is not valid for {name}.", refers_to=name)
    return int(raw) or default if name == "$top" else int(raw)
