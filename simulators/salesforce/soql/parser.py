"""SOQL text -> a small AST, with lark (LALR, grammar in ``grammar.lark``).

Syntax errors become ``MalformedQuery`` with Salesforce's caret-style message. Semantic checks
(unknown objects and fields) happen in ``engine.py``, which knows the schema registry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import MalformedQuery

_PARSER = Lark(Path(__file__).with_name("grammar.lark").read_text(), parser="lalr", lexer="contextual",
               propagate_positions=False, maybe_placeholders=False)


@dataclass(frozen=True)
class DateLiteral:
    name: str  # upper case, e.g. LAST_N_DAYS
    n: int | None = None


@dataclass
class Query:
    sobject: str
    fields: list[Any]  # list[list[str]] paths, "COUNT()" or Query (child subquery)
    where: Any = None
    order: list[tuple[list[str], bool, bool]] = field(default_factory=list)  # (path, desc, nulls_last)
    limit: int | None = None
    offset: int | None = None

    @property
    def is_count(self) -> bool:
        return any(f == "COUNT()" for f in self.fields)


@dataclass
class Cmp:
    path: list[str]
    op: str  # = != < <= > >= LIKE IN NOT IN
    value: Any  # a literal, a list of literals or a Query (semi-join)


@dataclass
class BoolOp:
    op: str  # AND OR NOT
    args: list[Any]


def _unescape(raw: str) -> str:
    body = raw[1:-1]
    table = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in ("%", "_"):  # kept escaped for LIKE
                out.append("\\" + nxt)
            elif nxt in table:
                out.append(table[nxt])
            else:
                raise MalformedQuery(f"Invalid string literal {raw}. Illegal character sequence '\\{nxt}' in string literal.")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class _ToAst(Transformer):
    def start(self, items):
        return items[0]

    def _query(self, items, child: bool):
        fields, sobject = items[0], str(items[1])
        q = Query(sobject=sobject, fields=fields)
        for item in items[2:]:
            kind, value = item
            setattr(q, kind, value)
        return q

    def query(self, items):
        return self._query(items, False)

    def subquery(self, items):
        return self._query(items, True)

    def select_list(self, items):
        return list(items)

    def field_path(self, items):
        return [str(t) for t in items]

    def count_all(self, _):
        return "COUNT()"

    def child_query(self, items):
        return items[0]

    def where_clause(self, items):
        return ("where", items[0])

    def and_chain(self, items):
        return BoolOp("AND", list(items))

    def or_chain(self, items):
        return BoolOp("OR", list(items))

    def not_(self, items):
        return BoolOp("NOT", [items[0]])

    def compare(self, items):
        path, op, value = items
        op = "!=" if str(op) == "<>" else str(op)
        return Cmp(path, op, value)

    def like(self, items):
        return Cmp(items[0], "LIKE", _unescape(str(items[1])))

    def in_list(self, items):
        return Cmp(items[0], "IN", items[1])

    def not_in_list(self, items):
        return Cmp(items[0], "NOT IN", items[1])

    def in_semi(self, items):
        return Cmp(items[0], "IN", items[1])

    def not_in_semi(self, items):
        return Cmp(items[0], "NOT IN", items[1])

    def value_list(self, items):
        return list(items)

    @v_args(inline=True)
    def string(self, tok):
        return _unescape(str(tok)).replace("\\%", "%").replace("\\_", "_")

    @v_args(inline=True)
    def number(self, tok):
        return Decimal(str(tok))

    @v_args(inline=True)
    def datetime(self, tok):
        text = str(tok).replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", text):
            text = text[:-2] + ":" + text[-2:]
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise MalformedQuery(f"line 1:0 no viable alternative at character ' '\nvalue of filter criterion "
                                 f"'{tok}' is not a valid dateTime")

    @v_args(inline=True)
    def date(self, tok):
        try:
            return date.fromisoformat(str(tok))
        except ValueError:
            raise MalformedQuery(f"line 1:0 no viable alternative at character ' '\nvalue of filter criterion "
                                 f"'{tok}' is not a valid date")

    @v_args(inline=True)
    def date_literal(self, tok):
        text = str(tok).upper()
        if ":" in text:
            name, n = text.split(":")
            return DateLiteral(name, int(n))
        return DateLiteral(text)

    def true(self, _):
        return True

    def false(self, _):
        return False

    def null(self, _):
        return None

    def order_clause(self, items):
        return ("order", list(items))

    def order_item(self, items):
        path, desc, nulls_last = items[0], False, None
        for it in items[1:]:
            if isinstance(it, Token) and it.type == "DIRECTION":
                desc = str(it).upper() == "DESC"
            elif isinstance(it, tuple):
                nulls_last = it[1]
        if nulls_last is None:
            nulls_last = desc  # Salesforce: ASC -> NULLS FIRST, DESC -> NULLS LAST
        return (path, desc, nulls_last)

    def nulls(self, items):
        return ("nulls", str(items[0]).upper() == "LAST")

    def limit_clause(self, items):
        return ("limit", int(items[0]))

    def offset_clause(self, items):
        return ("offset", int(items[0]))


def _caret(text: str, line: int, column: int, message: str) -> str:
    lines = text.splitlines() or [text]
    src = lines[line - 1] if 0 < line <= len(lines) else text
    return f"\n{src}\n{' ' * max(column - 1, 0)}^\nERROR at Row:{line}:Column:{column}\n{message}"


@lru_cache(maxsize=512)
def _parse_cached(text: str) -> Query:
    try:
        tree = _PARSER.parse(text)
    except UnexpectedToken as exc:
        tok = exc.token
        what = "EOF" if tok.type == "$END" else f"'{tok}'"
        raise MalformedQuery(_caret(text, exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else len(text),
                                    f"unexpected token: {what}"))
    except UnexpectedCharacters as exc:
        raise MalformedQuery(_caret(text, exc.line, exc.column,
                                    f"line {exc.line}:{exc.column - 1} no viable alternative at character "
                                    f"'{text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ''}'"))
    except (UnexpectedEOF, UnexpectedInput) as exc:
        raise MalformedQuery(f"unexpected end of query: {exc}")
    try:
        return _ToAst().transform(tree)
    except VisitError as exc:   # a literal the grammar takes but the value rules refuse
        if isinstance(exc.orig_exc, MalformedQuery):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, (ValueError, ArithmeticError)):
            raise MalformedQuery(f"value of filter criterion is not valid: {exc.orig_exc}") from None
        raise


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise MalformedQuery("A query string must be provided")
    import copy
    return copy.deepcopy(_parse_cached(text.strip()))
