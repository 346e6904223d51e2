"""Partial payments on invoices through stripe-python 16: attach_payment, invoice payments, events,
the hosted page's partial amount, and the guards on void / uncollectible / the default PaymentIntent."""
from __future__ import annotations

import pytest
import requests
import stripe


def open_invoice(sc, amount=10775, **kw):
    kw = kw or {"collection_method": "send_invoice", "days_until_due": 30}
    cus = sc.v1.customers.create({"name": "Acme"})
    inv = sc.v1.invoices.create({"customer": cus.id, **kw})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": amount, "currency": "usd"})
    return cus, sc.v1.invoices.finalize_invoice(inv.id)


def part(sc, cus, amount, **kw):
    return sc.v1.payment_intents.create({"amount": amount, "currency": "usd", "customer": cus.id, **kw})


def pay_hosted(harness, invoice_id, **body):
    return requests.post(harness.url("stripe") + f"/_sim/stripe/invoices/{invoice_id}/pay_hosted",
                         json={"card": "4242424242424242", **body}, headers=harness.control_headers())


def test_attached_payment_is_credited_when_it_succeeds_and_the_rest_completes_the_invoice(harness, sc, receiver):
    cus, inv = open_invoice(sc)
    pi = part(sc, cus, 5000)
    attached = sc.v1.invoices.attach_payment(inv.id, {"payment_intent": pi.id})
    # attached but not yet paid: nothing credited, the invoice payment is open
    assert attached.status == "open" and attached.amount_paid == 0 and attached.amount_remaining == 10775
    pays = sc.v1.invoice_payments.list({"invoice": inv.id}).data
    assert [(p.is_default, p.status, p.amount_requested) for p in pays] == [(False, "open", 5000),
                                                                            (True, "open", 10775)]
    harness.advance("1h")
    sc.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    half = sc.v1.invoices.retrieve(inv.id, {"expand": ["payments.data.payment.payment_intent"]})
    assert half.status == "open" and half.amount_paid == 5000 and half.amount_remaining == 5775
    assert half.amount_due == 10775 and half.status_transitions.paid_at is None
    by_default = {p.is_default: p for p in half.payments.data}
    assert by_default[False].status == "paid" and by_default[False].amount_paid == 5000
    assert by_default[False].status_transitions.paid_at == harness.clock.timestamp()
    # Stripe keeps the default payment in step with the amount remaining
    assert by_default[True].amount_requested == 5775 and by_default[True].payment.payment_intent.amount == 5775

    rest = part(sc, cus, 5775, payment_method="pm_card_visa", confirm=True)
    assert rest.status == "succeeded"
    sc.v1.invoices.attach_payment(inv.id, {"payment_intent": rest.id})   # already succeeded: credited at once
    done = sc.v1.invoices.retrieve(inv.id)
    assert done.status == "paid" and done.amount_paid == 10775 and done.amount_remaining == 0
    assert done.status_transitions.paid_at == harness.clock.timestamp()
    default = next(p for p in done.payments.data if p.is_default)
    assert default.status == "canceled"
    assert sc.v1.payment_intents.retrieve(default.payment.payment_intent).status == "canceled"

    paid = sc.v1.invoice_payments.list({"invoice": inv.id, "status": "paid"}).data
    assert sorted(p.amount_paid for p in paid) == [5000, 5775]
    by_pi = sc.v1.invoice_payments.list({"payment": {"type": "payment_intent", "payment_intent": rest.id}}).data
    assert len(by_pi) == 1 and by_pi[0].amount_paid == 5775
    assert sc.v1.invoice_payments.retrieve(by_pi[0].id).invoice == inv.id

    harness.settle()
    types = receiver.types()
    assert types.count("invoice_payment.paid") == 2
    assert types.count("invoice.paid") == 1 and types.count("invoice.payment_succeeded") == 1
    # the first part: invoice_payment.paid, then invoice.updated with the amounts it moved
    first = [e for e in receiver.events if e["type"] == "invoice_payment.paid"][0]["data"]["object"]
    assert first["object"] == "invoice_payment" and first["amount_paid"] == 5000 and first["invoice"] == inv.id
    upd = [e for e in receiver.events if e["type"] == "invoice.updated" and "amount_paid" in
           e["data"].get("previous_attributes", {})]
    assert len(upd) == 1 and upd[0]["data"]["previous_attributes"] == {"amount_paid": 0, "amount_remaining": 10775}
    assert upd[0]["data"]["object"]["amount_remaining"] == 5775
    assert types.index("invoice.paid") > types.index("invoice_payment.paid")


