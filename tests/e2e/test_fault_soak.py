"""Fault soak: 200 orders in-process, 20 % of requests faulted on every fake (each vendor's own
transient errors, dropped connections, latency) through activation and billing and again through
payment, each window longer than the integration's whole retry schedule; then the faults clear and
the retry schedules (the integration's, Stripe's webhook retries, Salesforce's Outbound Message
retries) run in simulated time. Nothing is retried by hand. See benchmarks/fault_soak.py.

The fast tier soaks 12 orders at the same fault rate and windows; 40 and the full 200 run in the slow tier."""
import pytest

from benchmarks.fault_soak import run_soak


@pytest.mark.parametrize("orders", [12, pytest.param(40, marks=pytest.mark.slow),
                                    pytest.param(200, marks=pytest.mark.slow)])
@pytest.mark.parametrize("sync", ["webhook", "polling"])
def test_every_order_billed_once_and_every_payment_applied_once(sync, orders):
    ORDERS = orders   # a multiple of 4: a quarter of the orders stay unpaid
    res = run_soak(ORDERS, rate=0.2, sync=sync, fault_hours=8)
    print(res.summary())
    injected = sum(res.faults_hit.values())
    assert all(n > 0 for n in res.faults_hit.values()), res.faults_hit
    assert injected > ORDERS * 4, f"faults were injected on every fake: {res.faults_hit}"
    assert res.dead_letters == 0, res.dead_reasons[:10]
    assert res.pending == 0
    # billed exactly once: one ERP invoice, one finalized Stripe invoice, one mirror linking to it
    assert res.unpublished == [], res.unpublished[:10]
    assert res.duplicates == {"mirror": 0, "stripe_invoice": 0, "erp_invoice": 0, "sf_payment": 0,
                              "erp_payment": 0}
    assert res.counts["erp_invoices"] == ORDERS and res.counts["mirrors"] == ORDERS
    assert res.counts["stripe_invoices"] == ORDERS
    # paid exactly once: every order paid at Stripe has one ERP payment and one Salesforce payment
    assert res.paid_at_stripe == res.paid_intended == ORDERS * 3 // 4
    assert res.unpaid == [], res.unpaid[:10]
    assert res.counts["erp_payments"] == res.paid_intended
    assert res.reconcile_ok, res.reconcile_table
