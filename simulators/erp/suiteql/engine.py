"""Run a SuiteQL query: sqlglot rewrites it to SQLite (rewrite.py), SQLite runs it over the ERP's
records (mirror.py), and the answer takes SuiteQL's JSON shape.

The answer, as the fake has always given it: lower-case column names, ``expr1…`` for unaliased
expressions, NULL columns left out, dates in the account's short format ``M/D/YYYY``, booleans
``T``/``F``, internal ids as strings, amounts and counts as JSON numbers.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import InvalidQuery
from .functions import canon, is_temporal, number, short_date
from .mirror import mirror_of
from .rewrite import Rewriter

MAX_LIMIT = 1000
MAX_RESULTS = 100_000
MAX_QUERY = 100_000      # characters


def answer_value(v: Any, is_id: bool) -> Any:
    if isinstance(v, str):
        return short_date(v) if is_temporal(v) else v
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, int):
        return str(v) if is_id else Decimal(v)
    if isinstance(v, float):
        return number(v)
    return v


def run_query(state, q: str, limit: int, offset: int) -> tuple[list[dict], int]:
    if not isinstance(q, str) or not q.strip():
        raise InvalidQuery("The query is empty.")
    if len(q) > MAX_QUERY:
        raise InvalidQuery(f"The query is longer than {MAX_QUERY} characters.")
    with state.store.lock:
        mirror = mirror_of(state)
        now, text = canon(state.now()), q.strip().rstrip(";")
        rewriter = Rewriter(now, lambda t: mirror.columns.get(t) or _catalogue(t),
                            lambda t: mirror.display.get(t, set()))
        # the first pass names the tables; once they are built, the second sees their custom columns
        built = mirror.rebuilds
        plan = mirror.plans.get(text, built, now)
        if plan is None:
            plan = rewriter.run(text)
            mirror.plans.put(text, built, now, rewriter.used_now, plan)
        mirror.sync(plan.tables)
        if mirror.rebuilds != built:
            plan = rewriter.run(text)
            mirror.plans.put(text, mirror.rebuilds, now, rewriter.used_now, plan)
        names, rows = mirror.execute(plan.sql)
    ids = _id_flags(plan, names)
    total = min(len(rows), MAX_RESULTS)
    page = rows[offset:min(offset + limit, total)]
    out = []
    for row in page:
        item = {}
        for name, is_id, v in zip(names, ids, row):
            if v is not None:
                item[name.lower()] = answer_value(v, is_id)
        out.append(item)
    return out, total


def _catalogue(table: str) -> list[str]:
    from .tables import COLUMNS
    return list(COLUMNS[table])


def _id_flags(plan, names: list[str]) -> list[bool]:
    """Which answer columns are ids; a ``*`` over a sub-query goes by the column's name."""
    from .tables import ID_COLUMNS
    if "*" not in plan.names and len(plan.names) == len(names):
        return plan.ids
    return [n.lower() in ID_COLUMNS for n in names]
