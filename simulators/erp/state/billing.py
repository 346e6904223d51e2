"""customerPayment (apply list; external id = gateway charge id) and invoice -> creditMemo."""
from __future__ import annotations

from decimal import Decimal

from ...core.jsonutil import money
from ..errors import DuplicateRecord, InvalidFieldValue, MissingField, UserError
from .base import ZERO, custom_fields, parse_date, to_money, to_qty
from .orders import TAX_FIELD, InitializeRefError


class BillingMixin:
    # ---- customerPayment -------------------------------------------------------------
    def create_payment(self, body: dict) -> dict:
        with self.store.lock:
            if "customer" not in body:
                raise MissingField("customer")
            customer = self.ref("customer", body["customer"], "customer")
            ext = body.get("externalId")
            if ext not in (None, "") and str(ext) in self.store.data["eid"]["customerPayment"]:
                raise DuplicateRecord("customerPayment", str(ext))
            raws = (body.get("apply") or {}).get("items", []) if isinstance(body.get("apply", {}), dict) else None
            if not isinstance(raws, list):
                raise InvalidFieldValue(body.get("apply"), "apply")
            payment = to_money(body["payment"], "payment") if "payment" in body else None
            if payment is not None and payment <= 0:
                raise InvalidFieldValue(body["payment"], "payment")
            applied: list[dict] = []
            budget = payment
            seen: set[str] = set()
            for i, raw in enumerate(raws):
                path = f"apply.items[{i}]"
                if not isinstance(raw, dict) or raw.get("apply") is False:
                    continue
                inv = self.ref("invoice", raw.get("doc"), f"{path}.doc")
                if inv["entity"] != customer["id"] or inv["id"] in seen:
                    raise InvalidFieldValue(raw.get("doc"), "doc", path=f"{path}.doc")
                seen.add(inv["id"])
                due = inv["amountRemaining"]
                amount = to_money(raw["amount"], f"{path}.amount") if "amount" in raw else \
                    (min(due, budget) if budget is not None else due)
                if amount <= 0:
                    raise InvalidFieldValue(raw.get("amount"), "amount", path=f"{path}.amount")
                if amount > due:
                    raise UserError(f"Error while accessing a resource. You cannot apply {amount} to invoice "
                                    f"{inv['tranId']}: the amount due is {due}.", path=f"{path}.amount")
                if budget is not None:
                    if amount > budget:
                        raise UserError("Error while accessing a resource. The total amount applied exceeds the "
                                        f"payment amount of {payment}.", path=f"{path}.amount")
                    budget -= amount
                applied.append({"doc": inv["id"], "amount": amount})
            total_applied = money(sum((a["amount"] for a in applied), ZERO))
            if payment is None:
                if not applied:
                    raise MissingField("payment")
                payment = total_applied
            rec = {"id": self.next_id("transaction"), "recordType": "customerPayment",
                   "tranId": self.doc_number("PYMT"), "customer": customer["id"], "entity": customer["id"],
                   "payment": payment, "applied": total_applied, "unapplied": payment - total_applied,
                   "tranDate": parse_date(body["tranDate"], "tranDate") if "tranDate" in body else self.today(),
                   "status": "C", "apply": applied, "currency": customer.get("currency", "1")}
            for f in ("memo", "checkNum", "paymentMethod", "account", "undepFunds"):
                if f in body:
                    rec[f] = body[f]
            rec.update(custom_fields(body))
            if ext not in (None, ""):
                rec["externalId"] = str(ext)
            self.stamp(rec, created=True)
            self.register("customerPayment", rec)
            for a in applied:
                inv = self.records("invoice")[a["doc"]]
                inv["amountPaid"] += a["amount"]
                inv["amountRemaining"] -= a["amount"]
                inv["payments"].append(rec["id"])
                self.invoice_status(inv)
                self.stamp(inv)
            self.events.emit("customerPayment.created", "customerPayment", rec)
            for a in applied:
                self.events.emit("invoice.updated", "invoice", self.records("invoice")[a["doc"]])
            return rec

    # ---- creditMemo ------------------------------------------------------------------
    def credit(self, key: str, body: dict) -> dict:
        """``invoice/{id}/!transform/creditMemo``: full by default; ``item.items`` picks lines
        (by ``line``/``orderLine``) and quantities or amounts for a partial credit. The credit is
        applied to the invoice up to its amount remaining; the rest stays unapplied."""
        with self.store.lock:
            inv = self.resolve("invoice", key)
            ext = body.get("externalId")
            if ext not in (None, "") and str(ext) in self.store.data["eid"]["creditMemo"]:
                raise DuplicateRecord("creditMemo", str(ext))
            credited = self._credited_so_far(inv)
            lines = self._credit_lines(inv, body, credited)
            if not lines:
                raise InitializeRefError("creditmemo", inv["id"])
            cm = {"id": self.next_id("transaction"), "recordType": "creditMemo", "tranId": self.doc_number("CM"),
                  "entity": inv["entity"], "createdFrom": inv["id"], "currency": inv.get("currency", "1"),
                  "tranDate": parse_date(body["tranDate"], "tranDate") if "tranDate" in body else self.today(),
                  "items": lines}
            for f in ("memo",):
                if f in body:
                    cm[f] = body[f]
            cm.update(custom_fields(body))
            if ext not in (None, ""):
                cm["externalId"] = str(ext)
            self.totals(cm)
            applied = min(cm["total"], inv["amountRemaining"])
            cm["applied"], cm["unapplied"] = applied, cm["total"] - applied
            cm["apply"] = [{"doc": inv["id"], "amount": applied}] if applied > 0 else []
            cm["status"] = "B" if cm["unapplied"] == 0 else "A"   # B Fully Applied, A Open
            self.stamp(cm, created=True)
            self.register("creditMemo", cm)
            inv["credits"].append(cm["id"])
            inv["amountCredited"] = inv.get("amountCredited", ZERO) + cm["total"]
            if applied:
                inv["amountRemaining"] -= applied
                self.invoice_status(inv)
            self.stamp(inv)
            self.events.emit("creditMemo.created", "creditMemo", cm)
            self.events.emit("invoice.updated", "invoice", inv)
            self.revenue.on_credit(inv, cm)
            return cm

    def _credited_so_far(self, inv: dict) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for cid in inv["credits"]:
            for ln in self.records("creditMemo")[cid]["items"]:
                acc = out.setdefault(ln["invoiceLine"], {"amount": ZERO, "tax": ZERO})
                acc["amount"] += ln["amount"]
                acc["tax"] += ln["taxAmount"]
        return out

    def _credit_lines(self, inv: dict, body: dict, credited: dict[int, dict]) -> list[dict]:
        by_line = {ln["line"]: ln for ln in inv["items"]}
        sub = body.get("item")
        picks: list[tuple[dict, dict, str]] = []
        if sub is None:
            picks = [(ln, {}, f"item.items[{i}]") for i, ln in enumerate(inv["items"])]
        else:
            raws = sub.get("items") if isinstance(sub, dict) else None
            if not isinstance(raws, list):
                raise InvalidFieldValue(sub, "item")
            for i, raw in enumerate(raws):
                path = f"item.items[{i}]"
                key = raw.get("line", raw.get("orderLine")) if isinstance(raw, dict) else None
                src = by_line.get(int(key)) if key is not None else None
                if src is None:
                    raise InvalidFieldValue(key, "line", path=f"{path}.line")
                picks.append((src, raw, path))
        out = []
        for n, (src, raw, path) in enumerate(picks, start=1):
            done = credited.get(src["line"], {"amount": ZERO, "tax": ZERO})
            left_amount, left_tax = src["amount"] - done["amount"], src["taxAmount"] - done["tax"]
            if left_amount <= 0:
                if raw:
                    raise UserError(f"Error while accessing a resource. Line {src['line']} of invoice "
                                    f"{inv['tranId']} has already been credited in full.", path=path)
                continue
            if "amount" in raw:
                amount = to_money(raw["amount"], f"{path}.amount")
                qty = src["quantity"] * amount / src["amount"] if src["amount"] else src["quantity"]
            elif "quantity" in raw:
                qty = to_qty(raw["quantity"], f"{path}.quantity")
                amount = money(Decimal(src["rate"]) * qty)
            else:
                qty, amount = src["quantity"], left_amount
            if amount <= 0 or amount > left_amount:
                raise UserError(f"Error while accessing a resource. You cannot credit {amount} on line "
                                f"{src['line']}: {left_amount} remains to credit.", path=path)
            tax = to_money(raw[TAX_FIELD], f"{path}.{TAX_FIELD}") if TAX_FIELD in raw else \
                (left_tax if amount == left_amount else money(src["taxAmount"] * amount / src["amount"]))
            out.append({"line": n, "invoiceLine": src["line"], "item": src["item"], "quantity": qty,
                        "rate": src["rate"], "amount": amount, "taxAmount": tax, "isClosed": False})
        return out

    def update_invoice(self, key: str, body: dict) -> dict:
        """PATCH of an invoice: memo, externalId and custom body fields (amounts change by credit memo)."""
        inv = self.resolve("invoice", key)
        allowed = {"memo", "externalId", "custbody_ava_doc_code"}
        bad = [k for k in body if k not in allowed and not k.startswith("custbody")]
        if bad:
            raise UserError(f"Error while accessing a resource. The field {bad[0]} cannot be changed on an "
                            "invoice through this fake; credit it instead.", path=bad[0])
        with self.store.lock:
            if "externalId" in body:
                self.reindex_external("invoice", inv, body["externalId"])
            inv.update({k: v for k, v in body.items() if k != "externalId"})
            self.stamp(inv)
            self.events.emit("invoice.updated", "invoice", inv)
            return inv
