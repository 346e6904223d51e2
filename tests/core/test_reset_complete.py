"""``/_sim/reset`` returns a fake to how it was when it was started, with the options it was started
with: every fake is dirtied through its public control plane and APIs (faults, a fault profile,
vendor limits, the validation mode, an explicit seed, the clock, records in the stores, webhook
endpoints and pending deliveries, the vendor's own /_sim settings), reset, and then must answer
every parameter-less GET of its control plane exactly as a freshly built harness does, and give
the same next generated id."""
from __future__ import annotations

from typing import Any, Callable

import pytest
import requests
import stripe
from simple_salesforce import Salesforce

from simulators.harness import InProcessHarness
from tests.erp.conftest import REST, tba

SEED = 7   # an explicit seed: secrets repeat too, so two harnesses can be compared whole
SF_CREDS = dict(username="integration@o2c.test", password="o2c-password", security_token="O2CTOKEN")
AVATAX_AUTH = ("123456", "o2c-license-key")
SKIP = {"/_sim/openapi.json"}   # the same document everywhere, large


def snapshot(h: InProcessHarness, name: str) -> dict[str, Any]:
    """Every parameter-less GET of the fake's control plane (common and vendor endpoints)."""
    ctl = h.control(name)
    out: dict[str, Any] = {}
    for table in h.sim(name).control_tables:
        for method, segs, _ in table.rules:
            path = "/" + "/".join(segs)
            if method != "GET" or any(s.startswith("<") for s in segs) or path in SKIP:
                continue
            out[path] = ctl.get(path[len("/_sim"):])
    out["/_sim/clock"].pop("wall_anchor")   # the real time of the clock's last setting
    return out


# ---- dirtying each fake through its APIs ---------------------------------------------------
def dirty_stripe(h: InProcessHarness) -> None:
    sc = stripe.StripeClient("sk_test_o2c", base_addresses={"api": h.url("stripe"), "files": h.url("stripe")},
                             max_network_retries=0)
    sc.v1.webhook_endpoints.create({"url": "https://hooks.example.test/stripe", "enabled_events": ["*"]})
    cus = sc.v1.customers.create({"email": "a@example.test"})
    sc.v1.customers.update(cus.id, {"name": "Changed"})   # events pending for the endpoint
    ctl = h.control("stripe")
    ctl.post("/stripe/webhook-schedule", {"schedule": "live"})
    ctl.post("/stripe/webhook-signing", {"clock": "wall"})
    ctl.post("/stripe/dunning", {"retries": 2})


def dirty_salesforce(h: InProcessHarness) -> None:
    sf = Salesforce(**SF_CREDS)
    sf.Account.create({"Name": "Dirty Ltd"})
    ctl = h.control("salesforce")
    ctl.post("/salesforce/outbound-messages", {"url": "https://hooks.example.test/om", "object": "Order"})
    ctl.post("/salesforce/eventbus/faults", {"duplicate": True})
    ctl.post("/salesforce/settings", {"trusted_ip_ranges": ["10.0.0.0/8"]})
    base = h.url("salesforce") + "/_sim/salesforce"
    r = h._session.put(f"{base}/security/profiles/Auditor", json={"read_only": {"Account": ["Name"]}})
    assert r.status_code < 400, r.text
    r = h._session.delete(f"{base}/jwt-certificate")
    assert r.status_code < 400, r.text


def dirty_avalara(h: InProcessHarness) -> None:
    model = {"type": "SalesInvoice", "code": "INV-DIRTY", "companyCode": "DEFAULT", "date": "2026-01-05",
             "customerCode": "C1", "commit": True,
             "addresses": {"singleLocation": {"line1": "2000 Main St", "city": "Irvine", "region": "CA",
                                              "postalCode": "92614", "country": "US"}},
             "lines": [{"number": "1", "amount": 100, "taxCode": "P0000000"}]}
    r = h._session.post(h.url("avalara") + "/api/v2/transactions/create", json=model, auth=AVATAX_AUTH)
    assert r.status_code == 201, r.text
    ctl = h.control("avalara")
    ctl.post("/avalara/credentials", {"strict": True, "licenses": {"999": "other-key"}})
    ctl.post("/avalara/accounts", {"allowed": ["999"]})


def dirty_erp(h: InProcessHarness) -> None:
    http = requests.Session()
    http.auth = tba()
    r = http.post(h.url("erp") + REST + "/customer", json={"companyName": "Dirty Corp", "externalId": "D-1"})
    assert r.status_code == 204, r.text
    ctl = h.control("erp")
    ctl.post("/erp/subscriptions", {"url": "https://hooks.example.test/erp"})
    ctl.post("/erp/periods/close", {"period": "2025-12"})


DIRTY: dict[str, Callable[[InProcessHarness], None]] = {
    "stripe": dirty_stripe, "salesforce": dirty_salesforce, "avalara": dirty_avalara, "erp": dirty_erp}


