"""ASC 606 revenue: SSP allocation, ratable/exact-days schedules, go-live, period close, credit re-plan."""
from __future__ import annotations

from decimal import Decimal

from simulators.erp.state.revenue import allocate, schedule
from datetime import date


def _plans(erp, so):
    arrs = erp.control.get("/erp/revenue", salesOrder=so)["arrangements"]
    assert len(arrs) == 1
    return {el["itemId"]: el for el in arrs[0]["elements"]}


def _bundle(erp, saas_rule=None, start="2025-01-01"):
    erp.customer()
    saas = {"item": {"externalId": "SAAS-PLATFORM-12"}, "quantity": 1, "rate": 11000, "revRecStartDate": start}
    if saas_rule:
        saas["revenueRecognitionRule"] = {"id": saas_rule}
    so = erp.order(lines=[saas, {"item": {"externalId": "SVC-IMPL"}, "quantity": 1, "rate": 3400}],
                   tranDate=start)
    inv = erp.invoice(so, {"tranDate": start, "item": {"items": [{"orderLine": 1, "custcol_ava_taxamount": 1127.5},
                                                                 {"orderLine": 2, "custcol_ava_taxamount": 348.5}]}})
    return so, inv


def test_allocation_by_relative_ssp_excludes_tax(erp):
    so, inv = _bundle(erp, saas_rule="3")            # sold 14,400 against SSP 12,000 + 4,000
    assert erp.get(f"/invoice/{inv}").json()["total"] == 15876      # tax stays on the invoice
    els = _plans(erp, so)
    assert els["SAAS-PLATFORM-12"]["allocationAmount"] == 10800
    assert els["SVC-IMPL"]["allocationAmount"] == 3600
    lines = els["SAAS-PLATFORM-12"]["plan"]["lines"]
    assert [ln["amount"] for ln in lines] == [900.0] * 12 and lines[0]["period"] == "2025-01"
    assert els["SVC-IMPL"]["plan"]["status"] == "ON_HOLD" and els["SVC-IMPL"]["plan"]["lines"] == []


