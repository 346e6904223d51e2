"""salesOrder (Pending Approval -> Pending Fulfillment -> Pending Billing -> Billed / Closed / Cancelled)
and its transforms to itemFulfillment and invoice."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...core.jsonutil import money
from ..errors import InvalidFieldValue, MissingField, NetSuiteError, UserError
from .base import DEFAULT_TERMS, TERMS, ZERO, custom_fields, later, parse_date, to_money, to_qty

# salesOrder status letters (SuiteQL transaction.status for SalesOrd)
SO_STATUS = {"A": "Pending Approval", "B": "Pending Fulfillment", "C": "Cancelled", "D": "Partially Fulfilled",
             "E": "Pending Billing/Partially Fulfilled", "F": "Pending Billing", "G": "Billed", "H": "Closed"}
INVOICE_STATUS = {"A": "Open", "B": "Paid In Full"}
TAX_FIELD = "custcol_ava_taxamount"
LINE_FIELDS = ("description", "revRecStartDate", "revRecEndDate", "taxCode")
HEADER_FIELDS = ("memo", "otherRefNum", "shipAddress", "billAddress", "shipDate", "startDate", "endDate",
                 "email", "message")


class InitializeRefError(NetSuiteError):
    status, code = 400, "INVALID_INITIALIZE_REF"

    def __init__(self, target: str, source_id: str):
        super().__init__(f"Error while accessing a resource. You can not initialize {target}: invalid reference "
                         f"{source_id}.", path="id")


class OrdersMixin:
    # ---- lines -----------------------------------------------------------------------
    def _build_line(self, raw: Any, n: int, path: str) -> dict:
        if not isinstance(raw, dict):
            raise InvalidFieldValue(raw, "item", path=path)
        if "item" not in raw:
            raise MissingField("item", path=f"{path}.item")
        item = self.find_item(raw["item"], f"{path}.item")
        qty = to_qty(raw.get("quantity", 1), f"{path}.quantity")
        if "rate" in raw:
            rate = Decimal(str(raw["rate"]))
            amount = to_money(raw["amount"], f"{path}.amount") if "amount" in raw else money(rate * qty)
        elif "amount" in raw:
            amount = to_money(raw["amount"], f"{path}.amount")
            rate = (amount / qty) if qty else amount
        else:
            rate = item["basePrice"]
            amount = money(rate * qty)
        line = {"line": n, "item": item["id"], "quantity": qty, "rate": rate, "amount": amount,
                "taxAmount": to_money(raw.get(TAX_FIELD, 0) or 0, f"{path}.{TAX_FIELD}"),
                "isClosed": bool(raw.get("isClosed", False))}
        if "revenueRecognitionRule" in raw:
            rr = raw["revenueRecognitionRule"]
            line["revenueRecognitionRule"] = str(rr.get("id") if isinstance(rr, dict) else rr)
        for f in LINE_FIELDS:
            if f in raw:
                line[f] = raw[f]
        line.update({k: v for k, v in custom_fields(raw).items() if k != TAX_FIELD})
        return line

    def _lines_from(self, body: dict, field: str = "item") -> list[dict]:
        sub = body.get(field)
        if not isinstance(sub, dict) or not isinstance(sub.get("items"), list):
            raise InvalidFieldValue(sub, field, path=field)
        return [self._build_line(raw, i + 1, f"{field}.items[{i}]") for i, raw in enumerate(sub["items"])]

    @staticmethod
    def totals(rec: dict) -> None:
        lines = [ln for ln in rec["items"] if not ln.get("isClosed")]
        rec["subtotal"] = money(sum((ln["amount"] for ln in lines), ZERO))
        rec["taxTotal"] = money(sum((ln["taxAmount"] for ln in lines), ZERO))
        rec["total"] = rec["subtotal"] + rec["taxTotal"]

    def _header(self, rec: dict, body: dict) -> None:
        if "tranDate" in body:
            rec["tranDate"] = parse_date(body["tranDate"], "tranDate")
        for f in HEADER_FIELDS:
            if f in body:
                rec[f] = body[f]
        if "shippingAddress" in body:
            rec["shippingAddress"] = body["shippingAddress"]
        if "billingAddress" in body:
            rec["billingAddress"] = body["billingAddress"]
        if "terms" in body:
            tid = str(body["terms"].get("id") if isinstance(body["terms"], dict) else body["terms"])
            if tid not in TERMS:
                raise InvalidFieldValue(tid, "terms")
            rec["terms"] = tid
        rec.update(custom_fields(body))

    # ---- salesOrder ------------------------------------------------------------------
    def create_sales_order(self, body: dict) -> dict:
        with self.store.lock:
            if "entity" not in body:
                raise MissingField("entity")
            customer = self.ref("customer", body["entity"], "entity")
            ext = body.get("externalId")
            if ext not in (None, "") and str(ext) in self.store.data["eid"]["salesOrder"]:
                from ..errors import DuplicateRecord
                raise DuplicateRecord("salesOrder", str(ext))
            items = self._lines_from(body)
            if not items:
                raise MissingField("item")
            status = "A"
            if "orderStatus" in body:
                status = str(body["orderStatus"].get("id") if isinstance(body["orderStatus"], dict)
                             else body["orderStatus"])
                if status not in ("A", "B"):
                    raise InvalidFieldValue(status, "orderStatus")
            rec = {"id": self.next_id("transaction"), "recordType": "salesOrder", "tranId": self.doc_number("SO"),
                   "entity": customer["id"], "tranDate": self.today(), "status": status,
                   "terms": customer.get("terms", DEFAULT_TERMS), "currency": customer.get("currency", "1"),
                   "items": items, "invoices": [], "fulfillments": []}
            if ext not in (None, ""):
                rec["externalId"] = str(ext)
            self._header(rec, body)
            self.totals(rec)
            self.stamp(rec, created=True)
            self.register("salesOrder", rec)
            self.events.emit("salesOrder.created", "salesOrder", rec)
            return rec

    def update_sales_order(self, key: str, body: dict, query: dict) -> dict:
        with self.store.lock:
            rec = self.resolve("salesOrder", key)
            status = rec["status"]
            if status in ("G", "H", "C"):
                raise UserError(f"Error while accessing a resource. You cannot edit a sales order with the status "
                                f"{SO_STATUS[status]}.", path="status")
            if "externalId" in body:
                self.reindex_external("salesOrder", rec, body["externalId"])
            if "entity" in body:
                rec["entity"] = self.ref("customer", body["entity"], "entity")["id"]
            if "item" in body:
                if rec["invoices"]:
                    raise UserError("Error while accessing a resource. You cannot change the lines of a sales order "
                                    "that has been billed.", path="item")
                self._patch_lines(rec, body, replace="item" in str(query.get("replace", "")).split(","))
            self._header(rec, body)
            if "orderStatus" in body:
                new = str(body["orderStatus"].get("id") if isinstance(body["orderStatus"], dict)
                          else body["orderStatus"])
                self._transition(rec, new)
            if rec["items"] and all(ln.get("isClosed") for ln in rec["items"]) and rec["status"] not in ("C",):
                rec["status"] = "H"
            self.totals(rec)
            self.stamp(rec)
            if "custbody_go_live_date" in body and body["custbody_go_live_date"]:
                self.revenue.go_live(rec, parse_date(body["custbody_go_live_date"], "custbody_go_live_date"))
            self.events.emit("salesOrder.updated", "salesOrder", rec)
            return rec

    def _patch_lines(self, rec: dict, body: dict, replace: bool) -> None:
        raws = body["item"].get("items") if isinstance(body["item"], dict) else None
        if not isinstance(raws, list):
            raise InvalidFieldValue(body["item"], "item")
        if replace:
            rec["items"] = [self._build_line(raw, i + 1, f"item.items[{i}]") for i, raw in enumerate(raws)]
            return
        by_line = {ln["line"]: ln for ln in rec["items"]}
        for i, raw in enumerate(raws):
            path = f"item.items[{i}]"
            if isinstance(raw, dict) and "line" in raw:
                current = by_line.get(int(raw["line"]))
                if current is None:
                    raise InvalidFieldValue(raw["line"], "line", path=f"{path}.line")
                merged = {"item": {"id": current["item"]}, "quantity": current["quantity"],
                          "rate": current["rate"], TAX_FIELD: current["taxAmount"],
                          "isClosed": current.get("isClosed", False), **{k: v for k, v in current.items()
                                                                       if k in LINE_FIELDS or k.startswith("cust")}}
                merged.update(raw)
                if "quantity" in raw or "rate" in raw:
                    merged.pop("amount", None)
                if "amount" in raw and "rate" not in raw:
                    merged.pop("rate", None)
                new = self._build_line(merged, current["line"], path)
                current.clear()
                current.update(new)
            else:
                rec["items"].append(self._build_line(raw, max(by_line, default=0) + 1, path))
                by_line[rec["items"][-1]["line"]] = rec["items"][-1]

    def _transition(self, rec: dict, new: str) -> None:
        cur = rec["status"]
        allowed = {("A", "B"), ("A", "C"), ("B", "C"), ("A", "A"), ("B", "B")}
        if (cur, new) not in allowed:
            raise UserError(f"Error while accessing a resource. The sales order status cannot change from "
                            f"{SO_STATUS.get(cur)} to {SO_STATUS.get(new, new)}.", path="orderStatus")
        rec["status"] = new

    def fulfill(self, key: str, body: dict) -> dict:
        """``salesOrder/{id}/!transform/itemFulfillment``: ships every open line."""
        with self.store.lock:
            so = self.resolve("salesOrder", key)
            if so["status"] not in ("B", "D", "E"):
                raise InitializeRefError("itemfulfillment", so["id"])
            rec = {"id": self.next_id("transaction"), "recordType": "itemFulfillment",
                   "tranId": self.doc_number("IF"), "entity": so["entity"], "createdFrom": so["id"],
                   "tranDate": parse_date(body["tranDate"], "tranDate") if "tranDate" in body else self.today(),
                   "status": "C", "items": [dict(ln) for ln in so["items"] if not ln.get("isClosed")]}
            if body.get("externalId"):
                rec["externalId"] = str(body["externalId"])
            self.stamp(rec, created=True)
            self.register("itemFulfillment", rec)
            so["fulfillments"].append(rec["id"])
            so["status"] = "G" if so["invoices"] else "F"
            self.stamp(so)
            self.events.emit("salesOrder.updated", "salesOrder", so)
            return rec

    # ---- invoice ---------------------------------------------------------------------
    def bill(self, key: str, body: dict) -> dict:
        """``salesOrder/{id}/!transform/invoice``: one invoice per order; a second one is refused."""
        with self.store.lock:
            so = self.resolve("salesOrder", key)
            if so["status"] not in ("B", "D", "E", "F"):
                raise InitializeRefError("invoice", so["id"])
            ext = body.get("externalId")
            if ext not in (None, "") and str(ext) in self.store.data["eid"]["invoice"]:
                from ..errors import DuplicateRecord
                raise DuplicateRecord("invoice", str(ext))
            lines = [dict(ln) for ln in so["items"] if not ln.get("isClosed")]
            for ln in lines:
                ln["orderLine"] = ln["line"]
            self._apply_invoice_lines(lines, body)
            tran_date = parse_date(body["tranDate"], "tranDate") if "tranDate" in body else self.today()
            terms = so.get("terms", DEFAULT_TERMS)
            if "terms" in body:
                terms = str(body["terms"].get("id") if isinstance(body["terms"], dict) else body["terms"])
                if terms not in TERMS:
                    raise InvalidFieldValue(terms, "terms")
            inv = {"id": self.next_id("transaction"), "recordType": "invoice", "tranId": self.doc_number("INV"),
                   "entity": so["entity"], "createdFrom": so["id"], "tranDate": tran_date, "terms": terms,
                   "currency": so.get("currency", "1"), "status": "A", "items": lines,
                   "payments": [], "credits": []}
            for f in ("shippingAddress", "billingAddress", "memo", "otherRefNum"):
                if f in so:
                    inv[f] = so[f]
            inv.update({k: v for k, v in so.items() if k.startswith("custbody")})
            if ext not in (None, ""):
                inv["externalId"] = str(ext)
            self._header(inv, {k: v for k, v in body.items() if k not in ("item", "tranDate")})
            inv["dueDate"] = parse_date(body["dueDate"], "dueDate") if "dueDate" in body else \
                later(inv["tranDate"], self.terms_days(inv["terms"]))
            self.totals(inv)
            inv["amountPaid"] = ZERO
            inv["amountRemaining"] = inv["total"]
            self.stamp(inv, created=True)
            self.register("invoice", inv)
            so["invoices"].append(inv["id"])
            so["status"] = "G"
            self.stamp(so)
            self.events.emit("invoice.created", "invoice", inv)
            self.events.emit("salesOrder.updated", "salesOrder", so)
            self.revenue.on_invoice(inv)
            return inv

    def _apply_invoice_lines(self, lines: list[dict], body: dict) -> None:
        """Transform body may carry per-line tax (``custcol_ava_taxamount``), matched by ``orderLine``,
        ``line`` or position."""
        sub = body.get("item")
        if sub is None:
            return
        raws = sub.get("items") if isinstance(sub, dict) else None
        if not isinstance(raws, list):
            raise InvalidFieldValue(sub, "item")
        by_line = {ln["orderLine"]: ln for ln in lines}
        for i, raw in enumerate(raws):
            path = f"item.items[{i}]"
            key = raw.get("orderLine", raw.get("line")) if isinstance(raw, dict) else None
            target = by_line.get(int(key)) if key is not None else (lines[i] if i < len(lines) else None)
            if target is None:
                raise InvalidFieldValue(key if key is not None else i, "orderLine", path=f"{path}.orderLine")
            if TAX_FIELD in raw:
                target["taxAmount"] = to_money(raw[TAX_FIELD], f"{path}.{TAX_FIELD}")
            target.update({k: v for k, v in custom_fields(raw).items() if k != TAX_FIELD})
            for f in ("revRecStartDate", "revRecEndDate", "description"):
                if f in raw:
                    target[f] = raw[f]

    def invoice_status(self, inv: dict) -> None:
        inv["status"] = "B" if inv["amountRemaining"] <= 0 else "A"
