"""Tax rates applied on invoices: ``default_tax_rates``, invoice item / line ``tax_rates``, inclusive and
exclusive rates, per-line rounding, archived rates refused — through stripe-python."""
from __future__ import annotations

import pytest
import stripe


def draft(sc, **kw):
    cus = sc.v1.customers.create({"name": "Acme"})
    return cus, sc.v1.invoices.create({"customer": cus.id, **kw})


def rate(sc, pct, inclusive=False, name="VAT"):
    return sc.v1.tax_rates.create({"display_name": name, "percentage": pct, "inclusive": inclusive})


def item(sc, cus, inv, amount, **kw):
    return sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": amount, "currency": "usd",
                                       **kw})


def test_default_exclusive_rate_adds_tax_rounded_per_line(sc):
    txr = rate(sc, "8.25")
    cus, inv = draft(sc, default_tax_rates=[txr.id])
    assert [r.id for r in inv.default_tax_rates] == [txr.id]
    item(sc, cus, inv, 1005)   # 82.9125 -> 83
    item(sc, cus, inv, 1006)   # 82.995  -> 83
    inv = sc.v1.invoices.retrieve(inv.id)
    taxes = [[(t.amount, t.taxable_amount, t.tax_behavior, t.tax_rate_details.tax_rate) for t in line.taxes]
             for line in inv.lines.data]
    assert sorted(taxes) == [[(83, 1005, "exclusive", txr.id)], [(83, 1006, "exclusive", txr.id)]]
    assert inv.subtotal == inv.subtotal_excluding_tax == inv.total_excluding_tax == 2011
    assert inv.total == 2011 + 166 and inv.amount_due == inv.total
    assert [(t.amount, t.taxable_amount) for t in inv.total_taxes] == [(166, 2011)]


def test_inclusive_rate_is_inside_the_amount(sc):
    txr = rate(sc, 20, inclusive=True)
    cus, inv = draft(sc)
    item(sc, cus, inv, 1000, tax_rates=[txr.id])
    inv = sc.v1.invoices.retrieve(inv.id)
    (tax,) = inv.lines.data[0].taxes
    assert (tax.amount, tax.taxable_amount, tax.tax_behavior) == (167, 833, "inclusive")
    assert inv.total == inv.subtotal == 1000 and inv.total_excluding_tax == 833 and inv.subtotal_excluding_tax == 833


def test_item_rates_override_invoice_defaults_and_update_recomputes(sc):
    default, own, other = rate(sc, 10), rate(sc, 5, name="GST"), rate(sc, 7, name="PST")
    cus, inv = draft(sc, default_tax_rates=[default.id])
    ii = item(sc, cus, inv, 2000, tax_rates=[own.id, other.id])
    assert [r.id for r in ii.tax_rates] == [own.id, other.id]
    item(sc, cus, inv, 1000)
    inv = sc.v1.invoices.retrieve(inv.id)
    assert inv.total == 3000 + 100 + 140 + 100
    line = [l for l in inv.lines.data if l.amount == 2000][0]
    sc.v1.invoices.line_items.update(inv.id, line.id, {"tax_rates": [other.id]})
    assert sc.v1.invoices.retrieve(inv.id).total == 3000 + 140 + 100
    sc.v1.invoices.update(inv.id, {"default_tax_rates": ""})
    assert sc.v1.invoices.retrieve(inv.id).total == 3000 + 140
    sc.v1.invoice_items.update(ii.id, {"tax_rates": ""})
    assert sc.v1.invoices.retrieve(inv.id).total == 3000


def test_archived_or_unknown_rate_refused(sc):
    txr = rate(sc, 10)
    sc.v1.tax_rates.update(txr.id, {"active": False})
    cus, inv = draft(sc)
    with pytest.raises(stripe.InvalidRequestError) as err:
        item(sc, cus, inv, 1000, tax_rates=[txr.id])
    assert err.value.param == "tax_rates[0]" and "archived" in err.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.invoices.update(inv.id, {"default_tax_rates": ["txr_nope"]})
    assert err.value.code == "resource_missing" and err.value.param == "default_tax_rates[0]"


def test_rates_fixed_once_finalized(sc):
    txr = rate(sc, 10)
    cus, inv = draft(sc, default_tax_rates=[txr.id])
    item(sc, cus, inv, 1000)
    inv = sc.v1.invoices.finalize_invoice(inv.id)
    assert inv.amount_due == 1100
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.invoices.update(inv.id, {"default_tax_rates": ""})
    assert err.value.code == "invoice_not_editable"


def test_bulk_line_endpoints_take_rates_and_discounts(sc):
    txr = rate(sc, 10)
    coupon = sc.v1.coupons.create({"amount_off": 500, "currency": "usd"})
    cus, inv = draft(sc)
    pending = sc.v1.invoice_items.create({"customer": cus.id, "amount": 2000, "currency": "usd"})
    inv = sc.v1.invoices.add_lines(inv.id, {"lines": [
        {"invoice_item": pending.id, "tax_rates": [txr.id], "discounts": [{"coupon": coupon.id}]},
        {"amount": 1000, "description": "setup", "tax_rates": [txr.id]}]})
    assert inv.total == (2000 - 500) * 110 // 100 + 1100
    setup = [l for l in inv.lines.data if l.description == "setup"][0]
    inv = sc.v1.invoices.update_lines(inv.id, {"lines": [{"id": setup.id, "tax_rates": ""}]})
    assert inv.total == 1650 + 1000
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.invoices.update_lines(inv.id, {"lines": [{"id": setup.id, "tax_rates": ["txr_missing"]}]})
    assert err.value.param == "lines[0][tax_rates][0]"
