"""SOSL: ``FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS] [RETURNING Object(fields WHERE ... ORDER BY ...
LIMIT n), ...] [LIMIT n]`` and the ``parameterizedSearch`` form, over the SOQL engine.

Semantics (SOQL and SOSL Reference: sforce_api_calls_sosl_find.htm, _in.htm, _returning.htm;
REST API resources_search.htm, resources_search_parameterized.htm):
- the term's words must all occur (implicit AND); ``OR``, ``AND NOT`` and ``"quoted phrases"`` work;
  ``*`` matches any characters at the end or in the middle of a word, ``?`` one character; matching
  ignores case; a term needs at least two characters;
- the scope picks the fields searched: ALL (text, email, phone, URL and picklist fields), NAME (the
  name field), EMAIL, PHONE; without RETURNING every searchable object is searched and only ``Id``
  comes back;
- the answer is ``{"searchRecords": [records with attributes]}``; a malformed search is 400
  ``MALFORMED_SEARCH``.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .. import errors as E
from ..objects import SObject
from .ast import Item, Query
from .parser import parse_search

SCOPE_TYPES = {"ALL": ("string", "textarea", "email", "phone", "url", "picklist"), "EMAIL": ("email",),
               "PHONE": ("phone",), "SIDEBAR": ("string", "email", "phone")}


def _word_rx(word: str) -> re.Pattern:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in word)
    return re.compile(f"^{body}$", re.IGNORECASE)


def compile_term(term: str) -> Callable[[str], bool]:
    """A SOSL search term -> a test of one record's searchable text."""
    tokens = re.findall(r'"[^"]*"|\S+', term.replace("\\", ""))
    if len("".join(t.strip('"*?') for t in tokens)) < 2:
        raise E.SalesforceError("search term must be longer than one character", code="MALFORMED_SEARCH")
    clauses: list[list[tuple[bool, Callable[[str, set], bool]]]] = [[]]   # OR of ANDs of (negated, test)
    negate = False
    for tok in tokens:
        upper = tok.upper()
        if upper == "OR":
            clauses.append([])
            continue
        if upper == "AND":
            continue
        if upper == "NOT":
            negate = True
            continue
        if tok.startswith('"'):
            phrase = " ".join(tok.strip('"').lower().split())
            test = lambda text, words, p=phrase: p in text  # noqa: E731
        else:
            rx = _word_rx(tok)
            test = lambda text, words, rx=rx: any(rx.match(w) for w in words)  # noqa: E731
        clauses[-1].append((negate, test))
        negate = False

    def match(text: str) -> bool:
        low = " ".join(text.lower().split())
        words = set(re.findall(r"[\w@.'-]+", low)) | set(low.split())
        return any(c and all(t(low, words) != neg for neg, t in c) for c in clauses)
    return match


class Search:
    def __init__(self, engine):
        self.engine = engine

    def run(self, text: str, version: str = "59.0") -> dict[str, Any]:
        try:
            spec = parse_search(text)
        except E.MalformedQuery as exc:
            raise E.SalesforceError(exc.message, code="MALFORMED_SEARCH") from None
        return self.search(spec["term"], spec["scope"], spec["returning"], spec["limit"], version)

    def search(self, term: str, scope: str, returning: list[Query], limit: int | None,
               version: str = "59.0") -> dict[str, Any]:
        if scope not in ("ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR"):
            raise E.SalesforceError(f"Invalid search scope: {scope} FIELDS", code="MALFORMED_SEARCH")
        match = compile_term(term)
        if not returning:
            returning = [Query(sobject=o.name, fields=[Item(["Id"])]) for o in self.engine.registry.objects.values()
                         if o.queryable and not o.event and self.engine._may_read(o) and o.field("Name")]
        out: list[dict] = []
        for q in returning:
            engine = self.engine
            obj = engine._object(q.sobject)
            fields = self._searchable(obj, scope)
            hits = [r for r in engine.db.all(obj.name)
                    if fields and match(" ".join(str(r[f]) for f in fields if r.get(f) is not None))]
            rows = engine._select(obj, q, False, base=hits)
            projectors = engine._projectors(obj, q, engine._expand(obj, q), version, False, {})
            out.extend(engine._project(obj, r, projectors, version) for r in rows)
        if limit is not None:
            out = out[:limit]
        return {"searchRecords": out}

    def _searchable(self, obj: SObject, scope: str) -> list[str]:
        hidden = self.engine.db.security.hidden(obj.name) if self.engine.db.security else set()
        if scope == "NAME":
            names = [f.name for f in obj.fields.values() if f.name == "Name"]
        else:
            names = [f.name for f in obj.fields.values() if f.type in SCOPE_TYPES[scope]]
        return [n for n in names if n not in hidden]


def parameterized(engine, params: dict[str, Any], version: str = "59.0") -> dict[str, Any]:
    """``/parameterizedSearch``: ``q``, ``in``, ``sobjects`` [{name, fields?, limit?, where?}],
    ``fields`` (for every object), ``overallLimit`` (REST API resources_search_parameterized.htm)."""
    term = params.get("q")
    if not term or not isinstance(term, str):
        raise E.SalesforceError("Missing required parameter: q", code="MALFORMED_SEARCH")
    scope = str(params.get("in") or "ALL").upper()
    default_fields = params.get("fields") or ["Id"]
    returning = []
    for spec in params.get("sobjects") or []:
        if not isinstance(spec, dict) or not spec.get("name"):
            raise E.SalesforceError("each sobjects entry needs a name", code="MALFORMED_SEARCH")
        fields = spec.get("fields") or default_fields
        returning.append(Query(sobject=str(spec["name"]), fields=[Item(str(f).split(".")) for f in fields],
                               limit=int(spec["limit"]) if spec.get("limit") else None))
    limit = params.get("overallLimit")
    return Search(engine).search(term, scope, returning, int(limit) if limit else None, version)
