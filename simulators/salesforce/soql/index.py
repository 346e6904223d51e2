"""Lookups by ``Id`` and by external-id / unique fields without a scan of the table.

An ``Id`` is the table's own key. A field index (lower-cased value, or the 15-character key of an
id, -> record keys) serves external ids and the lookup fields of child subqueries; it is built
on first use and rebuilt when the table changed since: the database bumps the table's count in
``generations`` on every write and undo, and a reset or a snapshot restore replaces the table itself. Candidates are checked
against the record again, so an index is never trusted over the data.
"""
from __future__ import annotations

from typing import Any

from simulators.core.ids import sf_id_key


class Indexes:
    def __init__(self, db):
        self.db = db
        self._built: dict[tuple[str, str], tuple[Any, int, int, dict[str, list[str]]]] = {}

    def lookup(self, sobject: str, field: str, values: list[str], include_deleted: bool) -> list[dict] | None:
        """The live (and, with ``include_deleted``, deleted) records whose ``field`` equals one of
        ``values`` (case-insensitively); None when there is no index for that field."""
        db = self.db
        with db.store.lock:
            table = db.table(sobject)
            deleted = db.data["deleted"][sobject] if include_deleted else {}
            if field == "Id":
                keys = [k for k in (sf_id_key(v) for v in values) if k]
                out = [table[k] for k in dict.fromkeys(keys) if k in table]
                return out + [deleted[k]["record"] for k in dict.fromkeys(keys) if k in deleted]
            if include_deleted:
                return None
            ids = db.registry.get(sobject).field(field).type in ("id", "reference")
            index = self._index(sobject, field, table, ids)
            wanted = {_norm(v, ids) for v in values}
            out = []
            for k in dict.fromkeys(k for w in wanted for k in index.get(w, ())):
                rec = table.get(k)
                if rec is not None and rec.get(field) is not None and _norm(rec[field], ids) in wanted:
                    out.append(rec)
            return out

    def _index(self, sobject: str, field: str, table: dict, ids: bool) -> dict[str, list[str]]:
        hit = self._built.get((sobject, field))
        generation = self.db.generations.get(sobject, 0)
        if hit and hit[0] is table and hit[1] == generation and hit[2] == len(table):
            return hit[3]
        index: dict[str, list[str]] = {}
        for k, rec in table.items():
            v = rec.get(field)
            if v is not None:
                index.setdefault(_norm(v, ids), []).append(k)
        self._built[(sobject, field)] = (table, generation, len(table), index)
        return index


def _norm(value: Any, ids: bool) -> str:
    """Ids compare on their 15-character key; other values case-insensitively, as SOQL compares them."""
    text = str(value)
    return (sf_id_key(text) if ids else None) or text.lower()
