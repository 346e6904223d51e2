"""Shared state helpers: the store layout, ids, references (``id`` / ``eid:``), dates and money."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ...core.jsonutil import money
from ..errors import DuplicateRecord, InvalidFieldValue, NotFound
from .changes import changes_of

ZERO = Decimal("0.00")

# NetSuite's standard terms (Setup > Accounting > Accounting Lists > Term): id -> (name, days)
TERMS = {"1": ("1% 10 Net 30", 30), "2": ("2% 10 Net 30", 30), "3": ("Due on receipt", 0),
         "4": ("Net 15", 15), "5": ("Net 30", 30), "6": ("Net 45", 45), "7": ("Net 60", 60)}
DEFAULT_TERMS = "5"

# Sequences: first internal id per family (deterministic; kept in the store so snapshots restore them)
SEQ_START = {"entity": 100, "item": 500, "transaction": 1000, "revenue": 5000, "plan": 7000,
             "event": 1, "sub": 1, "INV": 1, "CM": 1, "PYMT": 1, "SO": 1, "JE": 1, "IF": 1, "ARR": 1, "job": 1}

RECORD_FAMILY = {
    "customer": "entity",
    "inventoryItem": "item", "serviceSaleItem": "item", "nonInventorySaleItem": "item",
    "otherChargeSaleItem": "item",
    "salesOrder": "transaction", "invoice": "transaction", "customerPayment": "transaction",
    "creditMemo": "transaction", "journalEntry": "transaction", "itemFulfillment": "transaction",
    "revenueArrangement": "transaction",
    "revenueElement": "revenue", "revenuePlan": "plan",
}
ITEM_TYPES = ("inventoryItem", "serviceSaleItem", "nonInventorySaleItem", "otherChargeSaleItem")


def empty_state() -> dict[str, Any]:
    return {
        "seq": dict(SEQ_START),
        "records": {t: {} for t in RECORD_FAMILY},
        "eid": {t: {} for t in RECORD_FAMILY},
        "periods": {},          # "2025-01" -> {closed, closedAt, journalEntry}
        "subscriptions": {},    # event feed (harness-specific)
        "config": {},
        "jobs": {},             # asynchronous requests (Prefer: respond-async)
        "jobKeys": {},          # X-NetSuite-Idempotency-Key -> job id
    }


def parse_date(value: Any, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidFieldValue(value, field)


def to_money(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise InvalidFieldValue(value, field)
    try:
        return money(value)
    except (InvalidOperation, ValueError):
        raise InvalidFieldValue(value, field)


def to_qty(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidFieldValue(value, field)
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidFieldValue(value, field)
    return q


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    y, m = int(period[:4]), int(period[5:7])
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def period_name(period: str) -> str:
    start, _ = period_bounds(period)
    return start.strftime("%b %Y")


def period_id(period: str) -> str:
    return period.replace("-", "")


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def next_period(period: str) -> str:
    start, _ = period_bounds(period)
    return period_of(add_months(start, 1))


class StateBase:
    """Store access shared by the mixins (``self.store``, ``self.sim``)."""

    def next_id(self, family: str) -> str:
        seq = self.store.data["seq"]
        n = seq[family]
        seq[family] = n + 1
        return str(n)

    def doc_number(self, prefix: str) -> str:
        return f"{prefix}-{int(self.next_id(prefix)):06d}"

    def records(self, rtype: str) -> dict[str, dict]:
        return self.store.data["records"][rtype]

    def now(self) -> datetime:
        return self.sim.clock.now()

    def today(self) -> date:
        return self.sim.clock.now().date()

    def resolve(self, rtype: str, key: str, path: str | None = None) -> dict:
        """``123`` or ``eid:EXT`` -> the record, else 404 NONEXISTENT_ID."""
        key = str(key)
        recs = self.records(rtype)
        if key.startswith("eid:"):
            rid = self.store.data["eid"][rtype].get(key[4:])
            if rid is None:
                raise NotFound(path=path)
            return recs[rid]
        if key not in recs:
            raise NotFound(path=path)
        return recs[key]

    def ref(self, rtype: str | tuple, value: Any, field: str) -> dict:
        """A body reference ``{"id": ..}`` or ``{"externalId": ..}`` (or a bare id) -> the record."""
        types = rtype if isinstance(rtype, tuple) else (rtype,)
        if isinstance(value, dict):
            if value.get("id") not in (None, ""):
                key, label = str(value["id"]), value["id"]
            elif value.get("externalId") not in (None, ""):
                key, label = "eid:" + str(value["externalId"]), value["externalId"]
            else:
                raise InvalidFieldValue(value, field.split(".")[-1], path=field)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            key, label = str(value), value
        else:
            raise InvalidFieldValue(value, field.split(".")[-1], path=field)
        for t in types:
            try:
                return self.resolve(t, key)
            except NotFound:
                continue
        raise InvalidFieldValue(label, field.split(".")[-1], path=field)

    def register(self, rtype: str, rec: dict) -> dict:
        ext = rec.get("externalId")
        if ext not in (None, ""):
            index = self.store.data["eid"][rtype]
            if ext in index and index[ext] != rec["id"]:
                raise DuplicateRecord(rtype, ext)
            index[ext] = rec["id"]
        self.records(rtype)[rec["id"]] = rec
        changes_of(self.store).note(rec["id"])
        return rec

    def reindex_external(self, rtype: str, rec: dict, new_ext: Any) -> None:
        index = self.store.data["eid"][rtype]
        if new_ext in (None, ""):
            return
        new_ext = str(new_ext)
        if new_ext in index and index[new_ext] != rec["id"]:
            raise DuplicateRecord(rtype, new_ext)
        if rec.get("externalId") and index.get(rec["externalId"]) == rec["id"]:
            del index[rec["externalId"]]
        index[new_ext] = rec["id"]
        rec["externalId"] = new_ext

    def stamp(self, rec: dict, created: bool = False) -> None:
        """Every change of a record ends here (its ``lastModifiedDate``), which also tells the
        change log (``changes.py``) so what is derived from the records follows."""
        changes_of(self.store).note(rec["id"])
        now = self.now()
        if created:
            rec["createdDate"] = now
        rec["lastModifiedDate"] = now

    def find_item(self, value: Any, field: str) -> dict:
        return self.ref(ITEM_TYPES, value, field)

    def item_record(self, item_id: str) -> dict:
        for t in ITEM_TYPES:
            if item_id in self.records(t):
                return self.records(t)[item_id]
        raise NotFound()

    def terms_days(self, terms_id: str | None) -> int:
        return TERMS.get(terms_id or DEFAULT_TERMS, TERMS[DEFAULT_TERMS])[1]


def custom_fields(body: dict) -> dict:
    """Custom fields (custbody_*, custentity_*, custcol_*, custitem_*) are stored as given."""
    return {k: v for k, v in body.items() if k.startswith("cust") and "_" in k}


def later(d: date, days: int) -> date:
    return d + timedelta(days=days)
