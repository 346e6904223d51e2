"""SOQL clauses and functions through simple-salesforce: date literals and date functions on the
simulated clock and the org's fiscal year, toLabel / FORMAT / convertCurrency, FIELDS(), TYPEOF,
aliases, USING SCOPE, WITH SECURITY_ENFORCED / USER_MODE, FOR VIEW / UPDATE, currency literals."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

FINANCE = dict(username="finance@o2c.test", password="o2c-password", security_token="O2CTOKEN")


def _error(sf, soql):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(soql)
    return exc.value.content[0]


def _count(sf, soql):
    return sf.query(soql)["totalSize"]


@pytest.fixture
def invoices(sf, harness):
    """Invoices due on days around today (the simulated clock): {offset in days: id}."""
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    today = harness.now().date()
    out = {}
    for days in (-400, -95, -35, -1, 0, 1, 40, 100):
        due = today + timedelta(days=days)
        out[days] = sf.blng__Invoice__c.create({"blng__Account__c": acct, "blng__DueDate__c": due.isoformat()})["id"]
    return today, out


def _due(sf, literal):
    return {r["Id"] for r in sf.query(f"SELECT Id FROM blng__Invoice__c WHERE blng__DueDate__c = {literal}")["records"]}


def _ids_between(today, invoices, lo, hi):
    return {i for d, i in invoices.items() if lo <= today + timedelta(days=d) <= hi}


def _month_start(d: date, k: int) -> date:
    idx = d.year * 12 + d.month - 1 + k
    return date(idx // 12, idx % 12 + 1, 1)


def test_relative_date_literals_are_ranges_of_the_simulated_clock(sf, invoices):
    today, inv = invoices
    this_month, next_month = _month_start(today, 0), _month_start(today, 1)
    assert _due(sf, "THIS_MONTH") == _ids_between(today, inv, this_month, next_month - timedelta(days=1))
    three_ago = _month_start(today, -3)
    assert _due(sf, "LAST_N_MONTHS:3") == _ids_between(today, inv, three_ago, this_month - timedelta(days=1))
    assert _due(sf, "N_DAYS_AGO:1") == {inv[-1]}
    assert _due(sf, "LAST_N_DAYS:35") == {inv[-35], inv[-1], inv[0]}
    q_start = _month_start(today, -((today.month - 1) % 3))
    assert _due(sf, "THIS_QUARTER") == _ids_between(today, inv, q_start, _month_start(q_start, 3) - timedelta(days=1))
    last_year = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    assert _due(sf, "LAST_N_YEARS:1") == _ids_between(today, inv, *last_year) == _due(sf, "LAST_YEAR")
    assert _count(sf, "SELECT COUNT() FROM blng__Invoice__c WHERE blng__DueDate__c > NEXT_MONTH") == \
        len(_ids_between(today, inv, _month_start(today, 2), date(9999, 1, 1)))


def test_fiscal_literals_follow_the_org_fiscal_year_start(sf, invoices, harness):
    today, inv = invoices
    year = _due(sf, "THIS_FISCAL_YEAR")
    assert year == _due(sf, "THIS_YEAR")                          # the default fiscal year is the calendar year
    start_month = (today.month % 12) + 1                           # a fiscal year starting next month
    harness.control("salesforce").post("/salesforce/settings", {"fiscal_year_start_month": start_month})
    fy_start = _month_start(today, -11)
    assert _due(sf, "THIS_FISCAL_YEAR") == _ids_between(today, inv, fy_start, _month_start(today, 1) - timedelta(days=1))
    assert _due(sf, "THIS_FISCAL_QUARTER") == _ids_between(today, inv, _month_start(today, -2),
                                                           _month_start(today, 1) - timedelta(days=1))
    fm = sf.query(f"SELECT FISCAL_MONTH(blng__DueDate__c) m FROM blng__Invoice__c WHERE Id = '{inv[0]}' "
                  f"GROUP BY FISCAL_MONTH(blng__DueDate__c)")["records"]
    assert fm[0]["m"] == 12                                        # the current month ends that fiscal year


def test_date_functions_filter_and_group(sf, invoices):
    today, inv = invoices
    assert _count(sf, f"SELECT COUNT() FROM blng__Invoice__c WHERE CALENDAR_YEAR(blng__DueDate__c) = {today.year} "
                      f"AND DAY_IN_MONTH(blng__DueDate__c) = {today.day}") == 1
    dow = sf.query(f"SELECT DAY_IN_WEEK(blng__DueDate__c) d, COUNT(Id) FROM blng__Invoice__c WHERE Id = '{inv[0]}' "
                   f"GROUP BY DAY_IN_WEEK(blng__DueDate__c)")["records"][0]["d"]
    assert dow == (today.weekday() + 1) % 7 + 1                   # 1 = Sunday
    err = _error(sf, "SELECT Id FROM blng__Invoice__c WHERE HOUR_IN_DAY(blng__DueDate__c) = 1")
    assert err["errorCode"] == "MALFORMED_QUERY" and "datetime" in err["message"]


def test_tolabel_format_and_convert_currency(sf, harness):
    acct = sf.Account.create({"Name": "Fmt", "Type": "Partner"})["id"]
    row = sf.query(f"SELECT toLabel(Type), FORMAT(CreatedDate) c FROM Account WHERE Id = '{acct}'")["records"][0]
    assert row["Type"] == "Partner" and "/" in row["c"] and row["c"].endswith(("AM", "PM"))
    entry = sf.query("SELECT Id, UnitPrice, FORMAT(UnitPrice) p FROM PricebookEntry ORDER BY UnitPrice DESC LIMIT 1")
    rec = entry["records"][0]
    assert rec["p"] == f"${rec['UnitPrice']:,.2f}"
    err = _error(sf, "SELECT convertCurrency(UnitPrice) FROM PricebookEntry")
    assert err["errorCode"] == "INVALID_FIELD" and "multiple currencies" in err["message"]
    harness.control("salesforce").post("/salesforce/settings", {
        "multi_currency": True, "currency_rates": {"USD": 1, "EUR": 0.5}, "user_currency": "EUR"})
    conv = sf.query(f"SELECT convertCurrency(UnitPrice) FROM PricebookEntry WHERE Id = '{rec['Id']}'")["records"][0]
    assert conv["UnitPrice"] == pytest.approx(rec["UnitPrice"] * 0.5)
    # a currency literal in another currency is converted with the same rates
    n_usd = _count(sf, f"SELECT COUNT() FROM PricebookEntry WHERE UnitPrice >= USD{rec['UnitPrice']}")
    assert n_usd >= 1 and _count(sf, f"SELECT COUNT() FROM PricebookEntry WHERE UnitPrice >= "
                                     f"EUR{rec['UnitPrice'] * 0.5}") == n_usd


def test_fields_macro_and_its_limit_rule(sf):
    std = sf.query("SELECT FIELDS(STANDARD) FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")["records"][0]
    assert "Name" in std and "BillingState" in std and "Customer_Key__c" not in std
    custom = sf.query("SELECT FIELDS(CUSTOM) FROM Account LIMIT 200")["records"][0]
    assert "Customer_Key__c" in custom and "Name" not in custom
    assert set(sf.query("SELECT FIELDS(ALL) FROM Account LIMIT 1")["records"][0]) >= set(std) | set(custom)
    err = _error(sf, "SELECT FIELDS(ALL) FROM Account")
    assert err["errorCode"] == "MALFORMED_QUERY" and "LIMIT" in err["message"]


def test_typeof_aliases_and_relationship_qualified_subqueries(sf):
    acct = sf.query("SELECT Id, Name, Phone FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")["records"][0]
    sf.Task.create({"Subject": "T-acct", "WhatId": acct["Id"]})
    res = sf.query("SELECT Subject, TYPEOF What WHEN Account THEN Name, Phone WHEN Order THEN OrderNumber END "
                   "FROM Task WHERE Subject = 'T-acct'")["records"][0]
    assert res["What"]["Name"] == acct["Name"] and res["What"]["attributes"]["type"] == "Account"
    assert "OrderNumber" not in res["What"]
    sf.Contact.create({"LastName": "Aliased", "AccountId": acct["Id"]})
    rows = sf.query(f"SELECT a.Name, (SELECT c.LastName FROM a.Contacts c WHERE c.LastName = 'Aliased') "
                    f"FROM Account a WHERE a.Id = '{acct['Id']}'")["records"]
    assert rows[0]["Name"] == acct["Name"]
    assert [c["LastName"] for c in rows[0]["Contacts"]["records"]] == ["Aliased"]


def test_using_scope_mine_and_field_security(sf, harness):
    finance = Salesforce(**FINANCE)
    mine = finance.Account.create({"Name": "Owned by finance"})["id"]
    assert [r["Id"] for r in finance.query("SELECT Id FROM Account USING SCOPE mine")["records"]] == [mine]
    assert _count(sf, "SELECT COUNT() FROM Account USING SCOPE everything") == _count(sf, "SELECT COUNT() FROM Account")
    assert mine not in {r["Id"] for r in sf.query("SELECT Id FROM Account USING SCOPE mine")["records"]}
    harness.control("salesforce")._call("PUT", "/salesforce/security/profiles/O2C Finance",
                                        json={"hidden": {"Account": ["Phone"]}})
    err = _error(finance, "SELECT Name, Phone FROM Account")
    assert err["errorCode"] == "INVALID_FIELD" and "No such column 'Phone'" in err["message"]
    err = _error(finance, "SELECT Name, Phone FROM Account WITH SECURITY_ENFORCED")
    assert err["errorCode"] == "INSUFFICIENT_ACCESS" and "inaccessible field" in err["message"]
    assert "Phone" not in finance.query("SELECT FIELDS(STANDARD) FROM Account LIMIT 1")["records"][0]
    assert "Phone" in sf.query("SELECT Name, Phone FROM Account WITH USER_MODE LIMIT 1")["records"][0]
    harness.control("salesforce")._call("PUT", "/salesforce/security/profiles/O2C Finance",
                                        json={"object_permissions": {"Case": {"read": False}}})
    assert _error(finance, "SELECT Id FROM Case")["errorCode"] == "INVALID_TYPE"


def test_for_clauses_and_their_rules(sf):
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    for clause in ("FOR VIEW", "FOR REFERENCE", "FOR UPDATE"):
        assert _count(sf, f"SELECT Id FROM Account WHERE Id = '{acct}' {clause}") == 1
    assert "ORDER BY" in _error(sf, "SELECT Id FROM Account ORDER BY Name FOR UPDATE")["message"]
    assert _error(sf, "SELECT Id FROM Account UPDATE TRACKING")["errorCode"] == "MALFORMED_QUERY"
    assert _error(sf, "SELECT Id FROM Account WITH DATA CATEGORY Geography__c AT usa__c")["errorCode"] == \
        "MALFORMED_QUERY"
    err = _error(sf, "SELECT Id FROM Account WHERE Type INCLUDES ('Partner')")
    assert err["errorCode"] == "INVALID_FIELD" and "multi-select" in err["message"]


def test_malformed_queries_point_at_the_row_and_column(sf):
    err = _error(sf, "SELECT Id FROM Account WHERE Name = 'x' AND AND")
    assert err["errorCode"] == "MALFORMED_QUERY" and "ERROR at Row:1:Column:" in err["message"]


def test_external_id_lookups_see_every_write(sf):
    def by_key(key):
        return [r["Id"] for r in sf.query(f"SELECT Id FROM Account WHERE Customer_Key__c = '{key}'")["records"]]
    acct = sf.Account.create({"Name": "Indexed", "Customer_Key__c": "IDX-1"})["id"]
    assert by_key("idx-1") == [acct]                       # case-insensitive, like the scan
    sf.Account.update(acct, {"Customer_Key__c": "IDX-2"})
    assert by_key("IDX-1") == [] and by_key("IDX-2") == [acct]
    other = sf.Account.create({"Name": "Indexed 2", "Customer_Key__c": "IDX-3"})["id"]
    assert sf.query("SELECT Id FROM Account WHERE Customer_Key__c IN ('IDX-2', 'IDX-3') AND Name LIKE 'Indexed%' "
                    "ORDER BY Name")["records"][1]["Id"] == other
    sf.Account.delete(acct)
    assert by_key("IDX-2") == []
    deleted = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{acct}'", include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in deleted["records"]] == [(acct, True)]   # queryAll: the recycle bin


def test_parent_path_equality_from_the_index_matches_the_scan(sf):
    acct = sf.query("SELECT Id, Name FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")["records"][0]
    mine = {sf.Contact.create({"LastName": f"P{i}", "AccountId": acct["Id"]})["id"] for i in range(2)}
    indexed = {r["Id"] for r in sf.query("SELECT Id FROM Contact WHERE Account.Customer_Key__c = 'acme-irvine'")[
        "records"]}
    scanned = {r["Id"] for r in sf.query(f"SELECT Id FROM Contact WHERE Account.Name = '{acct['Name']}'")["records"]}
    assert mine <= indexed and indexed == scanned
    assert sf.query("SELECT COUNT() FROM Contact WHERE Account.Customer_Key__c = 'NOPE'")["totalSize"] == 0
