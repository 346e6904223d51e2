"""Record API round-trips through plain requests + requests_oauthlib (in-process)."""
from __future__ import annotations

import requests
from requests_oauthlib import OAuth1

from .conftest import REST, error_code


def test_create_returns_204_with_location_only(erp):
    r = erp.post("/customer", {"companyName": "Acme Corp", "externalId": "ACC-1"})
    assert r.status_code == 204 and r.content == b""
    assert r.headers["Location"].startswith("https://o2c-sb1.suitetalk.api.netsuite.com" + REST + "/customer/")
    cid = r.headers["Location"].rsplit("/", 1)[1]
    body = erp.get(f"/customer/{cid}").json()
    assert body["id"] == cid and body["companyName"] == "Acme Corp" and body["externalId"] == "ACC-1"
    assert erp.get("/customer/eid:ACC-1").json()["id"] == cid


def test_customer_patch_and_eid_upsert(erp):
    cid = erp.customer()
    assert erp.patch("/customer/eid:ACC-1", {"email": "ap@acme.test"}).status_code == 204
    assert erp.get(f"/customer/{cid}").json()["email"] == "ap@acme.test"
    r = erp.put("/customer/eid:ACC-1", {"companyName": "Acme Renamed"})
    assert r.status_code == 204
    assert erp.get(f"/customer/{cid}").json()["companyName"] == "Acme Renamed"
    r = erp.put("/customer/eid:ACC-2", {"companyName": "Beta"})
    assert r.status_code == 204 and "Location" in r.headers
    new_id = r.headers["Location"].rsplit("/", 1)[1]
    assert new_id != cid and erp.get("/customer/eid:ACC-2").json()["id"] == new_id


def test_duplicate_external_id_is_refused(erp):
    erp.customer()
    r = erp.post("/customer", {"companyName": "Other", "externalId": "ACC-1"})
    assert r.status_code == 400 and error_code(r) == "DUP_RCRD"
    assert r.json()["o:errorDetails"][0]["o:errorPath"] == "externalId"


def test_not_found_and_invalid_reference_shapes(erp):
    r = erp.get("/customer/99999")
    assert r.status_code == 404 and error_code(r) == "NONEXISTENT_ID"
    assert erp.get("/salesOrder/eid:nope").status_code == 404
    erp.customer()
    r = erp.post("/salesOrder", {"entity": {"externalId": "ACC-1"},
                                 "item": {"items": [{"item": {"id": "9999"}, "quantity": 1}]}})
    assert r.status_code == 400 and error_code(r) == "INVALID_CONTENT"
    assert r.json()["o:errorDetails"][0]["o:errorPath"] == "item.items[0].item"


def test_auth_failures_use_netsuite_401(erp):
    url = erp.url("/customer")
    assert error_code(requests.get(url)) == "INVALID_LOGIN"
    bad = OAuth1("o2c-consumer-key", "wrong-secret", "o2c-token-id", "o2c-token-secret",
                 signature_method="HMAC-SHA256", realm="O2C_SB1")
    r = requests.get(url, auth=bad)
    assert r.status_code == 401 and error_code(r) == "INVALID_LOGIN"
    assert 'realm="O2C_SB1"' in r.headers["WWW-Authenticate"]
    wrong_realm = OAuth1("o2c-consumer-key", "o2c-consumer-secret", "o2c-token-id", "o2c-token-secret",
                         signature_method="HMAC-SHA256", realm="OTHER")
    assert requests.get(url, auth=wrong_realm).status_code == 401
    sha1 = OAuth1("o2c-consumer-key", "o2c-consumer-secret", "o2c-token-id", "o2c-token-secret", realm="O2C_SB1")
    assert requests.get(url, auth=sha1).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer o2c-erp-token"}).status_code == 200
    assert requests.get(url + "?limit=5", auth=erp.http.auth).status_code == 200  # query params are signed


def test_nonce_replay_is_refused(erp):
    prepared = requests.Request("GET", erp.url("/customer"), auth=erp.http.auth).prepare()
    s = requests.Session()
    assert s.send(prepared).status_code == 200
    r = s.send(prepared)
    assert r.status_code == 401 and "nonce_used" in r.headers["WWW-Authenticate"]


