"""Credit notes, customer balance and balance transactions — through stripe-python."""
from __future__ import annotations

import pytest
import stripe

TAX = {"display_name": "Sales Tax", "inclusive": False, "percentage": 10, "country": "US", "state": "CA",
       "jurisdiction": "CA", "jurisdiction_level": "state", "tax_type": "sales_tax"}


def open_invoice(sc, amounts=(10000, 2000), tax=None):
    cus = sc.v1.customers.create({"name": "Acme", "email": "ap@acme.test"})
    inv = sc.v1.invoices.create({"customer": cus.id})
    for i, amount in enumerate(amounts):
        sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": amount, "currency": "usd",
                                    "description": f"line {i}"})
    if tax:
        line = sc.v1.invoices.line_items.list(inv.id).data[-1]
        sc.v1.invoices.line_items.update(inv.id, line.id, {"tax_amounts": [
            {"amount": tax, "taxable_amount": line.amount, "tax_rate_data": TAX}]})
    return cus, sc.v1.invoices.finalize_invoice(inv.id)


def test_credit_note_on_open_invoice_reduces_amount_remaining(harness, sc, receiver):
    cus, inv = open_invoice(sc)
    line = [l for l in inv.lines.data if l.amount == 10000][0]
    prev = sc.v1.credit_notes.preview({"invoice": inv.id, "lines": [
        {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 2500}]})
    assert prev.id.startswith("cnprv_") and prev.total == 2500 and prev.pre_payment_amount == 2500
    assert sc.v1.invoices.retrieve(inv.id).amount_remaining == 12000   # a preview changes nothing
    plines = sc.v1.credit_notes.preview_lines.list({"invoice": inv.id, "lines": [
        {"type": "custom_line_item", "description": "Goodwill", "quantity": 2, "unit_amount": 300}]})
    assert [(l.type, l.amount, l.description) for l in plines.data] == [("custom_line_item", 600, "Goodwill")]

    cn = sc.v1.credit_notes.create({"invoice": inv.id, "memo": "Damaged", "reason": "product_unsatisfactory",
                                    "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id,
                                               "amount": 2500}]})
    assert cn.status == "issued" and cn.type == "pre_payment" and cn.number == f"{inv.number}-CN-01"
    assert cn.amount == cn.total == 2500 and cn.post_payment_amount == 0 and cn.refunds == []
    after = sc.v1.invoices.retrieve(inv.id)
    assert after.amount_remaining == 9500 and after.amount_due == 9500 and after.pre_payment_credit_notes_amount == 2500
    lines = sc.v1.credit_notes.line_items.list(cn.id)
    assert [(l.invoice_line_item, l.amount) for l in lines.data] == [(line.id, 2500)]
    assert [c.id for c in sc.v1.credit_notes.list({"invoice": inv.id}).data] == [cn.id]
    assert sc.v1.credit_notes.list({"customer": "cus_other"}).data == []

    upd = sc.v1.credit_notes.update(cn.id, {"memo": "Damaged in transit", "metadata": {"case": "42"}})
    assert upd.memo == "Damaged in transit" and upd.metadata.to_dict() == {"case": "42"}
    void = sc.v1.credit_notes.void_credit_note(cn.id)
    assert void.status == "void" and void.voided_at is not None
    restored = sc.v1.invoices.retrieve(inv.id)
    assert restored.amount_remaining == 12000 and restored.pre_payment_credit_notes_amount == 0
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.credit_notes.void_credit_note(cn.id)
    harness.settle()
    assert {"credit_note.created", "credit_note.updated", "credit_note.voided"} <= set(receiver.types())


def test_credit_note_for_the_whole_remaining_amount_pays_the_invoice(sc):
    _, inv = open_invoice(sc, amounts=(5000,))
    cn = sc.v1.credit_notes.create({"invoice": inv.id, "amount": 5000})
    assert cn.lines.data == [] and cn.total == 5000
    paid = sc.v1.invoices.retrieve(inv.id)
    assert paid.status == "paid" and paid.amount_remaining == 0 and paid.amount_paid == 0


