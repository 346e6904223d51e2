"""SetupIntents, legacy charges with card sources, refund cancel, increment_authorization, product delete —
all through the official ``stripe`` SDK."""
from __future__ import annotations

import pytest
import stripe


def _types(sc, prefix):
    return [e.type for e in reversed(sc.v1.events.list({"limit": 100}).data) if e.type.startswith(prefix)]


# ---- SetupIntents ---------------------------------------------------------------------------
def test_setup_intent_succeeds_and_attaches_the_card(sc):
    cus = sc.v1.customers.create()
    si = sc.v1.setup_intents.create({"customer": cus.id, "usage": "on_session"})
    assert si.status == "requires_payment_method" and si.usage == "on_session" and si.client_secret.startswith(si.id)
    si = sc.v1.setup_intents.update(si.id, {"payment_method": "pm_card_visa", "metadata": {"k": "v"}})
    assert si.status == "requires_confirmation" and si.metadata.to_dict() == {"k": "v"}
    si = sc.v1.setup_intents.confirm(si.id)
    assert si.status == "succeeded" and si.last_setup_error is None
    assert sc.v1.payment_methods.retrieve(si.payment_method).customer == cus.id
    assert [pm.id for pm in sc.v1.customers.payment_methods.list(cus.id).data] == [si.payment_method]
    assert _types(sc, "setup_intent.") == ["setup_intent.created", "setup_intent.succeeded"]
    assert [s.id for s in sc.v1.setup_intents.list({"customer": cus.id}).data] == [si.id]
    assert sc.v1.setup_intents.create().usage == "off_session"   # Stripe's default
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.setup_intents.cancel(si.id)
    assert exc.value.code == "setup_intent_unexpected_state"


