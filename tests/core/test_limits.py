"""Vendor limits (``/_sim/limits``): each vendor's documented limits answered in its own error shape."""
from __future__ import annotations

import threading

import pytest
import requests
import stripe

from simulators.core.limits import Limits, PROFILES
from simulators.core.errors import ControlError
from simulators.core.clock import SimClock

KEY = "sk_test_o2c_limits"


def sc(h):
    return stripe.StripeClient(KEY, base_addresses={"api": h.url("stripe")}, max_network_retries=0)


def test_stripe_test_mode_write_limit_answers_429_rate_limit_and_reads_have_their_own(harness):
    ctl = harness.control("stripe")
    view = ctl.post("/limits", {"profile": "sandbox"})
    assert view["profile"] == "sandbox" and [r["per_second"] for r in view["rules"]] == [25, 25]
    url = harness.url("stripe") + "/v1/customers"
    auth = {"Authorization": f"Bearer {KEY}"}
    statuses = [requests.post(url, data={"name": f"c{i}"}, headers=auth).status_code for i in range(30)]
    # in-process the 30 writes take far less than a second: the first 25 pass, the rest are refused
    assert statuses[:25] == [200] * 25 and 429 in statuses[25:]
    refused = requests.post(url, data={"name": "x"}, headers=auth)
    body = refused.json()["error"]
    assert refused.status_code == 429 and body["code"] == "rate_limit" and body["type"] == "invalid_request_error"
    assert refused.headers.get("Stripe-Should-Retry") == "true"
    # reads count against the read limiter, not the exhausted write one
    assert requests.get(url, headers=auth).status_code == 200
    assert ctl.get("/limits")["refused"] >= 2
    ctl.post("/limits", {"profile": "off"})
    assert requests.post(url, data={"name": "again"}, headers=auth).status_code == 200


def test_stripe_sdk_sees_a_rate_limit_error(harness):
    harness.control("stripe").post("/limits", {"rules": [{"kind": "rate", "per_second": 1, "ops": "write",
                                                         "code": "rate_limit"}]})
    client = sc(harness)
    client.v1.customers.create({"name": "one"})
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.create({"name": "two"})


def test_concurrency_limit_counts_requests_in_flight_and_frees_the_slot_when_answered():
    refused = []

    def fault(spec):
        refused.append(spec)
        return ControlError(spec["code"], 429)

    lim = Limits("erp", SimClock(), fault)
    lim.configure({"profile": "sandbox"})
    slots = [lim.admit("record.get") for _ in range(5)]
    with pytest.raises(ControlError):
        lim.admit("record.get")
    assert refused == [{"code": "CONCURRENCY_LIMIT_EXCEEDED"}]
    lim.release(slots[0])
    lim.release(lim.admit("record.get"))          # a freed slot admits the next one
    assert lim.view()["in_flight"] == 4


def test_salesforce_counts_only_long_running_requests():
    lim = Limits("salesforce", SimClock(), lambda spec: ControlError(spec["message"], 403))
    lim.configure({"rules": [{"kind": "concurrent", "limit": 1, "after_s": 0.05, "code": "REQUEST_LIMIT_EXCEEDED",
                              "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded."}]})
    first = lim.admit("query")
    lim.release(lim.admit("query"))               # the first has not run long yet: no limit
    threading.Event().wait(0.06)                  # let the first become a long-running request
    with pytest.raises(ControlError, match="ConcurrentRequests"):
        lim.admit("query")
    lim.release(first)
    lim.release(lim.admit("query"))


def test_salesforce_daily_allocation_is_counted_on_the_simulated_day(harness):
    ctl = harness.control("salesforce")
    ctl.post("/limits", {"rules": [{"kind": "daily", "limit": 3, "code": "REQUEST_LIMIT_EXCEEDED",
                                    "message": "TotalRequests Limit exceeded."}]})
    token = requests.post(harness.url("salesforce") + "/services/oauth2/token", data={
        "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
        "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"}).json()
    get = lambda: requests.get(token["instance_url"] + "/services/data/v59.0/sobjects",  # noqa: E731
                               headers={"Authorization": f"Bearer {token['access_token']}"})
    statuses = [get().status_code for _ in range(4)]
    assert statuses == [200, 200, 403, 403]       # the login was the first of the three
    refused = get()
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED",
                              "fields": []}]
    harness.advance("1d")
    assert get().status_code == 200


def test_profiles_cover_every_vendor_and_bad_input_is_refused_before_anything_changes(harness):
    assert set(PROFILES) == {"stripe", "salesforce", "erp", "avalara"}
    ctl = harness.control("avalara")
    ctl.post("/limits", {"profile": "production"})
    for bad in ({"profile": "enterprise"}, {"rules": [{"kind": "rate"}]}, {"rules": "x"},
                {"rules": [{"kind": "concurrent", "limit": 0}]}):
        resp = requests.post(harness.url("avalara") + "/_sim/limits", json=bad)
        assert resp.status_code == 400, bad
    assert ctl.get("/limits")["profile"] == "production"
