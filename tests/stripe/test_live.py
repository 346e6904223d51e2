"""Live smoke: the same SDK calls against the fake served live (loopserver, fast lane) on a loopback port."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import stripe
from werkzeug.serving import make_server

from tests.conftest import free_port

from .conftest import Receiver, client_for


@pytest.fixture
def live_receiver():
    r = Receiver()
    server = make_server("127.0.0.1", free_port(), r.app, threaded=True)
    # shutdown() waits for serve_forever to look at its flag, once per poll_interval (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    r.url = f"http://127.0.0.1:{server.server_port}/stripe"
    yield r
    server.shutdown()
    thread.join(10)


def test_live_invoice_paid_and_webhook_verified(live, live_receiver):
    sc = client_for(live.url("stripe"))
    we = sc.v1.webhook_endpoints.create({"url": live_receiver.url, "enabled_events": ["invoice.paid"]})
    live_receiver.secret = we.secret
    cus = sc.v1.customers.create({"email": "ap@acme.test"})
    inv = sc.v1.invoices.create({"customer": cus.id})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 2500, "currency": "usd"})
    fin = sc.v1.invoices.finalize_invoice(inv.id)
    assert fin.hosted_invoice_url.startswith(live.url("stripe"))
    assert requests.get(fin.invoice_pdf).content.startswith(b"%PDF")
    paid = sc.v1.invoices.pay(inv.id, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid"
    live.wait_until(lambda: live_receiver.events, timeout=10, what="invoice.paid delivery")
    assert live_receiver.types() == ["invoice.paid"]
    assert live_receiver.events[0]["data"]["object"]["id"] == inv.id


def test_live_decline_and_idempotency(live):
    sc = client_for(live.url("stripe"))
    cus = sc.v1.customers.create()
    inv = sc.v1.invoices.create({"customer": cus.id})
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 900, "currency": "usd"})
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.invoices.pay(inv.id, {"payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    assert exc.value.error.decline_code == "insufficient_funds"
    a = sc.v1.customers.create({"name": "x"}, {"idempotency_key": "live-1"})
    b = sc.v1.customers.create({"name": "x"}, {"idempotency_key": "live-1"})
    assert a.id == b.id
    with pytest.raises(stripe.IdempotencyError):
        sc.v1.customers.create({"name": "y"}, {"idempotency_key": "live-1"})


def test_live_fault_latency_is_deferred_and_drop_closes_the_connection(live):
    """Fast-lane requests run on the server's event loop: a latency fault holds the answer back
    (other connections keep being served), and a drop fault cuts the socket with no answer."""
    sc = client_for(live.url("stripe"))
    cus = sc.v1.customers.create({"email": "slow@acme.test"})
    ctl = live.control("stripe")
    ctl.add_fault(operation="customers.retrieve", latency={"kind": "fixed", "ms": 100}, times=1)
    ctl.add_fault(operation="customers.create", drop=True, times=1)
    slow: dict = {}

    def retrieve():
        began = time.monotonic()
        slow["c"] = sc.v1.customers.retrieve(cus.id)
        slow["took"] = time.monotonic() - began

    t = threading.Thread(target=retrieve)
    t.start()
    live.wait_until(lambda: any(e["operation"] == "customers.retrieve" for e in ctl.journal()), timeout=10,
                    what="the slow retrieve reaches the fake")
    other = requests.get(f"{live.url('stripe')}/v1/customers?limit=1", headers={"Authorization": "Bearer sk_test_x"})
    assert other.status_code == 200  # answered while the slow one is still held back
    t.join(10)
    assert slow["c"].id == cus.id and slow["took"] >= 0.09   # held back (a lower bound, not a speed test)
    entry = [e for e in ctl.journal("customers.retrieve")][-1]
    assert entry["simulated_latency_ms"] == 100 and entry["fault"]
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{live.url('stripe')}/v1/customers", data={"email": "x@acme.test"},
                      headers={"Authorization": "Bearer sk_test_x"})
    assert sc.v1.customers.create({"email": "after@acme.test"}).id.startswith("cus_")


def test_live_subscription_renews_on_the_clock(live, live_receiver):
    sc = client_for(live.url("stripe"))
    we = sc.v1.webhook_endpoints.create({"url": live_receiver.url, "enabled_events": [
        "customer.subscription.created", "invoice.paid"]})
    live_receiver.secret = we.secret
    cus = sc.v1.customers.create({"email": "subs@acme.test", "payment_method": "pm_card_visa"})
    pm = sc.v1.customers.payment_methods.list(cus.id).data[0]
    price = sc.v1.prices.create({"currency": "usd", "unit_amount": 1200, "recurring": {"interval": "week"},
                                 "product_data": {"name": "Weekly"}})
    sub = sc.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}],
                                      "default_payment_method": pm.id})
    assert sub.status == "active" and sc.v1.invoices.retrieve(sub.latest_invoice).status == "paid"
    live.advance("7d")
    live.advance("1h")
    renewed = sc.v1.subscriptions.retrieve(sub.id)
    assert renewed.items.data[0].current_period_start == sub.items.data[0].current_period_end
    assert sc.v1.invoices.retrieve(renewed.latest_invoice).amount_paid == 1200
    live.wait_until(lambda: live_receiver.types().count("invoice.paid") == 2, timeout=10, what="two invoice.paid")
    assert "customer.subscription.created" in live_receiver.types()
