"""Robustness: injected faults on every fake; forged, stale and replayed webhooks."""
import hashlib
import hmac
import json
import time as _t  # only to build a deliberately stale signature relative to the simulated clock

import pytest
import requests

from .conftest import make

FAKE_ERRORS = {"salesforce": "UNABLE_TO_LOCK_ROW", "stripe": "rate_limit", "avalara": "RequestLimitExceeded",
               "erp": "CONCURRENCY_LIMIT_EXCEEDED"}


@pytest.mark.parametrize("sync", ["webhook", "polling"])
def test_twenty_percent_faults_everywhere_nothing_lost_nothing_doubled(sync):
    h, o2c = make(sync)
    try:
        keys = [o2c.place_order(c, [("HW-ROUTER", 1), ("SUPPORT-12", 1)])
                for c in ("ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "LONESTAR-AUSTIN", "ROSE-PORTLAND",
                          "THAMES-LONDON", "CASCADIA-VANCOUVER", "ACME-IRVINE")]
        for k in keys:
            o2c.activate(k)  # the integration hears of them at the next settle, under faults
        for name, code in FAKE_ERRORS.items():
            c = h.control(name)
            c.add_fault(operation="*", error={"code": code}, probability=0.1)
            c.add_fault(operation="*", latency={"kind": "uniform", "min_ms": 50, "max_ms": 500}, probability=0.1)
        h.advance("2h")
        for name in FAKE_ERRORS:
            h.control(name).clear_faults()  # the harness reads calmly
        for k in keys:
            assert o2c.mirror(k) and o2c.mirror(k)["Stripe_Invoice_Id__c"], f"{k} not published"
        for k in keys:
            o2c.pay(k)  # hosted-page payments; the webhooks / events reach the integration under faults
        for name, code in FAKE_ERRORS.items():
            h.control(name).add_fault(operation="*", error={"code": code}, probability=0.2)
        h.advance("2h")
        for name in FAKE_ERRORS:
            h.control(name).clear_faults()
        h.advance("1h")
        for k in keys:
            assert o2c.mirror(k)["blng__PaymentStatus__c"] == "Paid", k
        status = o2c.integration_status()
        assert status["dead_letters"] == 0 and status["stats"]["retries"] > 0
        journal = h.control("avalara").journal()
        assert any(e["status"] == 429 for e in journal), "faults were injected"
        report = o2c.reconcile()
        assert report.ok, report.table()
        assert report.counts == {**report.counts, "orders": 8, "erp_invoices": 8, "stripe_invoices": 8,
                                 "erp_payments": 8}
    finally:
        h.stop()


def _signed(secret: str, payload: bytes, t: int) -> str:
    sig = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


@pytest.fixture
def paid_order(world):
    key = world.place_order("ACME-IRVINE", [("HW-ROUTER", 1)])
    world.activate(key)
    world.wait_for_invoice(key)
    return world, key


def test_forged_webhook_is_rejected_and_changes_nothing(paid_order):
    world, key = paid_order
    si = world.stripe_invoice(key)
    forged = json.dumps({"id": "evt_forged", "object": "event", "type": "invoice.paid", "created": 0,
                         "data": {"object": {"id": si["id"], "object": "invoice"}}}).encode()
    now = int(world.h.now().timestamp())
    resp = requests.post(world.h.url("integration") + "/webhooks/stripe", data=forged,
                         headers={"Stripe-Signature": _signed("whsec_not_the_secret", forged, now)})
    assert resp.status_code == 400
    world.h.settle()
    assert world.mirror(key)["blng__PaymentStatus__c"] == "Unpaid"
    assert world.integration_status()["stats"]["webhooks_rejected"] == 1


def test_stale_and_replayed_webhooks(paid_order):
    world, key = paid_order
    world.pay(key)
    world.wait_for_paid(key)
    deliveries = world.h.control("stripe").get("/outbox", status="delivered")["deliveries"]
    assert deliveries
    # Replaying a real delivery (fresh signature) is deduplicated by event id: nothing doubles.
    sim = world.h.sim("stripe")
    box = sim.outboxes[0]
    original = next(d for d in box.deliveries() if d.event_type == "invoice.paid")
    headers = box.signer(original.body, world.h.now(), original.endpoint)
    resp = requests.post(original.endpoint["url"], data=original.body, headers=headers)
    assert resp.status_code == 200
    world.h.settle()
    assert world.integration_status()["stats"]["duplicates_ignored"] >= 1
    # A signature older than five minutes (simulated) is refused even with the right secret.
    stale = box.signer(original.body, world.h.now(), original.endpoint)
    world.h.advance("10m")
    assert requests.post(original.endpoint["url"], data=original.body, headers=stale).status_code == 400
    report = world.reconcile()
    assert report.ok and report.counts["erp_payments"] == 1
    assert _t is not None
