"""The ERP's records as tables of an in-memory SQLite database, kept current lazily.

Every write to the ERP's state holds its store lock, and the lock counts its entries
(``core.store.CountingRLock``). A query takes the lock once: if nobody else has entered it since the
last query (and the state was not replaced by a reset or restore), the tables are current and cost
nothing. Otherwise the small tables (customers, items, periods) are rebuilt when read, and the
record-by-record tables (transactions and their lines, revenue elements and plans) have only the
rows of the records changed since replaced: every change of a record is noted in the store's change
log (``state/changes.py``: ``stamp``, ``register``, deletion). Each record's rows keep a fixed
rowid, (record type, the record's place among its type, line), so rows come out in the order a full
build gives them. A full build happens on first use, after a reset or restore, when the change log
overflowed, when a record brings a column the table lacks, or when a customer's name or an item's
id changed (other tables show them through ``BUILTIN.DF``).

``O2C_SUITEQL_VERIFY=1`` checks every incremental update against a full build (slow; for tests).
"""
from __future__ import annotations

import os
import sqlite3
import weakref
from itertools import islice
from typing import Any

from ..errors import InvalidQuery
from ..state.base import ITEM_TYPES
from ..state.changes import changes_of
from .functions import AGGREGATES, SCALARS, to_sql
from .plans import Plans
from .tables import COLUMNS, ID_COLUMNS, PER_RECORD, TABLES

