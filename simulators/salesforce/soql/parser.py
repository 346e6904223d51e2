"""SOQL text -> the syntax tree of ``ast.py``, with lark (LALR, grammar in ``grammar.lark``).

Syntax errors become ``MalformedQuery`` with Salesforce's caret-style message. Semantic checks
(unknown objects, fields and functions, grouping rules) happen in the engine, which knows the schema.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import MalformedQuery
from .ast import BoolOp, Cmp, DateLiteral, Func, Item, Money, Query, TypeOf
from .shapes import MARK, bind, shape_of

__all__ = ["parse", "Query", "Cmp", "BoolOp", "DateLiteral", "Func", "Item", "Money", "TypeOf"]

# cache=True: lark keeps the built LALR tables in the temp directory, keyed by the grammar, the options
# and lark's version, so each process after the first loads them instead of building them (~80 ms)
_PARSER = Lark(Path(__file__).with_name("grammar.lark").read_text(), parser="lalr", lexer="contextual",
               propagate_positions=False, maybe_placeholders=False, start=["start", "search"], cache=True)

# Quoted string escapes (SOQL and SOSL Reference, "Quoted String Escape Sequences",
# sforce_api_calls_soql_select_quotedstringescapes.htm): \n \r \t \b \f in either case, \" \' \\,
# \uXXXX, and \_ \% (kept escaped: they only mean something to LIKE). Any other backslash is an error.
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    body = raw[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in ("%", "_"):
                out.append("\\" + nxt)
            elif nxt in ("'", '"', "\\") or nxt.lower() in "nrtbf":
                out.append(_ESCAPES[nxt.lower()])
            elif nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", body[i + 2:i + 6]):
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            else:
                raise MalformedQuery(f"Invalid string literal {raw}. Illegal character sequence '\\{nxt}' in "
                                     f"string literal.")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _invalid(tok, kind: str) -> MalformedQuery:
    return MalformedQuery(f"line 1:0 no viable alternative at character ' '\nvalue of filter criterion '{tok}' "
                          f"is not a valid {kind}")


class _Conditions:
    """WHERE / HAVING conditions and literal values (a part of ``_ToAst``)."""

    def and_chain(self, items):
        return BoolOp("AND", list(items))

    def or_chain(self, items):
        return BoolOp("OR", list(items))

    def not_(self, items):
        return BoolOp("NOT", [items[0]])

    def compare(self, items):
        operand, op, value = items
        return Cmp(operand, "!=" if str(op) == "<>" else str(op), value)

    def like(self, items):
        return Cmp(items[0], "LIKE", items[1])

    def in_list(self, items):
        return Cmp(items[0], "IN", items[1])

    in_semi = in_list

    def not_in_list(self, items):
        return Cmp(items[0], "NOT IN", items[1])

    not_in_semi = not_in_list

    def includes(self, items):
        return Cmp(items[0], "INCLUDES", items[1])

    def excludes(self, items):
        return Cmp(items[0], "EXCLUDES", items[1])

    def value_list(self, items):
        return list(items)

    @v_args(inline=True)
    def string(self, tok):
        return _RawString(_unescape(str(tok)))

    @v_args(inline=True)
    def number(self, tok):
        return Decimal(str(tok))

    @v_args(inline=True)
    def currency(self, tok):
        text = str(tok)
        return Money(text[:3], Decimal(text[3:]))

    @v_args(inline=True)
    def datetime(self, tok):
        text = str(tok).replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", text):
            text = text[:-2] + ":" + text[-2:]
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise _invalid(tok, "dateTime")

    @v_args(inline=True)
    def date(self, tok):
        try:
            return date.fromisoformat(str(tok))
        except ValueError:
            raise _invalid(tok, "date")

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


class _ToAst(_Conditions, Transformer):
    def start(self, items):
        return items[0]

    def _query(self, items):
        q = Query(sobject=items[1], fields=items[0])
        for item in items[2:]:
            kind, value = item
            if kind in ("with_", "for_"):
                getattr(q, kind).append(value)
            elif kind == "group":
                q.group_kind, q.group = value
            else:
                setattr(q, kind, value)
        if isinstance(q.sobject, Token):
            q.sobject = str(q.sobject)
        return q

    query = subquery = _query

    def alias(self, items):
        return ("alias", str(items[0]))

    def select_list(self, items):
        return list(items)

    def field_path(self, items):
        return [str(t) for t in items]

    def field_item(self, items):
        return Item(items[0], items[1][1] if len(items) > 1 else None)

    def func_item(self, items):
        return Item(items[0], items[1][1] if len(items) > 1 else None)

    def func(self, items):
        return Func(str(items[0]).upper(), [a for a in items[1:] if a is not None])

    def child_query(self, items):
        return items[0]

    def typeof(self, items):
        whens = [i for i in items[1:] if i[0] == "when"]
        other = [i[1] for i in items[1:] if i[0] == "else"]
        return TypeOf(items[0], [(w[1], w[2]) for w in whens], other[0] if other else None)

    def when_clause(self, items):
        return ("when", str(items[0]), items[1])

    def else_clause(self, items):
        return ("else", items[0])

    def field_list(self, items):
        return list(items)

    def scope_clause(self, items):
        return ("scope", str(items[0]).lower())

    def where_clause(self, items):
        return ("where", items[0])

    def having_clause(self, items):
        return ("having", items[0])

    def with_mode(self, items):
        return ("with_", str(items[0]).upper())

    def with_data_category(self, items):
        return ("with_", "DATA CATEGORY")

    def category_filter(self, items):
        return None

    def group_plain(self, items):
        return ("group", ("PLAIN", items[0]))

    def group_rollup(self, items):
        return ("group", ("ROLLUP", items[0]))

    def group_cube(self, items):
        return ("group", ("CUBE", items[0]))

    def group_list(self, items):
        return list(items)

    def order_clause(self, items):
        return ("order", list(items))

    def order_item(self, items):
        expr, desc, nulls_last = items[0], False, None
        for it in items[1:]:
            if isinstance(it, Token) and it.type == "DIRECTION":
                desc = str(it).upper() == "DESC"
            elif isinstance(it, tuple):
                nulls_last = it[1]
        if nulls_last is None:
            nulls_last = desc  # Salesforce: ASC -> NULLS FIRST, DESC -> NULLS LAST
        return (expr, desc, nulls_last)

    def nulls(self, items):
        return ("nulls", str(items[0]).upper() == "LAST")

    def limit_clause(self, items):
        return ("limit", int(items[0]))

    def offset_clause(self, items):
        return ("offset", int(items[0]))

    def for_clause(self, items):
        return ("for_", str(items[0]).upper())

    def update_clause(self, items):
        what = str(items[0]).upper()
        if what not in ("TRACKING", "VIEWSTAT"):
            raise MalformedQuery(f"unexpected token: '{items[0]}'")
        return ("update", what)


    # ---- SOSL (search.py) ----
    def search(self, items):
        out = {"term": str(items[0])[1:-1], "scope": "ALL", "returning": [], "limit": None}
        for kind, value in items[1:]:
            out[kind] = value
        return out

    def search_in(self, items):
        return ("scope", str(items[0]).upper())

    def returning(self, items):
        return ("returning", list(items))

    def returning_object(self, items):
        q = Query(sobject=str(items[0]), fields=items[1] if len(items) > 1 else [Item(["Id"])])
        for kind, value in items[2:]:
            setattr(q, kind, value)
        return q


class _RawString(str):
    """A string literal as written (LIKE keeps its \\% and \\_ escapes); ``plain`` drops them."""

    @property
    def plain(self) -> str:
        return self.replace("\\%", "%").replace("\\_", "_")


def _caret(text: str, line: int, column: int, message: str) -> str:
    lines = text.splitlines() or [text]
    src = lines[line - 1] if 0 < line <= len(lines) else text
    return f"\n{src}\n{' ' * max(column - 1, 0)}^\nERROR at Row:{line}:Column:{column}\n{message}"


@lru_cache(maxsize=512)
def _parse_cached(text: str, start: str = "start") -> Any:
    try:
        tree = _PARSER.parse(text, start=start)
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


def _is_mark(value: Any) -> bool:
    return type(value) is _RawString and value[:1] == MARK


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> Query:
    """Parsed once per shape (``shapes.py``), the literals bound per text; a shape that does not
    parse is the query's own error, in its own words (the text parsed as it is)."""
    shaped = shape_of(text)
    if shaped is None:
        return _parse_cached(text)
    shape, literals = shaped
    try:
        tree = _parse_cached(shape)
    except Exception:
        return _parse_cached(text)
    # unescaped in text order: the first bad escape is the one the whole-text parse would name
    return bind(tree, [_RawString(_unescape(raw)) for raw in literals], _is_mark)


def parse(text: str) -> Query:
    """The query's syntax tree, shared by every run of the same text (and its shape's parts by every
    query of that shape): the engine only reads it, so callers must not change it."""
    if not text or not text.strip():
        raise MalformedQuery("A query string must be provided")
    return _parse_text(text.strip())


def parse_search(text: str) -> dict:
    """SOSL text -> {term, scope, returning: [Query], limit}; shared like ``parse``'s tree (read only)."""
    if not text or not text.strip():
        raise MalformedQuery("A search string must be provided")
    return _parse_cached(text.strip(), "search")
