"""SOQL semantics pinned down: case-insensitivity, date-literal ranges, null ordering, relationships,
paging, MALFORMED_QUERY for what is unsupported."""
from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from .conftest import make_order


def ids(result):
    return [r["Id"] for r in result["records"]]


def test_case_insensitive_equality_like_and_in(sf):
    assert sf.query("SELECT Id FROM Account WHERE Name = 'acme irvine inc.'")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Account WHERE name like 'ACME%'")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Account WHERE BillingState IN ('ny', 'Tx')")["totalSize"] == 2
    n_ca = sf.query("SELECT COUNT() FROM Account WHERE BillingState = 'CA'")["totalSize"]
    n_not = sf.query("SELECT COUNT() FROM Account WHERE BillingState NOT IN ('ca')")["totalSize"]
    assert n_ca + n_not == 8 and n_ca >= 2


def test_null_semantics_and_ordering(sf):
    # THAMES-LONDON has no region: BillingState is null
    assert sf.query("SELECT COUNT() FROM Account WHERE BillingState = null")["totalSize"] == 1
    assert sf.query("SELECT COUNT() FROM Account WHERE BillingState != 'CA'")["totalSize"] == \
        8 - sf.query("SELECT COUNT() FROM Account WHERE BillingState = 'CA'")["totalSize"]
    asc = sf.query("SELECT BillingState FROM Account ORDER BY BillingState")["records"]
    assert asc[0]["BillingState"] is None  # ASC -> NULLS FIRST
    desc = sf.query("SELECT BillingState FROM Account ORDER BY BillingState DESC")["records"]
    assert desc[-1]["BillingState"] is None  # DESC -> NULLS LAST
    last = sf.query("SELECT BillingState FROM Account ORDER BY BillingState ASC NULLS LAST")["records"]
    assert last[-1]["BillingState"] is None and last[0]["BillingState"] is not None


def test_date_literals_follow_the_simulated_clock(sf, harness):
    a = sf.Account.create({"Name": "Day0"})["id"]
    harness.advance("3d")
    b = sf.Account.create({"Name": "Day3"})["id"]
    q = "SELECT Id FROM Account WHERE Name LIKE 'Day%' AND CreatedDate = {}"
    assert ids(sf.query(q.format("TODAY"))) == [b]
    assert ids(sf.query(q.format("LAST_N_DAYS:2"))) == [b]
    assert sorted(ids(sf.query(q.format("LAST_N_DAYS:3")))) == sorted([a, b])
    assert ids(sf.query("SELECT Id FROM Account WHERE Name LIKE 'Day%' AND CreatedDate < TODAY")) == [a]
    assert ids(sf.query("SELECT Id FROM Account WHERE Name LIKE 'Day%' AND CreatedDate > YESTERDAY")) == [b]
    assert sf.query("SELECT COUNT() FROM Account WHERE Name LIKE 'Day%' AND CreatedDate = NEXT_N_DAYS:5")[
        "totalSize"] == 0
    assert ids(sf.query("SELECT Id FROM Account WHERE Name LIKE 'Day%' AND CreatedDate >= 2026-01-06T00:00:00Z")) == [b]
    inv_acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    sf.blng__Invoice__c.create({"blng__Account__c": inv_acct, "blng__DueDate__c": "2026-01-09"})
    assert sf.query("SELECT COUNT() FROM blng__Invoice__c WHERE blng__DueDate__c = NEXT_N_DAYS:1")["totalSize"] == 1
    assert sf.query("SELECT COUNT() FROM blng__Invoice__c WHERE blng__DueDate__c > TODAY")["totalSize"] == 1
    assert sf.query("SELECT COUNT() FROM blng__Invoice__c WHERE blng__DueDate__c < 2026-01-09")["totalSize"] == 0


def test_parent_paths_child_subqueries_and_semi_join(sf):
    order, acct = make_order(sf, skus=(("HW-ROUTER", 2), ("FREIGHT", 1)))
    res = sf.query("SELECT Id, OrderNumber, TotalAmount, Account.Name, Account.Owner.Username, "
                   "(SELECT Quantity, TotalPrice, Product2.ProductCode FROM OrderItems ORDER BY TotalPrice DESC) "
                   f"FROM Order WHERE Id = '{order[:15]}'")
    rec = res["records"][0]
    assert rec["OrderNumber"] == "00000100"
    assert rec["TotalAmount"] == 225.0
    assert rec["Account"]["Name"] == "Acme Irvine Inc."
    assert rec["Account"]["Owner"]["Username"] == "integration@o2c.test"
    items = rec["OrderItems"]
    assert items["totalSize"] == 2 and items["records"][0]["Product2"]["ProductCode"] == "HW-ROUTER"
    semi = sf.query("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Order)")
    assert [r["Name"] for r in semi["records"]] == ["Acme Irvine Inc."]
    anti = sf.query("SELECT COUNT() FROM Account WHERE Id NOT IN (SELECT AccountId FROM Order)")
    assert anti["totalSize"] == 7
    none = sf.query("SELECT Id, (SELECT Id FROM Orders) FROM Account WHERE Customer_Key__c = 'WINDY-CHICAGO'")
    assert none["records"][0]["Orders"] is None


def test_null_parent_comes_back_null(sf):
    sf.Contact.create({"LastName": "Orphan"})
    rec = sf.query("SELECT Id, Account.Name FROM Contact WHERE LastName = 'Orphan'")["records"][0]
    assert rec["Account"] is None


def test_query_all_pages_and_query_all_includes_deleted(sf, ctl):
    ctl.post("/salesforce/settings", {"query_batch_size": 3})
    first = sf.query("SELECT Id FROM Account ORDER BY Name")
    assert first["done"] is False and first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert len(first["records"]) == 3 and first["totalSize"] == 8
    everything = sf.query_all("SELECT Id, Name FROM Account ORDER BY Name")
    names = [r["Name"] for r in everything["records"]]
    assert len(names) == 8 and names == sorted(names, key=str.lower)
    gone = sf.Account.create({"Name": "Gone"})["id"]
    sf.Account.delete(gone)
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Gone'")["totalSize"] == 0
    deleted = sf.query_all("SELECT Id, IsDeleted FROM Account WHERE Name = 'Gone'", include_deleted=True)
    assert deleted["records"][0]["IsDeleted"] is True
    journal = ctl.journal("query.more")
    assert len(journal) >= 2


def test_limit_offset_and_count(sf):
    all_ids = ids(sf.query("SELECT Id FROM Account ORDER BY Name"))
    assert ids(sf.query("SELECT Id FROM Account ORDER BY Name LIMIT 2 OFFSET 3")) == all_ids[3:5]
    assert sf.query("SELECT COUNT() FROM Account WHERE Name LIKE '%a%'")["records"] == []


@pytest.mark.parametrize("soql,code", [
    ("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account GROUP BY Name", "MALFORMED_QUERY"),
    ("SELECT Name, COUNT(Id) FROM Account", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = \"double\"", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account USING SCOPE nowhere", "MALFORMED_QUERY"),
    ("SELECT Bogus__c FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD"),
    ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
    ("SELECT Id, (SELECT Id FROM Nopes) FROM Account", "INVALID_TYPE"),
])
def test_unsupported_or_invalid_is_an_error(sf, soql, code):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(soql)
    assert exc.value.content[0]["errorCode"] == code
