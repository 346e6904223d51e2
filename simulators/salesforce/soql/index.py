"""Lookups by ``Id`` and by external-id / unique / lookup fields without a scan of the table.

An ``Id`` is the table's own key. A field index (lower-cased value, or the 15-character key of an
id, -> record keys in table order) serves external ids, unique-value checks, the lookup fields of
child subqueries and the business rules' child look-ups. It is built on first use and then kept up
to date from the database's per-table log of written record keys (``Database.touched``: every
write and undo appends the record's key), so a write costs the index one entry, not a rebuild. A
reset or a snapshot restore replaces the table, and a log that grew long is started afresh: either
way the index is rebuilt once. An entry may be stale (the record changed or went); candidates are
always checked against the record itself, so an index is never trusted over the data, only never
allowed to miss a record.
"""
from __future__ import annotations

from typing import Any

from simulators.core.ids import sf_id_key


class _Built:
    __slots__ = ("table", "log", "seen", "index")

    def __init__(self, table: dict, log: list, index: dict[str, dict[str, None]]):
        self.table, self.log, self.seen, self.index = table, log, len(log), index


class Indexes:
    def __init__(self, db):
        self.db = db
        self._built: dict[tuple[str, str], _Built] = {}

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

    def _index(self, sobject: str, field: str, table: dict, ids: bool) -> dict[str, dict[str, None]]:
        log = self.db.touched_log(sobject)
        hit = self._built.get((sobject, field))
        if hit is not None and hit.table is table and hit.log is log:
            if hit.seen < len(log):   # the records written since: each under its value now
                index = hit.index
                for k in log[hit.seen:]:
                    rec = table.get(k)
                    v = rec.get(field) if rec is not None else None
                    if v is not None:
                        index.setdefault(_norm(v, ids), {})[k] = None
                hit.seen = len(log)
            return hit.index
        index: dict[str, dict[str, None]] = {}
        for k, rec in table.items():
            v = rec.get(field)
            if v is not None:
                index.setdefault(_norm(v, ids), {})[k] = None
        self._built[(sobject, field)] = _Built(table, log, index)
        return index


def _norm(value: Any, ids: bool) -> str:
    """Ids compare on their 15-character key; other values case-insensitively, as SOQL compares them."""
    text = str(value)
    return (sf_id_key(text) if ids else None) or text.lower()
