"""Credit notes: adjust a finalized (open or paid) invoice without voiding it.

Stripe's rules (docs.stripe.com/api/credit_notes/create, API 2025-11-17 and later;
docs.stripe.com/invoicing/integration/programmatic-credit-notes):

- a credit note first reduces the invoice's ``amount_remaining`` (and ``amount_due``), never below zero:
  that part is its ``pre_payment_amount`` and adds to the invoice's ``pre_payment_credit_notes_amount``;
- the excess is its ``post_payment_amount`` (adds to ``post_payment_credit_notes_amount``) and must equal
  ``refund_amount`` (a new Refund of the invoice's charge) + ``credit_amount`` (the customer's balance,
  applied to their next invoice) + ``out_of_band_amount``;
- lines are ``invoice_line_item`` (an amount, or a quantity times the line's unit amount; the line's taxes
  are credited in proportion) or ``custom_line_item`` (description, quantity, unit_amount); or the credit
  note gives only ``amount``; a credit note can never credit more than the invoice total not yet credited;
- an open invoice whose amount remaining reaches zero through a credit note is paid.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")


def _share(part: int, amount: int, whole: int) -> int:
    return int((Decimal(part) * amount / whole).quantize(Decimal(1), ROUND_HALF_UP)) if whole else 0


def _by_discount(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, int] = {}
    for line in lines:
        for d in line["discount_amounts"]:
            out[d["discount"]] = out.get(d["discount"], 0) + d["amount"]
    return [{"amount": v, "discount": k} for k, v in out.items()]


def _money(amount: int) -> str:
    return f"${amount / 100:.2f}"


class CreditNoteStore(Resource):
    # ---- computation (shared by create and preview) ------------------------------------------------
    def _credit_lines(self, inv: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            raise InvalidRequest("Invalid array", param="lines")
        out = []
        for i, spec in enumerate(raw):
            where = f"lines[{i}]"
            if not isinstance(spec, dict):
                raise InvalidRequest("Invalid object", param=where)
            kind = P.string(spec, "type", required=True, choices=("invoice_line_item", "custom_line_item"),
                            label=f"{where}[type]")
            qty = P.integer(spec, "quantity", minimum=1, label=f"{where}[quantity]")
            taxes: list[dict[str, Any]] = []
            discounts: list[dict[str, Any]] = []
            if kind == "invoice_line_item":
                line = self.hub.lines.get_line(inv, spec.get("invoice_line_item"), param=f"{where}[invoice_line_item]")
                amount = P.integer(spec, "amount", minimum=0, label=f"{where}[amount]")
                line_qty = line.get("quantity") or 1
                if amount is None:
                    if qty is None:
                        raise InvalidRequest("You must pass either `amount` or `quantity` for a line of type "
                                             "`invoice_line_item`.", param=f"{where}[amount]")
                    if qty > line_qty:
                        raise InvalidRequest(f"The quantity ({qty}) exceeds the invoice line item's quantity "
                                             f"({line_qty}).", param=f"{where}[quantity]")
                    amount = line["amount"] * qty // line_qty
                if amount > line["amount"]:
                    raise InvalidRequest(f"The amount ({_money(amount)}) exceeds the invoice line item's amount "
                                         f"({_money(line['amount'])}).", param=f"{where}[amount]")
                for tax in line["taxes"]:   # the line's taxes, credited in proportion to the amount credited
                    share = (Decimal(tax["amount"]) * amount / line["amount"]) if line["amount"] else Decimal(0)
                    taxable = (Decimal(tax["taxable_amount"]) * amount / line["amount"]) if line["amount"] else 0
                    taxes.append(dict(tax, amount=int(share.quantize(Decimal(1), ROUND_HALF_UP)),
                                      taxable_amount=int(Decimal(taxable).quantize(Decimal(1), ROUND_HALF_UP))))
                discounts = [{"amount": _share(da["amount"], amount, line["amount"]), "discount": da["discount"]}
                             for da in line.get("discount_amounts") or []]   # credited in proportion too
                desc, unit, line_id = line.get("description"), None, line["id"]
            else:
                desc = P.string(spec, "description", required=True, label=f"{where}[description]")
                unit = P.integer(spec, "unit_amount", required=True, minimum=0, label=f"{where}[unit_amount]")
                qty = qty or 1
                amount, line_id = unit * qty, None
            out.append({
                "id": self.db.new_id("cnli"), "object": "credit_note_line_item", "amount": amount,
                "description": desc, "discount_amount": sum(d["amount"] for d in discounts),
                "discount_amounts": discounts, "invoice_line_item": line_id,
                "livemode": False, "metadata": P.metadata(spec), "pretax_credit_amounts": [], "quantity": qty,
                "tax_rates": [], "taxes": taxes, "type": kind, "unit_amount": unit,
                "unit_amount_decimal": str(unit) if unit is not None else None,
            })
        return out

    def _compute_credit_note(self, params: dict[str, Any], preview: bool) -> tuple[dict[str, Any], dict[str, int]]:
        inv = self.db.get("invoice", P.string(params, "invoice", required=True), param="invoice")
        if inv["status"] not in ("open", "paid"):
            raise InvalidRequest(f"Credit notes can only be issued for open or paid invoices. This invoice is "
                                 f"{inv['status']}.", param="invoice", code="invoice_not_editable")
        lines = self._credit_lines(inv, params["lines"]) if params.get("lines") not in (None, "") else []
        amount = P.integer(params, "amount", minimum=0)
        if not lines and amount is None:
            raise InvalidRequest("One of `amount` or `lines` must be provided.", param="amount")
        subtotal = sum(line["amount"] for line in lines) if lines else amount
        exclusive = sum(t["amount"] for line in lines for t in line["taxes"] if t["tax_behavior"] == "exclusive")
        inclusive = sum(t["amount"] for line in lines for t in line["taxes"] if t["tax_behavior"] == "inclusive")
        discount = sum(line["discount_amount"] for line in lines)
        total = subtotal - discount + exclusive
        if lines and amount is not None and amount != total:
            raise InvalidRequest(f"The amount ({_money(amount)}) does not match the sum of the credit note lines "
                                 f"({_money(total)}).", param="amount")
        if total <= 0:
            raise InvalidRequest("The credit note total must be greater than zero.", param="amount")
        creditable = inv["total"] - inv["pre_payment_credit_notes_amount"] - inv["post_payment_credit_notes_amount"]
        if total > creditable:
            raise InvalidRequest(f"The credit note total ({_money(total)}) is greater than the amount that can still "
                                 f"be credited on invoice {inv['id']} ({_money(creditable)}).", param="amount")
        pre = min(total, inv["amount_remaining"]) if inv["status"] == "open" else 0
        post = total - pre
        split = {k: P.integer(params, k, default=0, minimum=0)
                 for k in ("refund_amount", "credit_amount", "out_of_band_amount")}
        if sum(split.values()) != post:
            raise InvalidRequest(
                f"The sum of `refund_amount`, `credit_amount` and `out_of_band_amount` ({_money(sum(split.values()))}) "
                f"must equal the credit note's post-payment amount ({_money(post)}).",
                param="refund_amount" if split["refund_amount"] else "credit_amount")
        agg: dict[tuple, dict[str, Any]] = {}
        for line in lines:
            for tax in line["taxes"]:
                key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"])
                slot = agg.setdefault(key, dict(tax, amount=0, taxable_amount=0))
                slot["amount"] += tax["amount"]
                slot["taxable_amount"] += tax["taxable_amount"]
        cid = self.db.new_id("cnprv" if preview else "cn")
        count = self.db.internal(inv["id"]).get("credit_notes", 0) + 1
        cn = {
            "id": cid, "object": "credit_note", "amount": total, "amount_shipping": 0, "created": self.db.now(),
            "currency": inv["currency"], "customer": inv["customer"], "customer_balance_transaction": None,
            "discount_amount": discount, "discount_amounts": _by_discount(lines), "effective_at": P.integer(params, "effective_at"),
            "invoice": inv["id"],
            "lines": {"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
                      "url": f"/v1/credit_notes/{cid}/lines"},
            "livemode": False, "memo": P.string(params, "memo"), "metadata": P.metadata(params),
            "number": f"{inv['number']}-CN-{count:02d}", "out_of_band_amount": split["out_of_band_amount"] or None,
            "pdf": None, "post_payment_amount": post, "pre_payment_amount": pre, "pretax_credit_amounts": [],
            "reason": P.string(params, "reason", choices=REASONS), "refunds": [], "shipping_cost": None,
            "status": "issued", "subtotal": subtotal, "subtotal_excluding_tax": subtotal - inclusive,
            "total": total, "total_excluding_tax": total - exclusive, "total_taxes": list(agg.values()),
            "type": "pre_payment" if post == 0 else ("post_payment" if pre == 0 else "mixed"),
            "voided_at": None,
        }
        if cn["effective_at"] is None and not preview:
            cn["effective_at"] = cn["created"]
        return cn, split

    # ---- operations --------------------------------------------------------------------------------
    def preview(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._compute_credit_note(params, preview=True)[0]

    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        cn, split = self._compute_credit_note(params, preview=False)
        inv = self.db.get("invoice", cn["invoice"])
        if split["refund_amount"]:
            charge = self._invoice_charge(inv)
            refund = self.hub.refunds.create({"charge": charge["id"], "amount": str(split["refund_amount"])})
            cn["refunds"].append({"amount_refunded": refund["amount"], "payment_record_refund": None,
                                  "refund": refund["id"], "type": "refund"})
        if split["credit_amount"]:
            txn = self.hub.balance.add_customer_balance(
                self.db.get("customer", inv["customer"]), -split["credit_amount"], inv["currency"], "credit_note",
                credit_note=cn["id"], invoice=inv["id"])
            cn["customer_balance_transaction"] = txn["id"]
        self.db.internal(inv["id"])["credit_notes"] = self.db.internal(inv["id"]).get("credit_notes", 0) + 1
        self.db.put(cn)
        for line in cn["lines"]["data"]:
            self.db.d["objects"][line["id"]] = line
        cn["pdf"] = f"{self.hub.public_base}/credit_notes/{cn['id']}/pdf"
        self.hub.events.emit("credit_note.created", cn)
        self._credit_invoice(inv, cn["pre_payment_amount"], cn["post_payment_amount"])
        return cn

    def _invoice_charge(self, inv: dict[str, Any]) -> dict[str, Any]:
        pi = self.hub.invoices.invoice_pi(inv)
        charge = self.db.find(pi["latest_charge"]) if pi and pi.get("latest_charge") else None
        if charge is None or charge["status"] != "succeeded":
            raise InvalidRequest("This invoice was not paid with a Stripe charge, so `refund_amount` cannot be used; "
                                 "use `out_of_band_amount` or `credit_amount` instead.", param="refund_amount")
        return charge

    def _credit_invoice(self, inv: dict[str, Any], pre: int, post: int, sign: int = 1) -> None:
        before = {k: inv[k] for k in ("amount_due", "amount_remaining", "pre_payment_credit_notes_amount",
                                      "post_payment_credit_notes_amount")}
        inv["pre_payment_credit_notes_amount"] += sign * pre
        inv["post_payment_credit_notes_amount"] += sign * post
        if pre:
            inv["amount_due"] -= sign * pre
            inv["amount_remaining"] -= sign * pre
            pi = self.hub.invoices.invoice_pi(inv)
            if pi and pi["status"] not in ("succeeded", "canceled"):
                pi["amount"] = inv["amount_remaining"] or pi["amount"]
        self.hub.events.emit("invoice.updated", inv, {k: v for k, v in before.items() if inv[k] != v})
        if inv["status"] == "open" and inv["amount_remaining"] == 0:
            pi = self.hub.invoices.invoice_pi(inv)
            if pi and pi["status"] not in ("succeeded", "canceled"):
                pi.update(status="canceled", canceled_at=self.db.now(), cancellation_reason="void_invoice")
            self.hub.invoices.mark_paid(inv, None, out_of_band=True)

    def update(self, cn: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        before = self.db.snapshot({k: cn[k] for k in ("memo", "metadata")})
        if "memo" in params:
            cn["memo"] = P.string(params, "memo") or None
        cn["metadata"] = P.metadata(params, cn["metadata"])
        self.hub.events.emit("credit_note.updated", cn, {k: v for k, v in before.items() if cn[k] != v})
        return cn

    def void(self, cn: dict[str, Any]) -> dict[str, Any]:
        if cn["status"] == "void":
            raise InvalidRequest("This credit note has already been voided.", code="credit_note_already_voided")
        inv = self.db.get("invoice", cn["invoice"])
        if cn["refunds"]:
            raise InvalidRequest("You cannot void a credit note that refunded a payment.")
        if cn["pre_payment_amount"] and inv["status"] != "open":
            raise InvalidRequest(f"You cannot void this credit note because its invoice is {inv['status']}.",
                                 code="invoice_not_editable")
        if cn["customer_balance_transaction"]:
            txn = self.db.get("customer_balance_transaction", cn["customer_balance_transaction"])
            self.hub.balance.add_customer_balance(self.db.get("customer", inv["customer"]), -txn["amount"],
                                                  txn["currency"], "credit_note", credit_note=cn["id"],
                                                  invoice=inv["id"])
        cn.update(status="void", voided_at=self.db.now())
        self._credit_invoice(inv, cn["pre_payment_amount"], cn["post_payment_amount"], sign=-1)
        self.hub.events.emit("credit_note.voided", cn)
        return cn
