"""The adversarial requests first found answering HTTP 500 or an HTML page: each now gets the
vendor's own error (status and body)."""
from __future__ import annotations

import base64
import json
import logging

import jwt
import pytest
from werkzeug.test import Client

from simulators import registry

from .generator import salesforce_session

STRIPE_KEY = {"Authorization": "Bearer sk_test_o2c"}
AVA_AUTH = {"Authorization": "Basic " + base64.b64encode(b"123456:o2c-license-key").decode()}
ERP_AUTH = {"Authorization": "Bearer o2c-erp-token"}
ERP = "https://o2c-sb1.suitetalk.api.netsuite.com"
AVA = "https://sandbox-rest.avatax.com"
SF = "https://o2c.my.salesforce.com"


@pytest.fixture(scope="module")
def clients():
    return {name: Client(registry.create(name, seed=0)) for name in registry.FAKES}


def _stripe_error(resp, status, code=None):
    assert resp.status_code == status, resp.get_data()
    err = resp.get_json()["error"]
    assert err["type"] == "invalid_request_error" and err["message"]
    if code:
        assert err.get("code") == code
    return err


# ---- Stripe -------------------------------------------------------------------------------------
def test_stripe_non_ascii_metadata_key_is_kept_not_a_500(clients):
    resp = clients["stripe"].post("/v1/customers", headers=STRIPE_KEY, data="metadata[²]=1",
                                  content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200, resp.get_data()
    assert resp.get_json()["metadata"] == {"²": "1"}


def test_stripe_invalid_utf8_body_is_a_400(clients):
    resp = clients["stripe"].post("/v1/customers", headers=STRIPE_KEY, data=b"name=\xff",
                                  content_type="application/x-www-form-urlencoded")
    assert "UTF-8" in _stripe_error(resp, 400)["message"]


def test_stripe_keys_nested_1000_deep_are_a_400(clients):
    resp = clients["stripe"].post("/v1/customers", headers=STRIPE_KEY, data="metadata" + "[a]" * 1000 + "=1",
                                  content_type="application/x-www-form-urlencoded")
    err = _stripe_error(resp, 400)
    assert err["param"] == "metadata" and "32 levels" in err["message"]


def test_stripe_unknown_path_and_wrong_method_are_the_same_404_on_and_off_the_lane(clients):
    for method, path in (("DELETE", "/v1/balance"), ("GET", "/v1/nope"), ("PUT", "/nope"), ("PATCH", "/i/x")):
        resp = clients["stripe"].open(path, method=method, headers=STRIPE_KEY)
        err = _stripe_error(resp, 404)
        assert err["message"].startswith(f"Unrecognized request URL ({method}: {path})")


# ---- AvaTax -------------------------------------------------------------------------------------
def _ava_error(resp, status, code):
    assert resp.status_code == status, resp.get_data()
    assert resp.mimetype == "application/json"
    err = resp.get_json()["error"]
    assert err["code"] == code and err["details"][0]["code"] == code and err["target"]
    return err


def test_avatax_basic_auth_with_a_non_ascii_account_is_a_username_or_a_401():
    client = Client(registry.create("avalara", seed=0))
    auth = {"Authorization": "Basic " + base64.b64encode("²:x".encode()).decode()}
    # unrestricted (README): "²" is not an account id (ASCII digits only) but a username with a password
    resp = client.post("/api/v2/transactions/create", base_url=AVA, headers=auth, json={})
    _ava_error(resp, 400, "ValueRequiredError")
    assert client.post("/_sim/avalara/accounts", json={"allowed": ["123456"]},
                       environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    resp = client.post("/api/v2/transactions/create", base_url=AVA, headers=auth, json={})
    _ava_error(resp, 401, "AuthenticationException")


def test_avatax_json_nested_5000_deep_is_model_state_invalid(clients):
    body = b'{"a":' * 5000 + b"1" + b"}" * 5000
    resp = clients["avalara"].post("/api/v2/transactions/create", base_url=AVA, headers=AVA_AUTH, data=body,
                                   content_type="application/json")
    _ava_error(resp, 400, "ModelStateInvalid")


def test_avatax_createoradjust_with_a_numeric_company_code_is_model_state_invalid(clients):
    model = {"type": "SalesOrder", "companyCode": 1, "date": "2026-01-05", "customerCode": "ACME",
             "addresses": {"singleLocation": {"line1": "1 Main", "city": "Irvine", "region": "CA", "country": "US",
                                              "postalCode": "92614"}}, "lines": [{"amount": 100}]}
    resp = clients["avalara"].post("/api/v2/transactions/createoradjust", base_url=AVA, headers=AVA_AUTH,
                                   json={"createTransactionModel": model})
    err = _ava_error(resp, 400, "ModelStateInvalid")
    assert "companycode" in err["details"][0]["refersTo"].lower()


@pytest.mark.parametrize("method,path,status", [("GET", "/api/v2/nope", 404), ("DELETE", "/api/v2/utilities/ping", 405)])
def test_avatax_unknown_path_and_wrong_method_are_avatax_errors_not_html(clients, method, path, status):
    resp = clients["avalara"].open(path, base_url=AVA, method=method, headers=AVA_AUTH)
    assert resp.status_code == status and resp.mimetype == "application/json"
    assert set(resp.get_json()["error"]) >= {"code", "message", "target", "details"}


# ---- ERP ----------------------------------------------------------------------------------------
def _ns_error(resp, status, code):
    assert resp.status_code == status, resp.get_data()
    body = json.loads(resp.get_data())
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    assert body["o:errorDetails"][0]["o:errorCode"] == code
    return body["o:errorDetails"][0]


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "offset=-5", "limit=%C2%B2"])
def test_erp_bad_paging_is_netsuites_400(clients, query):
    resp = clients["erp"].get("/services/rest/record/v1/customer?" + query, base_url=ERP, headers=ERP_AUTH)
    detail = _ns_error(resp, 400, "INVALID_PARAMETER")
    assert detail["o:errorPath"] in ("limit", "offset")


