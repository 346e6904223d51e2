"""Partial payments end to end: the customer pays part of an invoice on the hosted page, then the
rest; by webhook and by polling. The ERP gets one customer payment per Stripe payment (never two),
the Salesforce mirror shows Partially Paid with the ERP's balance, dunning chases the balance, and
reconciliation stays clean — and notices when part payments are applied twice or mirrored wrong."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from .conftest import make

D = Decimal


def _partial(o2c, key, amount):
    answer = o2c.pay(key, "visa", D(amount))
    assert "error" not in answer and answer["invoice"]["status"] == "open", answer
    return answer


def _sync(h, sync):
    if sync == "polling":
        h.advance("5m")   # the next poll
    h.settle()


@pytest.mark.parametrize("sync", ["webhook", "polling"])
def test_part_then_rest(sync):
    h, o2c = make(sync)
    try:
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])   # 100.00 + 7.75 tax
        o2c.activate(key)
        o2c.wait_for_invoice(key)
        _partial(o2c, key, "50.00")
        if sync == "polling":
            h.settle()
            assert o2c.mirror(key)["blng__PaymentStatus__c"] == "Unpaid"   # not before the next poll
        _sync(h, sync)
        m = o2c.mirror(key)
        assert m["blng__PaymentStatus__c"] == "Partially Paid" and D(str(m["blng__Balance__c"])) == D("57.75")
        erp = o2c.erp_invoice(key)
        assert D(str(erp["amountPaid"])) == D("50.00") and D(str(erp["amountRemaining"])) == D("57.75")
        charges = {c.id: c.amount for c in o2c.gw.call(lambda c: c.v1.charges.list(params={"limit": 100})).data}
        pays = o2c.erp_payments()
        assert len(pays) == 1 and charges[pays[0]["externalid"]] == 5000 and D(str(pays[0]["total"])) == D("50.00")
        sf = o2c.payments(key)
        assert [(p["Gateway_Charge_Id__c"], D(str(p["blng__Amount__c"]))) for p in sf] == \
            [(pays[0]["externalid"], D("50.00"))]
        report = o2c.reconcile()
        assert report.ok, report.table()

        rest = o2c.pay(key, "visa")
        assert rest["invoice"]["status"] == "paid" and rest["invoice"]["amount_paid"] == 10775
        _sync(h, sync)
        m = o2c.wait_for_paid(key)
        assert D(str(m["blng__Balance__c"])) == 0 and m["Paid_At__c"]
        erp = o2c.erp_invoice(key)
        assert D(str(erp["amountRemaining"])) == 0 and D(str(erp["amountPaid"])) == D("107.75")
        pays = o2c.erp_payments()
        assert sorted(D(str(p["total"])) for p in pays) == [D("50.00"), D("57.75")]
        # one ERP payment per Stripe charge, keyed by the charge
        assert {p["externalid"] for p in pays} == \
            {c.id for c in o2c.gw.call(lambda c: c.v1.charges.list(params={"limit": 100})).data}
        assert sorted(D(str(p["blng__Amount__c"])) for p in o2c.payments(key)) == [D("50.00"), D("57.75")]
        report = o2c.reconcile()
        assert report.ok, report.table()
        assert report.counts["erp_payments"] == 2 and report.counts["stripe_paid"] == 1
        assert o2c.integration_status()["dead_letters"] == 0
    finally:
        h.stop()


def test_duplicate_and_reordered_deliveries_apply_each_part_once():
    h, o2c = make("webhook")
    try:
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
        o2c.activate(key)
        o2c.wait_for_invoice(key)
        o2c.webhook_fault("duplicate", times=20)
        _partial(o2c, key, "20.00")
        _partial(o2c, key, "30.00")
        o2c.webhook_fault("reorder", times=5)
        o2c.pay(key, "visa")
        h.settle()
        o2c.wait_for_paid(key)
        assert len([d for d in o2c.webhook_deliveries() if d.get("duplicate_of")]) > 0, "duplicates were sent"
        pays = o2c.erp_payments()
        assert sorted(D(str(p["total"])) for p in pays) == [D("20.00"), D("30.00"), D("57.75")]
        assert len({p["externalid"] for p in pays}) == 3 and len(o2c.payments(key)) == 3
        assert o2c.integration_status()["stats"]["duplicates_ignored"] > 0
        report = o2c.reconcile()
        assert report.ok, report.table()
    finally:
        h.stop()


def test_partially_paid_invoice_is_dunned_for_its_balance_until_paid():
    h, o2c = make("webhook")
    try:
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
        o2c.activate(key)
        m = o2c.wait_for_invoice(key)
        _partial(o2c, key, "40.00")
        h.settle()
        due = datetime.fromisoformat(m["blng__DueDate__c"]).replace(tzinfo=timezone.utc)
        h.advance_to(due + timedelta(days=1, hours=6, minutes=1))
        emails = o2c.sf.query("SELECT Id, TextBody, Dunning_Stage__c, Invoice_Payment_Status_At_Send__c, "
                              f"Invoice_Balance_At_Send__c FROM EmailMessage WHERE RelatedToId = '{m['Id']}'")
        assert [e["Dunning_Stage__c"] for e in emails] == ["reminder"]
        assert emails[0]["Invoice_Payment_Status_At_Send__c"] == "Partially Paid"
        assert D(emails[0]["Invoice_Balance_At_Send__c"]) == D("67.75") and "67.75" in emails[0]["TextBody"]
        # Stripe sees it overdue too, for what is left
        overdue = o2c.gw.call(lambda c: c.v1.events.list(params={"type": "invoice.overdue"})).data
        assert overdue and overdue[0].data.object.amount_remaining == 6775
        o2c.pay(key, "visa")
        o2c.wait_for_paid(key)
        h.advance("20d")
        assert len(o2c.dunning_emails(key)) == 1   # nothing after it was paid
        report = o2c.reconcile()
        assert report.ok and report.false_dunning == [], report.table()
    finally:
        h.stop()


def test_reconciliation_catches_part_payments_applied_twice_or_mirrored_wrong():
    h, o2c = make("webhook")
    try:
        key = o2c.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
        o2c.activate(key)
        o2c.wait_for_invoice(key)
        _partial(o2c, key, "50.00")
        h.settle()
        assert o2c.reconcile().ok
        m, erp = o2c.mirror(key), o2c.erp_invoice(key)

        # the mirror claims Paid while the ERP still has 57.75 open
        o2c.sf.update("blng__Invoice__c", m["Id"], {"blng__PaymentStatus__c": "Paid", "blng__Balance__c": 0})
        failed = {c.name: c.failures for c in o2c.reconcile().checks if not c.ok}
        assert list(failed) == ["mirrors agree"] and "Salesforce says Paid" in failed["mirrors agree"][0]
        # the right status with the wrong balance
        o2c.sf.update("blng__Invoice__c", m["Id"], {"blng__PaymentStatus__c": "Partially Paid", "blng__Balance__c": 107.75})
        failed = {c.name: c.failures for c in o2c.reconcile().checks if not c.ok}
        assert list(failed) == ["mirrors agree"] and "balance 107.75 != ERP 57.75" in failed["mirrors agree"][0]
        # the right balance with the wrong status
        o2c.sf.update("blng__Invoice__c", m["Id"], {"blng__PaymentStatus__c": "Unpaid", "blng__Balance__c": 57.75})
        failed = {c.name: c.failures for c in o2c.reconcile().checks if not c.ok}
        assert list(failed) == ["mirrors agree"] and "(Partially Paid)" in failed["mirrors agree"][0]
        o2c.sf.update("blng__Invoice__c", m["Id"], {"blng__PaymentStatus__c": "Partially Paid"})
        assert o2c.reconcile().ok

        # the same part payment keyed into the ERP a second time, under another reference
        o2c.erp.create("customerPayment", {
            "externalId": "manual-again", "customer": {"id": str(erp["entity"]["id"] if isinstance(erp["entity"], dict)
                                                                else erp["entity"])},
            "payment": D("50.00"), "apply": {"items": [{"doc": {"id": str(erp["id"])}, "apply": True,
                                                        "amount": D("50.00")}]}})
        report = o2c.reconcile()
        failed = {c.name: c.failures for c in report.checks if not c.ok}
        assert "gateway amounts" in failed, report.table()
        assert "Stripe collected 5000 (open, 5775 remaining)" in failed["gateway amounts"][0]
    finally:
        h.stop()
