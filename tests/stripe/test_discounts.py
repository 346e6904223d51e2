"""Coupons, promotion codes and discounts on invoices — through stripe-python."""
from __future__ import annotations

from datetime import timedelta

import pytest
import stripe


def draft_with_items(sc, amounts=(6000, 4000), **kw):
    cus = sc.v1.customers.create({"name": "Acme"})
    inv = sc.v1.invoices.create({"customer": cus.id, **kw})
    for amount in amounts:
        sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": amount, "currency": "usd"})
    return cus, sc.v1.invoices.retrieve(inv.id)


def test_coupon_crud(sc):
    c = sc.v1.coupons.create({"id": "SPRING", "percent_off": 12.5, "duration": "repeating",
                              "duration_in_months": 3, "name": "Spring", "max_redemptions": 5})
    assert (c.id, c.percent_off, c.duration, c.duration_in_months, c.valid, c.times_redeemed) == \
        ("SPRING", 12.5, "repeating", 3, True, 0)
    assert sc.v1.coupons.update("SPRING", {"name": "Spring sale", "metadata": {"k": "v"}}).name == "Spring sale"
    assert [x.id for x in sc.v1.coupons.list().data] == ["SPRING"]
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.coupons.create({"id": "SPRING", "percent_off": 5})
    assert err.value.code == "resource_already_exists"
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.coupons.create({"amount_off": 500})
    assert err.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.coupons.create({"percent_off": 10, "duration": "repeating"})
    assert err.value.param == "duration_in_months"
    assert sc.v1.coupons.delete("SPRING").deleted is True
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.coupons.retrieve("SPRING")
    assert err.value.http_status == 404


def test_percent_invoice_discount_before_tax(sc):
    txr = sc.v1.tax_rates.create({"display_name": "VAT", "percentage": 10, "inclusive": False})
    c = sc.v1.coupons.create({"percent_off": 25})
    cus, inv = draft_with_items(sc, default_tax_rates=[txr.id], discounts=[{"coupon": c.id}])
    (di,) = inv.discounts
    assert di.startswith("di_")
    d = sc.v1.invoices.retrieve(inv.id, {"expand": ["discounts"]}).discounts[0]
    assert d.source.coupon == c.id and d.invoice == inv.id and d.customer == cus.id
    assert sorted(da.amount for l in inv.lines.data for da in l.discount_amounts) == [1000, 1500]
    assert sorted(t.taxable_amount for l in inv.lines.data for t in l.taxes) == [3000, 4500]
    assert inv.subtotal == 10000 and inv.total_excluding_tax == 7500 and inv.total == 8250
    assert [(x.amount, x.discount) for x in inv.total_discount_amounts] == [(2500, di)]


def test_amount_off_spread_in_proportion_and_capped(sc):
    c = sc.v1.coupons.create({"amount_off": 1000, "currency": "usd"})
    _, inv = draft_with_items(sc, amounts=(3333, 3333, 3334), discounts=[{"coupon": c.id}])
    parts = [l.discount_amounts[0].amount for l in inv.lines.data]
    assert sum(parts) == 1000 and max(parts) - min(parts) <= 1 and inv.total == 9000
    big = sc.v1.coupons.create({"amount_off": 50000, "currency": "usd"})
    _, inv = draft_with_items(sc, amounts=(1200,), discounts=[{"coupon": big.id}])
    assert inv.total == 0 and inv.total_discount_amounts[0].amount == 1200
    eur = sc.v1.coupons.create({"amount_off": 100, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        draft_with_items(sc, discounts=[{"coupon": eur.id}])
    assert err.value.param == "discounts[0][coupon]"


def test_item_discount_first_and_not_discountable_lines_skipped(sc):
    item_c = sc.v1.coupons.create({"amount_off": 1000, "currency": "usd"})
    inv_c = sc.v1.coupons.create({"percent_off": 50})
    cus = sc.v1.customers.create({"name": "Acme"})
    inv = sc.v1.invoices.create({"customer": cus.id, "discounts": [{"coupon": inv_c.id}]})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 5000, "currency": "usd",
                                "discounts": [{"coupon": item_c.id}]})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 2000, "currency": "usd",
                                "discountable": False})
    inv = sc.v1.invoices.retrieve(inv.id)
    first = [l for l in inv.lines.data if l.amount == 5000][0]
    assert [da.amount for da in first.discount_amounts] == [1000, 2000]   # item coupon, then 50% of the rest
    assert [l for l in inv.lines.data if l.amount == 2000][0].discount_amounts == []
    assert inv.subtotal == 6000 and inv.total == 4000


def test_applies_to_products(sc):
    prod = sc.v1.products.create({"name": "Widget"})
    price = sc.v1.prices.create({"product": prod.id, "unit_amount": 4000, "currency": "usd"})
    c = sc.v1.coupons.create({"percent_off": 10, "applies_to": {"products": [prod.id]}})
    cus = sc.v1.customers.create({"name": "Acme"})
    inv = sc.v1.invoices.create({"customer": cus.id, "discounts": [{"coupon": c.id}]})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "pricing": {"price": price.id}})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 1000, "currency": "usd"})
    assert sc.v1.invoices.retrieve(inv.id).total == 5000 - 400


