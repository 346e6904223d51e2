"""Invoice lifecycle, external tax, payment, declines, hosted page — through stripe-python 16."""
from __future__ import annotations

import io

import pytest
import requests
import stripe
from pypdf import PdfReader

TAX = {"display_name": "Sales Tax", "inclusive": False, "percentage": 7.75, "country": "US", "state": "CA",
       "jurisdiction": "CA - IRVINE", "jurisdiction_level": "multiple", "tax_type": "sales_tax"}


def draft_invoice(sc, amounts=(10000, 2550), **kw):
    cus = sc.v1.customers.create({"name": "Acme", "email": "ap@acme.test", "metadata": {"key": "ACME"}})
    inv = sc.v1.invoices.create({"customer": cus.id, **kw})
    for i, amount in enumerate(amounts):
        sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": amount, "currency": "usd",
                                    "description": f"line {i}"})
    return cus, sc.v1.invoices.retrieve(inv.id)


def test_invoice_draft_to_paid_with_external_tax_and_events(harness, sc, receiver):
    cus, inv = draft_invoice(sc)
    assert inv.status == "draft" and inv.hosted_invoice_url is None and inv.invoice_pdf is None
    assert inv.subtotal == 12550 and inv.total == 12550 and len(inv.lines.data) == 2
    lines = sc.v1.invoices.line_items.list(inv.id).data
    line_a, line_b = sorted(lines, key=lambda l: l.amount, reverse=True)
    # AvaTax computed 775 and 198 cents: hand them to Stripe as tax_amounts on the lines
    sc.v1.invoices.line_items.update(inv.id, line_a.id, {"tax_amounts": [
        {"amount": 775, "taxable_amount": 10000, "tax_rate_data": TAX}]})
    upd = sc.v1.invoices.update_lines(inv.id, {"lines": [
        {"id": line_b.id, "tax_amounts": [{"amount": 198, "taxable_amount": 2550, "tax_rate_data": TAX}]}]})
    assert upd.subtotal == 12550
    assert upd.total == 12550 + 775 + 198 == upd.amount_due
    assert len(upd.total_taxes) == 1 and upd.total_taxes[0].amount == 973
    assert upd.total_taxes[0].taxable_amount == 12550 and upd.total_taxes[0].tax_behavior == "exclusive"
    rate = sc.v1.tax_rates.retrieve(upd.total_taxes[0].tax_rate_details.tax_rate)
    assert rate.active is False and rate.percentage == 7.75 and rate.display_name == "Sales Tax"

    fin = sc.v1.invoices.finalize_invoice(inv.id)
    assert fin.status == "open" and fin.number and fin.status_transitions.finalized_at == harness.clock.timestamp()
    page = requests.get(fin.hosted_invoice_url)
    assert page.status_code == 200 and "135.23 USD" in page.text
    assert "Download invoice (PDF)" in page.text and "Billed to" in page.text
    pdf = requests.get(fin.invoice_pdf)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()   # the invoice document, not a stub
    assert fin.number in text and "Balance due" in text and "135.23 USD" in text and "9.73 USD" in text
    assert requests.get(fin.invoice_pdf).content == pdf.content          # deterministic
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.line_items.update(inv.id, line_a.id, {"tax_amounts": ""})
    assert exc.value.code == "invoice_not_editable"

    harness.advance("5m")
    paid = sc.v1.invoices.pay(inv.id, {"payment_method": "pm_card_visa", "expand": ["payments.data.payment.payment_intent"]})
    assert paid.status == "paid" and paid.amount_paid == 13523 and paid.amount_remaining == 0
    assert paid.status_transitions.paid_at == harness.clock.timestamp()
    pi = paid.payments.data[0].payment.payment_intent
    assert pi.status == "succeeded" and pi.amount == 13523
    charge = sc.v1.charges.retrieve(pi.latest_charge, {"expand": ["payment_intent"]})
    assert charge.paid and charge.amount == 13523 and charge.payment_intent.id == pi.id

    harness.settle()
    got = receiver.types()
    for t in ("customer.created", "invoice.created", "invoice.finalized", "charge.succeeded",
              "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded"):
        assert t in got, t
    paid_evt = next(e for e in receiver.events if e["type"] == "invoice.paid")
    assert paid_evt["data"]["object"]["id"] == inv.id and paid_evt["created"] == paid.status_transitions.paid_at
    # polling sees the same, newest first
    events = sc.v1.events.list({"limit": 100}).data
    assert [e.created for e in events] == sorted((e.created for e in events), reverse=True)
    assert events[0].type in ("invoice.payment_succeeded", "invoice.paid")
    assert sc.v1.events.list({"type": "invoice.paid"}).data[0].data.object.id == inv.id


