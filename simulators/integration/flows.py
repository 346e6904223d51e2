"""Order to invoice: Salesforce order activated -> ERP customer and sales order, AvaTax estimate ->
ERP invoice, AvaTax SalesInvoice committed under the invoice number, tax on the ERP invoice ->
mirror in Salesforce and a payable Stripe invoice. With Salesforce as system of record the
invoice originates in Salesforce (Revenue-Cloud style) and is posted to the ERP.

Every step is idempotent (upserts by external id, Stripe idempotency keys, look-before-create),
so a retried job never doubles anything.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..core.jsonutil import money
from ..clients import AlreadyExists, Permanent, Retryable

ORDER_SOQL = (
    "SELECT Id, OrderNumber, Order_Key__c, Status, AccountId, EffectiveDate, ShippingStreet, ShippingCity, "
    "ShippingState, ShippingPostalCode, ShippingCountry, ERP_Sales_Order_Id__c, Billing_Status__c, Account.Name, "
    "Account.Customer_Key__c, Account.Email__c, Account.Tax_Exemption_No__c, Account.Entity_Use_Code__c, "
    "Account.Stripe_Customer_Id__c, Account.BillingStreet, Account.BillingCity, Account.BillingState, "
    "Account.BillingPostalCode, Account.BillingCountry, "
    "(SELECT Id, Quantity, UnitPrice, TotalPrice, ServiceDate, EndDate, Product2.ProductCode, Product2.Name, "
    "Product2.Tax_Code__c FROM OrderItems ORDER BY Id) FROM Order WHERE Id = '{id}'"
)


# ERP payment terms by days (NetSuite's standard terms list)
ERP_TERMS = {0: "3", 15: "4", 30: "5", 45: "6", 60: "7"}


def dec(value: Any) -> Decimal:
    return money(str(value if value is not None else 0))


def cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


class Flows:
    def __init__(self, app):
        self.app = app
        self.sf, self.erp, self.tax, self.gw = app.sf, app.erp, app.tax, app.gw
        self.config = app.config
        q = app.queue
        q.handler("order")(self.sync_order)
        q.handler("bill")(self.bill_order)
        q.handler("cancel")(self.cancel_order)

    # ---- reading the order --------------------------------------------------------------
    def load_order(self, order_id: str) -> dict[str, Any]:
        rows = self.sf.query(ORDER_SOQL.format(id=order_id.replace("'", "")))
        if not rows:
            raise Permanent(f"order {order_id} not found in Salesforce")
        order = rows[0]
        order["key"] = order.get("Order_Key__c") or order["Id"]
        order["lines"] = (order.get("OrderItems") or {}).get("records", [])
        if not order["lines"]:
            raise Permanent(f"order {order['key']} has no lines")
        acct = order.get("Account") or {}
        if not acct.get("Customer_Key__c"):
            raise Permanent(f"account of order {order['key']} has no Customer_Key__c")
        return order

    @staticmethod
    def ship_to(order: dict[str, Any]) -> dict[str, Any]:
        acct = order["Account"]
        pick = lambda o, a: order.get(o) or acct.get(a) or ""  # noqa: E731
        return {"line1": pick("ShippingStreet", "BillingStreet"), "city": pick("ShippingCity", "BillingCity"),
                "region": pick("ShippingState", "BillingState"), "postalCode": pick("ShippingPostalCode", "BillingPostalCode"),
                "country": pick("ShippingCountry", "BillingCountry") or "US"}

    def tax_model(self, order: dict[str, Any], doc_type: str, code: str, commit: bool,
                  amounts: list[Decimal] | None = None) -> dict[str, Any]:
        acct = order["Account"]
        model = {
            "type": doc_type, "code": code, "companyCode": self.config.company_code,
            "date": self.app.today().isoformat(), "customerCode": acct["Customer_Key__c"], "commit": commit,
            "currencyCode": self.config.currency.upper(), "addresses": {"shipTo": self.ship_to(order)},
            "lines": [{"number": str(i), "itemCode": l["Product2"]["ProductCode"],
                       "quantity": float(l["Quantity"]),
                       "amount": amounts[i - 1] if amounts else dec(l["TotalPrice"]),
                       "taxCode": l["Product2"].get("Tax_Code__c") or "P0000000"}
                      for i, l in enumerate(order["lines"], start=1)],
        }
        if acct.get("Tax_Exemption_No__c"):
            model["exemptionNo"] = acct["Tax_Exemption_No__c"]
        if acct.get("Entity_Use_Code__c"):
            model["entityUseCode"] = acct["Entity_Use_Code__c"]
        return model

    # ---- step 1: order -> ERP ---------------------------------------------------------------
    def sync_order(self, payload: dict[str, Any]) -> None:
        """An Order activated (or re-activated after an amendment): the ERP customer, the AvaTax
        estimate and exactly one ERP sales order whose lines follow the order's. A re-activated
        order that is not billed yet gets its sales order lines replaced and its tax re-estimated;
        one that is already invoiced is not billed again: it is an alert for a person (a credit
        memo is the way to amend it), never a silent divergence."""
        order = self.load_order(payload["order_id"])
        if order["Status"] == "Cancelled":
            self.app.queue.submit("cancel", order["Id"], {"order_id": order["Id"]})
            return
        if order["Status"] != "Activated":
            return   # deactivated again before we got to it: the next activation brings it back
        acct = order["Account"]
        # checkpoints for this activation only (scope forgotten when the job is done): the next
        # re-activation upserts and estimates afresh; the estimate is keyed by the lines it priced
        q, scope = self.app.queue, f"order:{order['Id']}"
        done = q.checkpoints(scope)
        if not done.get("erp_customer"):
            self.erp.upsert("customer", acct["Customer_Key__c"], {
                "companyName": acct["Name"], "email": acct.get("Email__c"), "isPerson": False,
                "externalId": acct["Customer_Key__c"], "terms": {"id": ERP_TERMS[self.config.terms_days]}})
            q.checkpoint(scope, "erp_customer")
        priced = done.get(f"estimate:{_fingerprint(order)}")
        if priced is None:
            estimate = self.tax.create(self.tax_model(order, "SalesOrder", f"EST-{order['key']}", False))
            priced = q.checkpoint(scope, f"estimate:{_fingerprint(order)}",
                                  {"taxes": [str(dec(l["tax"])) for l in estimate["lines"]],
                                   "total": str(dec(estimate["totalTax"]))})
        taxes = [dec(t) for t in priced["taxes"]]
        # no look-up first: the external id is unique, so a sales order already there (a re-activation,
        # a race, or an answer lost after the write) is refused (DUP_RCRD) and read instead
        so, made = None, False
        try:
            so_id = self.erp.create("salesOrder", {
                "externalId": order["key"], "entity": {"externalId": acct["Customer_Key__c"]},
                "orderStatus": {"id": "B"}, "otherRefNum": order.get("OrderNumber"),
                "custbody_sf_order_id": order["Id"], "shippingAddress": self.ship_to(order),
                "item": {"items": self._so_lines(order, taxes)}})
            made = True
        except AlreadyExists:
            so = self.erp.get("salesOrder", f"eid:{order['key']}")
        if so is not None:
            so_id = str(so["id"])
            self._follow_amendment(order, so, taxes)
        q.checkpoint(scope, "sales_order", so_id)
        fields = {"ERP_Sales_Order_Id__c": so_id, "Tax_Status__c": "Estimated",
                  "Estimated_Tax__c": dec(priced["total"])}
        if not self.config.bill_on_activation and order.get("Billing_Status__c") in (None, "", "Not Billed"):
            fields["Billing_Status__c"] = "Not Billed"   # waiting for the nightly billing run
        self.sf.update("Order", order["Id"], fields)
        q.forget(scope)
        if self.config.bill_on_activation:   # the order as just read goes along: no second read
            # new_sales_order: made by this attempt, so not invoiced yet (the bill step looks for no invoice)
            self.app.queue.submit("bill", order["Id"], {"order_id": order["Id"], "lines": _fingerprint(order),
                                                        "taxes": priced["taxes"]},
                                  carry={"order": order, "new_sales_order": made})

    @staticmethod
    def _so_lines(order: dict[str, Any], taxes: list[Decimal]) -> list[dict[str, Any]]:
        return [{"item": {"externalId": l["Product2"]["ProductCode"]}, "quantity": float(l["Quantity"]),
                 "rate": dec(l["UnitPrice"]), "custcol_ava_taxamount": t}
                for l, t in zip(order["lines"], taxes)]

    @staticmethod
    def _same_lines(so: dict[str, Any], order: dict[str, Any], taxes: list[Decimal] | None = None) -> bool:
        """The ERP sales order carries exactly the order's lines (product, quantity, amount[, tax])."""
        have = [l for l in _lines(so) if not l.get("isClosed")]
        if len(have) != len(order["lines"]):
            return False
        for i, (erp_line, sf_line) in enumerate(zip(have, order["lines"])):
            item = erp_line.get("item") or {}
            if str(item.get("refName") or item.get("externalId")) != sf_line["Product2"]["ProductCode"]:
                return False
            if Decimal(str(erp_line["quantity"])) != Decimal(str(sf_line["Quantity"])) \
                    or dec(erp_line["amount"]) != dec(sf_line["TotalPrice"]):
                return False
            if taxes is not None and line_tax(erp_line) != taxes[i]:
                return False
        return True

    def _follow_amendment(self, order: dict[str, Any], so: dict[str, Any], taxes: list[Decimal]) -> None:
        """Bring an existing sales order in line with the (re-activated) order, before billing only."""
        if (so.get("orderStatus") or {}).get("id") in ("G", "H"):   # Billed / Closed
            if not self._same_lines(so, order):
                raise self.alert(order, f"order {order.get('OrderNumber') or order['key']} ({order['key']}) was "
                                        f"changed in Salesforce after it was invoiced and is not billed again. "
                                        f"Order already invoiced: amend with a credit memo in the ERP, or cancel "
                                        f"and re-order")
            return
        if not self._same_lines(so, order, taxes):
            self.erp.request("PATCH", f"/record/v1/salesOrder/eid:{order['key']}", params={"replace": "item"},
                             json={"item": {"items": self._so_lines(order, taxes)}})

    def alert(self, order: dict[str, Any], message: str) -> Permanent:
        """A problem only a person can settle: an open Task on the order for the billing team and an
        Integration_Error__e platform event in Salesforce (once while the task is open); the job
        then goes to the dead-letter list (the caller raises the returned Permanent)."""
        open_alerts = self.sf.query(f"SELECT Id FROM Task WHERE WhatId = '{order['Id']}' AND Status != 'Completed' "
                                    f"AND Subject LIKE 'O2C billing alert%'")
        if not open_alerts:
            self.sf.create("Task", {"WhatId": order["Id"], "Subject": f"O2C billing alert: {message}"[:255],
                                    "Description": message, "Type": "Other", "Priority": "High",
                                    "Status": "Not Started", "ActivityDate": self.app.today().isoformat()})
            self.sf.create("Integration_Error__e", {"Source__c": "o2c-integration", "Message__c": message,
                                                    "Record_Id__c": order["Id"]})
        return Permanent(message)

    # ---- step 2: bill -------------------------------------------------------------------------
    def bill_order(self, payload: dict[str, Any]) -> None:
        """ERP invoice (by external id = order key), then the AvaTax SalesInvoice committed under its
        number; each a checkpoint (scope ``bill:<order id>``), then the publish job. The order is the one
        the order step has just read (first attempt), else read afresh."""
        carried = self.app.queue.carried() or {}
        order = carried.get("order") or self.load_order(payload["order_id"])
        if order["Status"] != "Activated":
            return   # cancelled, or deactivated for an amendment: billed after it is activated again
        if self.config.system_of_record == "salesforce":
            self._bill_in_salesforce(order, payload.get("lines"))
            return
        q, scope = self.app.queue, f"bill:{order['Id']}"
        inv, new_invoice = None, False
        if not q.checkpoints(scope).get("tax_committed"):
            # a sales order the order step has just made has no invoice: nothing to look up (were one
            # there all the same, the transform is refused as a duplicate and it is read below)
            inv = None if carried.get("new_sales_order") and carried.get("order") is order else \
                self.erp.get("invoice", f"eid:{order['key']}", allow_missing=True)
            new_invoice = inv is None
            if new_invoice:
                estimate = self._estimate(order, payload)
                self._ready_to_bill(order, estimate, payload.get("lines"))
                try:
                    self.erp.transform("salesOrder", f"eid:{order['key']}", "invoice", {
                        "externalId": order["key"],
                        "item": {"items": [{"orderLine": i, "custcol_ava_taxamount": dec(l["tax"])}
                                           for i, l in enumerate(estimate["lines"], start=1)]}})
                except AlreadyExists:
                    new_invoice = False   # invoiced meanwhile: read it below
                inv = self.erp.get("invoice", f"eid:{order['key']}")
            q.checkpoint(scope, "erp_invoice", str(inv["id"]))
            doc = self._commit_tax(order, inv, new_invoice)
            # the committed document's jurisdictions, for the mirror (publish reads them from here)
            q.checkpoint(scope, "jurisdictions", jurisdictions(doc))
            q.checkpoint(scope, "tax_committed", inv["tranId"])
        # new_invoice: made by this attempt, so no mirror can carry its id yet (publish looks for none)
        q.submit("publish", order["Id"], {"order_id": order["Id"]},
                 carry={"order": order, "invoice": inv, "new_invoice": new_invoice})

    def _estimate(self, order: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        """The lines' tax to bill: the estimate the order step has just made for exactly these lines
        (billing on activation: carried in the job), else a fresh AvaTax SalesOrder estimate."""
        taxes = payload.get("taxes")
        if taxes and payload.get("lines") == _fingerprint(order) and len(taxes) == len(order["lines"]):
            return {"lines": [{"tax": t} for t in taxes]}
        return self.tax.create(self.tax_model(order, "SalesOrder", f"EST-{order['key']}", False))

    def _ready_to_bill(self, order: dict[str, Any], estimate: dict[str, Any], synced: str | None = None) -> None:
        """Bill what the order says now: if an amendment has not reached the sales order yet (its
        re-activation is still being retried), bring the lines over first. ``synced``: the lines the
        order step has just written to the sales order (billing on activation), so nothing to read."""
        if synced is not None and synced == _fingerprint(order):
            return
        so = self.erp.get("salesOrder", f"eid:{order['key']}", allow_missing=True)
        if so is None:
            raise Retryable(f"sales order {order['key']} is not in the ERP yet")
        self._follow_amendment(order, so, [dec(l["tax"]) for l in estimate["lines"]])

    def _commit_tax(self, order: dict[str, Any], inv: dict[str, Any], new_invoice: bool = False) -> dict[str, Any]:
        """The AvaTax SalesInvoice under the ERP invoice's number, committed. An invoice made by this
        attempt has a number no tax document can carry yet: nothing to look up before creating."""
        code = inv["tranId"]
        doc = None if new_invoice else self.tax.get(code)
        if doc is None or doc["status"] not in ("Committed",):
            amounts = [dec(l["amount"]) for l in _lines(inv)]
            doc = self.tax.create(self.tax_model(order, "SalesInvoice", code, True, amounts))
        if dec(doc["totalTax"]) != dec(inv["taxTotal"]):
            raise Permanent(f"committed tax {doc['totalTax']} for {code} differs from the ERP invoice's "
                            f"{inv['taxTotal']}: not publishing a wrong invoice")
        if inv.get("custbody_ava_doc_code") != code:
            self.erp.patch("invoice", str(inv["id"]), {"custbody_ava_doc_code": code})
            inv["custbody_ava_doc_code"] = code   # as the ERP has it now (the invoice goes on to publish)
        return doc

    def _bill_in_salesforce(self, order: dict[str, Any], synced: str | None = None) -> None:
        """Revenue-Cloud style: the invoice is created in Salesforce, then posted to the ERP."""
        existing = self.sf.query(f"SELECT Id, Name FROM blng__Invoice__c WHERE blng__Order__c = '{order['Id']}'")
        estimate = self.tax.create(self.tax_model(order, "SalesOrder", f"EST-{order['key']}", False))
        subtotal = sum((dec(l["TotalPrice"]) for l in order["lines"]), Decimal("0"))
        tax = dec(estimate["totalTax"])
        today = self.app.today()
        due = today.fromordinal(today.toordinal() + self.config.terms_days)
        if not existing:
            result = self.sf.create("blng__Invoice__c", {
                "blng__Account__c": order["AccountId"], "blng__Order__c": order["Id"],
                "blng__InvoiceDate__c": today.isoformat(), "blng__DueDate__c": due.isoformat(),
                "blng__InvoiceStatus__c": "Posted", "blng__PaymentStatus__c": "Unpaid",
                "blng__Subtotal__c": subtotal, "blng__TaxAmount__c": tax,
                "blng__TotalAmount__c": subtotal + tax, "blng__Balance__c": subtotal + tax,
                "Source_System__c": "Salesforce"})
            existing = self.sf.query(f"SELECT Id, Name FROM blng__Invoice__c WHERE Id = '{result['id']}'")
        sf_inv = existing[0]
        doc = self.tax.get(sf_inv["Name"])
        if doc is None or doc["status"] != "Committed":
            doc = self.tax.create(self.tax_model(order, "SalesInvoice", sf_inv["Name"], True))
        inv = self.erp.get("invoice", f"eid:{sf_inv['Id']}", allow_missing=True)
        if inv is None:
            self._ready_to_bill(order, estimate, synced)
            self.erp.transform("salesOrder", f"eid:{order['key']}", "invoice", {
                "externalId": sf_inv["Id"], "custbody_ava_doc_code": sf_inv["Name"], "otherRefNum": sf_inv["Name"],
                "item": {"items": [{"orderLine": i, "custcol_ava_taxamount": dec(l["tax"])}
                                   for i, l in enumerate(doc["lines"], start=1)]}})
            inv = self.erp.get("invoice", f"eid:{sf_inv['Id']}")
        self.sf.update("blng__Invoice__c", sf_inv["Id"], {"ERP_Invoice_Id__c": str(inv["id"]),
                                                          "ERP_Document_Number__c": inv["tranId"],
                                                          "AvaTax_Document_Code__c": sf_inv["Name"]})
        self.app.queue.submit("publish", order["Id"], {"order_id": order["Id"]}, carry={"order": order})

    # ---- step 3: mirror + Stripe: publish.py ------------------------------------------------------
    # ---- cancellation ----------------------------------------------------------------------------
    def cancel_order(self, payload: dict[str, Any]) -> None:
        """Undo an order's billing; only when Salesforce itself says the order is Cancelled (never on
        the word of a notification)."""
        order = self.load_order(payload["order_id"])
        if order["Status"] != "Cancelled":
            self.app.store.data["stats"]["cancels_refused"] = self.app.store.data["stats"].get("cancels_refused", 0) + 1
            return
        so = self.erp.get("salesOrder", f"eid:{order['key']}", allow_missing=True)
        inv = self.erp.get("invoice", f"eid:{order['key']}", allow_missing=True)
        if inv is not None:
            doc = self.tax.get(inv["tranId"])
            if doc is not None and doc["status"] != "Cancelled":
                self.tax.void(inv["tranId"])
            self.app.payments.void_for_invoice(inv)
        elif so is not None and so.get("status", {}).get("id", so.get("status")) not in ("C", "Cancelled"):
            self.erp.patch("salesOrder", f"eid:{order['key']}", {"orderStatus": {"id": "C"}})
        self.sf.update("Order", order["Id"], {"Billing_Status__c": "Cancelled"})


def _fingerprint(order: dict[str, Any]) -> str:
    """The order's lines as the sales order carries them (product, quantity, amount)."""
    return "|".join(f"{l['Product2']['ProductCode']}:{Decimal(str(l['Quantity'])).normalize()}:{dec(l['TotalPrice'])}"
                    for l in order["lines"])


def jurisdictions(doc: dict[str, Any] | None) -> str | None:
    """A tax document's summary, one ``name|rate|tax`` line per jurisdiction, for the customer-facing
    invoice (portal and PDF show tax by jurisdiction)."""
    if not doc:
        return None
    return "\n".join(f"{s['jurisName']} {s['jurisType']} {s['taxName']}".replace("|", "/") +
                     f"|{Decimal(str(s['rate']))}|{dec(s['tax'])}" for s in doc.get("summary") or []) or None


def line_tax(line: dict[str, Any]) -> Decimal:
    """The tax the ERP carries on an invoice line (the AvaTax amount, custcol_ava_taxamount)."""
    return dec(line.get("custcol_ava_taxamount", line.get("taxAmount", 0)))



def _lines(inv: dict[str, Any]) -> list[dict[str, Any]]:
    items = inv.get("item", {})
    return items.get("items", []) if isinstance(items, dict) else list(items or [])


def credit_items(inv: dict[str, Any], refund: Decimal) -> list[dict[str, Any]]:
    """A refund spread over the invoice's lines in proportion to their totals (cent-rounded, the last
    line taking the remainder), each share split into amount and tax: a credit memo's items."""
    lines = [l for l in _lines(inv) if dec(l["amount"]) + line_tax(l) > 0]
    total = sum((dec(l["amount"]) + line_tax(l) for l in lines), Decimal("0"))
    items, left = [], refund
    for i, l in enumerate(lines):
        line_total = dec(l["amount"]) + line_tax(l)
        share = left if i == len(lines) - 1 else money(refund * line_total / total)
        share = min(share, line_total, left)
        left -= share
        if share <= 0:
            continue
        tax = money(share * line_tax(l) / line_total)
        items.append({"line": l["line"], "amount": share - tax, "custcol_ava_taxamount": tax})
    return items
