"""Parameter validation generated from stripe-python's typed params, through the official SDK."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import requests
import stripe

from simulators.stripe.app import SCHEMAS
from simulators.stripe.tables import route_tables

ROOT = Path(__file__).resolve().parents[2]


def refused(call) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        call()
    assert exc.value.http_status == 400
    return exc.value


def manual_pi(sc):
    return sc.v1.payment_intents.create({"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
                                         "capture_method": "manual", "confirm": True})


def test_every_served_operation_has_a_generated_schema():
    ops = {op for table in route_tables()
           for _, _, op, _ in table}
    on_disk = {p.stem for p in SCHEMAS.glob("*.json")}
    assert ops == on_disk
    assert "stripe-python" in json.loads((SCHEMAS / "payment_intents.capture.json").read_text())["description"]


def test_generated_schemas_are_up_to_date(monkeypatch, capsys):
    """``tools/gen_stripe_schemas.py --check``, run in this process (the SDK is imported already)."""
    monkeypatch.setattr(sys, "path", list(sys.path))   # the tool puts the checkout first on the path
    spec = importlib.util.spec_from_file_location("gen_stripe_schemas", ROOT / "tools" / "gen_stripe_schemas.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    code = gen.main(["--check"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "stale: 0; orphaned: 0" in out and int(out.split()[0]) == len(list(SCHEMAS.glob("*.json")))


def test_capture_with_amount_is_an_unknown_parameter_and_captures_nothing(sc):
    pi = manual_pi(sc)
    err = refused(lambda: sc.v1.payment_intents.capture(pi.id, {"amount": 1000}))
    assert err.code == "parameter_unknown" and err.param == "amount"
    assert err.user_message == "Received unknown parameter: amount"
    assert sc.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
    assert sc.v1.payment_intents.capture(pi.id, {"amount_to_capture": 1500}).amount_received == 1500


@pytest.mark.parametrize("call", [
    lambda sc, pi: sc.v1.payment_intents.confirm(pi, {"bogus": "1"}),
    lambda sc, pi: sc.v1.payment_intents.update(pi, {"bogus": "1"}),
    lambda sc, pi: sc.v1.customers.create({"address": {"line1": "x", "bogus": "1"}}),
])
def test_unknown_parameters_are_named(sc, call):
    pi = sc.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    err = refused(lambda: call(sc, pi.id))
    assert err.code == "parameter_unknown" and err.param in ("bogus", "address[bogus]")


def test_invoice_finalize_refuses_unknown_parameter(sc):
    cus = sc.v1.customers.create()
    inv = sc.v1.invoices.create({"customer": cus.id})
    err = refused(lambda: sc.v1.invoices.finalize_invoice(inv.id, {"bogus": "1"}))
    assert err.param == "bogus"
    assert sc.v1.invoices.retrieve(inv.id).status == "draft"


def test_types_and_values_worded_as_stripe(sc):
    err = refused(lambda: sc.v1.payment_intents.create({"amount": "abc", "currency": "usd"}))
    assert (err.code, err.param, err.user_message) == ("parameter_invalid_integer", "amount", "Invalid integer: abc")
    err = refused(lambda: sc.v1.payment_intents.create({"amount": "", "currency": "usd"}))
    assert (err.code, err.param) == ("parameter_invalid_empty", "amount")
    err = refused(lambda: sc.v1.payment_intents.create({"currency": "usd"}))
    assert (err.code, err.param) == ("parameter_missing", "amount")
    err = refused(lambda: sc.v1.payment_intents.create({"amount": 2000, "currency": "xyz"}))
    assert err.param == "currency" and "Invalid currency: xyz" in err.user_message
    assert sc.v1.payment_intents.create({"amount": 2000, "currency": "EUR"}).currency == "eur"
    err = refused(lambda: sc.v1.payment_intents.create({"amount": 2000, "currency": "usd", "capture_method": "later"}))
    assert err.user_message == "Invalid capture_method: must be one of automatic, automatic_async, or manual"
    err = refused(lambda: sc.v1.customers.create({"email": "not-an-email"}))
    assert (err.code, err.param) == ("email_invalid", "email")


def test_booleans_are_true_or_false_only():
    from simulators.harness import InProcessHarness
    with InProcessHarness(["stripe"]) as h:
        r = requests.post(h.url("stripe") + "/v1/payment_intents", headers={"Authorization": "Bearer sk_test_o2c"},
                          data={"amount": "2000", "currency": "usd", "confirm": "1"}, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"] == {"message": "Invalid boolean: 1", "param": "confirm", "type": "invalid_request_error"}


def test_metadata_limits(sc):
    err = refused(lambda: sc.v1.customers.create({"metadata": {"k": "x" * 501}}))
    assert err.param == "metadata[k]" and "up to 500 characters" in err.user_message
    err = refused(lambda: sc.v1.customers.create({"metadata": {"k" * 41: "v"}}))
    assert err.param == f"metadata[{'k' * 41}]"
    err = refused(lambda: sc.v1.customers.create({"metadata": {f"k{i}": "v" for i in range(51)}}))
    assert err.param == "metadata" and "50 keys" in err.user_message
    assert sc.v1.customers.create({"metadata": {"k": "x" * 500}}).metadata["k"] == "x" * 500


def test_enabled_events_enum_with_star_alone(sc):
    for bad in ("invoice.paaid", "invoice.*"):
        err = refused(lambda: sc.v1.webhook_endpoints.create({"url": "https://h.test/x", "enabled_events": [bad]}))
        assert err.param == "enabled_events[0]"
    assert sc.v1.webhook_endpoints.create({"url": "https://h.test/x", "enabled_events": ["*"]}).enabled_events == ["*"]


def test_dispute_evidence_fields_are_checked(sc):
    pi = sc.v1.payment_intents.create({"amount": 3000, "currency": "usd", "payment_method": "pm_card_createDispute",
                                       "confirm": True})
    dp = sc.v1.disputes.list({"payment_intent": pi.id}).data[0]
    err = refused(lambda: sc.v1.disputes.update(dp.id, {"evidence": {"favourite_colour": "blue"}}))
    assert err.param == "evidence[favourite_colour]" and err.code == "parameter_unknown"


def test_lenient_mode_records_instead_of_refusing(harness, sc):
    ctl = harness.control("stripe")
    assert ctl.post("/validation", {"mode": "lenient"})["mode"] == "lenient"
    cus = sc.v1.customers.create({"bogus": "1", "name": "Lenient"})
    assert cus.name == "Lenient"
    report = ctl.get("/violations")["by_caller"]
    (caller_report,) = report.values()
    assert caller_report[0]["operation"] == "customers.create"
    assert caller_report[0]["errors"][0]["keyword"] == "additionalProperties"


def test_quick_check_never_passes_what_the_full_validator_refuses():
    from jsonschema import Draft202012Validator

    from simulators.stripe.fastcheck import compile_dir
    quick = compile_dir(SCHEMAS)
    schema = json.loads((SCHEMAS / "payment_intents.create.json").read_text())
    full = Draft202012Validator(schema)
    base = {"amount": "2000", "currency": "usd", "metadata": {"k": "v"}, "expand": ["latest_charge"],
            "automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"}}
    variants = [base, {**base, "amount": "2o00"}, {**base, "bogus": "1"}, {**base, "metadata": {"k" * 41: "v"}},
                {**base, "metadata": {"k": "v" * 501}}, {**base, "currency": "USD"}, {**base, "currency": "xyz"},
                {**base, "expand": "latest_charge"}, {**base, "automatic_payment_methods": {"enabled": "yes"}},
                {**base, "metadata": ""}, {**base, "metadata": "x"}, {"currency": "usd"}, {**base, "confirm": "true"},
                {**base, "payment_method_options": {"card": {"request_three_d_secure": "any"}}},
                {**base, "payment_method_options": {"card": {"request_three_d_secure": "sometimes"}}}]
    verdicts = []
    for payload in variants:
        ok = quick["payment_intents.create"](payload)
        valid = not list(full.iter_errors(payload))
        assert not ok or valid, payload
        verdicts.append(ok == valid)
    assert all(verdicts)   # and here it is exact: the quick check does not send valid requests the slow way


def test_lenient_mode_still_answers_malformed_values_with_stripe_400s(harness, sc):
    """What the schema would have refused reaches the state code in lenient mode: still a 400, never a 500."""
    ctl = harness.control("stripe")
    ctl.post("/validation", {"mode": "lenient"})
    sc.v1.customers.create()
    pi = sc.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    base, auth = harness.url("stripe"), {"Authorization": "Bearer sk_test_o2c"}
    for path in ("/v1/customers", "/v1/payment_intents", "/v1/invoices", "/v1/charges", "/v1/events"):
        for query in ("starting_after[a]=b", "created[]=1"):
            r = requests.get(f"{base}{path}?{query}", headers=auth, timeout=10)
            assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error", (path, query)
    r = requests.post(f"{base}/v1/payment_intents/{pi.id}", data={"amount": ""}, headers=auth, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["param"] == "amount"
