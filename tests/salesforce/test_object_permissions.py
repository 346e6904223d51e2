"""Object permissions (create / delete) per profile: the finance user may not delete (or create)
invoice mirrors, their lines or payments, on any path; Salesforce answers 403
INSUFFICIENT_ACCESS_OR_READONLY and nothing changes."""
from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceRefusedRequest

from .test_security import FINANCE, mirror  # noqa: F401  (fixture)

V = "https://o2c.my.salesforce.com/services/data/v59.0"
REFUSED = {"statusCode": "INSUFFICIENT_ACCESS_OR_READONLY", "message": "insufficient access rights on object id",
           "fields": []}


@pytest.fixture
def finance(harness):
    return Salesforce(**FINANCE)


@pytest.fixture
def payment(sf, mirror):  # noqa: F811
    return sf.blng__Payment__c.create({"blng__Account__c": mirror["account"], "blng__Invoice__c": mirror["id"],
                                       "blng__Amount__c": 10.0, "blng__Status__c": "Posted"})["id"]


def _exists(sf, sobject: str, rid: str) -> bool:
    return sf.query(f"SELECT COUNT() FROM {sobject} WHERE Id = '{rid}'")["totalSize"] == 1


def test_finance_cannot_delete_a_mirror_or_a_payment(sf, finance, mirror, payment):  # noqa: F811
    for sobject, rid in (("blng__Invoice__c", mirror["id"]), ("blng__Payment__c", payment)):
        with pytest.raises(SalesforceRefusedRequest) as exc:
            getattr(finance, sobject).delete(rid)
        assert exc.value.status == 403
        assert exc.value.content == [{"message": REFUSED["message"], "errorCode": REFUSED["statusCode"],
                                      "fields": []}]
        assert _exists(sf, sobject, rid)


def test_finance_cannot_delete_through_collections_or_composite(sf, finance, mirror, payment):  # noqa: F811
    auth = {"Authorization": f"Bearer {finance.session_id}"}
    r = requests.delete(f"{V}/composite/sobjects", params={"ids": f"{mirror['id']},{payment}"}, headers=auth)
    assert r.status_code == 200
    assert [x["errors"] for x in r.json()] == [[REFUSED], [REFUSED]]
    r = requests.post(f"{V}/composite", headers=auth, json={"allOrNone": False, "compositeRequest": [
        {"method": "DELETE", "url": f"/services/data/v59.0/sobjects/blng__Payment__c/{payment}", "referenceId": "p"}]})
    sub = r.json()["compositeResponse"][0]
    assert sub["httpStatusCode"] == 403 and sub["body"][0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    assert _exists(sf, "blng__Invoice__c", mirror["id"]) and _exists(sf, "blng__Payment__c", payment)


def test_finance_cannot_create_a_payment_but_still_edits_what_it_may(sf, finance, mirror):  # noqa: F811
    with pytest.raises(SalesforceRefusedRequest) as exc:
        finance.blng__Payment__c.create({})
    assert exc.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    assert finance.blng__Invoice__c.update(mirror["id"], {"On_Hold__c": True}) == 204
    acct = finance.Account.create({"Name": "Finance may create accounts"})["id"]
    assert finance.Account.delete(acct) == 204


def test_admin_deletes_and_profiles_are_editable(harness, sf, finance, mirror, payment):  # noqa: F811
    ctl = harness.control("salesforce")
    view = ctl.get("/salesforce/security")["profiles"]["O2C Finance"]
    assert view["object_permissions"]["blng__Payment__c"] == {"create": False, "delete": False}
    ctl._call("PUT", "/salesforce/security/profiles/O2C Finance", json={
        "read_only": view["read_only"], "object_permissions": {"blng__Payment__c": {"delete": True}}})
    assert finance.blng__Payment__c.delete(payment) == 204
    with pytest.raises(RuntimeError, match="400"):
        ctl._call("PUT", "/salesforce/security/profiles/O2C Finance", json={"object_permissions": {"Nope": {}}})
    assert sf.blng__Invoice__c.delete(mirror["id"]) == 204
