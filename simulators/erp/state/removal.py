"""Record deletion (``DELETE /record/v1/{type}/{id}``) with NetSuite's dependency rule: a record that
other records reference cannot be deleted (Oracle, "Inactivating or Deleting Customers": a customer
with associated records such as transactions cannot be deleted); the error code is NetSuite's
``THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS``."""
from __future__ import annotations

from ..errors import DependentRecords
from .base import ITEM_TYPES, StateBase
from .changes import changes_of

DELETABLE = ("customer", "salesOrder", "invoice") + ITEM_TYPES
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
            if rtype == "invoice":
                self._unbill(rec)
            del self.records(rtype)[rec["id"]]
            changes_of(self.store).note(rec["id"])
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
        if rtype == "invoice":   # applied payments and credits, and revenue already recognized (posted)
            posted = [("journalEntry", ln["journalEntry"]) for el in self._elements(rid)
                      for ln in self.records("revenuePlan")[el["revenuePlan"]]["lines"] if ln.get("journalEntry")]
            return [("customerPayment", p) for p in rec.get("payments", ())] + \
                   [("creditMemo", c) for c in rec.get("credits", ())] + posted
        if rtype in ITEM_TYPES:
            return [(t, r["id"]) for t in LINED for r in self.records(t).values()
                    if any(ln.get("item") == rid for ln in r.get("items", ()))]
        return []

    def _elements(self, invoice_id: str) -> list[dict]:
        return [el for el in self.records("revenueElement").values() if el.get("source") == invoice_id]

    def _unbill(self, inv: dict) -> None:
        """Deleting an unpaid invoice un-bills its sales order (back to Pending Fulfillment, or Pending
        Billing once fulfilled) and removes the revenue arrangement it was the source of (nothing of it
        was recognized: that would be a dependent record)."""
        so = self.records("salesOrder").get(inv.get("createdFrom"))
        if so is not None and inv["id"] in so.get("invoices", []):
            so["invoices"].remove(inv["id"])
            if not so["invoices"]:
                so["status"] = "F" if so.get("fulfillments") else "B"
            self.stamp(so)
        log = changes_of(self.store)
        for el in self._elements(inv["id"]):
            self.records("revenuePlan").pop(el["revenuePlan"], None)
            self.records("revenueElement").pop(el["id"], None)
            log.note(el["revenuePlan"])
            log.note(el["id"])
        for arr_id, arr in list(self.records("revenueArrangement").items()):
            if arr.get("source") == inv["id"]:
                del self.records("revenueArrangement")[arr_id]
                log.note(arr_id)