@pytest.mark.parametrize("header", ["Bearer ²", 'OAuth realm="O2C_SB1",oauth_consumer_key="o2c-consumer-key",'
                                    'oauth_token="o2c-token-id",oauth_signature_method="HMAC-SHA256",'
                                    'oauth_timestamp="1",oauth_nonce="n",oauth_signature="é"'])
def test_erp_non_ascii_credentials_are_invalid_login(clients, header):
    resp = clients["erp"].get("/services/rest/record/v1/customer", base_url=ERP, headers={"Authorization": header})
    _ns_error(resp, 401, "INVALID_LOGIN")


def test_erp_unknown_path_and_wrong_method_are_netsuite_errors(clients):
    _ns_error(clients["erp"].get("/services/rest/nope", base_url=ERP, headers=ERP_AUTH), 404, "NONEXISTENT_ID")
    resp = clients["erp"].put("/services/rest/query/v1/suiteql", base_url=ERP, headers=ERP_AUTH)
    assert "POST" in _ns_error(resp, 405, "INVALID_REQUEST")["detail"]


# ---- Salesforce ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sf(clients):
    return {"Authorization": "Bearer " + salesforce_session(clients["salesforce"])}


def _sf_error(resp, status, code):
    assert resp.status_code == status, resp.get_data()
    errors = resp.get_json()
    assert isinstance(errors, list) and errors[0]["errorCode"] == code and errors[0]["message"]
    return errors[0]


def test_salesforce_jwt_with_a_non_string_audience_is_invalid_grant(clients):
    app = clients["salesforce"].application
    org = app.extensions["salesforce"]
    from simulators.salesforce.state import jwt_keys
    key = jwt_keys.default_pair()["private_key"]
    assertion = jwt.encode({"iss": "o2c-client-id", "sub": "integration@o2c.test", "aud": [1],
                            "exp": int(org.sim.clock.timestamp()) + 180}, key, algorithm="RS256")
    resp = clients["salesforce"].post("/services/oauth2/token", base_url="https://login.salesforce.com",
                                      data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                            "assertion": assertion})
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "invalid_grant", "error_description": "audience is invalid"}


@pytest.mark.parametrize("soql", ["SELECT Id FROM Order WHERE CreatedDate > 9999-12-31T99:99:99Z",
                                  "SELECT Id FROM Account WHERE Name = 'caf\\u00g9'",
                                  "SELECT Id FROM Account WHERE Name = 'caf\\q'"])
def test_salesforce_bad_soql_literals_are_malformed_query(clients, sf, soql):
    resp = clients["salesforce"].get("/services/data/v59.0/query", base_url=SF, headers=sf, query_string={"q": soql})
    _sf_error(resp, 400, "MALFORMED_QUERY")


def test_salesforce_soql_unicode_escape_is_a_character(clients, sf):
    # \\uXXXX is a documented SOQL escape (SOQL and SOSL Reference, "Quoted String Escape Sequences")
    resp = clients["salesforce"].get("/services/data/v59.0/query", base_url=SF, headers=sf,
                                     query_string={"q": "SELECT Id FROM Account WHERE Name = 'caf\\u00e9'"})
    assert resp.status_code == 200 and resp.get_json()["totalSize"] == 0


def test_salesforce_text_plain_composite_body_is_415(clients, sf):
    body = json.dumps({"compositeRequest": [{"method": "GET", "url": "/services/data/v59.0/limits",
                                             "referenceId": "a"}]})
    resp = clients["salesforce"].post("/services/data/v59.0/composite", base_url=SF, headers=sf, data=body,
                                      content_type="text/plain")
    assert "text/plain" in _sf_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")["message"]


def test_salesforce_soap_login_fault_stays_soap_with_http_500(clients):
    resp = clients["salesforce"].post("/services/Soap/u/59.0", base_url="https://login.salesforce.com",
                                      data=b"<not-a-login/>", content_type="text/xml")
    assert resp.status_code == 500 and resp.mimetype == "text/xml" and b"<faultcode>" in resp.get_data()


def test_an_unexpected_exception_is_the_vendors_500_and_the_traceback_goes_to_the_log(caplog):
    app = registry.create("erp", seed=0)

    def broken(call):
        raise RuntimeError("a bug in the fake")
    app.extensions["lane"].add("GET", "/services/rest/record/v1/broken", "broken", broken)
    with caplog.at_level(logging.ERROR, logger="simulators"):
        resp = Client(app).get("/services/rest/record/v1/broken", base_url=ERP, headers=ERP_AUTH)
    detail = _ns_error(resp, 500, "UNEXPECTED_ERROR")
    assert "a bug in the fake" not in detail["detail"]
    assert any("a bug in the fake" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
