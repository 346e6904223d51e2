"""Users, profiles and field-level security through simple-salesforce, in-process: the finance user
sees the ERP-billed invoice mirror read-only, and every write path refuses it with Salesforce's
INVALID_FIELD_FOR_INSERT_UPDATE."""
from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceAuthenticationFailed, SalesforceMalformedRequest,
                                          SalesforceRefusedRequest)

from .conftest import CREDS

FINANCE = dict(username="finance@o2c.test", password="o2c-password", security_token="O2CTOKEN")
FLS_MESSAGE = ("Unable to create/update fields: {}. Please check the security settings of this field and verify "
               "that it is read/write for your profile or permission set.")


@pytest.fixture
def mirror(sf):
    """An invoice mirror as the integration writes it (full access)."""
    acct = sf.query("SELECT Id FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")["records"][0]["Id"]
    sf.blng__Invoice__c.upsert("ERP_Invoice_Id__c/1017", {
        "blng__Account__c": acct, "blng__InvoiceStatus__c": "Posted", "blng__PaymentStatus__c": "Unpaid",
        "blng__Subtotal__c": 100.0, "blng__TaxAmount__c": 7.75, "blng__TotalAmount__c": 107.75,
        "blng__Balance__c": 107.75, "ERP_Document_Number__c": "INV-000001", "Source_System__c": "ERP"})
    rec = sf.blng__Invoice__c.get_by_custom_id("ERP_Invoice_Id__c", "1017")
    return {"id": rec["Id"], "account": acct}


@pytest.fixture
def finance(harness):
    return Salesforce(**FINANCE)


