"""Tampering: reconciliation must notice every kind of damage to the books and name the check and
the record at fault.

A small consistent world is built through the reference integration (one order paid, one paid
and refunded, one open), reconciliation is asserted clean, then one kind of damage is done through
the systems' public APIs only (simple-salesforce, the Stripe SDK, the ERP's REST API, the AvaTax
SDK) and reconciliation must fail naming it. The last tests leave work unfinished inside the
integration (retrying, dead-lettered) and check it is reported as unfinished, not as lost."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from simulators.reconcile import Endpoints, Report, reconcile
from simulators.scenario import Lifecycle

from .conftest import make

D = Decimal


@dataclass
class Books:
    h: object
    o2c: Lifecycle
    paid: str       # order keys
    refunded: str
    open: str

    def mirror(self, key: str) -> dict:
        return self.o2c.mirror(key)

    def judge(self) -> Report:
        return self.o2c.reconcile()


@pytest.fixture
def books():
    h, o2c = make("webhook")
    try:
        keys = [o2c.place_order(c, [("HW-ROUTER", 1)]) for c in ("ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC")]
        for k in keys:
            o2c.activate(k)
        for k in keys:
            o2c.wait_for_invoice(k)
        paid, refunded, open_ = keys
        o2c.pay(paid)
        o2c.pay(refunded)
        o2c.wait_for_paid(paid)
        o2c.wait_for_paid(refunded)
        o2c.refund(refunded)
        h.wait_until(lambda: o2c.mirror(refunded)["blng__PaymentStatus__c"] == "Refunded", what="refund mirrored")
        b = Books(h, o2c, paid, refunded, open_)
        report = b.judge()
        assert report.ok, report.table()
        assert report.counts["stripe_invoices"] == 3 and report.counts["erp_payments"] == 2
        yield b
    finally:
        h.stop()


def failed(report: Report) -> dict[str, list[str]]:
    assert not report.ok, report.table()
    return {c.name: c.failures for c in report.checks if not c.ok}


def names(report: Report, check: str, *needles: str) -> list[str]:
    """The failures of ``check`` that mention every needle (at least one must)."""
    fails = failed(report)
    assert check in fails, report.table()
    hits = [f for f in fails[check] if all(n in f for n in needles)]
    assert hits, (check, needles, report.table())
    return hits


# ---- the invoice mirror ---------------------------------------------------------------------------
def test_mirror_hosted_url_pointing_elsewhere(books):
    m = books.mirror(books.open)
    books.o2c.sf.update("blng__Invoice__c", m["Id"], {"Hosted_Invoice_URL__c": "https://pay.evil.example/inv"})
    names(books.judge(), "mirrors agree with Stripe", m["Name"], "hosted")


def test_mirror_due_date_moved_a_year(books):
    m = books.mirror(books.open)
    y, rest = m["blng__DueDate__c"].split("-", 1)
    books.o2c.sf.update("blng__Invoice__c", m["Id"], {"blng__DueDate__c": f"{int(y) + 1}-{rest}"})
    names(books.judge(), "mirrors agree", m["Name"], "due date")


def test_mirror_stripe_invoice_id_swapped_to_another_orders(books):
    m, other = books.mirror(books.open), books.mirror(books.paid)
    books.o2c.sf.update("blng__Invoice__c", m["Id"], {"Stripe_Invoice_Id__c": other["Stripe_Invoice_Id__c"]})
    names(books.judge(), "mirrors agree with Stripe", m["Name"], other["Stripe_Invoice_Id__c"])


def test_mirror_link_to_stripe_never_arrived(books):
    m = books.mirror(books.open)
    books.o2c.sf.update("blng__Invoice__c", m["Id"], {"Stripe_Invoice_Id__c": None, "Hosted_Invoice_URL__c": None})
    names(books.judge(), "mirrors agree with Stripe", m["Name"])


def test_invoice_mirror_deleted(books):
    m = books.mirror(books.open)
    books.o2c.sf.call(lambda sf: sf.blng__Invoice__c.delete(m["Id"]))
    report = books.judge()
    names(report, "one sales order and one invoice", books.open, "0 invoice mirrors")
    names(report, "deleted records", m["Name"])


# ---- payments -----------------------------------------------------------------------------------
def test_salesforce_payment_amount_altered(books):
    pay = books.o2c.payments(books.paid)[0]
    books.o2c.sf.update("blng__Payment__c", pay["Id"], {"blng__Amount__c": 0.01})
    names(books.judge(), "payments agree", pay["Gateway_Charge_Id__c"], "0.01")


def test_salesforce_payment_deleted(books):
    pay = books.o2c.payments(books.paid)[0]
    books.o2c.sf.call(lambda sf: sf.blng__Payment__c.delete(pay["Id"]))
    report = books.judge()
    names(report, "payments agree", pay["Gateway_Charge_Id__c"], "no Salesforce payment")
    names(report, "deleted records", pay["Gateway_Charge_Id__c"])


def test_erp_payment_with_no_stripe_payment_behind_it(books):
    erp = books.o2c.erp_invoice(books.open)
    entity = erp["entity"]["id"] if isinstance(erp["entity"], dict) else erp["entity"]
    books.o2c.erp.create("customerPayment", {
        "externalId": "keyed-by-hand", "customer": {"id": str(entity)}, "payment": D("10.00"),
        "apply": {"items": [{"doc": {"id": str(erp["id"])}, "apply": True, "amount": D("10.00")}]}})
    names(books.judge(), "payments agree", "keyed-by-hand", "no Stripe payment")


# ---- refunds and credit memos -----------------------------------------------------------------------
def test_credit_memo_with_no_refund_behind_it(books):
    erp = books.o2c.erp_invoice(books.paid)
    resp = books.o2c.erp.transform("invoice", str(erp["id"]), "creditMemo",
                                   {"externalId": "goodwill-by-hand", "memo": "no refund at Stripe"})
    memo_id = resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    names(books.judge(), "refunds credited", memo_id, "no Stripe refund")


def test_refund_with_no_credit_memo(books):
    # the integration no longer hears of Stripe events (its endpoint removed), then a refund is made
    for ep in books.o2c.gw.call(lambda c: c.v1.webhook_endpoints.list(params={"limit": 100})).data:
        books.o2c.gw.call(lambda c: c.v1.webhook_endpoints.delete(ep.id))
    refund = books.o2c.refund(books.paid)
    names(books.judge(), "refunds credited", refund["id"], "no credit memo")


# ---- tax -----------------------------------------------------------------------------------------
def test_tax_document_voided_on_a_live_paid_order(books):
    code = books.mirror(books.paid)["AvaTax_Document_Code__c"]
    resp = books.o2c.tax.client.void_transaction("DEFAULT", code, {"code": "DocVoided"})
    assert resp.status_code == 200, resp.text
    names(books.judge(), "tax committed and matching", code, "Cancelled")


def test_forged_cancel_voids_stripe_and_tax_while_the_order_stays_activated(books):
    m = books.mirror(books.open)
    books.o2c.gw.call(lambda c: c.v1.invoices.void_invoice(m["Stripe_Invoice_Id__c"]))
    books.o2c.tax.client.void_transaction("DEFAULT", m["AvaTax_Document_Code__c"], {"code": "DocVoided"})
    report = books.judge()
    assert books.o2c.order(books.open)["Status"] == "Activated"
    names(report, "one finalized Stripe invoice", books.open, m["Stripe_Invoice_Id__c"], "void")
    names(report, "tax committed and matching", m["AvaTax_Document_Code__c"], "Cancelled")


# ---- unfinished work ---------------------------------------------------------------------------------
def _new_order(books: Books) -> str:
    key = books.o2c.place_order("LONESTAR-AUSTIN", [("HW-ROUTER", 2)])
    books.o2c.activate(key)
    return key


def test_order_stuck_retrying_is_unfinished_not_ok(books):
    books.h.control("stripe").add_fault(operation="invoices.create", error={"code": "api_error"})
    key = _new_order(books)
    report = books.judge()
    hits = names(report, "work unfinished", "retrying")
    order_id = books.o2c.order(key)["Id"]
    assert any(order_id in h or key in h for h in hits), hits
    # the order's missing Stripe invoice is reported as unfinished work, not as lost
    missing = names(report, "one finalized Stripe invoice", key)
    details = report.to_json()["checks"]
    stripe_check = next(c for c in details if c["name"] == "one finalized Stripe invoice")
    assert {d["status"] for d in stripe_check["details"] if d["message"] in missing} == {"unfinished"}
    assert report.counts["unfinished"] >= 1 and "unfinished" in report.table()
    # once the fault clears and the retry runs, the books reconcile again
    books.h.control("stripe").clear_faults()
    books.h.advance("6h")
    report = books.judge()
    assert report.ok, report.table()


def test_order_dead_lettered_is_unfinished_and_without_the_control_plane_still_fails(books):
    books.h.control("stripe").add_fault(operation="invoices.create",
                                        error={"code": "parameter_invalid_integer", "status": 400})
    key = _new_order(books)
    report = books.judge()
    names(report, "work unfinished", "dead-lettered")
    # a user's own integration has no such control plane: the order is still a failure
    blind = Endpoints(**{**books.o2c.ep.__dict__, "integration": None, "control_token": None})
    report = reconcile(blind)
    names(report, "one finalized Stripe invoice", key)
    assert "work unfinished" not in failed(report)


# ---- reading everything: every list is walked to its last page ----------------------------------------
def test_reconciliation_walks_every_page(books, monkeypatch):
    from simulators.reconcile import snapshot
    requests_post = __import__("requests").post
    requests_post(books.h.url("salesforce") + "/_sim/salesforce/settings", json={"query_batch_size": 2},
                  timeout=30).raise_for_status()                       # SOQL: nextRecordsUrl every 2 records
    monkeypatch.setattr(snapshot, "SUITEQL_PAGE", 2)                   # SuiteQL: limit/offset, 2 at a time
    monkeypatch.setattr(snapshot, "PAGE", 2)                           # AvaTax: $top/$skip, 2 at a time
    cus = books.o2c.gw.call(lambda c: c.v1.customers.create(params={"name": "Someone else's business"}))
    for _ in range(101):   # newer Stripe invoices that are not the books': ours are now past the first page
        books.o2c.gw.call(lambda c: c.v1.invoices.create(params={"customer": cus.id}))
    report = books.judge()
    assert report.ok, report.table()
    assert (report.counts["mirrors"], report.counts["erp_invoices"], report.counts["stripe_invoices"],
            report.counts["sf_payments"]) == (3, 3, 3, 2)
    checks = {c.name: c.checked for c in report.checks}
    assert checks["tax committed and matching"] == 3 and checks["one finalized Stripe invoice"] == 3
    # the oldest Stripe invoice (last page) voided behind the books' back is still seen
    m = books.mirror(books.open)
    books.o2c.gw.call(lambda c: c.v1.invoices.void_invoice(m["Stripe_Invoice_Id__c"]))
    names(books.judge(), "one finalized Stripe invoice", m["Stripe_Invoice_Id__c"], "void")
