"""SOQL aggregate queries through simple-salesforce: AggregateResult rows, GROUP BY, HAVING,
ROLLUP / CUBE with GROUPING(), ORDER BY over groups, and the GROUP BY errors Salesforce gives."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def _error(sf, soql):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(soql)
    return exc.value.content[0]


def test_aggregate_functions_without_group_by_are_one_aggregate_result(sf):
    prices = [Decimal(str(r["UnitPrice"])) for r in sf.query_all("SELECT UnitPrice FROM PricebookEntry")["records"]]
    res = sf.query("SELECT COUNT(Id), SUM(UnitPrice) total, MIN(UnitPrice), MAX(UnitPrice), AVG(UnitPrice), "
                   "COUNT_DISTINCT(Product2Id) FROM PricebookEntry")
    assert res["totalSize"] == 1
    row = res["records"][0]
    assert row["attributes"] == {"type": "AggregateResult"}       # no url on an AggregateResult
    assert row["expr0"] == len(prices)
    assert Decimal(str(row["total"])) == sum(prices)              # an alias replaces exprN
    assert row["expr1"] == float(min(prices)) and row["expr2"] == float(max(prices))
    assert row["expr3"] == pytest.approx(float(sum(prices) / len(prices)))
    assert row["expr4"] == len(prices)


def test_group_by_having_and_order_by_an_aggregate(sf):
    for name, state in (("G1", "WA"), ("G2", "WA"), ("G3", "OR")):
        sf.Account.create({"Name": name, "BillingState": state})
    states = Counter(r["BillingState"] for r in sf.query_all("SELECT BillingState FROM Account")["records"])
    res = sf.query("SELECT BillingState, COUNT(Id) n FROM Account GROUP BY BillingState ORDER BY COUNT(Id) DESC, "
                   "BillingState")
    got = {r["BillingState"]: r["n"] for r in res["records"]}
    assert got == dict(states)
    counts = [r["n"] for r in res["records"]]
    assert counts == sorted(counts, reverse=True)
    having = sf.query("SELECT BillingState, COUNT(Id) FROM Account GROUP BY BillingState HAVING COUNT(Id) > 1")
    assert {r["BillingState"]: r["expr0"] for r in having["records"]} == {s: n for s, n in states.items() if n > 1}
    only_wa = sf.query("SELECT BillingState st, COUNT(Id) FROM Account GROUP BY BillingState "
                       "HAVING BillingState = 'wa'")["records"]
    assert [(r["st"], r["expr0"]) for r in only_wa] == [("WA", states["WA"])]


def test_group_by_a_parent_field_and_a_date_function(sf):
    acct = sf.query("SELECT Id FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")["records"][0]["Id"]
    for last in ("A", "B"):
        sf.Contact.create({"LastName": last, "AccountId": acct})
    res = sf.query("SELECT Account.Name, COUNT(Id) FROM Contact WHERE AccountId = '%s' GROUP BY Account.Name" % acct)
    names = sf.query(f"SELECT Name FROM Account WHERE Id = '{acct}'")["records"][0]["Name"]
    n = sf.query(f"SELECT COUNT() FROM Contact WHERE AccountId = '{acct}'")["totalSize"]
    assert [(r["Name"], r["expr0"]) for r in res["records"]] == [(names, n)]
    years = sf.query("SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)")
    total = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    assert sum(r["expr1"] for r in years["records"]) == total
    assert all(isinstance(r["expr0"], int) and r["expr0"] >= 2000 for r in years["records"])


def test_rollup_and_cube_add_subtotals_marked_by_grouping(sf):
    for name, typ, state in (("R1", "Partner", "WA"), ("R2", "Partner", "OR"), ("R3", "Prospect", "WA")):
        sf.Account.create({"Name": name, "Type": typ, "BillingState": state})
    where = "WHERE Name IN ('R1', 'R2', 'R3')"
    rows = sf.query(f"SELECT Type, BillingState, COUNT(Id) n, GROUPING(Type) gt, GROUPING(BillingState) gs "
                    f"FROM Account {where} GROUP BY ROLLUP(Type, BillingState)")["records"]
    detail = {(r["Type"], r["BillingState"]): r["n"] for r in rows if r["gt"] == 0 and r["gs"] == 0}
    assert detail == {("Partner", "WA"): 1, ("Partner", "OR"): 1, ("Prospect", "WA"): 1}
    subtotals = {r["Type"]: r["n"] for r in rows if r["gt"] == 0 and r["gs"] == 1}
    assert subtotals == {"Partner": 2, "Prospect": 1}
    assert [r["n"] for r in rows if r["gt"] == 1] == [3]             # the grand total
    cube = sf.query(f"SELECT Type, BillingState, COUNT(Id) n, GROUPING(Type) gt FROM Account {where} "
                    f"GROUP BY CUBE(Type, BillingState)")["records"]
    by_state = {r["BillingState"]: r["n"] for r in cube if r["gt"] == 1 and r["BillingState"]}
    assert by_state == {"WA": 2, "OR": 1}                            # CUBE also totals by the second field
    assert len(cube) == len(rows) + 2


@pytest.mark.parametrize("soql,code,message", [
    ("SELECT Name, COUNT(Id) FROM Account", "MALFORMED_QUERY", "Field must be grouped or aggregated: Name"),
    ("SELECT Name, COUNT(Id) FROM Account GROUP BY BillingState", "MALFORMED_QUERY",
     "Field must be grouped or aggregated: Name"),
    ("SELECT Description, COUNT(Id) FROM Task GROUP BY Description", "INVALID_FIELD",
     "field 'Description' can not be grouped in a query call"),
    ("SELECT CreatedDate, COUNT(Id) FROM Account GROUP BY CreatedDate", "INVALID_FIELD",
     "field 'CreatedDate' can not be grouped in a query call"),
    ("SELECT SUM(Name) FROM Account", "MALFORMED_QUERY", "does not support aggregate operator SUM"),
    ("SELECT MAX(CreatedDate) FROM Account LIMIT 1", "MALFORMED_QUERY", "must have a GROUP BY"),
    ("SELECT Type, GROUPING(Type) FROM Account GROUP BY Type", "MALFORMED_QUERY", "GROUPING()"),
    ("SELECT Id, COUNT(Name) FROM Account GROUP BY Id HAVING Name = 'x'", "MALFORMED_QUERY",
     "Field must be grouped or aggregated: Name"),
])
def test_group_by_errors(sf, soql, code, message):
    err = _error(sf, soql)
    assert err["errorCode"] == code and message in err["message"]
