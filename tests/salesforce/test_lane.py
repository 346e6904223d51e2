"""The Salesforce API on the core lane: each fault kind (error, latency, drop) in-process and live,
fault rules matching the sObject, the REST API's own bodies for requests no route takes, HEAD, and
the portal still served by Flask behind the lane."""
from __future__ import annotations

import threading

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from simulators.salesforce.client import live_session, oauth_token

from .conftest import CREDS

V = "/services/data/v59.0"


def _acme(sf) -> str:
    return sf.query("SELECT Id FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'")["records"][0]["Id"]


# ---- in-process ------------------------------------------------------------------------------
def test_error_fault_matches_the_sobject_and_is_the_vendors_body(sf, ctl):
    acct = _acme(sf)
    ctl.add_fault(operation="sobjects.record", match={"sobject": "Account"},
                  error={"code": "UNABLE_TO_LOCK_ROW"}, times=1)
    with pytest.raises(SalesforceError) as err:
        sf.Account.get(acct)
    assert err.value.status == 400
    assert err.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert sf.Account.get(acct)["Id"] == acct   # counted: the next call passes
    entries = [e for e in ctl.journal("sobjects.record")]
    assert [e["status"] for e in entries[-2:]] == [400, 200] and entries[-2]["fault"]


def test_a_fault_on_another_sobject_leaves_this_one_alone(sf, ctl):
    acct = _acme(sf)
    ctl.add_fault(operation="sobjects.record", match={"sobject": "Order"}, error={"code": "SERVER_UNAVAILABLE"})
    assert sf.Account.get(acct)["Id"] == acct
    assert not ctl.journal("sobjects.record")[-1]["fault"]


def test_drop_fault_is_a_connection_error_in_process(sf, ctl):
    ctl.add_fault(operation="query.run", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1


def test_latency_fault_is_journaled_in_process(sf, ctl):
    ctl.add_fault(operation="query.run", latency={"kind": "fixed", "ms": 250}, times=1)
    sf.query("SELECT Id FROM Account LIMIT 1")
    entry = ctl.journal("query.run")[-1]
    assert entry["simulated_latency_ms"] == 250 and entry["fault"] and entry["status"] == 200


def test_wrong_method_is_405_naming_the_allowed_methods(harness, sf):
    resp = requests.put(f"https://o2c.my.salesforce.com{V}/sobjects/Account/{_acme(sf)}",
                        headers={"Authorization": f"Bearer {sf.session_id}"}, json={})
    assert resp.status_code == 405
    body = resp.json()
    assert body[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    assert body[0]["message"] == "HTTP Method 'PUT' not allowed. Allowed are DELETE,GET,HEAD,PATCH"


def test_unknown_path_malformed_json_and_other_media_type_are_the_rest_apis_errors(harness, sf):
    auth = {"Authorization": f"Bearer {sf.session_id}"}
    base = f"https://o2c.my.salesforce.com{V}"
    missing = requests.get(f"{base}/nothing/here", headers=auth)
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    bad = requests.post(f"{base}/sobjects/Account/", headers={**auth, "Content-Type": "application/json"},
                        data=b'{"Name": ')
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    utf = requests.post(f"{base}/sobjects/Account/", headers={**auth, "Content-Type": "application/json"},
                        data=b'{"Name": "\xff"}')
    assert utf.status_code == 400 and utf.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    xml = requests.post(f"{base}/sobjects/Account/", headers={**auth, "Content-Type": "application/xml"},
                        data=b"<Account/>")
    assert xml.status_code == 415 and xml.json()[0]["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"


def test_head_answers_like_get_without_a_body_and_changes_nothing(harness, sf):
    acct = _acme(sf)
    url = f"https://o2c.my.salesforce.com{V}/sobjects/Account/{acct}"
    resp = requests.head(url, headers={"Authorization": f"Bearer {sf.session_id}"})
    assert resp.status_code == 200 and resp.content == b""
    assert "json" in resp.headers["Content-Type"] and "Sforce-Limit-Info" in resp.headers
    assert sf.Account.get(acct)["Id"] == acct


def test_soap_login_with_an_entity_declaration_is_refused_as_a_soap_fault(harness):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
            b'<login xmlns="urn:partner.soap.sforce.com"><username>&b;</username><password>x</password></login>'
            b'</env:Body></env:Envelope>')
    resp = requests.post("https://login.salesforce.com/services/Soap/u/59.0", data=bomb,
                         headers={"Content-Type": "text/xml", "SOAPAction": "login"})
    assert resp.status_code == 500 and resp.headers["Content-Type"].startswith("text/xml")
    assert b"<faultcode>soapenv:Client</faultcode>" in resp.content


def test_the_api_is_on_the_lane_and_the_portal_on_flask(harness):
    app = harness.apps["salesforce"]
    lane = app.extensions["lane"]
    assert {"sobjects.record", "query.run", "composite", "auth.soap_login", "apex.site"} <= set(lane.endpoints())
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/services")]
    page = requests.get("https://o2c.my.salesforce.com/billing/s/login")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]


# ---- live (HTTPS, worker threads) -------------------------------------------------------------
def test_live_error_latency_and_drop_faults(live):
    base = live.url("salesforce")
    sf = Salesforce(**CREDS, session=live_session(base, live.ca_path))
    token = oauth_token(base, live.ca_path)["access_token"]
    acct = _acme(sf)
    ctl = live.control("salesforce")
    ctl.add_fault(operation="sobjects.record", match={"sobject": "Account"}, error={"code": "UNABLE_TO_LOCK_ROW"},
                  times=1)
    with pytest.raises(SalesforceError) as err:
        sf.Account.get(acct)
    assert err.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"

    # a latency fault holds the request on a worker thread (really waited: the journal's ms); other
    # requests are answered meanwhile
    ctl.add_fault(operation="sobjects.record", latency={"kind": "fixed", "ms": 150}, times=1)
    slow: dict = {}
    t = threading.Thread(target=lambda: slow.update(rec=sf.Account.get(acct)))
    t.start()
    other = requests.get(f"{base}{V}/limits", headers={"Authorization": f"Bearer {token}"},
                         verify=str(live.ca_path))
    assert other.status_code == 200
    t.join(10)
    assert slow["rec"]["Id"] == acct
    entry = ctl.journal("sobjects.record")[-1]
    assert entry["simulated_latency_ms"] == 150 and entry["fault"] and entry["status"] == 200
    assert entry["ms"] >= 150

    ctl.add_fault(operation="query.run", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}{V}/query", params={"q": "SELECT Id FROM Account"},
                     headers={"Authorization": f"Bearer {token}"}, verify=str(live.ca_path))
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 8
