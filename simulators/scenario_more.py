"""More of ``scenario.Lifecycle``: order changes and the mistakes people make, and what the
harness does through the control planes (faults, collections runs, revenue). Mixed into
``Lifecycle``, which holds the connections (``sf``, ``erp``, ``gw``, ``tax``), the harness ``h`` and
the order observations these methods use."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import requests

from .clients import SalesforceConn
from .core.jsonutil import money


def dec(v: Any) -> Decimal:
    return money(str(v if v is not None else 0))


class ChangesAndMistakes:
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


class ControlActions:
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