def test_exact_days_worked_numbers():
    sched = schedule("ratable_exact_days", Decimal("12000.00"), date(2025, 1, 15), date(2026, 1, 14))
    amounts = dict(sched)
    assert amounts["2025-01"] == Decimal("558.90") and amounts["2025-02"] == Decimal("920.55")
    assert amounts["2025-03"] == Decimal("1019.18") and amounts["2026-01"] == Decimal("460.27")
    assert sum(amounts.values()) == Decimal("12000.00") and len(sched) == 13
    assert allocate(Decimal("100.00"), [Decimal(1)] * 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_exact_days_through_the_api_and_suiteql(erp):
    erp.customer()
    so = erp.order(lines=[{"item": {"externalId": "SAAS-PLATFORM-12"}, "rate": 12000}], tranDate="2025-01-15")
    erp.invoice(so, {"tranDate": "2025-01-15"})
    plan = _plans(erp, so)["SAAS-PLATFORM-12"]["plan"]
    assert plan["revRecEndDate"] == "2026-01-14"
    assert [ln["amount"] for ln in plan["lines"][:3]] == [558.90, 920.55, 1019.18]
    assert plan["lines"][-1]["amount"] == 460.27
    r = erp.sql("SELECT BUILTIN.DF(p.plannedperiod) AS period, p.amount FROM revenueplanplannedrevenue p "
                "JOIN revenueplan r ON r.id = p.revenueplan JOIN revenueelement e ON e.id = r.createdfrom "
                "WHERE e.source = '%s' ORDER BY p.plannedperiod" % erp.get(f"/salesOrder/{so}").json()["id"])
    assert r.status_code == 200, r.text
    # e.source is the invoice, not the order: nothing matches the order id
    assert r.json()["totalResults"] == 0
    inv_id = erp.control.get("/erp/revenue", salesOrder=so)["arrangements"][0]["source"]
    r = erp.sql("SELECT BUILTIN.DF(p.plannedperiod) AS period, p.amount FROM revenueplanplannedrevenue p "
                "JOIN revenueplan r ON r.id = p.revenueplan JOIN revenueelement e ON e.id = r.createdfrom "
                f"WHERE e.source = {inv_id} ORDER BY p.plannedperiod")
    items = r.json()["items"]
    assert [(i["period"], i["amount"]) for i in items[:2]] == [("Jan 2025", 558.9), ("Feb 2025", 920.55)]


def test_period_close_posts_journal_entries_and_go_live(erp):
    so, inv = _bundle(erp, saas_rule="3")
    res = erp.control.post("/erp/periods/close", {"period": "2025-01"})
    closed = res["closed"]
    assert [c["period"] for c in closed] == ["2025-01"] and closed[0]["recognized"] == 900
    je = erp.get(f"/journalEntry/{closed[0]['journalEntry']}", params={"expandSubResources": "true"}).json()
    lines = je["line"]["items"]
    assert sum(ln["debit"] for ln in lines) == sum(ln["credit"] for ln in lines) == 900
    assert {ln["account"]["refName"] for ln in lines if ln["debit"]} == {"Deferred Revenue"}
    # implementation stays deferred until go-live, then is recognized in its period
    erp.control.post("/erp/revenue/go-live", {"salesOrder": so, "date": "2025-03-10"})
    res = erp.control.post("/erp/periods/close", {"period": "2025-03"})
    assert [(c["period"], c["recognized"]) for c in res["closed"]] == [("2025-02", 900), ("2025-03", 4500)]
    # an already-closed period is not posted twice
    assert erp.control.post("/erp/periods/close", {"period": "2025-03"})["alreadyClosed"] is True
    r = erp.sql("SELECT COUNT(*) AS n FROM transaction WHERE type = 'Journal'")
    assert r.json()["items"][0]["n"] == 3


def test_credit_memo_replans_remaining_revenue_without_touching_closed_periods(erp):
    so, inv = _bundle(erp, saas_rule="3")
    erp.control.post("/erp/periods/close", {"period": "2025-03"})            # 3 x 900 recognized
    # credit 1,440 (10 % of the price): transaction price 12,960 -> SaaS 9,720, impl 3,240
    r = erp.post(f"/invoice/{inv}/!transform/creditMemo",
                 {"tranDate": "2025-04-02", "item": {"items": [{"line": 1, "amount": 1100},
                                                               {"line": 2, "amount": 340}]}})
    assert r.status_code == 204
    els = _plans(erp, so)
    saas = els["SAAS-PLATFORM-12"]
    assert saas["allocationAmount"] == 9720 and els["SVC-IMPL"]["allocationAmount"] == 3240
    lines = saas["plan"]["lines"]
    assert [ln["amount"] for ln in lines[:3]] == [900, 900, 900] and all(ln["recognized"] for ln in lines[:3])
    assert [ln["amount"] for ln in lines[3:]] == [780.0] * 9           # (9,720 - 2,700) / 9
    assert sum(ln["amount"] for ln in lines) == 9720
    assert saas["plan"]["version"] == 2 and saas["plan"]["revisions"][0]["previousAmount"] == 10800


def test_full_credit_after_recognition_books_catch_up_in_open_period(erp):
    so, inv = _bundle(erp, saas_rule="3")
    erp.control.post("/erp/periods/close", {"period": "2025-12"})           # all 10,800 recognized
    erp.post(f"/invoice/{inv}/!transform/creditMemo", {"tranDate": "2025-12-20"})
    lines = _plans(erp, so)["SAAS-PLATFORM-12"]["plan"]["lines"]
    catch = [ln for ln in lines if ln["kind"] == "catch_up"]
    assert catch == [dict(catch[0], period="2026-01", amount=-10800.0)]
    assert sum(ln["amount"] for ln in lines if ln["recognized"]) == 10800


def test_delayed_arrangement_and_auto_close_on_the_clock(erp_harness, erp):
    erp.control.post("/erp/revenue/config", {"delaySeconds": 3 * 3600})
    erp.customer()
    so = erp.order(lines=[{"item": {"externalId": "HW-ROUTER"}, "rate": 100}])
    erp.invoice(so)                                                    # 2026-01-05, delivery -> Jan 2026
    assert erp.control.get("/erp/revenue", salesOrder=so)["arrangements"] == []
    erp_harness.advance("3h")
    assert len(erp.control.get("/erp/revenue", salesOrder=so)["arrangements"]) == 1
    erp.control.post("/erp/periods/config", {"autoClose": True, "lagDays": 2})
    erp_harness.advance("27d")                                         # to 2026-02-01: not yet
    assert not erp.control.get("/erp/periods").get("2026-01", {}).get("closed")
    erp_harness.advance("2d")
    assert erp.control.get("/erp/periods")["2026-01"]["closed"] is True
