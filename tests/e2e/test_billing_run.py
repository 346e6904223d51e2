"""The nightly billing run (bill_on_activation = false), in-process: amendments before billing, a
run that fails halfway, and an order amended after it was invoiced."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests

from .conftest import make

START = datetime(2026, 1, 5, 9, 7, tzinfo=timezone.utc)          # a Monday morning
FIRST_RUN = datetime(2026, 1, 6, 2, 5, tzinfo=timezone.utc)      # just after Tuesday's 02:00 run
SECOND_RUN = datetime(2026, 1, 7, 2, 5, tzinfo=timezone.utc)


def nightly(sor="erp", **settings):
    h, o2c = make(system_of_record=sor, bill_on_activation=False, billing_run_hour=2, **settings)
    h.clock.set(START)
    h.control("integration").reset()     # the schedule follows the clock
    o2c.install_integration()
    return h, o2c


def integ(h, path, method="GET", **kw):
    return requests.request(method, h.url("integration") + path, timeout=30, **kw).json()


def dec(v):
    return Decimal(str(v)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("sor", ["erp", "salesforce"])
def test_amendments_before_the_run_are_what_gets_billed(sor):
    h, o2c = nightly(sor)
    try:
        assert integ(h, "/_integration/status")["billing"] == {"mode": "nightly billing run",
                                                               "next_run": "2026-01-06T02:00:00Z", "runs": 0}
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
        o2c.activate(key)
        h.settle()
        so = o2c.erp_sales_order(key)
        assert so is not None and o2c.erp_invoice(key) is None and o2c.mirror(key) is None
        assert o2c.order(key)["Billing_Status__c"] == "Not Billed"
        assert dec(o2c.order(key)["Estimated_Tax__c"]) == Decimal("7.75")

        o2c.deactivate(key)
        assert o2c.amend_line(key, "HW-ROUTER", 4) is None
        assert o2c.add_line(key, "FREIGHT", 2, Decimal("25.00")) is None
        o2c.activate(key)
        h.settle()
        again = o2c.erp_sales_order(key)
        assert again["id"] == so["id"] and len(o2c.erp.suiteql("SELECT id FROM transaction WHERE type = 'SalesOrd'")) == 1
        assert [(i["quantity"], dec(i["amount"]), dec(i["custcol_ava_taxamount"])) for i in again["item"]["items"]] == [
            (4.0, Decimal("400.00"), Decimal("31.00")), (2.0, Decimal("50.00"), Decimal("0.00"))]
        assert dec(o2c.order(key)["Estimated_Tax__c"]) == Decimal("31.00")

        h.advance_to(FIRST_RUN)
        m = o2c.wait_for_invoice(key)
        assert (dec(m["blng__Subtotal__c"]), dec(m["blng__TaxAmount__c"]), dec(m["blng__TotalAmount__c"])) == (
            Decimal("450.00"), Decimal("31.00"), Decimal("481.00"))
        inv = o2c.erp_invoice(key)
        assert str(inv["tranDate"])[:10] == "2026-01-06"        # billed on the run's day, not at activation
        assert o2c.stripe_invoice(key)["total"] == 48100
        assert o2c.tax_document(m["AvaTax_Document_Code__c"])["status"] == "Committed"
        runs = integ(h, "/_integration/billing-runs")
        assert runs["next_run"] == "2026-01-07T02:00:00Z"
        assert [(r["run"], r["pending_sales_orders"]) for r in runs["runs"]] == [("2026-01-06T02", 1)]
        report = o2c.reconcile()
        assert report.ok, report.table()
        assert report.counts["erp_invoices"] == 1 and report.counts["mirrors"] == 1
    finally:
        h.stop()


def test_nothing_is_billed_before_the_run_nor_while_deactivated():
    h, o2c = nightly()
    try:
        key = o2c.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2)])
        o2c.activate(key)
        h.advance("16h")                     # 01:07 Tuesday: not yet
        assert o2c.erp_invoice_count(key) == 0
        o2c.deactivate(key)
        h.advance_to(FIRST_RUN)              # the run passes a deactivated order by
        assert o2c.erp_invoice_count(key) == 0 and o2c.mirror(key) is None
        o2c.activate(key)
        h.settle()
        assert o2c.erp_invoice_count(key) == 0   # activation alone does not bill in this mode
        h.advance_to(SECOND_RUN)
        assert dec(o2c.wait_for_invoice(key)["blng__TotalAmount__c"]) == Decimal("220.50")
        assert o2c.reconcile().ok
    finally:
        h.stop()


def test_a_run_that_fails_halfway_retries_without_double_billing():
    h, o2c = nightly()
    try:
        customers = ("ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "ROSE-PORTLAND")
        keys = [o2c.place_order(c, [("HW-ROUTER", 1), ("SUPPORT-12", 1)]) for c in customers]
        for k in keys:
            o2c.activate(k)
        h.settle()
        # at the run: the ERP's SuiteQL refuses once (the run itself retries), the first invoice
        # transform hits a permanent error (dead letter), Stripe is down (ERP invoices exist, no
        # payable invoice yet), Salesforce locks rows now and then
        h.control("erp").add_fault(operation="suiteql.query", error={"code": "SERVICE_UNAVAILABLE"}, times=1)
        # (RCRD_HAS_BEEN_CHANGED would be retried: a refusal about the content is not)
        h.control("erp").add_fault(operation="salesOrder.transform.invoice",
                                   error={"code": "INVALID_FLD_VALUE", "status": 400}, times=1)
        h.control("stripe").add_fault(operation="*", error={"code": "api_error"})
        h.control("salesforce").add_fault(operation="*", error={"code": "UNABLE_TO_LOCK_ROW"}, times=3)
        h.advance_to(FIRST_RUN)
        dead = integ(h, "/_integration/dead-letters")["dead_letters"]
        assert [d["kind"] for d in dead] == ["bill"], dead
        assert len(o2c.erp.suiteql("SELECT id FROM transaction WHERE type = 'CustInvc'")) == 3
        # an operator presses "bill now" while Stripe is still down: nothing is billed twice
        assert integ(h, "/_integration/billing-run", "POST")["queued"] is True
        h.advance("10m")
        assert len(o2c.erp.suiteql("SELECT id FROM transaction WHERE type = 'CustInvc'")) == 4
        h.control("stripe").clear_faults()
        h.advance("1h")
        # the dead letter retried after the order was billed by a later run: still one invoice each
        assert integ(h, "/_integration/dead-letters/retry", "POST")["resubmitted"] == 1
        h.advance_to(SECOND_RUN)
        for k in keys:
            assert o2c.erp_invoice_count(k) == 1 and len(o2c.mirrors(k)) == 1, k
            assert o2c.wait_for_invoice(k)["Stripe_Invoice_Id__c"]
        status = integ(h, "/_integration/status")
        assert status["dead_letters"] == 0 and status["pending"] == 0 and status["stats"]["retries"] > 0
        report = o2c.reconcile()
        assert report.ok, report.table()
        assert (report.counts["erp_invoices"], report.counts["stripe_invoices"], report.counts["mirrors"]) == (4, 4, 4)
        assert [r["pending_sales_orders"] for r in integ(h, "/_integration/billing-runs")["runs"]] == [4, 1, 0]
    finally:
        h.stop()


def test_an_order_amended_after_it_was_invoiced_is_an_alert_not_a_second_invoice():
    h, o2c = nightly()
    try:
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
        o2c.activate(key)
        h.advance_to(FIRST_RUN)
        first = o2c.wait_for_invoice(key)
        o2c.deactivate(key)
        assert o2c.amend_line(key, "HW-ROUTER", 5) is None
        o2c.activate(key)
        h.settle()
        dead = integ(h, "/_integration/dead-letters")["dead_letters"]
        assert len(dead) == 1 and dead[0]["kind"] == "order"
        assert "already invoiced" in dead[0]["reason"] and "credit memo" in dead[0]["reason"]
        alerts = o2c.billing_alerts(key)
        assert len(alerts) == 2 and all("credit memo" in a for a in alerts)   # a Task and a platform event
        so = o2c.erp_sales_order(key)
        assert [i["quantity"] for i in so["item"]["items"]] == [1.0]            # the billed order is untouched
        h.advance_to(SECOND_RUN)
        assert o2c.erp_invoice_count(key) == 1 and len(o2c.mirrors(key)) == 1
        assert o2c.mirror(key)["blng__TotalAmount__c"] == first["blng__TotalAmount__c"]
        assert o2c.stripe_invoice(key)["total"] == 10775
        report = o2c.reconcile()
        check = next(c for c in report.checks if c.name == "one sales order and one invoice")
        assert sorted(check.failures) == [
            f"order {key}: order total 500.00 != ERP invoice {o2c.erp_invoice(key)['tranId']} 100.00",
            f"order {key}: order total 500.00 != ERP sales order 100.00"]
        # retrying the dead letter does not bill or alert twice
        integ(h, "/_integration/dead-letters/retry", "POST")
        h.settle()
        assert o2c.erp_invoice_count(key) == 1 and len(o2c.billing_alerts(key)) == 2
    finally:
        h.stop()


def test_the_mode_is_a_setting():
    h, o2c = make()
    try:
        assert integ(h, "/_integration/status")["billing"]["next_run"] is None
        bad = requests.post(h.url("integration") + "/_integration/config",
                            json={"bill_on_activation": False, "billing_run_hour": 24}, timeout=30)
        assert bad.status_code == 400 and "billing_run_hour" in bad.json()["error"]
        assert integ(h, "/_integration/status")["config"]["bill_on_activation"] is True   # all or nothing
        ok = integ(h, "/_integration/config", "POST", json={"bill_on_activation": False, "billing_run_hour": 23})
        assert ok["billing_run_hour"] == 23
        due = integ(h, "/_integration/status")["billing"]["next_run"]
        assert due == h.now().replace(hour=23, minute=0, second=0).isoformat().replace("+00:00", "Z")
        assert [j["name"] for j in h.control("integration").clock()["jobs"]].count("integration billing run") == 1
        integ(h, "/_integration/config", "POST", json={"bill_on_activation": True})
        assert integ(h, "/_integration/status")["billing"]["next_run"] is None
        assert "integration billing run" not in [j["name"] for j in h.control("integration").clock()["jobs"]]
    finally:
        h.stop()