def test_pay_after_a_partial_payment_charges_only_the_remainder(sc):
    cus, inv = open_invoice(sc, 4000, auto_advance=False)
    sc.v1.invoices.attach_payment(inv.id, {"payment_intent": part(sc, cus, 1500, payment_method="pm_card_visa",
                                                                  confirm=True).id})
    paid = sc.v1.invoices.pay(inv.id, {"payment_method": "pm_card_visa",
                                       "expand": ["payments.data.payment.payment_intent"]})
    assert paid.status == "paid" and paid.amount_paid == 4000
    default = next(p for p in paid.payments.data if p.is_default)
    assert default.amount_paid == 2500 and default.payment.payment_intent.amount_received == 2500
    assert sc.v1.charges.retrieve(default.payment.payment_intent.latest_charge).amount == 2500


@pytest.mark.parametrize("case, code, param", [
    ("too_much", "amount_too_large", "payment_intent"),
    ("other_currency", "payment_intent_invalid_parameter", "payment_intent"),
    ("other_customer", "payment_intent_invalid_parameter", "payment_intent"),
    ("no_customer", "payment_intent_invalid_parameter", "payment_intent"),
    ("canceled", "payment_intent_unexpected_state", "payment_intent"),
    ("missing", "parameter_missing", "payment_intent"),
    ("no_such_pi", "resource_missing", "payment_intent"),
])
def test_attach_payment_checks(sc, case, code, param):
    cus, inv = open_invoice(sc, 3000)
    params = {
        "too_much": lambda: {"payment_intent": part(sc, cus, 3001).id},
        "other_currency": lambda: {"payment_intent": sc.v1.payment_intents.create(
            {"amount": 100, "currency": "eur", "customer": cus.id}).id},
        "other_customer": lambda: {"payment_intent": part(sc, sc.v1.customers.create(), 100).id},
        "no_customer": lambda: {"payment_intent": sc.v1.payment_intents.create({"amount": 100, "currency": "usd"}).id},
        "canceled": lambda: {"payment_intent": sc.v1.payment_intents.cancel(part(sc, cus, 100).id).id},
        "missing": lambda: {},
        "no_such_pi": lambda: {"payment_intent": "pi_nope"},
    }[case]()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.attach_payment(inv.id, params)
    assert exc.value.code == code and exc.value.param == param and exc.value.error.type == "invalid_request_error"
    after = sc.v1.invoices.retrieve(inv.id)
    assert after.amount_remaining == 3000 and len(after.payments.data) == 1


def test_attach_payment_refuses_a_pi_attached_twice_unknown_parameters_and_invoices_not_open(sc):
    cus, inv = open_invoice(sc, 3000)
    _, other = open_invoice(sc, 3000)
    pi = part(sc, cus, 1000)
    sc.v1.invoices.attach_payment(inv.id, {"payment_intent": pi.id})
    for target in (inv.id, other.id):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            sc.v1.invoices.attach_payment(target, {"payment_intent": pi.id})
        assert exc.value.code == "payment_intent_unexpected_state" and inv.id in exc.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.attach_payment(inv.id, {"payment_intent": pi.id, "amount": 5})
    assert exc.value.code == "parameter_unknown" and exc.value.param == "amount"
    draft = sc.v1.invoices.create({"customer": cus.id})
    paid_cus, paid = open_invoice(sc, 500)
    sc.v1.invoices.pay(paid.id, {"payment_method": "pm_card_visa"})
    for target, cust in ((draft.id, cus), (paid.id, paid_cus)):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            sc.v1.invoices.attach_payment(target, {"payment_intent": part(sc, cust, 100).id})
        assert exc.value.code == "invoice_not_editable"


def test_payments_block_void_and_uncollectible_and_the_default_pi_cannot_be_touched(sc):
    cus, inv = open_invoice(sc, 3000)
    pending = part(sc, cus, 1000)
    sc.v1.invoices.attach_payment(inv.id, {"payment_intent": pending.id})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.mark_uncollectible(inv.id)
    assert exc.value.code == "invoice_not_editable"
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.void_invoice(inv.id)
    # canceling the attached PaymentIntent cancels its invoice payment; then the invoice can move on
    sc.v1.payment_intents.cancel(pending.id)
    assert sc.v1.invoice_payments.list({"invoice": inv.id, "status": "canceled"}).data[0].amount_requested == 1000
    assert sc.v1.invoices.mark_uncollectible(inv.id).status == "uncollectible"
    default_pi = sc.v1.invoices.retrieve(inv.id).payments.data[0].payment.payment_intent
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.cancel(default_pi)
    assert exc.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.payment_intents.update(default_pi, {"amount": 10})
    # a paid partial payment blocks void
    cus2, inv2 = open_invoice(sc, 3000)
    sc.v1.invoices.attach_payment(inv2.id, {"payment_intent": part(sc, cus2, 1000, payment_method="pm_card_visa",
                                                                   confirm=True).id})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.void_invoice(inv2.id)
    assert exc.value.code == "invoice_not_editable"
    assert sc.v1.invoices.retrieve(inv2.id).status == "open"


