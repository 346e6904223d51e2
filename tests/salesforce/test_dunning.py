"""The collections automation: invoices at several ages, advance the clock, exact emails/tasks."""
from __future__ import annotations

from collections import Counter


def _invoice(sf, key, due, total="100.00", **extra):
    acct = sf.query(f"SELECT Id FROM Account WHERE Customer_Key__c = '{key}'")["records"][0]["Id"]
    return sf.blng__Invoice__c.create({
        "blng__Account__c": acct, "blng__InvoiceStatus__c": "Posted", "blng__PaymentStatus__c": "Unpaid",
        "blng__InvoiceDate__c": "2026-01-01", "blng__DueDate__c": due, "blng__TotalAmount__c": total,
        "blng__Balance__c": total, "ERP_Invoice_Id__c": f"INV-{key}", **extra})["id"]


def emails(sf, inv):
    return sf.query(f"SELECT Dunning_Stage__c, MessageDate, Invoice_Payment_Status_At_Send__c, "
                    f"Invoice_Balance_At_Send__c, ToAddress, Subject FROM EmailMessage WHERE RelatedToId = '{inv}' "
                    f"ORDER BY MessageDate")["records"]


def test_sixty_days_runs_every_stage_once_in_order(sf, harness):
    # clock starts 2026-01-05 09:00 UTC; the flow runs daily at 06:00 UTC
    fresh = _invoice(sf, "ACME-IRVINE", "2026-01-05")          # due today
    old = _invoice(sf, "WINDY-CHICAGO", "2025-12-01")           # 35 days overdue already
    paid = _invoice(sf, "BIGAPPLE-NYC", "2026-01-01", blng__PaymentStatus__c="Paid", blng__Balance__c=0)
    disputed = _invoice(sf, "LONESTAR-AUSTIN", "2026-01-01", Dispute_Status__c="Open")
    held = _invoice(sf, "ROSE-PORTLAND", "2026-01-01", On_Hold__c=True)
    harness.advance("60d")
    got = emails(sf, fresh)
    assert [e["Dunning_Stage__c"] for e in got] == ["reminder", "second_notice", "final_notice", "collections"]
    assert [e["MessageDate"][:10] for e in got] == ["2026-01-06", "2026-01-20", "2026-02-04", "2026-02-19"]
    assert all(e["MessageDate"].endswith("T06:00:00.000+0000") for e in got)
    assert got[0]["ToAddress"] == "ap@acme-irvine.test" and "overdue" in got[0]["Subject"]
    assert got[0]["Invoice_Payment_Status_At_Send__c"] == "Unpaid" and got[0]["Invoice_Balance_At_Send__c"] == 100.0
    # the 35-days-overdue invoice gets final notice first (missed stages are not back-filled), then collections
    assert [e["Dunning_Stage__c"] for e in emails(sf, old)] == ["final_notice", "collections"]
    for inv in (paid, disputed, held):
        assert emails(sf, inv) == []
    inv = sf.blng__Invoice__c.get(fresh)
    assert inv["Collections_Status__c"] == "In Collections" and inv["Last_Dunning_Stage__c"] == "collections"
    tasks = sf.query(f"SELECT Subject, Priority, Dunning_Stage__c FROM Task WHERE WhatId = '{fresh}'")["records"]
    assert Counter(t["Dunning_Stage__c"] for t in tasks) == Counter(["second_notice", "final_notice", "collections"])
    assert any(t["Subject"].startswith("Escalated to collections") for t in tasks)


def test_payment_stops_dunning_and_no_duplicates_on_rerun(sf, harness, ctl):
    inv = _invoice(sf, "ACME-IRVINE", "2026-01-05")
    harness.advance("2d")  # runs on 01-06 (reminder) and 01-07 (nothing new)
    assert [e["Dunning_Stage__c"] for e in emails(sf, inv)] == ["reminder"]
    ctl.post("/salesforce/dunning/run")  # running again now sends nothing
    assert len(emails(sf, inv)) == 1
    sf.blng__Invoice__c.update(inv, {"blng__PaymentStatus__c": "Paid", "blng__Balance__c": 0,
                                     "Paid_At__c": "2026-01-07T10:00:00Z"})
    harness.advance("60d")
    assert len(emails(sf, inv)) == 1


def test_policy_is_editable_through_the_control_plane(sf, harness, ctl):
    policy = ctl.get("/salesforce/dunning/policy")
    policy["stages"] = [{"key": "nudge", "days_overdue": 3, "template": "reminder"}]
    policy["schedule"] = {"time": "12:00"}
    ctl._call("PUT", "/salesforce/dunning/policy", json=policy)
    inv = _invoice(sf, "ACME-IRVINE", "2026-01-05")
    harness.advance("10d")
    got = emails(sf, inv)
    assert [(e["Dunning_Stage__c"], e["MessageDate"]) for e in got] == [("nudge", "2026-01-08T12:00:00.000+0000")]
    assert ctl.get("/salesforce/dunning/runs")["runs"][-1]["examined"] == 1


def test_bad_policy_is_refused(ctl):
    import pytest
    with pytest.raises(RuntimeError):
        ctl._call("PUT", "/salesforce/dunning/policy", json={"stages": [{"key": "a", "days_overdue": 5},
                                                                        {"key": "b", "days_overdue": 2}]})