def test_credit_note_amount_limits_and_required_split(sc):
    _, inv = open_invoice(sc, amounts=(5000,))
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.credit_notes.create({"invoice": inv.id, "amount": 5001})
    assert exc.value.param == "amount" and "can still be credited" in exc.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.credit_notes.create({"invoice": inv.id})
    assert exc.value.param == "amount"
    draft = sc.v1.invoices.create({"customer": inv.customer})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.credit_notes.create({"invoice": draft.id, "amount": 100})
    assert exc.value.param == "invoice"
    line = inv.lines.data[0]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.credit_notes.create({"invoice": inv.id, "lines": [
            {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 6000}]})
    assert exc.value.param == "lines[0][amount]"


def test_credit_note_on_paid_invoice_refund_credit_out_of_band(sc):
    cus, inv = open_invoice(sc, amounts=(10000,), tax=1000)
    assert inv.total == 11000
    paid = sc.v1.invoices.pay(inv.id, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid"
    line = paid.lines.data[0]
    with pytest.raises(stripe.InvalidRequestError) as exc:   # post-payment: the split must add up
        sc.v1.credit_notes.create({"invoice": inv.id, "lines": [
            {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 2000}], "refund_amount": 100})
    assert "post-payment amount" in exc.value.user_message
    # 2000 of the line plus its 10% tax: 2200, refunded 1200, 700 to the customer's balance, 300 out of band
    cn = sc.v1.credit_notes.create({"invoice": inv.id, "lines": [
        {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 2000}],
        "refund_amount": 1200, "credit_amount": 700, "out_of_band_amount": 300})
    assert cn.subtotal == 2000 and cn.total == 2200 and cn.total_taxes[0].amount == 200
    assert cn.type == "post_payment" and cn.post_payment_amount == 2200 and cn.out_of_band_amount == 300
    refund = sc.v1.refunds.retrieve(cn.refunds[0].refund)
    assert refund.amount == 1200 and cn.refunds[0].amount_refunded == 1200
    assert sc.v1.invoices.retrieve(inv.id).post_payment_credit_notes_amount == 2200
    assert sc.v1.customers.retrieve(cus.id).balance == -700
    cbt = sc.v1.customers.balance_transactions.retrieve(cus.id, cn.customer_balance_transaction)
    assert cbt.type == "credit_note" and cbt.amount == -700 and cbt.credit_note == cn.id and cbt.ending_balance == -700
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.credit_notes.void_credit_note(cn.id)           # it refunded a payment
    with pytest.raises(stripe.InvalidRequestError) as exc:   # only 8800 remains creditable
        sc.v1.credit_notes.create({"invoice": inv.id, "amount": 8801, "out_of_band_amount": 8801})
    assert exc.value.param == "amount"


def test_customer_balance_applies_to_next_invoice(sc):
    cus = sc.v1.customers.create({"name": "Credit Co"})
    txn = sc.v1.customers.balance_transactions.create(cus.id, {"amount": -3000, "currency": "usd",
                                                               "description": "Goodwill"})
    assert txn.type == "adjustment" and txn.ending_balance == -3000
    assert sc.v1.customers.retrieve(cus.id).balance == -3000
    upd = sc.v1.customers.balance_transactions.update(cus.id, txn.id, {"metadata": {"ticket": "7"}})
    assert upd.metadata.to_dict() == {"ticket": "7"} and upd.amount == -3000
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.balance_transactions.create(cus.id, {"amount": 100, "currency": "eur"})
    assert exc.value.param == "currency"

    inv = sc.v1.invoices.create({"customer": cus.id})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 2000, "currency": "usd"})
    fin = sc.v1.invoices.finalize_invoice(inv.id)
    assert fin.starting_balance == -3000 and fin.ending_balance == -1000
    assert fin.total == 2000 and fin.amount_due == 0 and fin.status == "paid"
    inv2 = sc.v1.invoices.create({"customer": cus.id})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv2.id, "amount": 2500, "currency": "usd"})
    fin2 = sc.v1.invoices.finalize_invoice(inv2.id)
    assert fin2.starting_balance == -1000 and fin2.ending_balance == 0 and fin2.amount_due == 1500
    assert sc.v1.customers.retrieve(cus.id).balance == 0
    kinds = [t.type for t in sc.v1.customers.balance_transactions.list(cus.id).data]
    assert kinds == ["applied_to_invoice", "applied_to_invoice", "adjustment"]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.balance_transactions.retrieve(sc.v1.customers.create({}).id, txn.id)
    assert exc.value.http_status == 404