@pytest.mark.parametrize("pm, decline_code", [
    ("pm_card_chargeDeclined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ("pm_card_chargeCustomerFail", "generic_decline"),
    ("4000000000000341", "generic_decline"),
    ("4000000000009995", "insufficient_funds"),
])
def test_declined_payment_raises_card_error_with_decline_code(harness, sc, pm, decline_code):
    cus, inv = draft_invoice(sc, amounts=(5000,))
    sc.v1.invoices.finalize_invoice(inv.id)
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.invoices.pay(inv.id, {"payment_method": pm})
    err = exc.value
    assert err.http_status == 402 and err.code == "card_declined" and err.error.type == "card_error"
    assert err.error.decline_code == decline_code
    assert err.error.charge.startswith("ch_") and err.error.payment_intent.id.startswith("pi_")
    after = sc.v1.invoices.retrieve(inv.id)
    assert after.status == "open" and after.attempt_count == 1 and after.amount_remaining == 5000
    assert sc.v1.charges.retrieve(err.error.charge).status == "failed"
    types = [e.type for e in sc.v1.events.list({"limit": 20}).data]
    assert "invoice.payment_failed" in types and "charge.failed" in types and "payment_intent.payment_failed" in types


def test_declined_card_fails_on_attach_but_customer_fail_card_attaches(sc):
    cus = sc.v1.customers.create()
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": cus.id})
    assert exc.value.error.decline_code == "generic_decline"
    pm = sc.v1.payment_methods.create({"type": "card", "card": {"number": "4000000000000341", "exp_month": 12,
                                                                 "exp_year": 2030}})
    assert sc.v1.payment_methods.attach(pm.id, {"customer": cus.id}).customer == cus.id


def test_void_uncollectible_send_delete_follow_the_transition_table(sc):
    _, a = draft_invoice(sc)
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.void_invoice(a.id)  # draft cannot be voided
    sc.v1.invoices.finalize_invoice(a.id)
    unc = sc.v1.invoices.mark_uncollectible(a.id)
    assert unc.status == "uncollectible" and unc.status_transitions.marked_uncollectible_at
    void = sc.v1.invoices.void_invoice(a.id)
    assert void.status == "void" and void.status_transitions.voided_at
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.pay(a.id, {"payment_method": "pm_card_visa"})
    _, b = draft_invoice(sc, collection_method="send_invoice", days_until_due=30)
    deleted = sc.v1.invoices.delete(b.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.retrieve(b.id)
    assert exc.value.http_status == 404
    _, c = draft_invoice(sc)
    sc.v1.invoices.finalize_invoice(c.id)
    assert sc.v1.invoices.mark_uncollectible(c.id).status == "uncollectible"
    assert sc.v1.invoices.pay(c.id, {"payment_method": "pm_card_visa"}).status == "paid"
    types = [e.type for e in sc.v1.events.list({"limit": 100}).data]
    for t in ("invoice.voided", "invoice.marked_uncollectible", "invoice.deleted", "invoice.paid"):
        assert t in types


def test_send_invoice_due_date_and_overdue_on_the_clock(harness, sc):
    _, inv = draft_invoice(sc, collection_method="send_invoice", days_until_due=30)
    fin = sc.v1.invoices.finalize_invoice(inv.id)
    assert fin.due_date == fin.status_transitions.finalized_at + 30 * 86400
    sent = sc.v1.invoices.send_invoice(inv.id)
    assert sent.status == "open"
    harness.advance("29d")
    assert not sc.v1.events.list({"type": "invoice.overdue"}).data
    harness.advance("1d")
    overdue = sc.v1.events.list({"type": "invoice.overdue"}).data
    assert len(overdue) == 1 and overdue[0].data.object.id == inv.id and overdue[0].created == fin.due_date


def test_auto_advance_finalizes_and_charges_one_hour_after_creation(harness, sc):
    cus = sc.v1.customers.create({"payment_method": "pm_card_visa"})
    pm = sc.v1.customers.payment_methods.list(cus.id).data[0]
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}})
    inv = sc.v1.invoices.create({"customer": cus.id, "auto_advance": True})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 4200, "currency": "usd"})
    assert inv.automatically_finalizes_at == inv.created + 3600
    harness.advance("59m")
    assert sc.v1.invoices.retrieve(inv.id).status == "draft"
    harness.advance("1m")
    done = sc.v1.invoices.retrieve(inv.id)
    assert done.status == "paid" and done.status_transitions.paid_at == inv.created + 3600


