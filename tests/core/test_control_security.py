"""The control plane's gate (loopback + the run's token), schema-checked inputs that change nothing
when refused, redacted state dumps and per-run secrets. In-process, through the apps' WSGI
callables (so the Stripe fast lane and the Flask hooks are both exercised); the live probes over
real sockets are in test_control_security_live.py."""
from __future__ import annotations

import math

import pytest
import requests

from simulators.core.clock import SimClock
from simulators.core.faults import MAX_REQUEST_LATENCY_MS, FaultEngine
from simulators.core.errors import ControlError
from simulators.harness import InProcessHarness
from simulators.registry import create

TOKEN = "t0ken-for-this-run"
AVATAX_AUTH = {"Authorization": "Basic MTIzNDU2OmtleQ=="}   # 123456:key


@pytest.fixture(params=["avalara", "stripe", "integration"])
def gated(request):
    """A fake (or the integration) as a live server would hold it: a control token is set."""
    app = create(request.param)
    app.extensions["sim"].control_token = TOKEN
    return request.param, app.test_client()


def call(client, path, method="GET", token=None, addr="127.0.0.1", **kw):
    headers = {"X-Sim-Token": token} if token is not None else {}
    return client.open(path, method=method, headers=headers, environ_base={"REMOTE_ADDR": addr}, **kw)


# ---- who may call ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/_sim/health", "/_sim/state", "/_sim/clock", "/_sim/faults", "/_sim/journal"])
def test_the_token_is_required_when_set(gated, path):
    _, client = gated
    assert call(client, path).status_code == 403
    assert call(client, path, token="wrong").status_code == 403
    assert call(client, path, token=TOKEN + "x").status_code == 403
    refused = call(client, path, token="")
    assert refused.status_code == 403 and "X-Sim-Token" in refused.get_json()["error"]
    assert call(client, path, token=TOKEN).status_code == 200


@pytest.mark.parametrize("addr", ["10.0.0.5", "192.168.1.20", "2001:db8::1", "", "localhost.evil.test"])
def test_non_loopback_callers_are_refused_even_with_the_token(gated, addr):
    _, client = gated
    assert call(client, "/_sim/health", token=TOKEN, addr=addr).status_code == 403


