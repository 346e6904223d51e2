"""Business actions and observations for scenarios, demos and experiments, through the systems'
public APIs and control planes only (never the integration's internals), so the same scenario
can judge a user's own integration.

    with InProcessHarness(integration={"payment_sync": "webhook"}) as h:
        o2c = Lifecycle(h)
        o2c.install_integration()
        order = o2c.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2)])
        o2c.activate(order)
        o2c.wait_for_invoice(order)
        o2c.pay(order)
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

import requests

from .clients import AvaTaxConn, ErpConn, SalesforceConn, StripeConn
from .reconcile import Endpoints, Report, reconcile
from .scenario_more import ChangesAndMistakes, ControlActions, dec

CARDS = {"visa": "4242424242424242", "declined": "4000000000000002", "insufficient_funds": "4000000000009995",
         "fails_after_attach": "4000000000000341", "dispute": "4000000000000259"}


class Lifecycle(ChangesAndMistakes, ControlActions):
    def __init__(self, h, system_of_record: str = "erp"):
        self.h = h
        self.ep = Endpoints.for_harness(h, system_of_record)
        cfg = self.ep.config()
        cfg.stripe_key = "sk_test_o2c_scenario"
        self.sf, self.erp, self.tax, self.gw = SalesforceConn(cfg), ErpConn(cfg), AvaTaxConn(cfg), StripeConn(cfg)
        self.verify = self.ep.ca_bundle or True
        self.control_headers = h.control_headers() if hasattr(h, "control_headers") else {}
        self._n = 0
        self._pricebook: dict[str, dict[str, Any]] | None = None

    def control_call(self, method: str, system: str, path: str, **kw) -> requests.Response:
        """A call to a control plane (``/_sim/...`` or ``/_integration/...``) with the run's token."""
        return requests.request(method, self.h.url(system) + path, headers=self.control_headers,
                                verify=self.verify, timeout=30, **kw)

    # ---- the integration under test --------------------------------------------------------
    def install_integration(self) -> dict[str, Any]:
        """Deploy the reference integration (when the harness hosts it)."""
        resp = self.control_call("POST", "integration", "/_integration/install")
        resp.raise_for_status()
        return resp.json()

    def integration_status(self) -> dict[str, Any]:
        return self.control_call("GET", "integration", "/_integration/status").json()

    # ---- orders ---------------------------------------------------------------------------------
    def pricebook(self) -> dict[str, dict[str, Any]]:
        if self._pricebook is None:
            rows = self.sf.query("SELECT Id, UnitPrice, Pricebook2Id, Product2Id, Product2.ProductCode FROM PricebookEntry "
                                 "WHERE Pricebook2.IsStandard = true")
            self._pricebook = {r["Product2"]["ProductCode"]: r for r in rows}
        return self._pricebook

    def account(self, customer_key: str) -> dict[str, Any]:
        rows = self.sf.query(f"SELECT Id, Name, Customer_Key__c FROM Account WHERE Customer_Key__c = '{customer_key}'")
        if not rows:
            raise KeyError(f"no Salesforce account with Customer_Key__c {customer_key}")
        return rows[0]

    def place_order(self, customer_key: str, lines: Iterable[tuple], key: str | None = None) -> str:
        """A Draft order with lines ``(sku, quantity[, unit price])``; returns its order key."""
        self._n += 1
        key = key or f"ORD-{self._n:05d}"
        acct = self.account(customer_key)
        pb = self.pricebook()
        first = pb[next(iter(lines))[0]] if lines else None
        order = self.sf.call(lambda sf: sf.Order.create({
            "AccountId": acct["Id"], "Pricebook2Id": first["Pricebook2Id"], "Status": "Draft",
            "EffectiveDate": self.h.now().date().isoformat(), "Order_Key__c": key}))
        for line in lines:
            sku, qty = line[0], line[1]
            entry = pb[sku]
            price = dec(line[2]) if len(line) > 2 and line[2] is not None else dec(entry["UnitPrice"])
            self.sf.create("OrderItem", {"OrderId": order["id"], "PricebookEntryId": entry["Id"],
                                         "Quantity": qty, "UnitPrice": price})
        return key

    def order(self, key: str) -> dict[str, Any]:
        return self.sf.query(f"SELECT Id, Status, OrderNumber, ERP_Sales_Order_Id__c, Tax_Status__c, Estimated_Tax__c, "
                             f"Billing_Status__c, TotalAmount FROM Order WHERE Order_Key__c = '{key}'")[0]

    def activate(self, key: str) -> None:
        self.sf.update("Order", self.order(key)["Id"], {"Status": "Activated"})

    def cancel(self, key: str) -> None:
        self.sf.update("Order", self.order(key)["Id"], {"Status": "Cancelled"})

    def deactivate(self, key: str) -> None:
        """A user deactivates an activated order (Status back to Draft) to amend its products."""
        self.sf.update("Order", self.order(key)["Id"], {"Status": "Draft"})

    # ---- observations -----------------------------------------------------------------------------
    def mirror(self, key: str) -> dict[str, Any] | None:
        rows = self.sf.query(
            "SELECT Id, Name, ERP_Invoice_Id__c, ERP_Document_Number__c, AvaTax_Document_Code__c, Stripe_Invoice_Id__c, "
            "Hosted_Invoice_URL__c, blng__InvoiceStatus__c, blng__PaymentStatus__c, blng__Balance__c, "
            "blng__TotalAmount__c, blng__TaxAmount__c, blng__Subtotal__c, blng__DueDate__c, Paid_At__c, "
            "Dispute_Status__c, Collections_Status__c, Last_Dunning_Stage__c, Source_System__c, LastModifiedDate "
            f"FROM blng__Invoice__c WHERE blng__Order__r.Order_Key__c = '{key}'")
        return rows[0] if rows else None

    def mirrors(self, key: str) -> list[dict[str, Any]]:
        return self.sf.query(f"SELECT Id FROM blng__Invoice__c WHERE blng__Order__r.Order_Key__c = '{key}'")

    def erp_sales_order(self, key: str) -> dict[str, Any] | None:
        return self.erp.get("salesOrder", f"eid:{key}", allow_missing=True)

    def erp_invoice(self, key: str) -> dict[str, Any] | None:
        m = self.mirror(key)
        if m and m.get("ERP_Invoice_Id__c"):
            return self.erp.get("invoice", m["ERP_Invoice_Id__c"], allow_missing=True)
        return self.erp.get("invoice", f"eid:{key}", allow_missing=True)

    def erp_invoices_for(self, key: str) -> list[dict[str, Any]]:
        so = self.erp_sales_order(key)
        if so is None:
            return []
        return [r for r in self.erp.suiteql("SELECT id, tranid, createdfrom, total FROM transaction WHERE type = 'CustInvc'")
                if str(r.get("createdfrom")) == str(so["id"])]

    def tax_document(self, code: str, doc_type: str = "SalesInvoice") -> dict[str, Any] | None:
        return self.tax.get(code, doc_type)

    def stripe_invoice(self, key: str) -> dict[str, Any] | None:
        m = self.mirror(key)
        if not m or not m.get("Stripe_Invoice_Id__c"):
            return None
        return self.gw.call(lambda c: c.v1.invoices.retrieve(m["Stripe_Invoice_Id__c"])).to_dict()

    def dunning_emails(self, key: str | None = None) -> list[dict[str, Any]]:
        where = f" AND RelatedToId = '{self.mirror(key)['Id']}'" if key else ""
        return self.sf.query("SELECT Id, Subject, MessageDate, Dunning_Stage__c, Invoice_Payment_Status_At_Send__c, "
                             f"RelatedToId FROM EmailMessage WHERE Dunning_Stage__c != null{where} ORDER BY MessageDate")

    def tasks(self, key: str) -> list[dict[str, Any]]:
        return self.sf.query(f"SELECT Id, Subject, Status FROM Task WHERE WhatId = '{self.mirror(key)['Id']}'")

    # ---- the customer pays ------------------------------------------------------------------------
    def pay(self, key: str, card: str = "visa", amount: Any = None) -> dict[str, Any]:
        """The customer pays on the hosted invoice page: the amount remaining, or ``amount`` (in the
        invoice's currency, e.g. ``Decimal("50.00")``) to pay part of it. Returns the fake's answer
        (with ``error`` on a decline or a refused amount)."""
        m = self.mirror(key)
        if not m or not m.get("Stripe_Invoice_Id__c"):
            raise AssertionError(f"order {key} has no payable invoice yet")
        body: dict[str, Any] = {"card": CARDS.get(card, card)}
        if amount is not None:
            body["amount"] = int((dec(amount) * 100).to_integral_value())
        resp = self.control_call("POST", "stripe", f"/_sim/stripe/invoices/{m['Stripe_Invoice_Id__c']}/pay_hosted",
                                 json=body)
        return resp.json()

    def refund(self, key: str, amount: Decimal | None = None) -> dict[str, Any]:
        si = self.stripe_invoice(key)
        charge = None
        for pay in si["payments"]["data"]:
            pi = self.gw.call(lambda c: c.v1.payment_intents.retrieve(pay["payment"]["payment_intent"]))
            charge = pi.latest_charge
        params: dict[str, Any] = {"charge": charge}
        if amount is not None:
            params["amount"] = int(dec(amount) * 100)
        return self.gw.call(lambda c: c.v1.refunds.create(params=params)).to_dict()

    # ---- waiting and judging ------------------------------------------------------------------------
    def wait_for_invoice(self, key: str, timeout: float = 20.0) -> dict[str, Any]:
        return self.h.wait_until(lambda: (m := self.mirror(key)) and m.get("Stripe_Invoice_Id__c") and m,
                                 timeout, what=f"invoice of order {key} to be published")

    def wait_for_paid(self, key: str, timeout: float = 20.0) -> dict[str, Any]:
        return self.h.wait_until(lambda: (m := self.mirror(key)) and m["blng__PaymentStatus__c"] == "Paid" and m,
                                 timeout, what=f"invoice of order {key} to show Paid in Salesforce")

    def reconcile(self) -> Report:
        self.h.settle()
        return reconcile(self.ep)

    # ---- payments: more of what customers and banks do --------------------------------------------
    def payments(self, key: str) -> list[dict[str, Any]]:
        m = self.mirror(key)
        return self.sf.query("SELECT Id, Gateway_Charge_Id__c, blng__Amount__c, blng__Status__c FROM blng__Payment__c "
                             f"WHERE blng__Invoice__c = '{m['Id']}'") if m else []

    def erp_payments(self) -> list[dict[str, Any]]:
        return self.erp.suiteql("SELECT id, externalid, total FROM transaction WHERE type = 'CustPymt'")

    def credit_memos(self) -> list[dict[str, Any]]:
        return self.erp.suiteql("SELECT id, total, createdfrom FROM transaction WHERE type = 'CustCred'")

    def charge(self, key: str) -> dict[str, Any] | None:
        si = self.stripe_invoice(key)
        for pay in (si or {}).get("payments", {}).get("data", []):
            pi = self.gw.call(lambda c: c.v1.payment_intents.retrieve(pay["payment"]["payment_intent"]))
            if pi.latest_charge:
                return self.gw.call(lambda c: c.v1.charges.retrieve(pi.latest_charge)).to_dict()
        return None

    def disputes(self, key: str) -> list[dict[str, Any]]:
        ch = self.charge(key)
        if not ch:
            return []
        return [d.to_dict() for d in self.gw.call(lambda c: c.v1.disputes.list(params={"charge": ch["id"]})).data]

    def hosted_page(self, key: str) -> requests.Response:
        """Open the hosted invoice link from the Salesforce invoice, as the customer would."""
        url = self.mirror(key)["Hosted_Invoice_URL__c"]
        return requests.get(url, timeout=30)

    def report_table(self) -> str:
        return self.reconcile().table()