DF = "__df"                  # suffix of a column's display-value companion (BUILTIN.DF)
INDEXED = ("id", "entity", "transaction", "createdfrom", "revenueplan", "source", "type", "externalid")
TYPE_SHIFT, SEQ_SHIFT = 48, 20   # rowid = type index << 48 | the record's place << 20 | its row
MAX_SEQ, MAX_ROWS = 1 << (TYPE_SHIFT - SEQ_SHIFT), 1 << SEQ_SHIFT
MAX_STALE = 5_000                # more changed records than this: a full build is cheaper


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
        self.shown: dict[str, list[str]] = {}       # table -> display companions, in column order
        self.fresh: set[str] = set()
        self.stale: dict[str, set[str]] = {}        # fresh record-by-record table -> ids changed since
        self.places: dict[str, list[dict[str, int]]] = {}   # table -> per record type: id -> place
        self.next_place: dict[str, list[int]] = {}          # table -> per record type: the next place
        self.names: dict[tuple[str, str], Any] = {}  # ("customer"|"item", id) -> what BUILTIN.DF shows of it
        self._seen: tuple[int, int] | None = None
        self.rebuilds = 0                           # tables built since start (benchmarks read it)
        self.updates = 0                            # records whose rows were replaced
        self.verify = os.environ.get("O2C_SUITEQL_VERIFY") == "1"
        self.plans = Plans()                        # recent queries' rewritten SQL (engine.py)

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
        store = self.state.store
        seen = (id(store.data), store.lock.entries)
        log = changes_of(store)
        if self._seen is None or seen[0] != self._seen[0]:
            log.take()
            self._forget()
        elif seen[1] != self._seen[1] + 1:
            changed, overflow = log.take()
            if overflow or self._names_changed(changed):
                self._forget()
            else:
                self.fresh &= set(self.stale)       # the small tables are rebuilt when read
                for name in self.fresh:
                    self.stale[name] |= changed
        for name in sorted(tables):
            if name not in self.fresh:
                self._build(name)
                self.fresh.add(name)
            elif self.stale.get(name):
                self._update(name)
        self._seen = seen

    def _forget(self) -> None:
        self.fresh.clear()
        self.stale.clear()
        self.names = self._all_names()

    def _all_names(self) -> dict[str, Any]:
        names = {("customer", cid): (c.get("companyName") or c.get("entityId"))
                 for cid, c in self.state.records("customer").items()}
        for t in ITEM_TYPES:
            names.update((("item", iid), it.get("itemId")) for iid, it in self.state.records(t).items())
        return names

    def _names_changed(self, changed: set[str]) -> bool:
        """Whether a changed record is a customer or item whose shown name changed (noting the new one)."""
        moved = False
        customers = self.state.records("customer")
        for rid in changed:       # ids are unique within a family only: a customer's id may be an item's too
            shown = []
            if rid in customers:
                shown.append((("customer", rid), customers[rid].get("companyName") or customers[rid].get("entityId")))
            shown += [(("item", rid), self.state.records(t)[rid].get("itemId"))
                      for t in ITEM_TYPES if rid in self.state.records(t)]
            for key, now in shown:
                if key in self.names and self.names[key] != now:
                    moved = True
                self.names[key] = now
        return moved

    def _values(self, name: str, r: dict) -> tuple:
        df = r.get("_df") or {}
        out = [(_id(r.get(c)) if c in ID_COLUMNS else to_sql(r.get(c))) for c in self.columns[name]]
        out += [to_sql(df.get(c)) for c in self.shown[name]]
        return tuple(out)

    def _placed_rows(self, name: str) -> list[tuple[int, dict]] | None:
        """A record-by-record table's rows with their rowids (and the places noted), or None if too big."""
        types, rows_of = PER_RECORD[name]
        self.places[name] = places = []
        self.next_place[name] = []
        out = []
        for ti, t in enumerate(types):
            mine: dict[str, int] = {}
            places.append(mine)
            self.next_place[name].append(len(self.state.records(t)) + 1)
            for place, (rid, rec) in enumerate(self.state.records(t).items(), 1):
                mine[rid] = place
                base = ti << TYPE_SHIFT | place << SEQ_SHIFT
                rows = rows_of(self.state, t, rec)
                if len(rows) >= MAX_ROWS or place >= MAX_SEQ:
                    return None
                out.extend((base + k, r) for k, r in enumerate(rows))
        return out

    def _update(self, name: str) -> None:
        """Replace the rows of the records changed since the table was current (or build it afresh)."""
        changed = self.stale[name]
        if len(changed) > MAX_STALE:
            return self._build(name)
        types, rows_of = PER_RECORD[name]
        known, shown = set(self.columns[name]) | {"_df"}, set(self.shown[name])
        gone: list[tuple[int, int]] = []
        new: list[tuple[int, dict]] = []
        for ti, t in enumerate(types):
            recs, mine = self.state.records(t), self.places[name][ti]
            redo: list[str] = []
            added: list[str] = []
            for rid in changed:
                if rid in mine:
                    base = ti << TYPE_SHIFT | mine[rid] << SEQ_SHIFT
                    gone.append((base, base + MAX_ROWS - 1))
                    if rid in recs:
                        redo.append(rid)
                    else:
                        del mine[rid]
                elif rid in recs:
                    added.append(rid)
            if added:     # new records are the newest of their type's dict: they keep its order
                tail = list(islice(reversed(recs), len(added)))[::-1]
                if set(tail) != set(added):
                    return self._build(name)
                for rid in tail:
                    mine[rid] = self.next_place[name][ti]
                    self.next_place[name][ti] += 1
                redo += tail
            for rid in redo:
                rows = rows_of(self.state, t, recs[rid])
                if len(rows) >= MAX_ROWS or mine[rid] >= MAX_SEQ or \
                        any(not r.keys() <= known or not (r.get("_df") or {}).keys() <= shown for r in rows):
                    return self._build(name)
                base = ti << TYPE_SHIFT | mine[rid] << SEQ_SHIFT
                new.extend((base + k, r) for k, r in enumerate(rows))
        self.db.executemany(f'DELETE FROM "{name}" WHERE rowid BETWEEN ? AND ?', gone)
        self.db.executemany(self._insert_placed(name), ((rowid,) + self._values(name, r) for rowid, r in new))
        self.updates += len(changed)
        changed.clear()
        if self.verify:
            self.check(name)

    def _insert_placed(self, name: str) -> str:
        every = self.columns[name] + [c + DF for c in self.shown[name]]
        return (f'INSERT INTO "{name}" (rowid, {", ".join(f"{chr(34)}{c}{chr(34)}" for c in every)}) '
                f'VALUES (?{", ?" * len(every)})')

    def check(self, name: str) -> None:
        """Raise AssertionError unless ``name`` holds what a full build would put in it, in the same order."""
        rows = TABLES[name](self.state)
        want = [self._values(name, r) for r in rows]
        got = [tuple(r[1:]) for r in self.db.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid')]
        assert got == want, f"SuiteQL table {name} differs from a full build: {len(got)} rows vs {len(want)}"

    def _build(self, name: str) -> None:
        placed = self._placed_rows(name) if name in PER_RECORD else None
        rows = [r for _, r in placed] if placed is not None else TABLES[name](self.state)
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
        self.columns[name] = cols
        self.shown[name] = list(shown)
        self.display[name] = set(shown)
        if placed is not None:
            self.db.executemany(self._insert_placed(name),
                                ((rowid,) + self._values(name, r) for rowid, r in placed))
            self.stale[name] = set()
        else:
            marks = ", ".join("?" * len(every))
            self.db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', (self._values(name, r) for r in rows))
            self.stale.pop(name, None)
        for c in INDEXED:
            if c in known:
                self.db.execute(f'CREATE INDEX "ix_{name}_{c}" ON "{name}" ("{c}")')
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
