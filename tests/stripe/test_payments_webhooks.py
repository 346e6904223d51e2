"""Refunds, disputes, PaymentIntents, webhooks (signatures, retries, faults), events, test clocks."""
from __future__ import annotations

import pytest
import stripe

from .conftest import RECEIVER_HOST


def paid_charge(sc, pm="pm_card_visa", amount=5000):
    cus = sc.v1.customers.create()
    pi = sc.v1.payment_intents.create({"amount": amount, "currency": "usd", "customer": cus.id,
                                       "payment_method": pm, "confirm": True})
    return pi, sc.v1.charges.retrieve(pi.latest_charge)


def test_payment_intent_manual_capture_and_cancel(sc):
    cus = sc.v1.customers.create()
    pi = sc.v1.payment_intents.create({"amount": 1200, "currency": "usd", "customer": cus.id,
                                       "capture_method": "manual"})
    assert pi.status == "requires_payment_method"
    pi = sc.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "requires_capture" and pi.amount_capturable == 1200
    pi = sc.v1.payment_intents.capture(pi.id, {"amount_to_capture": 1000})
    assert pi.status == "succeeded" and pi.amount_received == 1000
    other = sc.v1.payment_intents.create({"amount": 500, "currency": "usd"})
    assert sc.v1.payment_intents.cancel(other.id).status == "canceled"
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_intents.create({"amount": 500, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
                                      "confirm": True})
    assert exc.value.error.payment_intent.status == "requires_payment_method"


def test_partial_then_full_refund(sc):
    pi, charge = paid_charge(sc)
    r1 = sc.v1.refunds.create({"payment_intent": pi.id, "amount": 2000})
    assert r1.status == "succeeded" and r1.charge == charge.id
    ch = sc.v1.charges.retrieve(charge.id)
    assert ch.amount_refunded == 2000 and ch.refunded is False
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.refunds.create({"charge": charge.id, "amount": 3001})
    assert exc.value.param == "amount"
    r2 = sc.v1.refunds.create({"charge": charge.id})
    assert r2.amount == 3000 and sc.v1.charges.retrieve(charge.id).refunded is True
    refunded = sc.v1.events.list({"type": "charge.refunded"}).data
    assert len(refunded) == 2 and refunded[0].data.object.amount_refunded == 5000
    assert refunded[0].data.previous_attributes.amount_refunded == 2000
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.refunds.create({"charge": charge.id})
    assert exc.value.code == "charge_already_refunded"


def test_dispute_card_opens_a_dispute(sc):
    pi, charge = paid_charge(sc, pm="pm_card_createDispute")
    assert pi.status == "succeeded"
    disputes = sc.v1.disputes.list({"charge": charge.id}).data
    assert len(disputes) == 1 and disputes[0].reason == "fraudulent" and disputes[0].status == "needs_response"
    assert sc.v1.charges.retrieve(charge.id).disputed is True
    evt = sc.v1.events.list({"type": "charge.dispute.created"}).data[0]
    assert evt.data.object.id == disputes[0].id
    assert sc.v1.disputes.close(disputes[0].id).status == "lost"


def test_webhook_signed_and_retried_after_500_with_fresh_timestamp(harness, sc, receiver):
    receiver.fail_next = 1
    cus = sc.v1.customers.create()
    harness.settle()
    assert receiver.types() == [] and len(receiver.headers) == 1
    evt = sc.v1.events.list({"type": "customer.created"}).data[0]
    assert evt.data.object.id == cus.id and evt.pending_webhooks == 1
    assert sc.v1.events.list({"delivery_success": False}).data[0].id == evt.id
    harness.advance("1h")  # sandbox schedule: first retry one hour later
    assert receiver.types() == ["customer.created"]
    t0, t1 = (int(h.split(",")[0][2:]) for h in receiver.headers)
    assert t1 - t0 == 3600 and t1 == harness.clock.timestamp()
    assert sc.v1.events.retrieve(evt.id).pending_webhooks == 0
    assert [e.id for e in sc.v1.events.list({"delivery_success": True}).data] == [evt.id]
    attempts = harness.control("stripe").get("/stripe/deliveries", event=evt.id)["deliveries"][0]["attempts"]
    assert [a["status"] for a in attempts] == [500, 200]


def test_live_like_schedule_retries_for_three_days(harness, sc, receiver):
    harness.control("stripe").post("/stripe/webhook-schedule", {"endpoint": receiver.endpoint_id, "schedule": "live"})
    receiver.fail_next = 100
    sc.v1.customers.create()
    harness.advance("4d")
    d = harness.control("stripe").get("/outbox")["deliveries"][0]
    assert d["status"] == "failed" and len(d["attempts"]) == 10
    assert receiver.events == []


def test_delivery_faults_duplicate_and_drop(harness, sc, receiver):
    ctl = harness.control("stripe")
    ctl.add_fault(operation="webhook.deliver", match={"event_type": "customer.created"}, duplicate=True, times=1)
    sc.v1.customers.create()
    harness.settle()
    assert receiver.types() == ["customer.created", "customer.created"]
    ctl.add_fault(operation="webhook.deliver", match={"event_type": "customer.created"}, drop=True, times=1)
    sc.v1.customers.create()
    harness.settle()
    assert len(receiver.events) == 2
    harness.advance("1h")
    assert len(receiver.events) == 3


def test_event_filters_types_and_created(harness, sc):
    sc.v1.customers.create()
    harness.advance("10s")
    t = harness.clock.timestamp()
    sc.v1.products.create({"name": "Widget"})
    assert [e.type for e in sc.v1.events.list({"created": {"gte": t}}).data] == ["product.created"]
    assert {e.type for e in sc.v1.events.list({"types": ["customer.created", "product.created"]}).data} == \
        {"customer.created", "product.created"}
    assert [e.type for e in sc.v1.events.list({"type": "customer.*"}).data] == ["customer.created"]


def test_test_clock_advances_the_shared_clock(harness, sc):
    start = harness.clock.timestamp()
    clock = sc.v1.test_helpers.test_clocks.create({"frozen_time": start, "name": "dunning"})
    adv = sc.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": start + 86400})
    assert adv.status == "advancing"
    harness.settle()
    ready = sc.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert ready.status == "ready" and ready.frozen_time == start + 86400
    assert harness.clock.timestamp() == start + 86400
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": start})
    assert sc.v1.test_helpers.test_clocks.delete(clock.id).deleted is True


def test_the_signature_can_follow_the_wall_clock_for_the_sdks_default_tolerance(harness, sc, receiver):
    import time as wall

    import stripe
    ctl = harness.control("stripe")
    assert ctl.get("/stripe/webhook-signing")["clock"] == "simulated"
    assert ctl.post("/stripe/webhook-signing", {"clock": "wall"})["clock"] == "wall"
    harness.advance("30d")                       # the simulated clock is now a month ahead of the wall clock
    sc.v1.customers.create()
    harness.settle()
    header = receiver.headers[-1]
    stamp = int(header.split(",")[0][2:])
    assert abs(stamp - wall.time()) < 120 and abs(stamp - harness.clock.timestamp()) > 86400
    # the SDK's default 300-second tolerance accepts it
    assert stripe.Webhook.construct_event(receiver.bodies[-1], header, receiver.secret).type == "customer.created"
    ctl.post("/stripe/webhook-signing", {"clock": "simulated"})
    sc.v1.customers.create()
    harness.settle()
    assert int(receiver.headers[-1].split(",")[0][2:]) == harness.clock.timestamp()
    harness.control("stripe").reset()
    assert ctl.get("/stripe/webhook-signing")["clock"] == "simulated"