def test_invoice_payments_list_checks_its_filters(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoice_payments.list({"status": "settled"})
    assert exc.value.param == "status"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoice_payments.list({"payment": {"payment_intent": "pi_x"}})
    assert exc.value.param == "payment[type]"


def test_hosted_page_partial_payment_then_the_rest(harness, sc):
    cus, inv = open_invoice(sc)
    page = requests.get(inv.hosted_invoice_url)
    assert 'name="amount" value="107.75"' in page.text
    first = pay_hosted(harness, inv.id, amount=5000)
    assert first.status_code == 200 and first.json()["invoice"]["status"] == "open"
    assert first.json()["invoice"]["amount_remaining"] == 5775
    assert "57.75 USD" in requests.get(inv.hosted_invoice_url).text
    # the page's own form takes the amount in major units
    form = requests.post(inv.hosted_invoice_url + "/pay", data={"card": "4242424242424242", "amount": "7.75"})
    assert form.status_code == 200 and "Payment received" in form.text
    assert sc.v1.invoices.retrieve(inv.id).amount_remaining == 5000
    last = pay_hosted(harness, inv.id)   # no amount: the amount remaining
    body = last.json()["invoice"]
    assert last.status_code == 200 and body["status"] == "paid" and body["amount_paid"] == 10775
    charges = sorted(c.amount for c in sc.v1.charges.list({"customer": cus.id}).data)
    assert charges == [775, 5000, 5000]


def test_hosted_partial_payment_errors_and_declines(harness, sc):
    cus, inv = open_invoice(sc, 3000)
    for amount, code in ((3001, "amount_too_large"), (49, "amount_too_small"), ("12", "parameter_invalid_integer")):
        r = pay_hosted(harness, inv.id, amount=amount)
        assert r.status_code == 400 and r.json()["error"]["code"] == code and r.json()["error"]["param"] == "amount"
    bad_form = requests.post(inv.hosted_invoice_url + "/pay", data={"card": "4242424242424242", "amount": "1.234"})
    assert bad_form.status_code == 400 and "Invalid amount" in bad_form.text
    declined = pay_hosted(harness, inv.id, amount=1000, card="4000000000009995")
    assert declined.status_code == 402 and declined.json()["error"]["decline_code"] == "insufficient_funds"
    after = sc.v1.invoices.retrieve(inv.id)
    assert after.status == "open" and after.amount_paid == 0 and after.amount_remaining == 3000
    # the abandoned attempt is canceled, so it does not hold the invoice open
    assert [p.status for p in sc.v1.invoice_payments.list({"invoice": inv.id}).data] == ["canceled", "open"]
    assert sc.v1.invoices.void_invoice(inv.id).status == "void"
    _, auto = open_invoice(sc, 3000, auto_advance=False)   # charge_automatically: no partial on the page
    assert 'name="amount"' not in requests.get(auto.hosted_invoice_url).text
    r = pay_hosted(harness, auto.id, amount=1000)
    assert r.status_code == 400 and r.json()["error"]["param"] == "amount"


def test_a_partially_paid_invoice_still_goes_overdue(harness, sc):
    cus, inv = open_invoice(sc, 3000)
    assert pay_hosted(harness, inv.id, amount=1000).status_code == 200
    harness.advance("30d")
    overdue = sc.v1.events.list({"type": "invoice.overdue"}).data
    assert len(overdue) == 1 and overdue[0].data.object.amount_remaining == 2000
    assert overdue[0].data.object.status == "open"


def test_live_attach_payment_and_hosted_partial(live):
    """The same calls against the fake served live (its own server path, not the in-process router)."""
    sc = stripe.StripeClient("sk_test_o2c", base_addresses={"api": live.url("stripe")})
    cus, inv = open_invoice(sc, 3000)
    pi = part(sc, cus, 1200, payment_method="pm_card_visa", confirm=True)
    got = sc.v1.invoices.attach_payment(inv.id, {"payment_intent": pi.id})
    assert got.status == "open" and got.amount_paid == 1200 and got.amount_remaining == 1800
    r = pay_hosted(live, inv.id, amount=800)
    assert r.status_code == 200 and r.json()["invoice"]["amount_remaining"] == 1000
    assert pay_hosted(live, inv.id).json()["invoice"]["status"] == "paid"
    pays = sc.v1.invoice_payments.list({"invoice": inv.id, "status": "paid"}).data
    assert sorted(p.amount_paid for p in pays) == [800, 1000, 1200]
