"""Publishing an invoice, step by step: the Salesforce mirror (header, lines), the Stripe customer,
the Stripe invoice (draft, its lines with their tax in one call, finalize), the mirror's link
to the payable invoice, and the order marked Invoiced.

Each step is re-entrant and checkpointed (``WorkQueue.checkpoint``, scope ``publish:<order id>``):
a retry skips what is done and continues with the first unfinished step. The checkpoints are a
shortcut, not the only guard: every write is keyed so that, without them (a lost store, a second
worker), it still cannot double anything —

- the mirror and its lines are upserts by external id (``ERP_Invoice_Id__c``, ``ERP_Line_Key__c``);
- every Stripe create carries an idempotency key that is stable per step (``o2c-cus-<customer key>``,
  ``o2c-inv-<ERP invoice id>``, ``o2c-inv-<id>-lines-<line numbers>``, ``o2c-inv-<id>-finalize``), so a
  retried create after a dropped answer returns the same object (Stripe replays the first answer);
- a resumed publish re-reads the invoice before adding lines (by ``metadata.erp_line``) and its status
  before finalizing; the lines go in with their tax in one ``add_lines`` call.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .flows import _lines, cents, dec, jurisdictions, line_tax
from ..clients import Permanent


class Publisher:
    def __init__(self, app):
        self.app = app
        self.flows = app.flows
        self.sf, self.erp, self.gw, self.tax = app.sf, app.erp, app.gw, app.tax
        self.config = app.config
        self.queue = app.queue
        self.queue.handler("publish")(self.publish)

    def publish(self, payload: dict[str, Any]) -> None:
        """The order and the ERP invoice are those the bill step has just read (first attempt), else
        read afresh."""
        carried = self.queue.carried() or {}
        order = carried.get("order") or self.flows.load_order(payload["order_id"])
        scope = f"publish:{order['Id']}"
        done = self.queue.checkpoints(scope)
        if done.get("order_invoiced"):
            return
        sor_sf = self.config.system_of_record == "salesforce"
        inv = carried.get("invoice") or self._erp_invoice(order, sor_sf)
        erp_id = str(inv["id"])
        lines = _lines(inv)
        mirror_id, have_lines = done.get("mirror"), None
        if not mirror_id:
            mirror_id, have_lines = self._mirror(order, inv, sor_sf,
                                                 new=bool(carried.get("new_invoice")) and inv is carried.get("invoice"))
            self.queue.checkpoint(scope, "mirror", mirror_id)
        if not done.get("mirror_lines"):
            self._mirror_lines(inv, lines, mirror_id, have_lines)
            self.queue.checkpoint(scope, "mirror_lines")
        customer = self.ensure_customer(order)
        si_id, draft = done.get("stripe_invoice"), None
        if not si_id:
            draft = self._stripe_draft(order, inv, customer, mirror_id)
            si_id = self.queue.checkpoint(scope, "stripe_invoice", draft["id"])
        si = done.get("finalized") or self._finalize(scope, si_id, inv, lines, draft)
        if not done.get("mirror_linked"):
            if not isinstance(si, dict):
                si = self.gw.read(f"/v1/invoices/{si_id}")
            # the mirror's link to the payable invoice and the order marked Invoiced: one collection update
            self.sf.update_many([("blng__Invoice__c", mirror_id, {"Stripe_Invoice_Id__c": si["id"],
                                                                  "Hosted_Invoice_URL__c": si.get("hosted_invoice_url")}),
                                 ("Order", order["Id"], {"Billing_Status__c": "Invoiced"})])
            self.queue.checkpoint(scope, "mirror_linked")
        else:
            self.sf.update("Order", order["Id"], {"Billing_Status__c": "Invoiced"})
        self.queue.checkpoint(scope, "order_invoiced", erp_id)

    # ---- the steps ----------------------------------------------------------------------------------
    def _erp_invoice(self, order: dict[str, Any], sor_sf: bool) -> dict[str, Any]:
        if sor_sf:
            rows = self.sf.query(f"SELECT Id FROM blng__Invoice__c WHERE blng__Order__c = '{order['Id']}'")
            if not rows:
                raise Permanent(f"order {order['key']} has no Salesforce invoice to publish")
            return self.erp.get("invoice", f"eid:{rows[0]['Id']}")
        return self.erp.get("invoice", f"eid:{order['key']}")

    def _mirror(self, order: dict[str, Any], inv: dict[str, Any], sor_sf: bool,
                new: bool = False) -> tuple[str, set[str]]:
        """The mirror's header, upserted by the ERP invoice id; returns the mirror's id and the keys of
        the lines it has already (read with it, in one query). ``new``: the ERP invoice was made by the
        bill step's attempt that handed it over, so no mirror can carry its id: nothing to read."""
        fields = {
            "blng__Account__c": order["AccountId"], "blng__Order__c": order["Id"],
            "blng__InvoiceDate__c": str(inv["tranDate"])[:10], "blng__DueDate__c": str(inv["dueDate"])[:10],
            "blng__InvoiceStatus__c": "Posted", "blng__Subtotal__c": dec(inv["subtotal"]),
            "blng__TaxAmount__c": dec(inv["taxTotal"]), "blng__TotalAmount__c": dec(inv["total"]),
            "ERP_Document_Number__c": inv["tranId"], "AvaTax_Document_Code__c": inv.get("custbody_ava_doc_code")
            or inv["tranId"], "Source_System__c": "Salesforce" if sor_sf else "ERP",
            "Tax_Jurisdictions__c": self._jurisdictions(order, inv.get("custbody_ava_doc_code") or inv["tranId"]),
        }
        existing = [] if new else self.sf.query(
            "SELECT Id, (SELECT ERP_Line_Key__c FROM blng__InvoiceInvoiceLines__r) FROM "
            f"blng__Invoice__c WHERE ERP_Invoice_Id__c = '{inv['id']}'")
        if not existing:
            fields.update({"blng__PaymentStatus__c": "Unpaid", "blng__Balance__c": dec(inv["total"])})
        have = {r["ERP_Line_Key__c"] for m in existing
                for r in (m.get("blng__InvoiceInvoiceLines__r") or {}).get("records", [])}
        mirror_id = self.sf.upsert_id("blng__Invoice__c", "ERP_Invoice_Id__c", str(inv["id"]), fields)
        return mirror_id or self.sf.get_by("blng__Invoice__c", "ERP_Invoice_Id__c", str(inv["id"]))["Id"], have

    def _jurisdictions(self, order: dict[str, Any], code: str) -> str | None:
        """The committed tax document's jurisdictions: as the bill step recorded them, else read."""
        billed = self.queue.checkpoints(f"bill:{order['Id']}")
        if billed.get("tax_committed") == code and "jurisdictions" in billed:
            return billed["jurisdictions"]
        return jurisdictions(self.tax.get(code))

    def _mirror_lines(self, inv: dict[str, Any], lines: list[dict[str, Any]], mirror_id: str,
                      have: set[str] | None = None) -> None:
        """Every line in one sObject Collections upsert by ``ERP_Line_Key__c``. ``have``: the keys of
        the lines the mirror has already, when they were read with it."""
        if have is None:
            have = {r["ERP_Line_Key__c"] for r in self.sf.query(
                f"SELECT ERP_Line_Key__c FROM blng__InvoiceLine__c WHERE blng__Invoice__c = '{mirror_id}'")}
        records = []
        for l in lines:
            line_key = f"{inv['id']}-{l['line']}"
            # the master-detail parent is create-only: send it only when the line is new
            parent = {} if line_key in have else {"blng__Invoice__c": mirror_id}
            records.append({
                "ERP_Line_Key__c": line_key, **parent, "Name": _line_name(l, line_key),
                "blng__Quantity__c": float(l["quantity"]), "blng__UnitPrice__c": dec(l["rate"]),
                "blng__Subtotal__c": dec(l["amount"]), "blng__TaxAmount__c": line_tax(l),
                "blng__TotalAmount__c": dec(l["amount"]) + line_tax(l)})
        self.sf.upsert_many("blng__InvoiceLine__c", "ERP_Line_Key__c", records)

    def ensure_customer(self, order: dict[str, Any]) -> str:
        """The account's Stripe customer: checkpointed per customer key, created with a stable
        idempotency key, and written back to the Salesforce Account."""
        acct = order["Account"]
        if acct.get("Stripe_Customer_Id__c"):
            return acct["Stripe_Customer_Id__c"]
        scope = f"customer:{acct['Customer_Key__c']}"
        done = self.queue.checkpoints(scope)
        cus_id = done.get("stripe_customer")
        if not cus_id:
            cus = self.gw.call(lambda c: c.v1.customers.create(params={
                "name": acct["Name"], "email": acct.get("Email__c") or None,
                "metadata": {"customer_key": acct["Customer_Key__c"], "sf_account_id": order["AccountId"]}},
                options={"idempotency_key": f"o2c-cus-{acct['Customer_Key__c']}"}))
            cus_id = self.queue.checkpoint(scope, "stripe_customer", cus.id)
        if not done.get("on_account"):   # an order read before the id was written back shows none yet
            self.sf.update("Account", order["AccountId"], {"Stripe_Customer_Id__c": cus_id})
            self.queue.checkpoint(scope, "on_account")
        return cus_id

    def _stripe_draft(self, order: dict[str, Any], inv: dict[str, Any], customer: str,
                      mirror_id: str) -> dict[str, Any]:
        """The draft invoice as Stripe answered its creation; only its id when the answer is a replay
        (``Idempotent-Replayed``: an earlier attempt made it, and it may have moved on since)."""
        erp_id = str(inv["id"])
        resp = self.gw.post_response(
            "/v1/invoices", customer=customer, collection_method="send_invoice",
            days_until_due=self.config.terms_days, currency=self.config.currency, auto_advance=False,
            pending_invoice_items_behavior="exclude", description=f"Invoice {inv['tranId']}",
            metadata={"erp_invoice_id": erp_id, "erp_document_number": inv["tranId"], "sf_invoice_id": mirror_id,
                      "order_key": order["key"]},
            idempotency_key=f"o2c-inv-{erp_id}")
        replayed = str(resp.headers.get("Idempotent-Replayed", "")).lower() == "true"
        return {"id": resp.data["id"]} if replayed else resp.data

    def _finalize(self, scope: str, si_id: str, inv: dict[str, Any], lines: list[dict[str, Any]],
                  draft: dict[str, Any] | None = None) -> dict[str, Any]:
        """Lines with their tax, then finalize; checks the total against the ERP invoice. ``draft``: the
        invoice as this attempt has just created it (nothing to read back)."""
        si = draft if draft and "status" in draft else self.gw.read(f"/v1/invoices/{si_id}")
        if si["status"] == "draft":
            self._fill_draft(scope, si, inv, lines)
            si = self.gw.post(f"/v1/invoices/{si_id}/finalize", auto_advance=False,
                              idempotency_key=f"o2c-inv-{inv['id']}-finalize")
        expected = cents(dec(inv["total"]))
        if si["total"] != expected:
            raise Permanent(f"Stripe invoice {si['id']} totals {si['total']} cents, ERP invoice {inv['tranId']} "
                            f"{expected} cents")
        self.queue.checkpoint(scope, "finalized", si["status"] != "draft")
        return si

    def _fill_draft(self, scope: str, si: dict[str, Any], inv: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """The ERP invoice's missing lines, each with its tax, in one ``add_lines`` call (Stripe's bulk
        add: https://docs.stripe.com/api/invoices/add_lines; all lines or none). A line already there
        without its tax (written by an earlier version, one line at a time) gets its tax set."""
        by_line = {l.get("metadata", {}).get("erp_line"): l for l in si["lines"]["data"]}
        missing = [l for l in lines if str(l["line"]) not in by_line]
        if missing:
            numbers = "-".join(str(l["line"]) for l in missing)
            self.gw.post(f"/v1/invoices/{si['id']}/add_lines", idempotency_key=f"o2c-inv-{inv['id']}-lines-{numbers}",
                         lines=[{"amount": cents(dec(l["amount"])), "description": f"line {l['line']}",
                                 "metadata": {"erp_line": str(l["line"])}, **_tax_amounts(l, inv)} for l in missing])
            self.queue.checkpoint(scope, "stripe_lines", numbers)
        for l in lines:
            item = by_line.get(str(l["line"]))
            if item is not None and line_tax(l) and not item.get("tax_amounts"):
                self.gw.post(f"/v1/invoices/{si['id']}/lines/{item['id']}", **_tax_amounts(l, inv))


def _tax_amounts(line: dict[str, Any], inv: dict[str, Any]) -> dict[str, Any]:
    """The ERP line's tax (AvaTax's) as the Stripe line's ``tax_amounts``; none for an untaxed line."""
    tax, amount = line_tax(line), dec(line["amount"])
    if tax == 0:
        return {}
    pct = (tax / amount * 100).quantize(Decimal("0.0001")) if amount else Decimal("0")
    return {"tax_amounts": [{"amount": cents(tax), "taxable_amount": cents(amount),
                             "tax_rate_data": {"display_name": "Sales tax (AvaTax)", "inclusive": False,
                                               "percentage": float(pct), "jurisdiction": inv.get("tranId")}}]}


def _line_name(line: dict[str, Any], fallback: str) -> str:
    """The line's item as the ERP names it (``item.refName``), shown on the customer's invoice."""
    item = line.get("item")
    name = (item.get("refName") if isinstance(item, dict) else None) or line.get("description") or fallback
    return str(name)[:80]
