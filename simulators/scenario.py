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

from .core.jsonutil import money
from .clients import AvaTaxConn, ErpConn, SalesforceConn, StripeConn
from .reconcile import Endpoints, Report, reconcile

CARDS = {"visa": "4242424242424242", "declined": "4000000000000002", "insufficient_funds": "4000000000009995",
         "fails_after_attach": "4000000000000341", "dispute": "4000000000000259"}


def dec(v: Any) -> Decimal:
    return money(str(v if v is not None else 0))


class Lifecycle:
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

    # ---- order changes (before activation, or deactivated to amend); mistakes people make ----------------
    def order_lines(self, key: str) -> list[dict[str, Any]]:
        return self.sf.query("SELECT Id, Quantity, UnitPrice, TotalPrice, Product2.ProductCode FROM OrderItem "
                             f"WHERE Order.Order_Key__c = '{key}' ORDER BY Id")

    def amend_line(self, key: str, sku: str, quantity: float) -> str | None:
        """Change a line's quantity. Returns the Salesforce error code when the org refuses it."""
        line = next(l for l in self.order_lines(key) if l["Product2"]["ProductCode"] == sku)
        return self._sf_error(lambda: self.sf.update("OrderItem", line["Id"], {"Quantity": quantity}))

    def add_line(self, key: str, sku: str, quantity: float, price: Any = None) -> str | None:
        entry = self.pricebook()[sku]
        order_id = self.order(key)["Id"]
        unit = dec(price) if price is not None else dec(entry["UnitPrice"])
        return self._sf_error(lambda: self.sf.create("OrderItem", {
            "OrderId": order_id, "PricebookEntryId": entry["Id"], "Quantity": quantity, "UnitPrice": unit}))

    @staticmethod
    def _sf_error(fn) -> str | None:
        from .clients import Permanent, Retryable
        try:
            fn()
        except (Permanent, Retryable) as exc:
            text = str(exc)
            for code in ("FIELD_INTEGRITY_EXCEPTION", "INVALID_FIELD_FOR_INSERT_UPDATE", "ENTITY_IS_LOCKED",
                         "FIELD_CUSTOM_VALIDATION_EXCEPTION", "INVALID_CROSS_REFERENCE_KEY"):
                if code in text:
                    return code
            return text[:200]
        return None

    def billing_alerts(self, key: str) -> list[str]:
        """What the billing team is told about this order in Salesforce: open Tasks on the order and
        Integration_Error__e platform events naming it (read from the org's event bus)."""
        order_id = self.order(key)["Id"]
        texts = [f"{t['Subject']} {t.get('Description') or ''}" for t in self.sf.query(
            f"SELECT Subject, Description FROM Task WHERE WhatId = '{order_id}' AND Status != 'Completed'")]
        events = self.control_call("GET", "salesforce", "/_sim/salesforce/eventbus",
                                   params={"channel": "/event/Integration_Error__e"}).json().get("events", [])
        texts += [e["payload"].get("Message__c") or "" for e in events
                  if (e["payload"].get("Record_Id__c") or "")[:15] == order_id[:15]]
        return texts

    def as_user(self, username: str, password: str = "o2c-password", token: str = "O2CTOKEN") -> SalesforceConn:
        """A Salesforce connection as another user of the org (e.g. finance@o2c.test)."""
        from dataclasses import replace
        return SalesforceConn(replace(self.ep.config(), sf_username=username, sf_password=password, sf_token=token))

    def edit_invoice_as(self, username: str, key: str, fields: dict[str, Any]) -> str | None:
        """A user edits the order's invoice mirror in Salesforce. Returns Salesforce's error code
        when the org refuses it."""
        conn = self.as_user(username)
        mirror_id = self.mirror(key)["Id"]
        return self._sf_error(lambda: conn.update("blng__Invoice__c", mirror_id, fields))

    def bill_again(self, key: str) -> dict[str, Any]:
        """Someone bills the same sales order a second time in the ERP: the ERP's answer."""
        resp = self.erp.transform("salesOrder", f"eid:{key}", "invoice", {"externalId": f"{key}-AGAIN"},
                                  allow=(400, 404))
        body = resp.json() if resp.content else {}
        detail = (body.get("o:errorDetails") or [{}])[0]
        return {"status": resp.status_code, "code": detail.get("o:errorCode"), "detail": detail.get("detail")}

    def duplicate_invoice_in_salesforce(self, key: str) -> str:
        """A user keys in a second invoice for an order by hand in Salesforce (a duplicate invoice)."""
        o = self.sf.query(f"SELECT Id, AccountId FROM Order WHERE Order_Key__c = '{key}'")[0]
        m = self.mirror(key)
        result = self.sf.call(lambda sf: sf.blng__Invoice__c.create({
            "blng__Account__c": o["AccountId"], "blng__Order__c": o["Id"], "blng__InvoiceStatus__c": "Posted",
            "blng__PaymentStatus__c": "Unpaid", "blng__TotalAmount__c": m["blng__TotalAmount__c"],
            "blng__Subtotal__c": m["blng__Subtotal__c"], "blng__TaxAmount__c": m["blng__TaxAmount__c"],
            "blng__Balance__c": m["blng__TotalAmount__c"], "Source_System__c": "Salesforce"}))
        return result["id"]

    def erp_invoice_count(self, key: str) -> int:
        return len(self.erp_invoices_for(key))

    # ---- faults (control planes) ------------------------------------------------------------------
    DOWN = {"salesforce": "SERVER_UNAVAILABLE", "stripe": "api_error", "avalara": "ServiceUnavailable",
            "erp": "SERVICE_UNAVAILABLE"}

    def take_down(self, system: str) -> None:
        """Every vendor API call to ``system`` fails with its 'service unavailable' error until restored.
        Its own outgoing deliveries (webhooks, outbound messages) are not affected."""
        c = self.h.control(system)
        if "webhook.deliver" in c.get("/faults/catalog")["operations"]:   # a fake that delivers webhooks
            c.add_fault(operation="webhook.deliver", latency={"kind": "fixed", "ms": 0})  # first match: let them through
        c.add_fault(operation="*", error={"code": self.DOWN[system]})

    def slow_down(self, system: str, ms: int) -> None:
        self.h.control(system).add_fault(operation="*", latency={"kind": "fixed", "ms": int(ms)})

    def restore(self, system: str) -> None:
        self.h.control(system).clear_faults()

    def fault_hits(self, system: str) -> int:
        return sum(r.get("hits", 0) for r in self.h.control(system).get("/faults").get("rules", []))

    def webhook_fault(self, kind: str, times: int = 1) -> None:
        """Stripe's webhook deliveries: ``duplicate`` (delivered twice) or ``reorder`` (held back)."""
        self.h.control("stripe").add_fault(operation="webhook.deliver", **{kind: True}, times=times)

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self.h.control("stripe").get("/outbox").get("deliveries", [])

    def webhook_url(self) -> str | None:
        eps = self.gw.call(lambda c: c.v1.webhook_endpoints.list(params={"limit": 100}))
        urls = [e.url for e in eps.auto_paging_iter() if e.status == "enabled"]
        return urls[0] if urls else None

    def forge_webhook(self, key: str, secret: str = "whsec_not_the_secret") -> int:
        """An attacker posts an ``invoice.paid`` event for this invoice, signed with the wrong secret,
        to the integration's registered webhook URL. Returns the HTTP status the integration answered."""
        import hashlib
        import hmac
        import json as _json
        si = self.stripe_invoice(key)
        body = _json.dumps({"id": "evt_forged_0001", "object": "event", "type": "invoice.paid",
                            "created": int(self.h.now().timestamp()), "livemode": False,
                            "data": {"object": {"id": si["id"], "object": "invoice", "status": "paid"}}}).encode()
        t = int(self.h.now().timestamp())
        sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        resp = requests.post(self.webhook_url(), data=body, timeout=30, verify=self.verify,
                             headers={"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={sig}"})
        return resp.status_code

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

    # ---- collections (the Salesforce dunning flow) ---------------------------------------------------
    def dunning_policy(self) -> dict[str, Any]:
        return self.control_call("GET", "salesforce", "/_sim/salesforce/dunning/policy").json()

    def run_dunning(self) -> dict[str, Any]:
        """Run the daily collections flow now (as an admin's 'Run' button would)."""
        return self.control_call("POST", "salesforce", "/_sim/salesforce/dunning/run").json()

    def hold(self, key: str) -> None:
        self.sf.update("blng__Invoice__c", self.mirror(key)["Id"], {"On_Hold__c": True})

    # ---- revenue (the ERP's ARM) ----------------------------------------------------------------------
    def revenue(self, key: str) -> dict[str, Any]:
        """The revenue arrangement of this order's invoice, with its elements and plans."""
        inv = self.erp_invoice(key)
        arr = self.control_call("GET", "erp", "/_sim/erp/revenue", params={"invoice": str(inv["id"])}
                                ).json()["arrangements"]
        return arr[-1] if arr else {}

    def close_period(self, period: str) -> dict[str, Any]:
        resp = self.control_call("POST", "erp", "/_sim/erp/periods/close", json={"period": period})
        return resp.json()

    def fulfil(self, key: str) -> None:
        self.erp.transform("salesOrder", f"eid:{key}", "itemFulfillment", {})

    def go_live(self, key: str, day: str) -> dict[str, Any]:
        return self.control_call("POST", "erp", "/_sim/erp/revenue/go-live",
                                 json={"salesOrder": f"eid:{key}", "date": day}).json()

    def report_table(self) -> str:
        return self.reconcile().table()