def test_sales_order_lifecycle_and_amendments(erp):
    erp.customer()
    so = erp.create("/salesOrder", {"entity": {"externalId": "ACC-1"}, "externalId": "801A", "tranDate": "2025-01-10",
                                    "custbody_ava_doc_code": "SO-801A",
                                    "shippingAddress": {"addr1": "1 Main", "city": "Chicago", "state": "IL",
                                                        "zip": "60601", "country": "US"},
                                    "item": {"items": [{"item": {"externalId": "HW-ROUTER"}, "quantity": 2,
                                                        "rate": 100, "custcol_ava_taxamount": 20.5}]}})
    body = erp.get(f"/salesOrder/{so}", params={"expandSubResources": "true"}).json()
    assert body["orderStatus"]["refName"] == "Pending Approval"
    assert body["total"] == 220.5 and body["taxTotal"] == 20.5 and body["custbody_ava_doc_code"] == "SO-801A"
    assert body["item"]["items"][0]["item"]["refName"] == "HW-ROUTER"
    assert "items" not in erp.get(f"/salesOrder/{so}").json()["item"]
    # billing before approval is refused
    r = erp.post(f"/salesOrder/{so}/!transform/invoice")
    assert r.status_code == 400 and error_code(r) == "INVALID_INITIALIZE_REF"
    # amend lines (add one, change qty of line 1), then approve
    r = erp.patch(f"/salesOrder/{so}", {"item": {"items": [{"line": 1, "quantity": 3},
                                                           {"item": {"externalId": "FREIGHT"}, "rate": 25}]}})
    assert r.status_code == 204
    assert erp.patch(f"/salesOrder/{so}", {"orderStatus": {"id": "B"}}).status_code == 204
    body = erp.get(f"/salesOrder/eid:801A").json()
    assert body["subtotal"] == 325 and body["orderStatus"]["refName"] == "Pending Fulfillment"
    r = erp.post(f"/salesOrder/{so}/!transform/itemFulfillment")
    assert r.status_code == 204 and "/itemFulfillment/" in r.headers["Location"]
    assert erp.get(f"/salesOrder/{so}").json()["orderStatus"]["refName"] == "Pending Billing"
    inv = erp.invoice(so)
    assert erp.get(f"/salesOrder/{so}").json()["orderStatus"]["refName"] == "Billed"
    r = erp.patch(f"/salesOrder/{so}", {"item": {"items": [{"line": 1, "quantity": 9}]}})
    assert r.status_code == 400 and error_code(r) == "USER_ERROR"
    assert erp.get(f"/invoice/{inv}").json()["subtotal"] == 325


def test_cancel_sales_order(erp):
    erp.customer()
    so = erp.order()
    assert erp.patch(f"/salesOrder/{so}", {"orderStatus": {"id": "C"}}).status_code == 204
    assert erp.get(f"/salesOrder/{so}").json()["orderStatus"]["refName"] == "Cancelled"
    r = erp.post(f"/salesOrder/{so}/!transform/invoice")
    assert r.status_code == 400 and error_code(r) == "INVALID_INITIALIZE_REF"


def test_invoice_transform_numbers_terms_tax_and_duplicate(erp):
    erp.customer()
    so = erp.order(lines=[{"item": {"externalId": "HW-ROUTER"}, "quantity": 2, "rate": 100}])
    inv = erp.invoice(so, {"tranDate": "2025-01-15", "custbody_ava_doc_code": "INV-801",
                           "item": {"items": [{"orderLine": 1, "custcol_ava_taxamount": 15.5}]}})
    body = erp.get(f"/invoice/{inv}", params={"expandSubResources": "true"}).json()
    assert body["tranId"] == "INV-000001" and body["dueDate"] == "2025-02-14"
    assert (body["subtotal"], body["taxTotal"], body["total"]) == (200, 15.5, 215.5)
    assert body["amountRemaining"] == 215.5 and body["amountPaid"] == 0
    assert body["status"]["refName"] == "Open" and body["custbody_ava_doc_code"] == "INV-801"
    assert body["createdFrom"]["id"] == so
    r = erp.post(f"/salesOrder/{so}/!transform/invoice")
    assert r.status_code == 400 and error_code(r) == "INVALID_INITIALIZE_REF"   # a duplicate invoice is caught
    so2 = erp.order(ext="801-ORDER-2")
    assert erp.get(f"/invoice/{erp.invoice(so2)}").json()["tranId"] == "INV-000002"


