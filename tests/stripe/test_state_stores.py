"""The Stripe fake's state: a hub of per-resource stores over one object table, no request inside
state (events learn their request from the route), and a reset that empties every store."""
from __future__ import annotations

import copy
import inspect

import pytest
import requests
import stripe

from simulators.stripe.state import StripeState
from simulators.stripe.state.base import Objects, Resource, empty_state

from .conftest import KEY, client_for
from .test_invoices import TAX


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


def own_data(st: StripeState) -> dict[str, dict]:
    """Each store's own data (the stores that keep some) and the shared object table's."""
    out = {name: copy.deepcopy(store.store.data) for name, store in stores(st).items() if hasattr(store, "store")}
    out["objects"] = copy.deepcopy(st.d)
    return out


def test_reset_returns_every_store_to_its_initial_state(harness, sc):
    st = harness.apps["stripe"].extensions["stripe_state"]
    initial = own_data(st)
    assert initial["objects"] == empty_state()
    we = sc.v1.webhook_endpoints.create({"url": "https://hooks.o2c.test/stripe", "enabled_events": ["*"]})
    assert {"objects", "idempotency", "invoices", "lines", "events"} <= set(initial)
    control = harness.control("stripe")
    control.post("/stripe/dunning", {"retries": 2, "window_days": 4})
    control.post("/stripe/webhook-schedule", {"endpoint": we.id, "schedule": "live"})
    control.post("/stripe/webhook-signing", {"clock": "wall"})
    cus = sc.v1.customers.create({"payment_method": "pm_card_visa"}, {"idempotency_key": "reset-1"})
    sc.v1.invoice_items.create({"customer": cus.id, "amount": 700, "currency": "usd"})
    inv = sc.v1.invoices.create({"customer": cus.id, "pending_invoice_items_behavior": "include"})
    line = sc.v1.invoices.line_items.list(inv.id).data[0]
    sc.v1.invoices.line_items.update(inv.id, line.id, {"tax_amounts": [
        {"amount": 54, "taxable_amount": 700, "tax_rate_data": TAX}]})
    sc.v1.invoices.finalize_invoice(inv.id)   # a hosted-page token
    used = own_data(st)
    assert all(used[name] != initial[name] for name in initial), [n for n in initial if used[n] == initial[n]]
    harness.reset()
    assert own_data(st) == initial and st.events.held is None
    assert all(store.db is st.objects for store in stores(st).values())
    fresh = client_for(harness.url("stripe"))
    assert fresh.v1.customers.list().data == [] and fresh.v1.events.list().data == []
    assert control.get("/stripe/dunning")["retries"] == 8   # the default again


def test_links_do_not_follow_the_host_a_request_names():
    """A hosted invoice link is the fake's own base URL (an option; the live server passes its
    address), never the Host header of whichever request finalized the invoice: no request data is
    kept in state."""
    from simulators.registry import create
    app = create("stripe")
    client = app.test_client()
    auth = {"Authorization": "Bearer sk_test_o2c"}
    cus = client.post("/v1/customers", data={"name": "Host Co"}, headers=auth, base_url="http://evil.example").get_json()
    inv = client.post("/v1/invoices", data={"customer": cus["id"]}, headers=auth,
                      base_url="http://evil.example").get_json()
    client.post("/v1/invoiceitems", data={"customer": cus["id"], "invoice": inv["id"], "amount": 500, "currency": "usd"},
                headers=auth, base_url="http://evil.example")
    fin = client.post(f"/v1/invoices/{inv['id']}/finalize", headers=auth, base_url="http://evil.example").get_json()
    assert fin["hosted_invoice_url"].startswith("https://api.stripe.com/i/"), fin["hosted_invoice_url"]
    assert "evil.example" not in str(fin)
