"""The Stripe fake's state: a hub of per-resource stores over one object table, no request inside
state (events learn their request from the route), and a reset that empties every store."""
from __future__ import annotations

import inspect

import pytest
import requests
import stripe

from simulators.stripe.state import StripeState
from simulators.stripe.state.base import Objects, Resource, empty_state

from .conftest import KEY, client_for


def stores(st: StripeState) -> dict[str, Resource]:
    return {name: value for name, value in vars(st).items() if isinstance(value, Resource)}


def test_the_hub_is_made_of_small_stores_sharing_one_object_table(harness):
    st = harness.apps["stripe"].extensions["stripe_state"]
    found = stores(st)
    assert {"customers", "invoices", "lines", "payments", "charges", "refunds", "subscriptions", "billing",
            "credit_notes", "balance", "taxes", "discounts", "setup_intents", "events", "idempotency"} <= set(found)
    for name, store in found.items():
        methods = [m for m, _ in inspect.getmembers(type(store), inspect.isfunction)]
        assert len(methods) <= 40, (name, len(methods))
        assert store.db is st.objects and store.hub is st
    assert len([m for m, _ in inspect.getmembers(StripeState, inspect.isfunction)]) <= 5
    assert isinstance(st.objects, Objects) and not hasattr(st, "_request_ctx")


def test_events_carry_the_request_that_caused_them_and_webhooks_say_so(harness, sc, receiver):
    cus = sc.v1.customers.create({"name": "a"}, {"idempotency_key": "evt-key-1"})
    request_id = cus.last_response.request_id
    harness.settle()
    evt = sc.v1.events.list({"type": "customer.created"}).data[0]
    assert evt.request.id == request_id and evt.request.idempotency_key == "evt-key-1"
    delivered = [e for e in receiver.events if e["type"] == "customer.created"]
    assert delivered and delivered[0]["request"] == {"id": request_id, "idempotency_key": "evt-key-1"}
    # without Idempotency-Key (the SDK always sends one, so a plain HTTP call): the id alone
    resp = requests.post(harness.url("stripe") + "/v1/customers", data={"name": "b"},
                         headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status_code == 200 and "Idempotency-Key" not in resp.headers
    evt = sc.v1.events.list({"type": "customer.created"}).data[0]
    assert evt.data.object.id == resp.json()["id"]
    assert evt.request.id == resp.headers["Request-Id"] and evt.request.idempotency_key is None


def test_a_failed_request_still_publishes_its_events_with_its_request_id(harness, sc):
    cus = sc.v1.customers.create()
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_intents.create({"amount": 500, "currency": "usd", "customer": cus.id,
                                      "payment_method": "pm_card_chargeDeclined", "confirm": True},
                                     {"idempotency_key": "declined-1"})
    evt = sc.v1.events.list({"type": "payment_intent.payment_failed"}).data[0]
    assert evt.request.id == exc.value.request_id and evt.request.idempotency_key == "declined-1"


def test_events_of_scheduled_work_have_no_request(harness, sc):
    cus = sc.v1.customers.create({"payment_method": "pm_card_visa",
                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    sc.v1.invoice_items.create({"customer": cus.id, "amount": 1000, "currency": "usd"})
    inv = sc.v1.invoices.create({"customer": cus.id, "auto_advance": True})
    harness.advance("2h")   # auto-finalized one hour after creation, by the clock, not by a request
    finalized = sc.v1.events.list({"type": "invoice.finalized"}).data[0]
    assert finalized.data.object.id == inv.id
    assert finalized.request.id is None and finalized.request.idempotency_key is None
    created = sc.v1.events.list({"type": "invoice.created"}).data[0]
    assert created.request.id is not None   # made by a request: stamped


def test_reset_returns_every_store_to_its_initial_state(harness, sc, receiver):
    st = harness.apps["stripe"].extensions["stripe_state"]
    cus = sc.v1.customers.create({"payment_method": "pm_card_visa"}, {"idempotency_key": "reset-1"})
    sc.v1.invoice_items.create({"customer": cus.id, "amount": 700, "currency": "usd"})
    sc.v1.invoices.create({"customer": cus.id})
    sc.v1.coupons.create({"percent_off": 10, "duration": "once"})
    assert st.d["objects"] and st.d["idem"]
    harness.reset()
    assert st.d == empty_state() and st.events.held is None
    assert all(store.db.d is st.d for store in stores(st).values())
    fresh = client_for(harness.url("stripe"))
    assert fresh.v1.customers.list().data == [] and fresh.v1.events.list().data == []