def test_payments_partial_full_overapply_and_duplicate_charge(erp):
    cid = erp.customer()
    inv = erp.invoice(erp.order())                     # 200 + 15.50 tax
    pay = {"customer": {"id": cid}, "externalId": "ch_1", "payment": 100,
           "apply": {"items": [{"doc": {"id": inv}, "apply": True, "amount": 100}]}}
    erp.create("/customerPayment", pay)
    body = erp.get(f"/invoice/{inv}").json()
    assert (body["amountPaid"], body["amountRemaining"], body["status"]["refName"]) == (100, 115.5, "Open")
    r = erp.post("/customerPayment", pay)
    assert r.status_code == 400 and error_code(r) == "DUP_RCRD"          # no payment applied twice
    over = {**pay, "externalId": "ch_2", "payment": 200,
            "apply": {"items": [{"doc": {"id": inv}, "apply": True, "amount": 200}]}}
    r = erp.post("/customerPayment", over)
    assert r.status_code == 400 and r.json()["o:errorDetails"][0]["o:errorPath"] == "apply.items[0].amount"
    assert erp.get(f"/invoice/{inv}").json()["amountRemaining"] == 115.5
    erp.create("/customerPayment", {**pay, "externalId": "ch_3", "payment": 115.5,
                                    "apply": {"items": [{"doc": {"id": inv}, "apply": True, "amount": 115.5}]}})
    body = erp.get(f"/invoice/{inv}").json()
    assert (body["amountRemaining"], body["status"]["refName"]) == (0, "Paid In Full")
    p = erp.get("/customerPayment/eid:ch_3", params={"expandSubResources": "true"}).json()
    assert p["apply"]["items"][0]["doc"]["id"] == inv and p["apply"]["items"][0]["amount"] == 115.5


def test_credit_memo_partial_and_full(erp):
    erp.customer()
    so = erp.order(lines=[{"item": {"externalId": "HW-ROUTER"}, "quantity": 2, "rate": 100,
                           "custcol_ava_taxamount": 20},
                          {"item": {"externalId": "FREIGHT"}, "rate": 25}])
    inv = erp.invoice(so)
    r = erp.post(f"/invoice/{inv}/!transform/creditMemo", {"item": {"items": [{"line": 1, "quantity": 1}]}})
    assert r.status_code == 204 and "/creditMemo/" in r.headers["Location"]
    cm = erp.get(r.headers["Location"].split(REST)[1], params={"expandSubResources": "true"}).json()
    assert (cm["subtotal"], cm["taxTotal"], cm["total"]) == (100, 10, 110)
    assert cm["createdFrom"]["id"] == inv and cm["apply"]["items"][0]["amount"] == 110
    assert erp.get(f"/invoice/{inv}").json()["amountRemaining"] == 135     # 245 - 110
    r = erp.post(f"/invoice/{inv}/!transform/creditMemo")                 # the rest
    assert r.status_code == 204
    body = erp.get(f"/invoice/{inv}").json()
    assert body["amountRemaining"] == 0 and body["status"]["refName"] == "Paid In Full"
    r = erp.post(f"/invoice/{inv}/!transform/creditMemo")
    assert r.status_code == 400 and error_code(r) == "INVALID_INITIALIZE_REF"


def test_fault_gives_concurrency_error_in_netsuite_shape(erp):
    erp.control.add_fault(operation="salesOrder.create", error={"code": "CONCURRENCY_LIMIT_EXCEEDED"}, times=1)
    erp.customer()
    r = erp.post("/salesOrder", {"entity": {"externalId": "ACC-1"},
                                 "item": {"items": [{"item": {"externalId": "HW-ROUTER"}}]}})
    assert r.status_code == 429 and error_code(r) == "CONCURRENCY_LIMIT_EXCEEDED"
    erp.order()      # next call goes through


def test_schema_violation_is_invalid_content(erp):
    r = erp.post("/salesOrder", {"entity": {"id": "100"}, "item": {"items": "nope"}})
    assert r.status_code == 400 and error_code(r) == "INVALID_CONTENT"
