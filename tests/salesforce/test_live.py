"""Live smoke subset: the fake as a real HTTPS server (harness CA), through simple-salesforce."""
from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulators.salesforce.client import live_session, oauth_token


@pytest.fixture
def live_sf(live):
    base = live.url("salesforce")
    s = live_session(base, live.ca_path)
    return Salesforce(username="integration@o2c.test", password="o2c-password", security_token="O2CTOKEN",
                      session=s), live


def test_live_oauth_instance_url_is_the_fake(live):
    base = live.url("salesforce")
    tok = oauth_token(base, live.ca_path)
    assert tok["instance_url"] == base
    s = requests.Session()
    s.trust_env = False
    s.verify = str(live.ca_path)
    sf = Salesforce(instance_url=tok["instance_url"], session_id=tok["access_token"], session=s)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 8


def test_live_soap_login_crud_paging_and_relogin(live_sf):
    sf, live = live_sf
    assert sf.sf_instance == live.url("salesforce").replace("https://", "")
    ctl = live.control("salesforce")
    rid = sf.Account.create({"Name": "Live Co", "Customer_Key__c": "LIVE-1"})["id"]
    assert sf.Account.get_by_custom_id("Customer_Key__c", "LIVE-1")["Id"] == rid
    ctl.post("/salesforce/settings", {"query_batch_size": 2})
    assert len(sf.query_all("SELECT Id FROM Account")["records"]) == 9
    ctl.add_fault(operation="query.run", error={"code": "INVALID_SESSION_ID"}, times=1)
    old = sf.session_id
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 9
    assert sf.session_id != old
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Account WHERE")
    assert exc.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_live_dunning_and_eventbus(live_sf):
    sf, live = live_sf
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    inv = sf.blng__Invoice__c.create({"blng__Account__c": acct, "blng__InvoiceStatus__c": "Posted",
                                      "blng__DueDate__c": "2026-01-05", "blng__TotalAmount__c": 50})["id"]
    live.advance("2d")
    got = sf.query(f"SELECT Dunning_Stage__c FROM EmailMessage WHERE RelatedToId = '{inv}'")["records"]
    assert [e["Dunning_Stage__c"] for e in got] == ["reminder"]
    ev = live.control("salesforce").get("/salesforce/eventbus", channel="/data/blng__Invoice__ChangeEvent")["events"]
    assert ev[0]["payload"]["ChangeEventHeader"]["changeType"] == "CREATE"


def test_live_finance_user_sees_the_mirror_read_only(live_sf):
    """Field-level security per request under the threaded server: the finance user is refused,
    the integration user (another session, interleaved) is not."""
    sf, live = live_sf
    fin = Salesforce(username="finance@o2c.test", password="o2c-password", security_token="O2CTOKEN",
                     session=live_session(live.url("salesforce"), live.ca_path))
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    inv = sf.blng__Invoice__c.create({"blng__Account__c": acct, "blng__TotalAmount__c": 50})["id"]
    for _ in range(3):
        with pytest.raises(SalesforceMalformedRequest) as exc:
            fin.blng__Invoice__c.update(inv, {"blng__TotalAmount__c": 1})
        assert exc.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        assert sf.blng__Invoice__c.update(inv, {"blng__TotalAmount__c": 50}) == 204
    assert fin.blng__Invoice__c.update(inv, {"On_Hold__c": True}) == 204
    assert sf.blng__Invoice__c.get(inv)["blng__TotalAmount__c"] == 50


def test_live_bulk2_insert_and_query(live_sf):
    sf, _ = live_sf
    result = sf.bulk2.Account.insert(records=[{"Name": "Live Bulk", "Customer_Key__c": "LIVE-BULK-1"}], wait=0)
    assert result[0]["numberRecordsProcessed"] == 1 and result[0]["numberRecordsFailed"] == 0
    pages = list(sf.bulk2.Account.query("SELECT Customer_Key__c FROM Account WHERE Customer_Key__c = 'LIVE-BULK-1'",
                                        wait=0))
    assert [line.strip('"') for page in pages for line in page.split()][1:] == ["LIVE-BULK-1"]


def test_live_composite_graph_and_the_security_token(live_sf):
    sf, live = live_sf
    out = sf.restful("composite/graph", method="POST", json={"graphs": [
        {"graphId": "ok", "compositeRequest": [
            {"referenceId": "a", "method": "POST", "url": "/services/data/v59.0/sobjects/Account",
             "body": {"Name": "Live Graph"}},
            {"referenceId": "c", "method": "POST", "url": "/services/data/v59.0/sobjects/Contact",
             "body": {"LastName": "Graph", "AccountId": "@{a.id}"}}]},
        {"graphId": "bad", "compositeRequest": [
            {"referenceId": "a", "method": "POST", "url": "/services/data/v59.0/sobjects/Account",
             "body": {"Name": "Live Graph Undone"}},
            {"referenceId": "c", "method": "POST", "url": "/services/data/v59.0/sobjects/Contact",
             "body": {"Nope__c": 1}}]}]})["graphs"]
    assert [g["isSuccessful"] for g in out] == [True, False]
    assert sf.query("SELECT COUNT() FROM Account WHERE Name LIKE 'Live Graph%'")["totalSize"] == 1
    base = live.url("salesforce")
    s = live_session(base, live.ca_path)
    form = {"grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
            "username": "integration@o2c.test", "password": "o2c-password"}
    r = s.post(f"{base}/services/oauth2/token", data=form, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    live.control("salesforce").post("/salesforce/settings", {"trusted_ip_ranges": ["127.0.0.1/32"]})
    assert s.post(f"{base}/services/oauth2/token", data=form, timeout=10).status_code == 200