def _refused(exc: SalesforceMalformedRequest, *fields: str) -> None:
    assert exc.status == 400
    assert exc.content == [{"message": FLS_MESSAGE.format(", ".join(fields)),
                            "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "fields": list(fields)}]


def test_finance_logs_in_with_soap_and_oauth(harness):
    soap = Salesforce(**FINANCE)
    me = soap.query("SELECT Id, Username, Profile.Name FROM User WHERE Username = 'finance@o2c.test'")["records"][0]
    assert me["Profile"]["Name"] == "O2C Finance"
    oauth = Salesforce(username="finance@o2c.test", password="o2c-passwordO2CTOKEN",
                       consumer_key="o2c-client-id", consumer_secret="o2c-client-secret")
    assert oauth.query("SELECT COUNT() FROM Account")["totalSize"] == 8
    token = requests.post("https://login.salesforce.com/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "finance@o2c.test", "password": "o2c-passwordO2CTOKEN"}, timeout=10).json()
    assert token["id"].endswith("/" + me["Id"])
    with pytest.raises(SalesforceAuthenticationFailed):
        Salesforce(username="finance@o2c.test", password="wrong", security_token="O2CTOKEN")


def test_a_read_only_field_is_refused_like_salesforce_and_nothing_changes(sf, finance, mirror):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        finance.blng__Invoice__c.update(mirror["id"], {"blng__TotalAmount__c": 1.0, "On_Hold__c": True})
    _refused(exc.value, "blng__TotalAmount__c")
    rec = sf.blng__Invoice__c.get(mirror["id"])
    assert rec["blng__TotalAmount__c"] == 107.75 and rec["On_Hold__c"] is False   # all or nothing


def test_every_read_only_field_in_the_write_is_named(finance, mirror):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        finance.blng__Invoice__c.update(mirror["id"], {"blng__Balance__c": 0, "blng__PaymentStatus__c": "Paid",
                                                       "ERP_Invoice_Id__c": "999"})
    _refused(exc.value, "blng__Balance__c", "blng__PaymentStatus__c", "ERP_Invoice_Id__c")


def test_system_fields_are_named_together_too(sf, mirror):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.blng__Invoice__c.update(mirror["id"], {"CreatedDate": "2026-01-01T00:00:00Z",
                                                  "LastModifiedDate": "2026-01-01T00:00:00Z"})
    _refused(exc.value, "CreatedDate", "LastModifiedDate")


def test_editable_fields_still_save_as_the_finance_user(sf, finance, mirror):
    assert finance.blng__Invoice__c.update(mirror["id"], {"On_Hold__c": True, "blng__Notes__c": "customer query"}) == 204
    rec = sf.query(f"SELECT On_Hold__c, LastModifiedBy.Username FROM blng__Invoice__c WHERE Id = '{mirror['id']}'")
    row = rec["records"][0]
    assert row["On_Hold__c"] is True and row["LastModifiedBy"]["Username"] == "finance@o2c.test"


def test_the_integration_user_keeps_full_access(sf, mirror):
    assert sf.blng__Invoice__c.update(mirror["id"], {"blng__Balance__c": 0, "blng__PaymentStatus__c": "Paid"}) == 204
    assert sf.blng__Invoice__c.get(mirror["id"])["blng__PaymentStatus__c"] == "Paid"


def test_finance_cannot_key_in_an_invoice_or_upsert_the_mirror(finance, mirror):
    # no create permission on the mirror: the object check comes before field-level security
    with pytest.raises(SalesforceRefusedRequest) as refused:
        finance.blng__Invoice__c.create({"blng__Account__c": mirror["account"], "blng__TotalAmount__c": 50.0})
    assert refused.value.status == 403
    assert refused.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        finance.blng__Invoice__c.upsert("ERP_Invoice_Id__c/1017", {"blng__TaxAmount__c": 0})
    _refused(exc.value, "blng__TaxAmount__c")


def test_collections_return_the_error_per_record_and_roll_back(sf, finance, mirror):
    records = [{"attributes": {"type": "blng__Invoice__c"}, "Id": mirror["id"], "On_Hold__c": True},
               {"attributes": {"type": "blng__Invoice__c"}, "Id": mirror["id"], "blng__Balance__c": 0}]
    out = finance.restful("composite/sobjects", method="PATCH", json={"allOrNone": True, "records": records})
    assert out[1] == {"id": mirror["id"], "success": False, "errors": [{
        "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "message": FLS_MESSAGE.format("blng__Balance__c"),
        "fields": ["blng__Balance__c"]}]}
    assert out[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.blng__Invoice__c.get(mirror["id"])["On_Hold__c"] is False


def test_composite_subrequest_is_refused_with_400(finance, mirror):
    out = finance.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
        {"method": "PATCH", "url": f"/services/data/v59.0/sobjects/blng__Invoice__c/{mirror['id']}",
         "referenceId": "mark", "body": {"blng__TaxAmount__c": 0}}]})
    sub = out["compositeResponse"][0]
    assert sub["httpStatusCode"] == 400
    assert sub["body"][0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert sub["body"][0]["fields"] == ["blng__TaxAmount__c"]


def test_describe_shows_the_field_read_only_for_finance_only(sf, finance):
    def flags(client, name):
        f = next(f for f in client.blng__Invoice__c.describe()["fields"] if f["name"] == name)
        return f["createable"], f["updateable"]
    assert flags(finance, "blng__TotalAmount__c") == (False, False)
    assert flags(finance, "On_Hold__c") == (True, True)
    assert flags(sf, "blng__TotalAmount__c") == (True, True)


def test_apex_runs_in_system_mode(harness, finance, mirror):
    resp = requests.put("https://o2c.my.salesforce.com/_sim/salesforce/security/profiles/O2C Finance",
                        json={"read_only": {"blng__Invoice__c": ["On_Hold__c"]}}, timeout=10)
    assert resp.status_code == 200
    with pytest.raises(SalesforceMalformedRequest):
        finance.blng__Invoice__c.update(mirror["id"], {"On_Hold__c": True})
    out = finance.apexecute("o2c/invoices/1017", method="PATCH", data={"onHold": True})
    assert out["onHold"] is True


def test_control_plane_profiles_and_users(harness, sf, mirror):
    base = "https://o2c.my.salesforce.com/_sim/salesforce/security"
    view = requests.get(base, timeout=10).json()
    internal = {u["username"]: u["profile"] for u in view["users"] if u["profile"] != "Customer Community User"}
    assert internal == {"integration@o2c.test": "System Administrator", "finance@o2c.test": "O2C Finance"}
    portal = {u["username"] for u in view["users"]} - set(internal)
    assert "billing@acme-irvine.o2c.test" in portal   # one portal user per customer account
    assert view["profiles"]["Customer Community User"]["api_enabled"] is False
    assert "blng__TotalAmount__c" in view["profiles"]["O2C Finance"]["read_only"]["blng__Invoice__c"]
    bad = requests.put(f"{base}/profiles/Broken", json={"read_only": {"blng__Invoice__c": ["Nope__c"]}}, timeout=10)
    assert bad.status_code == 400 and "Nope__c" in bad.json()["error"]
    assert requests.put(f"{base}/users/ar@o2c.test", json={"profile": "Nobody"}, timeout=10).status_code == 400
    made = requests.put(f"{base}/users/ar@o2c.test", json={"profile": "O2C Finance", "name": "AR Clerk"}, timeout=10)
    assert made.status_code == 200 and made.json()["id"].startswith("005")
    clerk = Salesforce(username="ar@o2c.test", password="o2c-password", security_token="O2CTOKEN")
    with pytest.raises(SalesforceMalformedRequest) as exc:
        clerk.blng__Invoice__c.update(mirror["id"], {"blng__Balance__c": 0})
    _refused(exc.value, "blng__Balance__c")
    requests.put(f"{base}/users/ar@o2c.test", json={"active": False}, timeout=10).raise_for_status()
    with pytest.raises(SalesforceAuthenticationFailed):
        Salesforce(username="ar@o2c.test", password="o2c-password", security_token="O2CTOKEN")
    harness.control("salesforce").reset()
    users = [u["username"] for u in requests.get(base, timeout=10).json()["users"]]
    assert users[:2] == ["integration@o2c.test", "finance@o2c.test"] and "ar@o2c.test" not in users


def test_default_integration_identity_is_unchanged(harness):
    sf = Salesforce(**CREDS)
    rows = sf.query("SELECT Username, Profile.Name FROM User WHERE Username = 'integration@o2c.test'")["records"]
    assert rows[0]["Profile"]["Name"] == "System Administrator"


def test_a_composite_call_leaves_no_user_behind(harness, org, finance, mirror):
    """Composite subrequests are nested requests sharing the outer request's ``g``: when the call is
    over, nobody is acting any more (work outside a request, like a reset's seed, is the org's)."""
    finance.restful("composite", method="POST", json={"compositeRequest": [
        {"method": "GET", "url": f"/services/data/v59.0/sobjects/blng__Invoice__c/{mirror['id']}", "referenceId": "a"},
        {"method": "GET", "url": f"/services/data/v59.0/sobjects/blng__Invoice__c/{mirror['id']}", "referenceId": "b"}]})
    assert org.security.acting_user() is None
    harness.control("salesforce").reset()
    sf = Salesforce(**CREDS)
    owners = sf.query("SELECT Owner.Username FROM Account")["records"]
    assert {o["Owner"]["Username"] for o in owners} == {"integration@o2c.test"}
