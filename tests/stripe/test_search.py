"""The Search API (Stripe's query language) and invoice previews, through the official SDK."""
from __future__ import annotations

import pytest
import stripe

from .test_params import refused


@pytest.fixture
def people(sc):
    out = [sc.v1.customers.create({"email": "ada@math.test", "name": "Ada Lovelace", "metadata": {"tier": "gold"}}),
           sc.v1.customers.create({"email": "alan@math.test", "name": "Alan Turing", "metadata": {"tier": "silver"}}),
           sc.v1.customers.create({"email": "grace@navy.test", "name": "Grace Hopper"})]
    return out


def ids(result):
    return [o.id for o in result.data]


def test_exact_substring_metadata_negation_and_or(sc, people):
    ada, alan, grace = people
    assert ids(sc.v1.customers.search({"query": "email:'ada@math.test'"})) == [ada.id]
    assert ids(sc.v1.customers.search({"query": "name~'lov'"})) == [ada.id]
    assert ids(sc.v1.customers.search({"query": "metadata['tier']:'gold'"})) == [ada.id]
    assert ids(sc.v1.customers.search({"query": "email~'math' AND -metadata['tier']:'gold'"})) == [alan.id]
    assert set(ids(sc.v1.customers.search({"query": "name:'Grace Hopper' OR metadata['tier']:'silver'"}))) == \
        {grace.id, alan.id}
    res = sc.v1.customers.search({"query": f"created>={ada.created} AND email~\"test\""})
    assert res.object == "search_result" and set(ids(res)) == {ada.id, alan.id, grace.id}


def test_pages_with_next_page(sc, people):
    first = sc.v1.customers.search({"query": "email~'test'", "limit": 2})
    assert len(first.data) == 2 and first.has_more and first.next_page
    second = sc.v1.customers.search({"query": "email~'test'", "limit": 2, "page": first.next_page})
    assert len(second.data) == 1 and not second.has_more and second.next_page is None
    assert set(ids(first)) | set(ids(second)) == {p.id for p in people}


def test_query_errors(sc, people):
    for bad in ("email:", "email:'a' AND name:'b' OR name:'c'", "colour:'red'", "name~'ab'", "email>'x'"):
        err = refused(lambda: sc.v1.customers.search({"query": bad}))
        assert err.param == "query", bad
    assert refused(lambda: sc.v1.customers.search({})).code == "parameter_missing"


def test_other_resources(sc):
    prod = sc.v1.products.create({"name": "Widget", "metadata": {"sku": "W-1"}})
    sc.v1.products.create({"name": "Gadget"})
    assert ids(sc.v1.products.search({"query": "metadata['sku']:'W-1'"})) == [prod.id]
    price = sc.v1.prices.create({"product": prod.id, "unit_amount": 500, "currency": "usd"})
    assert ids(sc.v1.prices.search({"query": f"product:'{prod.id}' AND active:'true'"})) == [price.id]
    pi = sc.v1.payment_intents.create({"amount": 7000, "currency": "usd", "payment_method": "pm_card_visa",
                                       "confirm": True, "metadata": {"order": "42"}})
    sc.v1.payment_intents.create({"amount": 100, "currency": "usd"})
    assert ids(sc.v1.payment_intents.search({"query": "amount>5000 AND status:'succeeded'"})) == [pi.id]
    assert ids(sc.v1.charges.search({"query": "metadata['order']:'42'"})) == [pi.latest_charge]
    cus = sc.v1.customers.create()
    inv = sc.v1.invoices.create({"customer": cus.id})
    assert ids(sc.v1.invoices.search({"query": f"customer:'{cus.id}' AND status:'draft'"})) == [inv.id]


def test_search_is_not_taken_for_an_id(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.retrieve("cus_missing")
    assert exc.value.http_status == 404
    assert sc.v1.customers.search({"query": "email:'nobody@x.test'"}).data == []


def test_invoice_preview_lists_pending_items_without_storing(sc):
    cus = sc.v1.customers.create()
    sc.v1.invoice_items.create({"customer": cus.id, "amount": 1200, "currency": "usd", "description": "Setup"})
    preview = sc.v1.invoices.create_preview({"customer": cus.id})
    assert preview.object == "invoice" and preview.id.startswith("upcoming_")
    assert preview.total == 1200 and [line.description for line in preview.lines.data] == ["Setup"]
    assert sc.v1.invoices.list({"customer": cus.id}).data == []
    err = refused(lambda: sc.v1.invoices.create_preview({}))
    assert err.param == "customer"
