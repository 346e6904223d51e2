"""The fast lane that serves /v1 (core/lane.py): Stripe's answers for paths it does not know, the
order auth -> routing, trailing slashes, hosted pages still served by Flask, and the journal."""
from __future__ import annotations

import requests

from .conftest import KEY

AUTH = {"Authorization": f"Bearer {KEY}"}


def test_unknown_path_and_wrong_method_are_stripes_404(harness):
    base = harness.url("stripe")
    for method, path in (("GET", "/v1/nothing_here"), ("DELETE", "/v1/charges/ch_1"), ("GET", "/v1//customers")):
        r = requests.request(method, base + path, headers=AUTH)
        assert r.status_code == 404, path
        err = r.json()["error"]
        assert err["type"] == "invalid_request_error"
        assert err["message"].startswith(f"Unrecognized request URL ({method}: {path})")
        assert r.headers["Request-Id"].startswith("req_") and r.headers["Content-Type"] == "application/json"


def test_authentication_comes_before_routing(harness):
    r = requests.get(harness.url("stripe") + "/v1/nothing_here")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="Stripe"'


def test_trailing_slash_reaches_the_same_operation(harness):
    base = harness.url("stripe")
    cus = requests.post(base + "/v1/customers/", data={"email": "slash@acme.test"}, headers=AUTH).json()
    assert cus["id"].startswith("cus_")
    assert requests.get(f"{base}/v1/customers/{cus['id']}/", headers=AUTH).json()["email"] == "slash@acme.test"


def test_lane_requests_are_journaled_with_operation_caller_and_fault(harness):
    ctl = harness.control("stripe")
    ctl.add_fault(operation="customers.list", error={"code": "rate_limit"}, times=1)
    base = harness.url("stripe")
    first = requests.get(base + "/v1/customers?limit=2", headers={**AUTH, "User-Agent": "lane-test"})
    second = requests.get(base + "/v1/customers?limit=2", headers=AUTH)
    assert (first.status_code, second.status_code) == (429, 200)
    entries = ctl.journal("customers.list")[-2:]
    assert [e["status"] for e in entries] == [429, 200]
    assert entries[0]["fault"] and entries[1]["fault"] is None
    assert entries[0]["path"] == "/v1/customers?limit=2" and entries[0]["method"] == "GET"
    # the fault answers before authentication, so the first caller is the User-Agent; then the key
    assert (entries[0]["caller"], entries[1]["caller"]) == ("lane-test", KEY)


def test_hosted_invoice_page_is_still_served_outside_the_lane(harness, sc):
    cus = sc.v1.customers.create({"email": "ap@acme.test"})
    inv = sc.v1.invoices.create({"customer": cus.id})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 1000, "currency": "usd"})
    fin = sc.v1.invoices.finalize_invoice(inv.id)
    page = requests.get(fin.hosted_invoice_url)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert page.headers["Request-Id"].startswith("req_")


def test_a_body_of_too_many_parameters_is_refused_before_decoding(harness):
    from simulators.stripe.params import MAX_PARAMS
    r = requests.post(harness.url("stripe") + "/v1/customers", data=b"a=b&" * (MAX_PARAMS + 1), headers={
        **AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and str(MAX_PARAMS) in err["message"]
    ok = requests.post(harness.url("stripe") + "/v1/customers", data={"email": "few@acme.test"}, headers=AUTH)
    assert ok.status_code == 200
