"""List cursors and filtered lists: a cursor that is not an object of the listed kind is Stripe's
resource_missing naming the parameter; invoice payments filtered by invoice list that invoice's own
payments, newest first, page by page."""
from __future__ import annotations

import pytest
import stripe

from .test_partial_payments import open_invoice, part


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_a_cursor_of_another_kind_is_no_such_object(sc, cursor):
    cus, inv = open_invoice(sc)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sc.v1.customers.list({cursor: inv.id})
    err = info.value.error
    assert info.value.http_status == 404 and err.code == "resource_missing" and err.param == cursor
    assert f"No such customer: '{inv.id}'" in err.message


def test_invoice_payments_by_invoice_are_its_own_newest_first_page_by_page(sc):
    cus, inv = open_invoice(sc, amount=10000)
    other_cus, other = open_invoice(sc, amount=5000)
    parts = [part(sc, cus, 1000 * n).id for n in (1, 2, 3)]
    for pi in parts:
        sc.v1.invoices.attach_payment(inv.id, {"payment_intent": pi})
    sc.v1.invoices.attach_payment(other.id, {"payment_intent": part(sc, other_cus, 700).id})
    listed = sc.v1.invoice_payments.list({"invoice": inv.id, "limit": 2})
    assert listed.has_more and all(p.invoice == inv.id for p in listed.data)
    rest = sc.v1.invoice_payments.list({"invoice": inv.id, "limit": 2, "starting_after": listed.data[-1].id})
    ids = [p.id for p in listed.data] + [p.id for p in rest.data]
    assert not rest.has_more and len(ids) == len(set(ids)) == 4   # the default payment and the three parts
    attached = [p.payment.payment_intent for p in ids_in(sc, inv.id) if not p.is_default]
    assert attached == parts[::-1]   # newest first
    back = sc.v1.invoice_payments.list({"invoice": inv.id, "limit": 2, "ending_before": rest.data[0].id})
    assert [p.id for p in back.data] == [p.id for p in listed.data]
    assert sc.v1.invoice_payments.list({"invoice": "in_missing"}).data == []


def ids_in(sc, invoice_id):
    return list(sc.v1.invoice_payments.list({"invoice": invoice_id, "limit": 100}).data)
