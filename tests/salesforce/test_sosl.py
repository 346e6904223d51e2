"""SOSL through simple-salesforce: /search (FIND ... IN ... RETURNING ...) and /parameterizedSearch."""
from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def test_find_returning_with_fields_where_and_limit(sf):
    a = sf.Account.create({"Name": "Zephyr Widgets", "BillingState": "WA"})["id"]
    b = sf.Account.create({"Name": "Zephyrus Labs", "BillingState": "OR"})["id"]
    c = sf.Contact.create({"LastName": "Zephyrson", "Email": "z@zephyr.test"})["id"]
    res = sf.search("FIND {zephyr*} IN NAME FIELDS RETURNING Account(Id, Name ORDER BY Name), Contact(Id)")
    recs = res["searchRecords"]
    assert [(r["attributes"]["type"], r["Id"]) for r in recs] == [("Account", a), ("Account", b), ("Contact", c)]
    assert recs[0]["Name"] == "Zephyr Widgets" and "Name" not in recs[2]
    only_wa = sf.search("FIND {zephyr*} RETURNING Account(Name WHERE BillingState = 'WA')")["searchRecords"]
    assert [r["Name"] for r in only_wa] == ["Zephyr Widgets"]
    assert len(sf.search("FIND {zephyr*} RETURNING Account, Contact LIMIT 2")["searchRecords"]) == 2
    # exact words, OR, AND NOT, phrases; EMAIL scope
    assert [r["Id"] for r in sf.search("FIND {zephyr} RETURNING Account")["searchRecords"]] == [a]
    assert len(sf.search("FIND {zephyr* AND NOT labs} RETURNING Account")["searchRecords"]) == 1
    assert len(sf.search('FIND {"zephyr widgets" OR zephyrus} RETURNING Account')["searchRecords"]) == 2
    assert [r["Id"] for r in sf.search("FIND {z@zephyr.test} IN EMAIL FIELDS RETURNING Contact, Account")[
        "searchRecords"]] == [c]


def test_parameterized_search_get_and_post(sf):
    a = sf.Account.create({"Name": "Quokka Corp"})["id"]
    got = sf.restful("parameterizedSearch", params={"q": "quokka", "sobject": "Account", "Account.fields": "Id,Name"})
    assert [(r["Id"], r["Name"]) for r in got["searchRecords"]] == [(a, "Quokka Corp")]
    posted = sf.restful("parameterizedSearch", method="POST", data='{"q": "quokka", "sobjects": [{"name": "Account"}], '
                                                                  '"fields": ["Name"]}')
    assert [r["Name"] for r in posted["searchRecords"]] == ["Quokka Corp"]


@pytest.mark.parametrize("sosl", ["FIND {a}", "FIND acme", "FIND {acme} RETURNING", "FIND {acme} IN NOWHERE FIELDS"])
def test_malformed_search(sf, sosl):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.search(sosl)
    assert exc.value.content[0]["errorCode"] == "MALFORMED_SEARCH"