def test_times_redeemed_at_finalization_and_used_up_coupon(sc):
    c = sc.v1.coupons.create({"percent_off": 10, "max_redemptions": 1})
    _, inv = draft_with_items(sc, discounts=[{"coupon": c.id}])
    assert sc.v1.coupons.retrieve(c.id).times_redeemed == 0
    inv = sc.v1.invoices.finalize_invoice(inv.id)
    assert inv.amount_due == 9000
    c = sc.v1.coupons.retrieve(c.id)
    assert c.times_redeemed == 1 and c.valid is False
    with pytest.raises(stripe.InvalidRequestError) as err:
        draft_with_items(sc, discounts=[{"coupon": c.id}])
    assert err.value.code == "coupon_expired"


def test_expired_coupon_on_the_simulated_clock(harness, sc):
    redeem_by = int((harness.now() + timedelta(days=2)).timestamp())
    c = sc.v1.coupons.create({"percent_off": 10, "redeem_by": redeem_by})
    draft_with_items(sc, discounts=[{"coupon": c.id}])
    harness.advance("3d")
    assert sc.v1.coupons.retrieve(c.id).valid is False
    with pytest.raises(stripe.InvalidRequestError) as err:
        draft_with_items(sc, discounts=[{"coupon": c.id}])
    assert err.value.code == "coupon_expired" and "expired" in err.value.user_message


def test_promotion_codes(sc):
    c = sc.v1.coupons.create({"amount_off": 500, "currency": "usd"})
    pc = sc.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": c.id}, "code": "WELCOME5",
                                       "max_redemptions": 1,
                                       "restrictions": {"minimum_amount": 5000, "minimum_amount_currency": "usd"}})
    assert pc.id.startswith("promo_") and pc.active and pc.promotion.coupon == c.id
    assert pc.restrictions.minimum_amount == 5000
    assert [p.id for p in sc.v1.promotion_codes.list({"code": "WELCOME5"}).data] == [pc.id]
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": c.id}, "code": "welcome5"})
    assert err.value.param == "code"
    _, small = draft_with_items(sc, amounts=(1000,), discounts=[{"promotion_code": pc.id}])
    with pytest.raises(stripe.InvalidRequestError):   # below restrictions[minimum_amount]
        sc.v1.invoices.finalize_invoice(small.id)
    small = sc.v1.invoices.retrieve(small.id)
    assert small.status == "draft" and small.number is None
    assert sc.v1.promotion_codes.retrieve(pc.id).times_redeemed == 0
    _, inv = draft_with_items(sc, discounts=[{"promotion_code": pc.id}])
    d = sc.v1.invoices.retrieve(inv.id, {"expand": ["discounts"]}).discounts[0]
    assert d.promotion_code == pc.id and d.source.coupon == c.id
    assert sc.v1.invoices.finalize_invoice(inv.id).amount_due == 9500
    pc = sc.v1.promotion_codes.retrieve(pc.id)
    assert pc.times_redeemed == 1 and sc.v1.coupons.retrieve(c.id).times_redeemed == 1
    with pytest.raises(stripe.InvalidRequestError) as err:
        draft_with_items(sc, discounts=[{"promotion_code": pc.id}])
    assert err.value.param == "discounts[0][promotion_code]" and "maximum" in err.value.user_message


def test_inactive_promotion_code_refused_and_reactivated(sc):
    c = sc.v1.coupons.create({"percent_off": 20})
    pc = sc.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": c.id}})
    assert len(pc.code) == 8
    assert sc.v1.promotion_codes.update(pc.id, {"active": False}).active is False
    with pytest.raises(stripe.InvalidRequestError) as err:
        draft_with_items(sc, discounts=[{"promotion_code": pc.id}])
    assert "inactive" in err.value.user_message
    sc.v1.promotion_codes.update(pc.id, {"active": True})
    _, inv = draft_with_items(sc, discounts=[{"promotion_code": pc.id}])
    assert inv.total == 8000


def test_removing_discounts_restores_total(sc):
    c = sc.v1.coupons.create({"percent_off": 50})
    _, inv = draft_with_items(sc, discounts=[{"coupon": c.id}])
    assert inv.total == 5000
    inv = sc.v1.invoices.update(inv.id, {"discounts": ""})
    assert inv.total == 10000 and inv.discounts == [] and inv.total_discount_amounts == []


def test_credit_note_credits_the_discounted_amount(sc):
    txr = sc.v1.tax_rates.create({"display_name": "VAT", "percentage": 10, "inclusive": False})
    c = sc.v1.coupons.create({"percent_off": 20})
    _, inv = draft_with_items(sc, amounts=(5000,), default_tax_rates=[txr.id], discounts=[{"coupon": c.id}])
    inv = sc.v1.invoices.finalize_invoice(inv.id)
    assert inv.amount_due == 4400
    line = inv.lines.data[0]
    cn = sc.v1.credit_notes.create({"invoice": inv.id, "lines": [
        {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 5000}]})
    assert (cn.subtotal, cn.discount_amount, cn.total) == (5000, 1000, 4400)
    assert cn.lines.data[0].discount_amounts[0].discount == inv.discounts[0]
    assert sc.v1.invoices.retrieve(inv.id).status == "paid"   # fully credited