@pytest.mark.parametrize("addr", ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"])
def test_loopback_forms_are_loopback(gated, addr):
    _, client = gated
    assert call(client, "/_sim/health", token=TOKEN, addr=addr).status_code == 200


def test_a_refused_write_changes_nothing(gated):
    _, client = gated
    before = call(client, "/_sim/clock", token=TOKEN).get_json()
    assert call(client, "/_sim/clock/advance", "POST", json={"duration": "3d"}).status_code == 403
    assert call(client, "/_sim/faults", "POST", token="nope", json={"operation": "*", "drop": True}).status_code == 403
    assert call(client, "/_sim/clock", token=TOKEN).get_json()["now"] == before["now"]
    assert call(client, "/_sim/faults", token=TOKEN).get_json()["rules"] == []


@pytest.mark.parametrize("path", ["//_sim/faults", "/_sim//faults", "/_sim/faults/", "///_sim/faults"])
def test_path_spellings_do_not_slip_past_the_gate(gated, path):
    _, client = gated
    r = call(client, path, "POST", json={"operation": "*", "drop": True})
    assert r.status_code not in (200, 201)
    assert call(client, "/_sim/faults", token=TOKEN).get_json()["rules"] == []


def test_the_stripe_fast_lane_and_the_flask_hooks_share_the_gate():
    app = create("stripe")
    app.extensions["sim"].control_token = TOKEN
    client = app.test_client()
    # requests enter through the control plane, then the lane
    assert app.wsgi_app is app.extensions["control"] and app.wsgi_app.app is app.extensions["lane"]
    vendor = client.get("/v1/customers", headers={"Authorization": "Bearer sk_test_x"},
                        environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert vendor.status_code == 200                # vendor paths need no control token
    assert call(client, "/v1/../_sim/reset", "POST").status_code != 200
    assert call(client, "/_sim/stripe/dunning").status_code == 403
    assert call(client, "/_sim/stripe/dunning", token=TOKEN).status_code == 200


def test_in_process_needs_no_token_but_still_loopback():
    app = create("avalara")
    client = app.test_client()
    assert call(client, "/_sim/health").status_code == 200
    assert call(client, "/_sim/health", addr="10.1.2.3").status_code == 403


# ---- the integration's own control plane ------------------------------------------------------
def test_integration_config_needs_the_token_and_keeps_the_token_out_of_reach():
    app = create("integration")
    app.extensions["sim"].control_token = TOKEN
    client = app.test_client()
    stolen = call(client, "/_integration/config", "POST", json={"salesforce_url": "https://attacker.test"})
    assert stolen.status_code == 403
    status = call(client, "/_integration/status", token=TOKEN).get_json()
    assert status["config"]["salesforce_url"] == "https://o2c.my.salesforce.com"
    assert call(client, "/_integration/install", "POST").status_code == 403
    assert call(client, "/_integration/config", "POST", token=TOKEN,
                json={"control_token": "mine"}).status_code == 400
    ok = call(client, "/_integration/config", "POST", token=TOKEN, json={"terms_days": 45})
    assert ok.status_code == 200 and ok.get_json()["terms_days"] == 45


def test_the_integration_never_shows_its_secrets():
    with InProcessHarness(integration={"payment_sync": "webhook"}) as h:
        integ = h.apps["integration"].extensions["integration"]
        integ.config.control_token = TOKEN
        assert requests.post(h.url("integration") + "/_integration/install").status_code == 200
        secret = integ.store.data["webhook_secret"]
        assert secret.startswith("whsec_")
        dump = requests.get(h.url("integration") + "/_sim/state").text
        status = requests.get(h.url("integration") + "/_integration/status").json()
        stripe_dump = requests.get(h.url("stripe") + "/_sim/state").text
    assert secret not in dump and '"webhook_secret": "***"' in dump
    assert status["config"]["control_token"] == "***" and status["config"]["sf_password"] == "***"
    assert secret not in stripe_dump   # neither the endpoint nor the cached create response shows it


def test_salesforce_state_dump_hides_sessions_and_passwords():
    with InProcessHarness(["salesforce"]) as h:
        tok = requests.post("https://login.salesforce.com/services/oauth2/token", data={
            "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
            "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"}).json()["access_token"]
        dump = requests.get(h.url("salesforce") + "/_sim/state").text
    assert tok not in dump and tok.split("!")[1][:12] not in dump
    assert "O2CTOKEN" not in dump and "o2c-password" not in dump


# ---- secrets per run ------------------------------------------------------------------------------
def _run_secrets(seed=None):
    with InProcessHarness(["stripe", "salesforce"], seed=seed) as h:
        we = requests.post(h.url("stripe") + "/v1/webhook_endpoints", headers={"Authorization": "Bearer sk_test_x"},
                           data={"url": "https://hooks.test/x", "enabled_events[]": "*"}).json()
        tok = requests.post("https://login.salesforce.com/services/oauth2/token", data={
            "grant_type": "password", "client_id": "o2c-client-id", "client_secret": "o2c-client-secret",
            "username": "integration@o2c.test", "password": "o2c-passwordO2CTOKEN"}).json()["access_token"]
        cus = requests.post(h.url("stripe") + "/v1/customers", headers={"Authorization": "Bearer sk_test_x"}).json()
    return we["id"], we["secret"], tok, cus["id"]


def test_secrets_differ_between_runs_with_the_default_seed_and_ids_do_not():
    a, b = _run_secrets(), _run_secrets()
    assert a[0] == b[0] and a[3] == b[3]          # object ids: deterministic
    assert a[1] != b[1] and a[2] != b[2]          # webhook secret, session token: random per run
    assert a[1].startswith("whsec_") and len(a[1]) == len("whsec_") + 32


def test_an_explicit_seed_repeats_secrets_too():
    assert _run_secrets(seed=7) == _run_secrets(seed=7)
    assert _run_secrets(seed=7)[1] != _run_secrets(seed=8)[1]


# ---- inputs validated before anything is applied ----------------------------------------------------
CLOCK_POISON = [
    {"mode": "scaled", "rate": 1e300}, {"mode": "scaled", "rate": 2, "wall_anchor": -1e12},
    {"mode": "scaled", "rate": -1}, {"mode": "scaled", "rate": 0}, {"mode": "scaled", "rate": "fast"},
    {"mode": "warp"}, {"now": "not a date"}, {"now": "9999-01-01T00:00:00Z", "force": True},
    {"mode": "scaled", "rate": 2, "wall_anchor": 1.0}, {"rate": True}, {"tick": 1},
]


@pytest.fixture
def avatax():
    with InProcessHarness(["avalara"]) as h:
        yield h


def vendor_ok(h) -> bool:
    r = requests.get(h.url("avalara") + "/api/v2/companies/DEFAULT/transactions", headers=AVATAX_AUTH)
    return r.status_code == 200


@pytest.mark.parametrize("body", CLOCK_POISON, ids=[str(b) for b in CLOCK_POISON])
def test_poisoned_clock_settings_are_refused_and_change_nothing(avatax, body):
    before = avatax.control("avalara").clock()
    r = requests.post(avatax.url("avalara") + "/_sim/clock", json=body)
    assert r.status_code == 400 and isinstance(r.json()["error"], str)
    after = avatax.control("avalara").clock()
    assert (after["mode"], after["rate"], after["sim_anchor"]) == (before["mode"], before["rate"], before["sim_anchor"])
    assert vendor_ok(avatax)


@pytest.mark.parametrize("raw", [b'{"mode": "scaled", "rate": NaN}', b'{"mode": "scaled", "rate": Infinity}',
                                 b'{"rate": -Infinity}', b"{not json", b"[1, 2]"])
def test_non_strict_json_is_refused(avatax, raw):
    r = requests.post(avatax.url("avalara") + "/_sim/clock", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert avatax.control("avalara").clock()["mode"] == "frozen" and vendor_ok(avatax)


FAULT_POISON = [
    {"operation": "*", "latency": {"kind": "fixed", "ms": "abc"}},
    {"operation": 5, "error": {"code": "ServiceUnavailable"}},
    {"operation": "*", "error": {"code": "x"}, "probability": "0.5"},
    {"operation": "*", "latency": {"kind": "fixed", "ms": -5}},
    {"operation": "*", "latency": {"kind": "lognormal", "median_ms": 0}},
    {"operation": "*", "error": {"code": "x"}, "match": "x"},
    {"operation": "*", "latency": {"kind": "fixed", "ms": 1e12}},
    {"operation": "*", "latency": {"kind": "fixed", "ms": MAX_REQUEST_LATENCY_MS + 1}},
    {"operation": "*", "latency": {"kind": "uniform", "min_ms": 50, "max_ms": 10}},
    {"operation": "*", "error": {"code": "x", "status": "abc"}},
    {"operation": "*", "error": "ServiceUnavailable"},
    {"operation": "*", "drop": True, "times": 0},
    {"operation": "*", "drop": "yes"},
    {"operation": "*", "error": {"code": "x"}, "match": {"sobject": 5}},
]


@pytest.mark.parametrize("rule", FAULT_POISON, ids=[str(r) for r in FAULT_POISON])
def test_invalid_fault_rules_are_refused_and_the_fake_keeps_answering(avatax, rule):
    r = requests.post(avatax.url("avalara") + "/_sim/faults", json=rule)
    assert r.status_code == 400
    body = r.json()
    assert body["error"].startswith(("invalid control request", "latency")) and isinstance(body.get("details", []), list)
    assert avatax.control("avalara").get("/faults")["rules"] == []
    assert vendor_ok(avatax)


def test_the_400_names_the_field_at_fault(avatax):
    r = requests.post(avatax.url("avalara") + "/_sim/faults", json={"operation": "*", "latency": {"kind": "fixed", "ms": "abc"}})
    assert r.json()["details"][0]["path"] == "latency.ms"


@pytest.mark.parametrize("path,body", [
    ("/_sim/clock/advance", {"duration": "99999999999d"}), ("/_sim/clock/advance", {"duration": -5}),
    ("/_sim/clock/advance", {"to": "yesterday"}), ("/_sim/seed", {}), ("/_sim/seed", {"seed": [1]}),
    ("/_sim/validation", {"mode": "loose"}), ("/_sim/state/snapshot", {"name": "../etc"}),
    ("/_sim/faults/profile", {"name": 5}), ("/_sim/avalara/accounts", {"allowed": "123"}),
    ("/_sim/avalara/accounts", {"allowed": ["12a"]}), ("/_sim/avalara/accounts", {"users": {"u": "x"}}),
])
def test_other_control_inputs_are_checked_too(avatax, path, body):
    ctl = avatax.control("avalara")
    before = (ctl.clock()["now"], ctl.get("/validation")["mode"], ctl.get("/avalara/accounts")["allowed"])
    assert requests.post(avatax.url("avalara") + path, json=body).status_code == 400
    assert (ctl.clock()["now"], ctl.get("/validation")["mode"], ctl.get("/avalara/accounts")["allowed"]) == before
    assert vendor_ok(avatax)


def test_valid_inputs_still_work(avatax):
    ctl = avatax.control("avalara")
    assert ctl.post("/clock/advance", {"duration": "1d2h"})["jobs_run"] >= 0
    rule = ctl.add_fault(operation="transactions.list", latency={"kind": "lognormal", "median_ms": 50, "sigma": 0.3},
                         times=2, probability=0.5, match={"company": "DEFAULT"})
    assert rule["id"] and rule["times"] == 2
    assert ctl.post("/clock", {"mode": "scaled", "rate": 3600})["rate"] == 3600


# ---- the clock and the fault engine themselves ------------------------------------------------------
def test_a_refused_clock_change_leaves_the_clock_as_it_was():
    clock = SimClock()
    before = clock.anchor()
    for kw in ({"mode": "scaled", "rate": -1}, {"mode": "scaled", "rate": math.inf}, {"mode": "scaled", "rate": 2e6},
               {"mode": "scaled", "rate": 2, "wall_anchor": -1e12}, {"mode": "scaled", "rate": 2, "wall_anchor": math.nan}):
        with pytest.raises(ValueError):
            clock.set(**kw)
        assert clock.anchor() == before


def test_a_runaway_scaled_clock_stops_at_a_ceiling_instead_of_failing():
    clock = SimClock(mode="scaled", rate=1_000_000)
    clock._wall_anchor -= 10 ** 9   # as if it had run for 30 years of real time
    assert clock.now().year == 9999


def test_latency_is_bounded_for_requests_and_simulated_for_webhooks():
    f = FaultEngine(1)
    with pytest.raises(ControlError):
        f.add({"operation": "*", "latency": {"kind": "fixed", "ms": MAX_REQUEST_LATENCY_MS + 1}})
    f.add({"operation": "webhook.deliver", "latency": {"kind": "fixed", "ms": 3_600_000}})   # simulated time
    assert f.decide("webhook.deliver").latency_ms == 3_600_000
    f.clear()
    f.add({"operation": "x", "latency": {"kind": "lognormal", "median_ms": 250_000, "sigma": 3}})
    assert max(f.decide("x").latency_ms for _ in range(200)) == MAX_REQUEST_LATENCY_MS   # the tail is cut
