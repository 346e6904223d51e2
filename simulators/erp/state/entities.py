"""customer and the catalog items (seeded from the catalogue in simulators.data on every reset)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from simulators import data as packaged

from ..errors import DuplicateRecord, InvalidFieldValue, MissingField
from .base import DEFAULT_TERMS, TERMS, custom_fields, to_money


# Revenue recognition rules (ARM): id -> (name, method). Catalog ``revenue.method`` picks one.
REV_RULES = {
    "1": ("Point in Time - Delivery", "point_in_time", "delivery"),
    "2": ("Point in Time - Go-Live", "point_in_time", "go_live"),
    "3": ("Straight-line, by even periods", "ratable_even", None),
    "4": ("Straight-line, using exact days", "ratable_exact_days", None),
}
RULE_BY_METHOD = {("point_in_time", "delivery"): "1", ("point_in_time", "go_live"): "2",
                  ("ratable_even", None): "3", ("ratable_exact_days", None): "4"}

CUSTOMER_FIELDS = ("entityId", "companyName", "email", "phone", "isPerson", "firstName", "lastName",
                   "comments", "isInactive", "taxable", "url", "altName")


def item_type_for(product: dict) -> str:
    if product["sku"].startswith("HW-"):
        return "inventoryItem"
    if product["revenue"]["method"] == "point_in_time" and product["revenue"].get("trigger") == "delivery":
        return "nonInventorySaleItem"
    return "serviceSaleItem"


class EntitiesMixin:
    def seed_items(self, catalog: Path | None = None) -> None:
        data = packaged.load("catalog", catalog)
        for product in data["products"]:
            rtype = item_type_for(product)
            rev = product.get("revenue", {"method": "point_in_time", "trigger": "delivery"})
            rule = RULE_BY_METHOD.get((rev["method"], rev.get("trigger") if rev["method"] == "point_in_time"
                                       else None), "1")
            rec = {"id": self.next_id("item"), "recordType": rtype, "externalId": product["sku"],
                   "itemId": product["sku"], "displayName": product["name"],
                   "basePrice": to_money(product["price"], "basePrice"),
                   "custitem_ssp": to_money(product.get("ssp", product["price"]), "ssp"),
                   "custitem_ava_taxcode": product.get("tax_code"),
                   "revenueRecognitionRule": rule, "termMonths": rev.get("term_months"),
                   "isInactive": False}
            self.stamp(rec, created=True)
            self.register(rtype, rec)

    # ---- customer --------------------------------------------------------------------
    def _apply_customer(self, rec: dict, body: dict, creating: bool) -> None:
        for f in CUSTOMER_FIELDS:
            if f in body:
                rec[f] = body[f]
        if "terms" in body:
            tid = str(body["terms"].get("id") if isinstance(body["terms"], dict) else body["terms"])
            if tid not in TERMS:
                raise InvalidFieldValue(tid, "terms")
            rec["terms"] = tid
        for f in ("subsidiary", "currency"):
            if f in body:
                rec[f] = str(body[f].get("id") if isinstance(body[f], dict) else body[f])
        for f in ("defaultAddress", "addressBook", "billAddress", "shipAddress"):
            if f in body:
                rec[f] = body[f]
        rec.update(custom_fields(body))
        if creating and getattr(self, "one_world", False) and "subsidiary" not in body:
            # OneWorld accounts: a customer belongs to a primary subsidiary, which a create must name
            # (Oracle, "Creating a Customer Record": Subsidiary is required with NetSuite OneWorld)
            raise MissingField("subsidiary")
        if creating and not (rec.get("companyName") or rec.get("lastName") or rec.get("entityId")):
            raise MissingField("companyName")
        rec.setdefault("entityId", rec.get("companyName") or
                       f"{rec.get('firstName', '')} {rec.get('lastName', '')}".strip())

    def create_customer(self, body: dict, external_id: str | None = None) -> dict:
        with self.store.lock:
            ext = external_id if external_id is not None else body.get("externalId")
            if ext not in (None, "") and str(ext) in self.store.data["eid"]["customer"]:
                raise DuplicateRecord("customer", str(ext))
            rec: dict[str, Any] = {"id": self.next_id("entity"), "terms": DEFAULT_TERMS, "subsidiary": "1",
                                   "currency": "1", "isInactive": False, "taxable": True}
            if ext not in (None, ""):
                rec["externalId"] = str(ext)
            self._apply_customer(rec, body, creating=True)
            self.stamp(rec, created=True)
            self.register("customer", rec)
            self.events.emit("customer.created", "customer", rec)
            return rec

    def update_customer(self, key: str, body: dict) -> dict:
        with self.store.lock:
            rec = self.resolve("customer", key)
            if "externalId" in body:
                self.reindex_external("customer", rec, body["externalId"])
            self._apply_customer(rec, body, creating=False)
            self.stamp(rec)
            self.events.emit("customer.updated", "customer", rec)
            return rec

    def upsert(self, rtype: str, key: str, body: dict) -> tuple[dict, bool]:
        """``PUT /{type}/eid:X``: update the record with that external id, or create it."""
        if not key.startswith("eid:"):
            raise InvalidFieldValue(key, "id", path="id")
        ext = key[4:]
        if body.get("externalId") not in (None, ext):
            raise InvalidFieldValue(body["externalId"], "externalId")
        with self.store.lock:
            if ext in self.store.data["eid"][rtype]:
                return (self.update_customer(key, body) if rtype == "customer"
                        else self.update_sales_order(key, body, {})), False
            if rtype == "customer":
                return self.create_customer(body, external_id=ext), True
            return self.create_sales_order({**body, "externalId": ext}), True
