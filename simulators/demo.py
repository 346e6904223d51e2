"""``make demo`` / ``o2c demo``: the main job, end to end and live.

Starts the four fakes and the reference integration as server processes on loopback, pushes a
handful of orders through to cash (including a declined card, a refund and an overdue invoice
that is dunned and then paid), prints the reconciliation and the webhook-versus-polling
experiment, and stops everything. Exits non-zero if the books do not reconcile.
"""
from __future__ import annotations

import socket
from decimal import Decimal
from pathlib import Path

from .harness import LiveHarness
from .registry import SERVICES, available
from .scenario import Lifecycle


def _port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def _money(v) -> str:
    return f"{Decimal(str(v)):,.2f}"


def lifecycle(h: LiveHarness) -> bool:
    o2c = Lifecycle(h)
    o2c.install_integration()
    print("\n1. Orders activated in Salesforce")
    orders = {
        "paid by card": o2c.place_order("WINDY-CHICAGO", [("HW-ROUTER", 2), ("FREIGHT", 1)], key="DEMO-CHICAGO"),
        "declined, then paid": o2c.place_order("LONESTAR-AUSTIN", [("SAAS-PLATFORM-12", 1)], key="DEMO-AUSTIN"),
        "paid, then refunded": o2c.place_order("BIGAPPLE-NYC", [("HW-ROUTER", 1)], key="DEMO-NYC"),
        "overdue, dunned, paid": o2c.place_order("THAMES-LONDON", [("SVC-IMPL", 1)], key="DEMO-LONDON"),
    }
    for story, key in orders.items():
        o2c.activate(key)
        print(f"   {key:<13} {story}")
    print("\n2. Sales orders, tax and invoices (ERP is the system of record)")
    for key in orders.values():
        m = o2c.wait_for_invoice(key, timeout=60)
        print(f"   {key:<13} {m['ERP_Document_Number__c']}  subtotal {_money(m['blng__Subtotal__c']):>10}  "
              f"tax {_money(m['blng__TaxAmount__c']):>8}  total {_money(m['blng__TotalAmount__c']):>10}  "
              f"AvaTax {o2c.tax_document(m['AvaTax_Document_Code__c'])['status']}")
    print("\n3. Payments through Stripe's hosted invoice page")
    chicago, austin, nyc, london = orders.values()
    o2c.pay(chicago)
    declined = o2c.pay(austin, "insufficient_funds")
    print(f"   {austin:<13} card declined: {declined['error']['decline_code']}")
    o2c.pay(austin, "visa")
    o2c.pay(nyc)
    for key in (chicago, austin, nyc):
        o2c.wait_for_paid(key, timeout=60)
        print(f"   {key:<13} Paid in Salesforce; ERP remaining {_money(o2c.erp_invoice(key)['amountRemaining'])}")
    o2c.refund(nyc)
    h.wait_until(lambda: o2c.mirror(nyc)["blng__PaymentStatus__c"] == "Refunded", 60, "the refund to flow back")
    print(f"   {nyc:<13} refunded: credit memo in the ERP, return invoice in AvaTax, Refunded in Salesforce")
    print("\n4. Collections: 46 days pass without a payment from London")
    h.advance("46d")
    for e in o2c.dunning_emails(london):
        print(f"   {e['MessageDate'][:10]}  {e['Dunning_Stage__c']:<14} {e['Subject']}")
    o2c.pay(london)
    o2c.wait_for_paid(london, timeout=60)
    h.advance("2d")
    print(f"   {london:<13} paid; dunning stops ({len(o2c.dunning_emails(london))} emails in all)")
    print("\n5. Reconciliation across the four systems")
    report = o2c.reconcile()
    print("   " + report.table().replace("\n", "\n   "))
    return report.ok


def run(run_dir: Path) -> int:
    names = available()
    ports = {n: _port(SERVICES[n].port) for n in names + ["integration"]}
    h = LiveHarness(names, ports=ports, run_dir=run_dir, clock_mode="frozen", integration={"payment_sync": "webhook"})
    print("starting the fakes and the reference integration live on loopback ...")
    ok = False
    with h:
        for n in h.names:
            print(f"  {n:<11} {h.url(n)}")
        print(f"  CA bundle   {h.ca_path}")
        print(f"  portal      {h.url('salesforce')}/billing/s/login  (user billing@acme-irvine.o2c.test, "
              f"password o2c-portal-password; docs/portal.md)")
        ok = lifecycle(h)
    print("\nall servers stopped.")
    print("\n6. Webhook versus polling (in-process, simulated clock, seed 7)")
    from . import experiments
    results = experiments.run(invoices=20, seed=7, out=Path("reports"),
                              modes=[("webhook", None), ("polling", 300), ("polling", 3600)])
    print("   " + experiments.table(results).replace("\n", "\n   "))
    print("   plot: reports/sync_experiment.png")
    ok = ok and all(r.reconciled for r in results)
    print("\ndemo OK" if ok else "\ndemo FAILED: the books do not reconcile")
    return 0 if ok else 1
