"""sObject Tree through the REST API as simple-salesforce's generic ``restful`` sends it: nested
accounts and contacts in one request, all or none, with the documented limits."""
from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def tree(sf, sobject, records):
    return sf.restful(f"composite/tree/{sobject}", method="POST", json={"records": records})


def account(ref, name, contacts=()):
    rec = {"attributes": {"type": "Account", "referenceId": ref}, "Name": name}
    if contacts:
        rec["Contacts"] = {"records": [{"attributes": {"type": "Contact", "referenceId": r}, "LastName": n}
                                       for r, n in contacts]}
    return rec


def test_nested_records_are_created_and_linked(sf):
    out = tree(sf, "Account", [account("acc1", "Tree Co", [("c1", "Ada"), ("c2", "Grace")]),
                               account("acc2", "Leaf Inc")])
    assert out["hasErrors"] is False
    ids = {r["referenceId"]: r["id"] for r in out["results"]}
    assert set(ids) == {"acc1", "c1", "c2", "acc2"}
    kids = sf.query(f"SELECT LastName FROM Contact WHERE AccountId = '{ids['acc1']}' ORDER BY LastName")
    assert [r["LastName"] for r in kids["records"]] == ["Ada", "Grace"]


def test_one_bad_record_keeps_nothing_and_names_only_the_failure(sf):
    before = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    with pytest.raises(SalesforceMalformedRequest) as err:
        tree(sf, "Account", [account("ok1", "Fine Co", [("bad", "")]), account("ok2", "Also Fine")])
    body = err.value.content
    assert body["hasErrors"] is True
    assert [r["referenceId"] for r in body["results"]] == ["bad"]
    assert body["results"][0]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == before


def test_limits_and_shape_are_enforced(sf):
    with pytest.raises(SalesforceMalformedRequest) as dup:
        tree(sf, "Account", [account("same", "A"), account("same", "B")])
    assert "Duplicate ReferenceId" in dup.value.content["results"][0]["errors"][0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as many:
        tree(sf, "Account", [account(f"r{i}", f"N{i}") for i in range(201)])
    assert "limit is 200" in many.value.content["results"][0]["errors"][0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as typed:
        tree(sf, "Account", [{"attributes": {"type": "Contact", "referenceId": "x"}, "LastName": "Wrong"}])
    assert typed.value.content["results"][0]["referenceId"] == "x"