def dirty_common(h: InProcessHarness, name: str) -> None:
    ctl = h.control(name)
    ctl.post("/faults", {"operation": "*", "error": {"code": h.sim(name).vendor.fault_codes[0]}, "times": 2})
    profiles = sorted(h.sim(name).faults.profiles)
    if profiles:
        ctl.post("/faults/profile", {"name": profiles[0]})
    ctl.post("/limits", {"profile": "sandbox"})
    ctl.post("/validation", {"mode": "lenient"})
    ctl.post("/seed", {"seed": 42})
    ctl.post("/state/snapshot", {"name": "dirty"})
    h.advance("3d")
    ctl.post("/clock", {"mode": "scaled", "rate": 60})


# ---- what a next record gets ----------------------------------------------------------------
def next_id(h: InProcessHarness, name: str) -> str:
    if name == "stripe":
        r = h._session.post(h.url("stripe") + "/v1/customers", data={"email": "n@example.test"},
                            auth=("sk_test_o2c", ""))
        return r.json()["id"]
    if name == "salesforce":
        return Salesforce(**SF_CREDS).Account.create({"Name": "Next"})["id"]
    if name == "avalara":
        r = h._session.post(h.url("avalara") + "/api/v2/companies", auth=AVATAX_AUTH,
                            json=[{"companyCode": "NEXT", "name": "Next"}])
        assert r.status_code == 201, r.text
        return str(r.json()[0]["id"])
    http = requests.Session()
    http.auth = tba()
    r = http.post(h.url("erp") + REST + "/customer", json={"companyName": "Next", "externalId": "N-1"})
    return r.headers["Location"].rsplit("/", 1)[1]


def observe(h: InProcessHarness, name: str) -> dict[str, Any]:
    rule = h.control(name).post("/faults", {"operation": "*", "latency": {"kind": "fixed", "ms": 1}})
    return {"control": snapshot(h, name), "next_id": next_id(h, name), "next_fault": rule["id"]}


@pytest.mark.parametrize("name", sorted(DIRTY))
def test_reset_gives_a_fresh_fake(name):
    with InProcessHarness([name], seed=SEED) as fresh:
        want = observe(fresh, name)
    with InProcessHarness([name], seed=SEED) as h:
        DIRTY[name](h)
        dirty_common(h, name)
        assert snapshot(h, name) != want["control"]
        h.reset()
        got = observe(h, name)
    differ = [path for path in want["control"] if got["control"][path] != want["control"][path]]
    assert not differ, {p: (got["control"][p], want["control"][p]) for p in differ}
    assert got["next_id"] == want["next_id"]
    assert got["next_fault"] == want["next_fault"]


def test_harness_reset_drops_added_apps():
    from flask import Flask
    hook = Flask("hook")
    hook.add_url_rule("/x", view_func=lambda: "ok")
    with InProcessHarness(["stripe"]) as h:
        h.add_app("hook", hook, ["hook.example.test"])
        assert requests.get("https://hook.example.test/x").text == "ok"
        h.reset()
        assert "hook" not in h.apps
        with pytest.raises(requests.ConnectionError):
            requests.get("https://hook.example.test/x")
        assert requests.get(h.url("stripe") + "/_sim/health").json()["ok"]   # the fakes still routed


def test_live_reset_returns_limits_validation_seed_and_clock(live):
    ctl = live.control("stripe")
    start = ctl.clock()["now"]
    ctl.post("/limits", {"profile": "sandbox"})
    ctl.post("/validation", {"mode": "off"})
    ctl.post("/seed", {"seed": 99})
    live.advance("2d")
    live.reset()
    assert ctl.get("/limits")["profile"] == "off"
    assert ctl.get("/validation")["mode"] == "strict"
    assert ctl.clock()["now"] == start
    r = requests.post(live.url("stripe") + "/v1/customers", data={"email": "x@example.test"},
                      auth=("sk_test_o2c", ""), timeout=30)
    ctl.post("/seed", {"seed": 0})    # the construction seed: the same id again after a reset
    live.reset()
    again = requests.post(live.url("stripe") + "/v1/customers", data={"email": "x@example.test"},
                          auth=("sk_test_o2c", ""), timeout=30)
    assert r.json()["id"] == again.json()["id"]


def test_one_fakes_reset_leaves_the_runs_clock_running_as_it_was_set(live):
    """``/_sim/reset`` (and ``o2c reset``) on a running fake empties it but keeps the run's clock: an
    ``o2c up --clock scaled`` run keeps running scaled, in step with the other fakes."""
    ctl = live.control("stripe")
    ctl.post("/clock", {"mode": "scaled", "rate": 60})
    before = ctl.clock()
    requests.post(live.url("stripe") + "/v1/customers", data={"email": "x@example.test"},
                  auth=("sk_test_o2c", ""), timeout=30)
    ctl.reset()
    after = ctl.clock()
    assert (after["mode"], after["rate"], after["sim_anchor"]) == ("scaled", 60.0, before["sim_anchor"])
    listed = requests.get(live.url("stripe") + "/v1/customers", auth=("sk_test_o2c", ""), timeout=30).json()
    assert listed["data"] == []
