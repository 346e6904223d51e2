"""Record deletion (``DELETE /record/v1/{type}/{id}``) with NetSuite's dependency rule: a record that
other records reference cannot be deleted (Oracle, "Inactivating or Deleting Customers": a customer
with associated records such as transactions cannot be deleted); the error code is NetSuite's
``THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS``."""
from __future__ import annotations

from ..errors import DependentRecords
from .base import ITEM_TYPES, StateBase

DELETABLE = ("customer", "salesOrder") + ITEM_TYPES
TRANSACTIONS = ("salesOrder", "invoice", "customerPayment", "creditMemo", "itemFulfillment", "journalEntry")
LINED = ("salesOrder", "invoice", "creditMemo", "itemFulfillment")


class Removal(StateBase):
    def __init__(self, sim, store):
        self.sim, self.store = sim, store

    def delete(self, rtype: str, key: str) -> dict:
        with self.store.lock:
            rec = self.resolve(rtype, key)
            if self.dependents(rtype, rec):
                raise DependentRecords()
            del self.records(rtype)[rec["id"]]
            ext = rec.get("externalId")
            index = self.store.data["eid"][rtype]
            if ext not in (None, "") and index.get(ext) == rec["id"]:
                del index[ext]
            return rec

    def dependents(self, rtype: str, rec: dict) -> list[tuple[str, str]]:
        """(type, id) of the records that reference ``rec``."""
        rid = rec["id"]
        if rtype == "customer":
            return [(t, r["id"]) for t in TRANSACTIONS for r in self.records(t).values()
                    if r.get("entity") == rid or any(ln.get("entity") == rid for ln in r.get("lines", ()))]
        if rtype == "salesOrder":
            return [("invoice", i) for i in rec.get("invoices", ())] + \
                   [("itemFulfillment", f) for f in rec.get("fulfillments", ())]
        if rtype in ITEM_TYPES:
            return [(t, r["id"]) for t in LINED for r in self.records(t).values()
                    if any(ln.get("item") == rid for ln in r.get("items", ()))]
        return []
