"""Business rules in the write path (what the real org enforces on these objects):

- Order: created Draft; activation (Status -> Activated) must change only Status and needs at least
  one product; an activated order keeps its account and price book and its products are locked;
  StatusCode mirrors Status; TotalAmount is the roll-up of OrderItem.TotalPrice.
- OrderItem: PricebookEntry from the order's price book; Product2Id and ListPrice copied from it;
  TotalPrice = Quantity x UnitPrice (half-up to cents).
- PricebookEntry: a custom price book entry needs the product's standard price first.
- Contact: Name = FirstName LastName.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulators.core.jsonutil import money

from .. import errors as E
from ..objects import SObject

ORDER_LOCKED_WHEN_ACTIVE = ("AccountId", "Pricebook2Id")
CALCULATED = {"LastModifiedDate", "SystemModstamp", "LastModifiedById", "StatusCode", "ActivatedDate", "TotalAmount"}


class Rules:
    def __init__(self, db):
        self.db = db

    # ---- insert -------------------------------------------------------------------------
    def before_insert(self, obj: SObject, rec: dict[str, Any]) -> None:
        fn = getattr(self, f"_insert_{obj.name}", None)
        if fn:
            fn(rec)

    def _insert_Order(self, rec):
        status = rec.get("Status") or "Draft"
        if status != "Draft":
            raise E.FieldIntegrity("You can't create an order with a status other than Draft. Create the order in "
                                   "Draft, add products, then activate it.", fields=["Status"])
        rec["Status"] = rec["StatusCode"] = "Draft"
        rec["TotalAmount"] = Decimal("0.00")

    def _order_for_item(self, order_id: str) -> dict[str, Any]:
        order = self.db.find(order_id, "Order")
        if order is None:
            raise E.InvalidCrossReference("invalid cross reference id", fields=["OrderId"])
        if order["StatusCode"] != "Draft":
            raise E.FieldIntegrity("You can't add, edit, or delete products on an activated order.",
                                   fields=["OrderId"])
        return order

    def _insert_OrderItem(self, rec):
        order = self._order_for_item(rec.get("OrderId") or "")
        pbe = self.db.find(rec.get("PricebookEntryId") or "", "PricebookEntry")
        if pbe is None:
            raise E.InvalidCrossReference("invalid cross reference id", fields=["PricebookEntryId"])
        if not order.get("Pricebook2Id"):
            raise E.FieldIntegrity("Price Book Not Set on Order", fields=["PricebookEntryId"])
        if pbe["Pricebook2Id"][:15] != order["Pricebook2Id"][:15]:
            raise E.FieldIntegrity("field integrity exception: PricebookEntryId (pricebook entry is in a different "
                                   "pricebook than the one assigned to the Order, or Order has no pricebook "
                                   "assigned)", fields=["PricebookEntryId"])
        if not pbe.get("IsActive"):
            raise E.FieldIntegrity("field integrity exception: PricebookEntryId (pricebook entry is inactive)",
                                   fields=["PricebookEntryId"])
        rec["Product2Id"] = pbe["Product2Id"]
        rec["ListPrice"] = pbe["UnitPrice"]
        if rec.get("UnitPrice") is None:
            rec["UnitPrice"] = pbe["UnitPrice"]
        self._price_item(rec)

    def _price_item(self, rec):
        if rec.get("Quantity") is not None and rec.get("UnitPrice") is not None:
            if rec["Quantity"] == 0:
                raise E.FieldIntegrity("field integrity exception: Quantity (quantity must be nonzero)",
                                       fields=["Quantity"])
            rec["TotalPrice"] = money(Decimal(rec["Quantity"]) * Decimal(rec["UnitPrice"]))

    def _insert_PricebookEntry(self, rec):
        product = self.db.find(rec.get("Product2Id") or "", "Product2")
        book = self.db.find(rec.get("Pricebook2Id") or "", "Pricebook2")
        if product is None or book is None:
            raise E.InvalidCrossReference("invalid cross reference id", fields=["Product2Id"])
        for other in self.db.table("PricebookEntry").values():
            if other["Pricebook2Id"][:15] == book["Id"][:15] and other["Product2Id"][:15] == product["Id"][:15]:
                raise E.DuplicateValue(f"This price definition already exists in this price book: {other['Id']}",
                                       fields=[])
        if not book.get("IsStandard"):
            std = [e for e in self.db.table("PricebookEntry").values()
                   if e["Product2Id"][:15] == product["Id"][:15]
                   and (self.db.find(e["Pricebook2Id"], "Pricebook2") or {}).get("IsStandard")]
            if not std:
                raise E.SalesforceError("Before creating a custom price, create a standard price.",
                                        code="STANDARD_PRICE_NOT_DEFINED")
        rec["Name"] = product.get("Name")
        rec["ProductCode"] = product.get("ProductCode")

    def _insert_Contact(self, rec):
        rec["Name"] = " ".join(p for p in (rec.get("FirstName"), rec.get("LastName")) if p)

    def _insert_blng__Invoice__c(self, rec):
        if rec.get("blng__Balance__c") is None and rec.get("blng__TotalAmount__c") is not None:
            rec["blng__Balance__c"] = rec["blng__TotalAmount__c"]

    # ---- update -------------------------------------------------------------------------
    def before_update(self, obj: SObject, old: dict[str, Any], new: dict[str, Any]) -> None:
        fn = getattr(self, f"_update_{obj.name}", None)
        if fn:
            fn(old, new)

    def _update_Order(self, old, new):
        changed = {k for k in new if new[k] != old.get(k)} - CALCULATED
        if new["Status"] != old["Status"] and new["Status"] == "Activated":
            others = changed - {"Status"}
            if others:
                raise E.FieldIntegrity("When you activate an order, Status must be the only field you change. "
                                       f"Also changed: {', '.join(sorted(others))}", fields=sorted(others))
            items = self._items_of(old["Id"])
            if not items:
                raise E.FieldIntegrity("You can't activate this order because it has no products.",
                                       fields=["Status"])
            new["ActivatedDate"] = self.db.sim.clock.now()
        if old["StatusCode"] == "Activated":
            locked = [f for f in ORDER_LOCKED_WHEN_ACTIVE if f in changed]
            if locked:
                raise E.FieldIntegrity(f"You can't change {', '.join(locked)} on an activated order.",
                                       fields=locked)
        if "Pricebook2Id" in changed and old.get("Pricebook2Id"):
            if self._items_of(old["Id"]):
                raise E.FieldIntegrity("You can't change the price book of an order that has products.",
                                       fields=["Pricebook2Id"])
        new["StatusCode"] = new["Status"]

    def _update_OrderItem(self, old, new):
        self._order_for_item(old["OrderId"])
        self._price_item(new)

    def _update_Contact(self, old, new):
        self._insert_Contact(new)

    # ---- delete -------------------------------------------------------------------------
    def before_delete(self, obj: SObject, rec: dict[str, Any]) -> None:
        if obj.name == "OrderItem":
            self._order_for_item(rec["OrderId"])
        if obj.name == "Order" and rec["StatusCode"] == "Activated":
            raise E.SalesforceError("You can't delete an activated order. Deactivate it first.",
                                    code="DELETE_FAILED")
        if obj.name == "Order":
            for item in self._items_of(rec["Id"]):
                self.db.delete("OrderItem", item["Id"])

    def _items_of(self, order_id: str) -> list[dict[str, Any]]:
        """The order's products, from the OrderItem.OrderId index (no scan of every order's items)."""
        return self.db.indexes.lookup("OrderItem", "OrderId", [order_id], False)

    # ---- roll-ups -----------------------------------------------------------------------
    def after_write(self, obj: SObject, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if obj.name == "OrderItem":
            order_id = (new or old)["OrderId"]
            order = self.db.find(order_id, "Order")
            if order is not None:
                total = sum((i.get("TotalPrice") or Decimal(0) for i in self._items_of(order_id)), Decimal("0.00"))
                if total != order.get("TotalAmount"):
                    self.db.update("Order", order_id, {"TotalAmount": money(total)}, system=True)
