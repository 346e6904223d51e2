"""The ERP's records as tables of an in-memory SQLite database, rebuilt lazily.

Every write to the ERP's state holds its store lock, and the lock counts its entries
(``core.store.CountingRLock``). A query takes the lock once: if nobody else has entered it since the
last query (and the state was not replaced by a reset or restore), the tables are current;
otherwise every table is marked stale and only the tables the query reads are rebuilt. Queries
between writes (the usual polling) cost no rebuild at all.
"""
from __future__ import annotations

import sqlite3
import weakref
from typing import Any

from ..errors import InvalidQuery
from .functions import AGGREGATES, SCALARS, to_sql
from .tables import COLUMNS, ID_COLUMNS, TABLES

DF = "__df"                  # suffix of a column's display-value companion (BUILTIN.DF)
INDEXED = ("id", "entity", "transaction", "createdfrom", "revenueplan", "source", "type", "externalid")


def _id(v: Any) -> Any:
    if isinstance(v, str) and v.isdigit() and len(v) < 19:
        return int(v)
    return v


class Mirror:
    def __init__(self, state):
        self.state = state
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA case_sensitive_like = ON")     # Oracle's LIKE is case-sensitive
        self.udf_error: InvalidQuery | None = None
        for name, (nargs, fn) in SCALARS.items():
            self.db.create_function(name, nargs, self._guard(fn), deterministic=True)
        for name, (nargs, cls) in AGGREGATES.items():
            self.db.create_aggregate(name, nargs, cls)
        self.columns: dict[str, list[str]] = {}     # table -> its columns (display companions apart)
        self.display: dict[str, set[str]] = {}      # table -> columns with a BUILTIN.DF companion
        self.fresh: set[str] = set()
        self._seen: tuple[int, int] | None = None
        self.rebuilds = 0                           # tables built since start (benchmarks read it)

    def _guard(self, fn):
        def call(*args):
            try:
                return fn(*args)
            except InvalidQuery as exc:
                self.udf_error = exc
                raise
        return call

    def sync(self, tables: set[str]) -> None:
        """Called with the store lock held: make ``tables`` current."""
        lock = self.state.store.lock
        seen = (id(self.state.store.data), lock.entries)
        if self._seen is None or seen[0] != self._seen[0] or seen[1] != self._seen[1] + 1:
            self.fresh.clear()
        for name in sorted(tables - self.fresh):
            self._build(name)
            self.fresh.add(name)
        self._seen = seen

    def _build(self, name: str) -> None:
        rows = TABLES[name](self.state)
        cols = list(COLUMNS[name])
        known = set(cols)
        shown: dict[str, None] = {}
        for r in rows:
            for k in r:
                if k not in known and k != "_df":
                    known.add(k)
                    cols.append(k)
            for k in r.get("_df", ()):
                shown[k] = None
        for k in shown:
            if k not in known:
                known.add(k)
                cols.append(k)
        every = cols + [c + DF for c in shown]
        decl = ", ".join(f'"{c}" {"INTEGER" if c in ID_COLUMNS else ""}'.rstrip() for c in cols)
        decl += "".join(f', "{c}{DF}"' for c in shown)
        self.db.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.db.execute(f'CREATE TABLE "{name}" ({decl})')

        def values(r: dict) -> tuple:
            df = r.get("_df") or {}
            out = [(_id(r.get(c)) if c in ID_COLUMNS else to_sql(r.get(c))) for c in cols]
            out += [to_sql(df.get(c)) for c in shown]
            return tuple(out)

        marks = ", ".join("?" * len(every))
        self.db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', map(values, rows))
        for c in INDEXED:
            if c in known:
                self.db.execute(f'CREATE INDEX "ix_{name}_{c}" ON "{name}" ("{c}")')
        self.columns[name] = cols
        self.display[name] = set(shown)
        self.rebuilds += 1

    def execute(self, sql: str) -> tuple[list[str], list[tuple]]:
        self.udf_error = None
        try:
            cur = self.db.execute(sql)
            rows = cur.fetchall()
        except sqlite3.Error as exc:
            if self.udf_error is not None:
                raise self.udf_error
            raise InvalidQuery(_explain(str(exc)))
        return [d[0] for d in cur.description or ()], rows


def _explain(msg: str) -> str:
    if msg.startswith("no such column: "):
        return f"Unknown identifier '{msg[16:].replace(chr(34), '')}'."   # NetSuite's wording for an unknown field
    if msg.startswith("ambiguous column name: "):
        return f"Column '{msg[23:]}' is ambiguous."
    return msg[:1].upper() + msg[1:] + "."


_MIRRORS: "weakref.WeakKeyDictionary[Any, Mirror]" = weakref.WeakKeyDictionary()


def mirror_of(state) -> Mirror:
    m = _MIRRORS.get(state)
    if m is None:
        m = _MIRRORS[state] = Mirror(state)
    return m
