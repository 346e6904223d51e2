"""The whole lifecycle in-process: both payment sync modes, both systems of record."""
from decimal import Decimal

import pytest

from .conftest import make


@pytest.mark.parametrize("sync", ["webhook", "polling"])
@pytest.mark.parametrize("sor", ["erp", "salesforce"])
def test_order_to_cash(sync, sor):
    h, o2c = make(sync, sor)
    try:
        key = o2c.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2), ("FREIGHT", 1)])
        o2c.activate(key)
        mirror = o2c.wait_for_invoice(key)
        # 2 x 100.00 at 10.25% in Chicago; freight is not taxed in Illinois
        assert Decimal(str(mirror["blng__TaxAmount__c"])) == Decimal("20.50")
        assert Decimal(str(mirror["blng__TotalAmount__c"])) == Decimal("245.50")
        assert mirror["Source_System__c"] == ("Salesforce" if sor == "salesforce" else "ERP")
        erp_inv = o2c.erp_invoice(key)
        assert erp_inv["tranId"] == mirror["ERP_Document_Number__c"]
        doc = o2c.tax_document(mirror["AvaTax_Document_Code__c"])
        assert doc["status"] == "Committed" and doc["totalTax"] == 20.5
        assert mirror["Hosted_Invoice_URL__c"].startswith("https://")
        paid = o2c.pay(key, "visa")
        assert paid["invoice"]["status"] == "paid"
        if sync == "polling":
            h.advance("5m")
        o2c.wait_for_paid(key)
        assert o2c.erp_invoice(key)["amountRemaining"] == 0
        report = o2c.reconcile()
        assert report.ok, report.table()
        assert report.counts["erp_payments"] == 1
    finally:
        h.stop()


@pytest.mark.parametrize("world", [{"payment_sync": "polling", "poll_interval": 900}], indirect=True)
def test_polling_sees_the_payment_only_at_the_next_poll(world):
    key = world.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    world.h.advance("1m")
    world.pay(key)
    world.h.settle()
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Unpaid"
    world.h.advance("15m")
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Paid"


def test_declined_card_then_paid(world):
    key = world.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    declined = world.pay(key, "insufficient_funds")
    assert declined["error"]["type"] == "card_error" and declined["error"]["decline_code"] == "insufficient_funds"
    world.h.settle()
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Unpaid"
    assert world.pay(key, "visa")["invoice"]["status"] == "paid"
    world.wait_for_paid(key)
    assert world.reconcile().ok


def test_refund_flows_back(world):
    key = world.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
    world.activate(key)
    mirror = world.wait_for_invoice(key)
    world.pay(key)
    world.wait_for_paid(key)
    world.refund(key)
    world.h.wait_until(lambda: world.mirror(key)["blng__PaymentStatus__c"] == "Refunded", what="refund in Salesforce")
    refund_doc = world.tax_document(f"{mirror['AvaTax_Document_Code__c']}-R{int(Decimal('107.75') * 100)}", "ReturnInvoice")
    assert refund_doc["type"] == "ReturnInvoice" and refund_doc["totalTax"] == -7.75
    memos = world.erp.suiteql("SELECT id, total FROM transaction WHERE type = 'CustCred'")
    assert len(memos) == 1 and Decimal(str(memos[0]["total"])) == Decimal("107.75")


def test_cancelled_order_voids_the_tax_document(world):
    key = world.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
    world.activate(key)
    mirror = world.wait_for_invoice(key)
    world.cancel(key)
    world.h.wait_until(lambda: world.tax_document(mirror["AvaTax_Document_Code__c"])["status"] == "Cancelled",
                       what="the AvaTax document to be voided")
    assert world.stripe_invoice(key)["status"] == "void"


def test_exempt_customer_pays_no_tax(world):
    key = world.place_order("SCHOOL-IRVINE", [("HW-ROUTER", 3)])
    world.activate(key)
    mirror = world.wait_for_invoice(key)
    assert mirror["blng__TaxAmount__c"] == 0 and mirror["blng__TotalAmount__c"] == 300
    assert world.reconcile().ok