def test_setup_intent_declined_card_gives_setup_failed(sc):
    cus = sc.v1.customers.create()
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.setup_intents.create({"customer": cus.id, "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                                    "confirm": True})
    assert exc.value.code == "card_declined" and exc.value.error.decline_code == "insufficient_funds"
    si_id = exc.value.error.setup_intent.id
    si = sc.v1.setup_intents.retrieve(si_id)
    assert si.status == "requires_payment_method"
    assert si.last_setup_error.decline_code == "insufficient_funds" and si.last_setup_error.type == "card_error"
    assert sc.v1.customers.payment_methods.list(cus.id).data == []
    assert _types(sc, "setup_intent.") == ["setup_intent.created", "setup_intent.setup_failed"]
    # a new card after the decline succeeds
    assert sc.v1.setup_intents.confirm(si_id, {"payment_method": "pm_card_mastercard"}).status == "succeeded"


def test_setup_intent_3ds_card_requires_action_then_authenticates(harness, sc):
    cus = sc.v1.customers.create()
    si = sc.v1.setup_intents.create({"customer": cus.id, "payment_method": "pm_card_authenticationRequiredOnSetup",
                                     "confirm": True, "return_url": "https://shop.example/back"})
    assert si.status == "requires_action" and si.next_action.type == "redirect_to_url"
    assert si.next_action.redirect_to_url.return_url == "https://shop.example/back"
    assert sc.v1.payment_methods.retrieve(si.payment_method).customer is None
    ctl = harness.control("stripe")
    done = ctl.post(f"/stripe/setup_intents/{si.id}/authenticate", {"outcome": "complete"})
    assert done["status"] == "succeeded"
    assert sc.v1.payment_methods.retrieve(si.payment_method).customer == cus.id
    assert _types(sc, "setup_intent.") == ["setup_intent.created", "setup_intent.requires_action",
                                           "setup_intent.succeeded"]
    # failed authentication: back to requires_payment_method with the authentication error
    other = sc.v1.setup_intents.create({"customer": cus.id, "payment_method": "pm_card_authenticationRequired",
                                        "confirm": True})
    assert other.next_action.type == "use_stripe_sdk"
    ctl.post(f"/stripe/setup_intents/{other.id}/authenticate", {"outcome": "fail"})
    other = sc.v1.setup_intents.retrieve(other.id)
    assert other.status == "requires_payment_method"
    assert other.last_setup_error.code == "setup_intent_authentication_failure"
    assert _types(sc, "setup_intent.")[-1] == "setup_intent.setup_failed"


def test_setup_intent_cancel(sc):
    si = sc.v1.setup_intents.create({"payment_method": "pm_card_visa"})
    si = sc.v1.setup_intents.cancel(si.id, {"cancellation_reason": "abandoned"})
    assert si.status == "canceled" and si.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.setup_intents.confirm(si.id)
    assert exc.value.code == "setup_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.setup_intents.create({"usage": "sometimes"})
    assert exc.value.param == "usage"
    assert "setup_intent.canceled" in _types(sc, "setup_intent.")


# ---- legacy charges -------------------------------------------------------------------------
def test_charge_with_token_succeeds_with_balance_transaction(sc):
    ch = sc.v1.charges.create({"amount": 2000, "currency": "usd", "source": "tok_visa", "description": "legacy"})
    assert ch.status == "succeeded" and ch.captured and ch.paid and ch.payment_intent is None
    assert ch.source.object == "card" and ch.source.last4 == "4242" and ch.source.brand == "Visa"
    txn = sc.v1.balance_transactions.retrieve(ch.balance_transaction)
    assert txn.amount == 2000 and txn.source == ch.id and txn.type == "charge"
    assert "charge.succeeded" in _types(sc, "charge.")


def test_charge_customer_default_card_and_unlinked_source(sc):
    cus = sc.v1.customers.create({"source": "tok_mastercard"})
    assert cus.default_source.startswith("card_")
    ch = sc.v1.charges.create({"amount": 700, "currency": "usd", "customer": cus.id})
    assert ch.customer == cus.id and ch.source.id == cus.default_source and ch.payment_method_details.card.last4 == "4444"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.charges.create({"amount": 700, "currency": "usd", "customer": cus.id, "source": "tok_visa"})
    assert exc.value.param == "source"
    bare = sc.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.charges.create({"amount": 700, "currency": "usd", "customer": bare.id})
    assert exc.value.code == "missing"


def test_charge_decline_is_a_card_error_with_failed_charge(sc):
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.charges.create({"amount": 2000, "currency": "usd", "source": "tok_chargeDeclinedInsufficientFunds"})
    err = exc.value.error
    assert err.decline_code == "insufficient_funds" and err.charge.startswith("ch_")
    ch = sc.v1.charges.retrieve(err.charge)
    assert ch.status == "failed" and ch.failure_code == "card_declined" and ch.balance_transaction is None
    assert _types(sc, "charge.") == ["charge.failed"]


def test_auth_then_partial_capture_refunds_the_rest(sc):
    ch = sc.v1.charges.create({"amount": 5000, "currency": "usd", "source": "tok_visa", "capture": False})
    assert ch.captured is False and ch.balance_transaction is None
    assert ch.payment_method_details.card.capture_before == ch.created + 7 * 86400
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.charges.capture(ch.id, {"amount": 5001})
    assert exc.value.param == "amount"
    ch = sc.v1.charges.capture(ch.id, {"amount": 3000})
    assert ch.captured and ch.amount_captured == 3000 and ch.amount_refunded == 2000 and ch.refunded is False
    assert sc.v1.balance_transactions.retrieve(ch.balance_transaction).amount == 3000
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.charges.capture(ch.id)
    assert exc.value.code == "charge_already_captured"
    # only the captured 3000 can be refunded
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.refunds.create({"charge": ch.id, "amount": 3001})
    sc.v1.refunds.create({"charge": ch.id})
    ch = sc.v1.charges.retrieve(ch.id)
    assert ch.amount_refunded == 5000 and ch.refunded is True
    assert _types(sc, "charge.")[:2] == ["charge.succeeded", "charge.captured"]


# ---- refund cancel ---------------------------------------------------------------------------
def test_refund_cancel_only_while_pending(sc):
    ch = sc.v1.charges.create({"amount": 4000, "currency": "usd", "source": "tok_visa"})
    done = sc.v1.refunds.create({"charge": ch.id, "amount": 1000})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.refunds.cancel(done.id)
    assert "cannot be canceled" in exc.value.user_message
    pending_ch = sc.v1.charges.create({"amount": 4000, "currency": "usd", "source": "tok_refundPending"})
    re = sc.v1.refunds.create({"charge": pending_ch.id, "amount": 1500})
    assert re.status == "pending"
    assert sc.v1.charges.retrieve(pending_ch.id).amount_refunded == 1500
    re = sc.v1.refunds.cancel(re.id)
    assert re.status == "canceled" and re.failure_reason == "merchant_request"
    assert sc.v1.balance_transactions.retrieve(re.failure_balance_transaction).amount == 1500
    assert sc.v1.charges.retrieve(pending_ch.id).amount_refunded == 0
    assert sc.v1.refunds.create({"charge": pending_ch.id}).amount == 4000   # the whole amount is refundable again


# ---- increment_authorization ------------------------------------------------------------------
def _held(sc, incremental=True, pm="pm_card_visa"):
    params = {"amount": 1000, "currency": "usd", "payment_method": pm, "capture_method": "manual", "confirm": True}
    if incremental:
        params["payment_method_options"] = {"card": {"request_incremental_authorization": "if_available"}}
    return sc.v1.payment_intents.create(params)


def test_increment_authorization(sc):
    pi = _held(sc)
    ch = sc.v1.charges.retrieve(pi.latest_charge)
    assert ch.payment_method_details.card.incremental_authorization.status == "available"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.increment_authorization(pi.id, {"amount": 1000})
    assert exc.value.param == "amount"
    pi = sc.v1.payment_intents.increment_authorization(pi.id, {"amount": 1500})
    assert pi.amount == 1500 and pi.amount_capturable == 1500 and pi.status == "requires_capture"
    assert sc.v1.charges.retrieve(pi.latest_charge).payment_method_details.card.amount_authorized == 1500
    pi = sc.v1.payment_intents.capture(pi.id)
    assert pi.amount_received == 1500
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.increment_authorization(pi.id, {"amount": 2000})
    assert exc.value.code == "payment_intent_unexpected_state"


def test_increment_authorization_needs_the_request_flag(sc):
    pi = _held(sc, incremental=False)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.increment_authorization(pi.id, {"amount": 2000})
    assert "not eligible" in exc.value.user_message
    assert sc.v1.payment_intents.retrieve(pi.id).amount == 1000


# ---- product delete ---------------------------------------------------------------------------
def test_product_delete_refused_while_it_has_prices(sc):
    prod = sc.v1.products.create({"name": "Widget"})
    sc.v1.prices.create({"product": prod.id, "unit_amount": 500, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.products.delete(prod.id)
    assert "prices" in exc.value.user_message
    bare = sc.v1.products.create({"name": "Bare"})
    gone = sc.v1.products.delete(bare.id)
    assert gone.deleted is True and gone.id == bare.id and gone.object == "product"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.products.retrieve(bare.id)
    assert exc.value.http_status == 404
    assert "product.deleted" in _types(sc, "product.")