def test_balance_transactions_for_charges_and_refunds(sc):
    pi = sc.v1.payment_intents.create({"amount": 10000, "currency": "usd", "payment_method": "pm_card_visa",
                                       "confirm": True})
    charge = sc.v1.charges.retrieve(pi.latest_charge)
    bt = sc.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert bt.type == "charge" and bt.source == charge.id and bt.amount == 10000
    assert bt.fee == 320 and bt.net == 9680 and bt.fee_details[0].type == "stripe_fee"   # 2.9% + 30c
    refund = sc.v1.refunds.create({"payment_intent": pi.id, "amount": 4000})
    rbt = sc.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert rbt.type == "refund" and rbt.amount == -4000 and rbt.fee == 0 and rbt.net == -4000
    assert [t.id for t in sc.v1.balance_transactions.list({"type": "refund"}).data] == [rbt.id]
    assert [t.id for t in sc.v1.balance_transactions.list({"source": charge.id}).data] == [bt.id]


def test_tax_rates_crud(sc):
    rate = sc.v1.tax_rates.create({"display_name": "VAT", "percentage": "19.5", "inclusive": True,
                                   "country": "DE", "jurisdiction": "DE"})
    assert rate.active is True and rate.percentage == 19.5 and rate.inclusive is True
    other = sc.v1.tax_rates.create({"display_name": "Sales tax", "percentage": "7.25", "inclusive": False})
    upd = sc.v1.tax_rates.update(rate.id, {"active": False, "description": "German VAT"})
    assert upd.active is False and upd.description == "German VAT" and upd.percentage == 19.5
    assert [r.id for r in sc.v1.tax_rates.list({"active": True}).data] == [other.id]
    assert [r.id for r in sc.v1.tax_rates.list({"inclusive": True}).data] == [rate.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.tax_rates.create({"display_name": "Bad", "percentage": "101", "inclusive": False})
    assert exc.value.param == "percentage"


@pytest.mark.parametrize("kind,good,bad,country", [
    ("eu_vat", "DE123456789", "DX123456789", "DE"), ("eu_vat", "EL123456789", "123456789", "GR"),
    ("gb_vat", "GB123456789", "GB12345", "GB"), ("us_ein", "12-3456789", "123456789", "US"),
    ("ca_bn", "123456789", "12345678", "CA"), ("au_abn", "12345678912", "1234567891", "AU"),
    ("in_gst", "12ABCDE3456FGZH", "12ABCDE3456FGXH", "IN"), ("jp_cn", "1234567891234", "123456789123", "JP"),
    ("ch_vat", "CHE-123.456.789 MWST", "CHE-123456789", "CH"), ("no_vat", "123456789MVA", "123456789", "NO"),
    ("br_cnpj", "01.234.456/5432-10", "01234456543210", "BR"), ("za_vat", "4123456789", "5123456789", "ZA"),
])
def test_customer_tax_ids_validated_per_type(sc, kind, good, bad, country):
    cus = sc.v1.customers.create({"name": "Tax Co"})
    tid = sc.v1.customers.tax_ids.create(cus.id, {"type": kind, "value": good})
    assert tid.country == country and tid.value == good and tid.owner.customer == cus.id
    assert tid.verification.status == ("pending" if kind in ("eu_vat", "gb_vat", "au_abn") else "unavailable")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.tax_ids.create(cus.id, {"type": kind, "value": bad})
    assert exc.value.code == "tax_id_invalid" and exc.value.param == "value"
    assert [t.id for t in sc.v1.customers.tax_ids.list(cus.id).data] == [tid.id]
    assert sc.v1.customers.tax_ids.retrieve(cus.id, tid.id).type == kind
    assert sc.v1.customers.tax_ids.delete(cus.id, tid.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.tax_ids.retrieve(cus.id, tid.id)
    assert exc.value.http_status == 404
