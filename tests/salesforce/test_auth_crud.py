"""Logins, CRUD, upsert and error mapping through simple-salesforce, in-process."""
from __future__ import annotations

import base64
import json

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceAuthenticationFailed, SalesforceExpiredSession,
                                          SalesforceMalformedRequest, SalesforceMoreThanOneRecord,
                                          SalesforceRefusedRequest, SalesforceResourceNotFound)

from .conftest import CREDS


def test_soap_login_gives_instance_and_session(sf):
    assert sf.sf_instance == "o2c.my.salesforce.com"
    assert sf.session_id.startswith("00D")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 8


def test_soap_login_wrong_password_is_invalid_login(harness):
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username="integration@o2c.test", password="nope", security_token="O2CTOKEN")
    assert exc.value.code == "INVALID_LOGIN"


def test_oauth_password_flow(harness):
    sf = Salesforce(username="integration@o2c.test", password="o2c-passwordO2CTOKEN",
                    consumer_key="o2c-client-id", consumer_secret="o2c-client-secret")
    assert sf.sf_instance == "o2c.my.salesforce.com"
    assert sf.Account.describe()["name"] == "Account"


def test_oauth_password_flow_bad_secret(harness):
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username="integration@o2c.test", password="o2c-passwordO2CTOKEN",
                   consumer_key="o2c-client-id", consumer_secret="wrong")
    assert exc.value.code == "invalid_client"


def test_client_credentials_flow(harness):
    sf = Salesforce(consumer_key="o2c-client-id", consumer_secret="o2c-client-secret", domain="o2c.my")
    assert sf.query("SELECT Id FROM Product2 WHERE ProductCode = 'FREIGHT'")["totalSize"] == 1


def test_direct_session_and_bad_token(harness, sf):
    direct = Salesforce(instance_url="https://o2c.my.salesforce.com", session_id=sf.session_id)
    assert direct.query("SELECT COUNT() FROM Account")["totalSize"] == 8
    bogus = Salesforce(instance_url="https://o2c.my.salesforce.com", session_id="00Dxx!bogus")
    with pytest.raises(SalesforceExpiredSession) as exc:
        bogus.query("SELECT Id FROM Account")
    assert exc.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_one_shot_invalid_session_fault_relogs_in(sf, ctl):
    before = sf.session_id
    ctl.add_fault(operation="query.run", error={"code": "INVALID_SESSION_ID"}, times=1)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 8
    assert sf.session_id != before
    statuses = [e["status"] for e in ctl.journal("query.run")]
    assert statuses == [401, 200]