def test_smart_retries_then_uncollectible(harness, sc):
    harness.control("stripe").post("/stripe/dunning", {"retries": 3, "window_days": 6, "final": "uncollectible"})
    cus = sc.v1.customers.create({"payment_method": "pm_card_chargeCustomerFail"})
    pm = sc.v1.customers.payment_methods.list(cus.id).data[0]
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}})
    inv = sc.v1.invoices.create({"customer": cus.id, "auto_advance": True})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 999, "currency": "usd"})
    harness.advance("1h")
    first = sc.v1.invoices.retrieve(inv.id)
    assert first.status == "open" and first.attempt_count == 1
    assert first.next_payment_attempt == inv.created + 3600 + 2 * 86400
    harness.advance("6d")
    last = sc.v1.invoices.retrieve(inv.id)
    assert last.attempt_count == 4 and last.status == "uncollectible"
    assert len(sc.v1.events.list({"type": "invoice.payment_failed"}).data) == 4


def test_hosted_page_payment_via_control_and_form(harness, sc):
    _, inv = draft_invoice(sc, amounts=(1500,), collection_method="send_invoice", days_until_due=10)
    fin = sc.v1.invoices.finalize_invoice(inv.id)
    ctl = harness.control("stripe")
    r = requests.post(harness.url("stripe") + f"/_sim/stripe/invoices/{inv.id}/pay_hosted",
                      json={"card": "4000000000000002"})
    assert r.status_code == 402 and r.json()["error"]["decline_code"] == "generic_decline"
    form = requests.post(fin.hosted_invoice_url + "/pay", data={"card": "4242424242424242"})
    assert form.status_code == 200 and "Payment received" in form.text
    assert sc.v1.invoices.retrieve(inv.id).status == "paid"
    assert ctl.get("/stripe/dunning")["retries"] == 8


def test_pay_out_of_band_and_zero_amount_invoices(sc):
    _, inv = draft_invoice(sc, amounts=(700,))
    sc.v1.invoices.finalize_invoice(inv.id)
    oob = sc.v1.invoices.pay(inv.id, {"paid_out_of_band": True})
    assert oob.status == "paid" and oob.amount_paid == 700
    _, zero = draft_invoice(sc, amounts=())
    assert sc.v1.invoices.finalize_invoice(zero.id).status == "paid"


def test_pending_invoice_items_are_pulled_in_when_asked(sc):
    cus = sc.v1.customers.create()
    sc.v1.invoice_items.create({"customer": cus.id, "amount": 300, "currency": "usd"})
    excluded = sc.v1.invoices.create({"customer": cus.id})
    assert excluded.total == 0
    included = sc.v1.invoices.create({"customer": cus.id, "pending_invoice_items_behavior": "include"})
    assert included.total == 300 and included.lines.data[0].parent.invoice_item_details.invoice_item.startswith("ii_")
