"""Stripe's Search query language (docs.stripe.com/search#search-query-language), parsed with lark.

A query is up to 10 clauses joined by ``AND`` or by ``OR`` (not both: Stripe refuses a mix). A clause is
``field:value`` (exact; case-insensitive for strings), ``field~value`` (substring, at least 3 characters),
``field>N``/``<``/``>=``/``<=`` (numbers and ``created``), optionally negated with a leading ``-``.
Fields are plain names, dotted paths (``billing_details.address.postal_code``) or ``metadata['key']``.
Values are single- or double-quoted strings, numbers, or ``null`` (the field has no value).
"""
from __future__ import annotations

from typing import Any, Callable

from lark import Lark, Transformer, UnexpectedInput

from .errors import InvalidRequest

GRAMMAR = r"""
?start: query
query: clause (CONJ clause)*
clause: NEG? field OP value
NEG: "-"
CONJ: /(?i:AND|OR)(?=\s)/
field: METADATA "[" STRING "]"   -> metadata
     | NAME ("." NAME)*          -> path
METADATA.2: "metadata"
OP: ":" | "~" | ">=" | "<=" | ">" | "<"
value: STRING -> string
     | NUMBER -> number
     | "null" -> null
NAME: /[a-z_][a-z0-9_]*/
NUMBER: /-?[0-9]+(\.[0-9]+)?/
STRING: /'(?:[^'\\]|\\.)*'/ | /"(?:[^"\\]|\\.)*"/
%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", cache=True)   # built tables kept in the temp directory (see soql/parser.py)

# docs.stripe.com/search#query-fields-for-<resource>
FIELDS: dict[str, set[str]] = {
    "customers": {"created", "email", "metadata", "name", "phone"},
    "invoices": {"created", "currency", "customer", "last_finalization_error_code", "last_finalization_error_type",
                 "metadata", "number", "receipt_number", "status", "subscription", "total"},
    "payment_intents": {"amount", "created", "currency", "customer", "metadata", "status"},
    "charges": {"amount", "billing_details.address.postal_code", "created", "currency", "customer", "disputed",
                "metadata", "payment_method_details.card.last4", "payment_method_details.card.brand",
                "payment_method_details.card.exp_month", "payment_method_details.card.exp_year", "refunded", "status"},
    "prices": {"active", "currency", "lookup_key", "metadata", "product", "type"},
    "products": {"active", "description", "metadata", "name", "shipping", "url"},
}
NUMERIC = {"created", "amount", "total", "payment_method_details.card.exp_month", "payment_method_details.card.exp_year"}
MAX_CLAUSES = 10


class _Build(Transformer):
    def string(self, items):
        raw = str(items[0])[1:-1]
        return raw.replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")

    def number(self, items):
        return str(items[0])

    def null(self, _):
        return None

    def metadata(self, items):
        return ("metadata", self.string([items[1]]))

    def path(self, items):
        return (".".join(str(i) for i in items), None)

    def clause(self, items):
        neg = len(items) == 4
        (name, key), op, value = items[-3], str(items[-2]), items[-1]
        return {"negate": neg, "field": name, "key": key, "op": op, "value": value}

    def query(self, items):
        clauses = [i for i in items if isinstance(i, dict)]
        conj = {str(i).upper() for i in items if not isinstance(i, dict)}
        return clauses, conj


def _syntax(query: str, exc: UnexpectedInput | None = None) -> InvalidRequest:
    where = f" at position {exc.column - 1}" if exc is not None and getattr(exc, "column", -1) > 0 else ""
    return InvalidRequest(f"There is a syntax error in your search query{where}: {query!r}. See "
                          "https://stripe.com/docs/search#search-query-language for the query syntax.", param="query")


def compile_query(resource: str, query: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate over stored objects; Stripe's 400s for syntax errors and unsupported fields."""
    try:
        clauses, conj = _Build().transform(_PARSER.parse(query))
    except UnexpectedInput as exc:
        raise _syntax(query, exc) from None
    if len(conj) > 1:
        raise InvalidRequest("Search queries may not combine `AND` and `OR` clauses.", param="query")
    if len(clauses) > MAX_CLAUSES:
        raise InvalidRequest(f"Search queries may have at most {MAX_CLAUSES} clauses.", param="query")
    tests = [_clause(resource, c) for c in clauses]
    if conj == {"OR"}:
        return lambda obj: any(t(obj) for t in tests)
    return lambda obj: all(t(obj) for t in tests)


def _clause(resource: str, c: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    field, op, want = c["field"], c["op"], c["value"]
    if field not in FIELDS[resource]:
        raise InvalidRequest(f"Field `{field}` is an unsupported search field for resource `{resource}`. See "
                             f"http://stripe.com/docs/search#query-fields-for-{resource.replace('_', '-')} for a "
                             "list of supported fields.", param="query")
    if op in ("<", ">", "<=", ">=") and field not in NUMERIC:
        raise InvalidRequest(f"The `{op}` operator is not supported for field `{field}`.", param="query")
    if op == "~" and (want is None or len(want) < 3):
        raise InvalidRequest("Substring matches (`~`) need a value of at least 3 characters.", param="query")
    if op in ("<", ">", "<=", ">="):
        try:
            bound = float(want)
        except (TypeError, ValueError):
            raise InvalidRequest(f"The value for `{field}` must be a number.", param="query") from None
    key = c["key"]

    def get(obj: dict[str, Any]) -> Any:
        if key is not None:
            return (obj.get("metadata") or {}).get(key)
        value: Any = obj
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def test(obj: dict[str, Any]) -> bool:
        have = get(obj)
        if op == ":":
            if want is None:
                hit = have in (None, "")
            elif isinstance(have, bool):
                hit = str(have).lower() == want.lower()
            elif have is None:
                hit = False
            else:
                hit = str(have).lower() == want.lower()
        elif op == "~":
            hit = have is not None and want.lower() in str(have).lower()
        else:
            if have is None:
                return False
            hit = {"<": have < bound, ">": have > bound, "<=": have <= bound, ">=": have >= bound}[op]
        return hit != c["negate"]
    return test