def test_crud_round_trip_and_limit_header(sf):
    res = sf.Account.create({"Name": "New Co", "Customer_Key__c": "NEW-CO", "BillingCity": "Reno"})
    assert res["success"] and res["id"].startswith("001") and len(res["id"]) == 18
    rec = sf.Account.get(res["id"])
    assert rec["Name"] == "New Co" and rec["attributes"]["type"] == "Account"
    assert rec["CreatedDate"] == "2026-01-05T09:00:00.000+0000"
    assert sf.Account.get(res["id"][:15])["Id"] == res["id"]  # 15 == 18
    assert sf.Account.update(res["id"], {"BillingCity": "Las Vegas"}) == 204
    assert sf.Account.get_by_custom_id("Customer_Key__c", "new-co")["BillingCity"] == "Las Vegas"
    assert sf.Account.delete(res["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Account.get(res["id"])
    assert exc.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    sf.query("SELECT Id FROM Account LIMIT 1")
    assert sf.api_usage["api-usage"].used > 0


def test_get_with_fields_param(sf):
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    rec = sf.Account.get(acct, params={"fields": "Name,Customer_Key__c"}) if False else \
        sf.restful(f"sobjects/Account/{acct}", params={"fields": "Name,Customer_Key__c"})
    assert set(rec) == {"attributes", "Name", "Customer_Key__c"}


def test_upsert_created_then_updated_and_300(sf):
    assert sf.Account.upsert("Customer_Key__c/UPS ERT", {"Name": "Upsert Co"}) == 201
    rec = sf.Account.get_by_custom_id("Customer_Key__c", "UPS ERT")
    assert rec["Name"] == "Upsert Co"
    sf.Account.upsert("Customer_Key__c/UPS ERT", {"Name": "Upsert Co 2"})
    assert sf.Account.get(rec["Id"])["Name"] == "Upsert Co 2"
    sf.Account.create({"Name": "A", "ERP_Customer_Id__c": "C-1"})
    sf.Account.create({"Name": "B", "ERP_Customer_Id__c": "C-1"})
    with pytest.raises(SalesforceMoreThanOneRecord) as exc:
        sf.Account.upsert("ERP_Customer_Id__c/C-1", {"Name": "C"})
    assert len(exc.value.content) == 2


@pytest.mark.parametrize("payload,code,field", [
    ({"BillingCity": "x"}, "REQUIRED_FIELD_MISSING", "Name"),
    ({"Name": "x", "Bogus__c": 1}, "INVALID_FIELD", None),
    ({"Name": "x", "Customer_Key__c": "ACME-IRVINE"}, "DUPLICATE_VALUE", "Customer_Key__c"),
    ({"Name": "x", "Email__c": "not-an-email"}, "INVALID_EMAIL_ADDRESS", "Email__c"),
])
def test_create_errors(sf, payload, code, field):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create(payload)
    err = exc.value.content[0]
    assert err["errorCode"] == code
    if field:
        assert field in err["fields"]


def test_invalid_type_and_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound):
        sf.Nope__c.create({"Name": "x"})
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Account.get("001000000000000AAA")
    assert exc.value.content[0]["errorCode"] == "NOT_FOUND"


def test_fault_codes_map_to_exceptions(sf, ctl):
    ctl.add_fault(operation="sobjects.basic", error={"code": "UNABLE_TO_LOCK_ROW"}, times=1)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create({"Name": "Locked"})
    assert exc.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert sf.Account.create({"Name": "Locked"})["success"]
    ctl.add_fault(operation="query.run", error={"code": "REQUEST_LIMIT_EXCEEDED"}, times=1)
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.query("SELECT Id FROM Account")
    assert exc.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_daily_api_limit(sf, ctl):
    ctl.post("/salesforce/api-usage", {"used": 100_000})
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Account")


def test_describe_and_limits(sf):
    g = sf.describe()
    names = {o["name"] for o in g["sobjects"]}
    assert {"Account", "Order", "blng__Invoice__c", "EmailMessage"} <= names
    d = sf.blng__Invoice__c.describe()
    fields = {f["name"]: f for f in d["fields"]}
    assert fields["ERP_Invoice_Id__c"]["externalId"] and fields["ERP_Invoice_Id__c"]["unique"]
    assert [p["value"] for p in fields["blng__InvoiceStatus__c"]["picklistValues"]] == \
        ["Draft", "Posted", "Cancelled", "Rebilled"]
    assert d["keyPrefix"] == "a0B"
    assert sf.limits()["DailyApiRequests"]["Max"] == 100000


def test_updated_and_deleted(sf, harness):
    from datetime import timedelta
    start = harness.now()
    harness.advance("1h")
    rid = sf.Account.create({"Name": "Polled"})["id"]
    harness.advance("1h")
    sf.Account.delete(rid)
    harness.advance("1m")
    upd = sf.Account.updated(start, harness.now())
    assert rid not in upd["ids"]  # deleted since
    deleted = sf.Account.deleted(start, harness.now())
    assert [d["id"] for d in deleted["deletedRecords"]] == [rid]
    rid2 = sf.Account.create({"Name": "Polled 2"})["id"]
    assert rid2 in sf.Account.updated(start, harness.now() + timedelta(seconds=1))["ids"]
