"""Stripe's business rules (not expressible as a parameter schema), through the official SDK."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import stripe

from .test_params import refused


def test_amount_below_the_minimum_charge(sc):
    err = refused(lambda: sc.v1.payment_intents.create({"amount": 10, "currency": "usd"}))
    assert (err.code, err.param) == ("amount_too_small", "amount")
    assert "0.50" in err.user_message
    assert refused(lambda: sc.v1.payment_intents.create({"amount": 29, "currency": "gbp"})).code == "amount_too_small"
    pi = sc.v1.payment_intents.create({"amount": 50, "currency": "usd"})
    assert refused(lambda: sc.v1.payment_intents.update(pi.id, {"amount": 49})).code == "amount_too_small"


def test_off_session_needs_confirm(sc):
    err = refused(lambda: sc.v1.payment_intents.create({"amount": 2000, "currency": "usd", "off_session": True,
                                                        "confirm": False}))
    assert err.param == "off_session"
    pi = sc.v1.payment_intents.create({"amount": 2000, "currency": "usd", "off_session": True, "confirm": True,
                                       "payment_method": "pm_card_visa"})
    assert pi.status == "succeeded"


def test_automatic_payment_methods_need_a_return_url_when_redirects_are_allowed(sc):
    base = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
            "automatic_payment_methods": {"enabled": True}}
    err = refused(lambda: sc.v1.payment_intents.create(base))
    assert err.param == "return_url"
    assert sc.v1.payment_intents.create(dict(base, return_url="https://shop.test/done")).status == "succeeded"
    never = dict(base, automatic_payment_methods={"enabled": True, "allow_redirects": "never"})
    pi = sc.v1.payment_intents.create(never)
    assert pi.status == "succeeded" and pi.automatic_payment_methods.allow_redirects == "never"


def test_cancel_without_reason_leaves_it_null(sc):
    pi = sc.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    assert sc.v1.payment_intents.cancel(pi.id).cancellation_reason is None
    pi = sc.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    assert sc.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "duplicate"}).cancellation_reason == "duplicate"


def test_invoice_payment_intent_has_a_created_event(sc):
    cus = sc.v1.customers.create()
    sc.v1.invoice_items.create({"customer": cus.id, "amount": 2500, "currency": "usd"})
    inv = sc.v1.invoices.create({"customer": cus.id, "pending_invoice_items_behavior": "include"})
    inv = sc.v1.invoices.finalize_invoice(inv.id, {"expand": ["payments"]})
    pi_id = inv.payments.data[0].payment.payment_intent
    created = [e for e in sc.v1.events.list({"type": "payment_intent.created", "limit": 100}).data
               if e.data.object.id == pi_id]
    assert len(created) == 1


def _disputed(sc):
    pi = sc.v1.payment_intents.create({"amount": 3000, "currency": "usd", "payment_method": "pm_card_createDispute",
                                       "confirm": True})
    return pi, sc.v1.disputes.list({"payment_intent": pi.id}).data[0]


def test_disputed_charge_cannot_be_refunded_and_funds_are_withdrawn(sc):
    pi, dp = _disputed(sc)
    err = refused(lambda: sc.v1.refunds.create({"payment_intent": pi.id}))
    assert err.code == "charge_disputed"
    assert dp.balance_transactions[0].amount == -3000
    types = [e.type for e in sc.v1.events.list({"limit": 100}).data if e.data.object.id == dp.id]
    assert "charge.dispute.funds_withdrawn" in types and "charge.dispute.created" in types


def test_closed_dispute_cannot_be_updated(sc):
    _, dp = _disputed(sc)
    sc.v1.disputes.update(dp.id, {"evidence": {"product_description": "Widgets"}, "submit": False})
    assert sc.v1.disputes.retrieve(dp.id).status == "needs_response"
    sc.v1.disputes.close(dp.id)
    err = refused(lambda: sc.v1.disputes.update(dp.id, {"metadata": {"k": "v"}}))
    assert err.code == "dispute_already_closed"


def test_deleted_customer_is_retrievable_as_deleted(sc):
    cus = sc.v1.customers.create({"name": "Gone"})
    sc.v1.customers.delete(cus.id)
    again = sc.v1.customers.retrieve(cus.id)
    assert again.id == cus.id and again.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.update(cus.id, {"name": "Back"})
    assert exc.value.http_status == 404


def test_payment_method_update_needs_a_customer_and_updates_billing_details(sc):
    pm = sc.v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                                                "exp_year": 2034}})
    err = refused(lambda: sc.v1.payment_methods.update(pm.id, {"billing_details": {"name": "Ada"}}))
    assert err.code == "payment_method_unexpected_state"
    cus = sc.v1.customers.create()
    sc.v1.payment_methods.attach(pm.id, {"customer": cus.id})
    pm = sc.v1.payment_methods.update(pm.id, {"billing_details": {"name": "Ada", "address": {"postal_code": "94107"}}})
    assert pm.billing_details.name == "Ada" and pm.billing_details.address.postal_code == "94107"


def test_fingerprint_is_per_card_number(sc):
    def fp(number):
        return sc.v1.payment_methods.create({"type": "card", "card": {"number": number, "exp_month": 1,
                                                                      "exp_year": 2035}}).card.fingerprint
    assert fp("4242424242424242") == fp("4242424242424242") != fp("5555555555554444")
    assert sc.v1.payment_methods.retrieve("pm_card_visa").card.fingerprint == fp("4242424242424242")


def test_expired_card_is_refused(sc):
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                                                               "exp_year": 2020}})
    assert exc.value.code == "invalid_expiry_year" and exc.value.param == "exp_year"


def test_card_that_expires_before_the_charge_is_declined(harness, sc):
    pm = sc.v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                                                "exp_year": harness.clock.now().year}})
    harness.advance(timedelta(days=400))
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_intents.create({"amount": 2000, "currency": "usd", "payment_method": pm.id, "confirm": True})
    assert exc.value.code == "expired_card"


def test_stripe_version_header(harness, sc):
    url, auth = harness.url("stripe") + "/v1/customers", {"Authorization": "Bearer sk_test_o2c"}
    assert sc.v1.customers.list().object == "list"   # the pinned SDK's own version is accepted
    for good in ("2024-06-20", "2026-10-28.endive"):
        r = requests.get(url, headers={**auth, "Stripe-Version": good}, timeout=10)
        assert r.status_code == 200 and r.headers["Stripe-Version"] == good
    for bad in ("garbage", "2024-13-01", "2999-01-01"):
        r = requests.get(url, headers={**auth, "Stripe-Version": bad}, timeout=10)
        assert r.status_code == 400 and "Invalid Stripe API version" in r.json()["error"]["message"]


def test_webhook_user_agent_is_stripes(harness, sc, receiver):
    seen = []
    receiver.app.before_request(lambda: seen.append(__import__("flask").request.headers.get("User-Agent")))
    sc.v1.customers.create()
    harness.settle()
    assert seen and set(seen) == {"Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
