"""Fault soak (a bounded measurement, also driven by tests/e2e/test_fault_soak.py): N orders through
the reference integration in-process while every fake answers a share of requests with its own
transient errors, dropped connections or latency; then the faults clear and the retry schedule
runs in simulated time. Prints what was lost, left over or doubled.

    .venv/bin/python -m benchmarks.fault_soak [--orders 200] [--rate 0.2] [--sync webhook|polling]

Phases (simulated time): activate every order, faults on for 8 h (activation and billing: longer
than the integration's whole retry schedule of about 4.8 h), faults off for 6 h, pay three orders
in four, faults on for 8 h again (the payment events), faults off for 3 days (Stripe's webhook
retries, Salesforce's Outbound Message retries and the integration's own). Nothing is retried by
hand. ``--fault-hours 2`` gives shorter windows, which the retry schedule alone outlasts.

Measured (seed 0, 200 orders, 20 %, webhook): before resumable jobs, 67 orders unpublished and 86
dead letters with 8 h windows (45 and 59 with 2 h windows), no duplicates; after, 0, 0 and 0 in both
sync modes, about 33 s each in-process.
"""
from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simulators.harness import InProcessHarness
from simulators.scenario import Lifecycle

CUSTOMERS = ("ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "LONESTAR-AUSTIN", "ROSE-PORTLAND",
             "THAMES-LONDON", "CASCADIA-VANCOUVER")
# Each fake's own transient answers (the shapes its fault layer renders).
VENDOR_ERRORS = {
    "salesforce": ["UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"],
    "stripe": ["rate_limit", "lock_timeout", "api_error"],
    "avalara": ["RequestLimitExceeded", "ServiceUnavailable"],
    "erp": ["CONCURRENCY_LIMIT_EXCEEDED", "UNEXPECTED_ERROR", "SERVICE_UNAVAILABLE", "RCRD_HAS_BEEN_CHANGED"],
}


@dataclass
class SoakResult:
    orders: int
    paid_intended: int
    sync: str
    rate: float
    faults_hit: dict[str, int] = field(default_factory=dict)
    unpublished: list[str] = field(default_factory=list)      # no finalized Stripe invoice linked from the mirror
    unpaid: list[str] = field(default_factory=list)           # paid at Stripe but not Paid in Salesforce / the ERP
    dead_letters: int = 0
    dead_reasons: list[str] = field(default_factory=list)
    pending: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)  # kind -> orders with more than one
    retries: int = 0
    paid_at_stripe: int = 0
    counts: dict[str, int] = field(default_factory=dict)       # reconciliation's record counts
    reconcile_ok: bool = False
    reconcile_table: str = ""
    wall_seconds: float = 0.0

    def summary(self) -> str:
        dups = sum(self.duplicates.values())
        return (f"orders={self.orders} sync={self.sync} fault rate={self.rate:.0%} "
                f"faults hit={sum(self.faults_hit.values())} {self.faults_hit}\n"
                f"unpublished={len(self.unpublished)} unpaid={len(self.unpaid)} (of {self.paid_at_stripe} paid at Stripe, "
                f"{self.paid_intended} meant to be) "
                f"dead letters={self.dead_letters} pending={self.pending} duplicates={dups} {self.duplicates}\n"
                f"retries={self.retries} reconcile ok={self.reconcile_ok} wall={self.wall_seconds:.1f}s")


def fault_rules(rate: float) -> list[dict[str, Any]]:
    """Three rules (vendor error, dropped connection, latency) whose combined chance is ``rate``."""
    each = 1 - (1 - rate) ** (1 / 3)
    return [{"operation": "*", "error": None, "probability": each},
            {"operation": "*", "drop": True, "probability": each},
            {"operation": "*", "latency": {"kind": "lognormal", "median_ms": 300, "sigma": 0.8}, "probability": each}]


def faults_on(h, rate: float, round_no: int) -> None:
    for name, codes in VENDOR_ERRORS.items():
        c = h.control(name)
        for rule in fault_rules(rate):
            if "error" in rule:
                for code in codes:   # the error share split over the vendor's transient codes
                    c.add_fault(operation="*", error={"code": code}, probability=rule["probability"] / len(codes))
            else:
                c.add_fault(**rule)


def faults_off(h) -> dict[str, int]:
    hits = {}
    for name in VENDOR_ERRORS:
        c = h.control(name)
        hits[name] = sum(r["hits"] for r in c.get("/faults")["rules"])   # the journal is bounded; rules count
        c.clear_faults()
    return hits


def run_soak(orders: int = 200, rate: float = 0.2, sync: str = "webhook", seed: int | str = 0,
             fault_hours: float = 8.0) -> SoakResult:
    started = time.perf_counter()
    h = InProcessHarness(seed=seed, integration={"payment_sync": sync, "poll_interval": 300})
    h.start()
    try:
        o2c = Lifecycle(h)
        o2c.install_integration()
        keys = [o2c.place_order(CUSTOMERS[i % len(CUSTOMERS)], [("HW-ROUTER", 1 + i % 3), ("SUPPORT-12", 1)])
                for i in range(orders)]
        for k in keys:
            o2c.activate(k)
        to_pay = [k for i, k in enumerate(keys) if i % 4 != 3]
        hits: Counter = Counter()
        faults_on(h, rate, 1)
        h.advance(f"{fault_hours * 3600:.0f}s")
        hits.update(faults_off(h))
        h.advance("6h")
        published = _published(o2c)
        for k in to_pay:
            if k in published:
                o2c.pay(k)
        faults_on(h, rate, 2)
        h.advance(f"{fault_hours * 3600:.0f}s")
        hits.update(faults_off(h))
        h.advance("3d")
        res = measure(o2c, keys, to_pay)
        res.sync, res.rate, res.faults_hit = sync, rate, dict(hits)
        res.wall_seconds = time.perf_counter() - started
        return res
    finally:
        h.stop()


def _published(o2c: Lifecycle) -> dict[str, dict[str, Any]]:
    """Order key -> its Stripe invoice (finalized: open or paid), through the Salesforce mirror."""
    mirrors = o2c.sf.query("SELECT blng__Order__r.Order_Key__c, Stripe_Invoice_Id__c FROM blng__Invoice__c")
    invoices = {i.id: i.to_dict() for i in o2c.gw.call(
        lambda c: c.v1.invoices.list(params={"limit": 100})).auto_paging_iter()}
    out = {}
    for m in mirrors:
        si = invoices.get(m.get("Stripe_Invoice_Id__c") or "")
        if si and si["status"] in ("open", "paid"):
            out[m["blng__Order__r"]["Order_Key__c"]] = si
    return out


def measure(o2c: Lifecycle, keys: list[str], to_pay: list[str]) -> SoakResult:
    h = o2c.h
    h.settle()
    res = SoakResult(orders=len(keys), paid_intended=len(to_pay), sync="", rate=0.0)
    published = _published(o2c)
    res.unpublished = [k for k in keys if k not in published]
    mirrors = Counter(m["blng__Order__r"]["Order_Key__c"] for m in o2c.sf.query(
        "SELECT blng__Order__r.Order_Key__c FROM blng__Invoice__c"))
    stripe = Counter(i.to_dict().get("metadata", {}).get("order_key") for i in o2c.gw.call(
        lambda c: c.v1.invoices.list(params={"limit": 100})).auto_paging_iter() if i.status != "void")
    txns = o2c.erp.suiteql("SELECT id, type, externalid, createdfrom FROM transaction")
    so_key = {str(t["id"]): t.get("externalid") for t in txns if t["type"] == "SalesOrd"}
    erp_inv = Counter(so_key.get(str(t.get("createdfrom"))) for t in txns if t["type"] == "CustInvc")
    sf_pay = Counter(p["blng__Invoice__r"]["blng__Order__r"]["Order_Key__c"] for p in o2c.sf.query(
        "SELECT blng__Invoice__r.blng__Order__r.Order_Key__c FROM blng__Payment__c"))
    inv_key = {str(t["id"]): so_key.get(str(t.get("createdfrom"))) for t in txns if t["type"] == "CustInvc"}
    erp_pay = Counter()
    for t in txns:
        if t["type"] == "CustPymt":
            pay = o2c.erp.get("customerPayment", str(t["id"]))
            for a in (pay.get("apply") or {}).get("items", []):
                erp_pay[inv_key.get(str((a.get("doc") or {}).get("id")))] += 1
    res.duplicates = {kind: sum(1 for n in counter.values() if n > 1) for kind, counter in
                      (("mirror", mirrors), ("stripe_invoice", stripe), ("erp_invoice", erp_inv),
                       ("sf_payment", sf_pay), ("erp_payment", erp_pay))}
    paid_at_stripe = {k for k, si in published.items() if si["status"] == "paid"}
    res.paid_at_stripe = len(paid_at_stripe)
    mirror_paid = {m["blng__Order__r"]["Order_Key__c"] for m in o2c.sf.query(
        "SELECT blng__Order__r.Order_Key__c FROM blng__Invoice__c WHERE blng__PaymentStatus__c = 'Paid'")}
    res.unpaid = sorted(k for k in paid_at_stripe if k not in mirror_paid or erp_pay[k] != 1 or sf_pay[k] != 1)
    status = o2c.integration_status()
    res.dead_letters, res.pending, res.retries = status["dead_letters"], status["pending"], status["stats"]["retries"]
    dead = h.integration().dead_letters()
    res.dead_reasons = [f"{d['kind']}:{d['key']} {d['reason'][:600]}" for d in dead]
    report = o2c.reconcile()
    res.reconcile_ok, res.reconcile_table, res.counts = report.ok, report.table(), dict(report.counts)
    return res


def _gist(reason: str) -> str:
    """A dead letter's kind and cause without its ids (to group them)."""
    kind = reason.split(":", 1)[0]
    code = re.search(r'(errorCode|o:errorCode|"code")"?:\s*"?([A-Za-z_]+)', reason)
    cause = code.group(2) if code else re.sub(r"[A-Z]{2,}-\d+|eid:[\w-]+|\b(in|cus|ii|evt|ch|pi)_\w+", "…", reason.split(" ", 1)[1])[:100]
    return f"{kind}: {cause}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--rate", type=float, default=0.2)
    p.add_argument("--sync", choices=("webhook", "polling"), default="webhook")
    p.add_argument("--fault-hours", type=float, default=8.0, help="simulated hours each fault window lasts")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    res = run_soak(args.orders, args.rate, args.sync, fault_hours=args.fault_hours)
    print(res.summary())
    if args.verbose:
        for reason, n in Counter(_gist(r) for r in res.dead_reasons).most_common(20):
            print(f"  dead letters x{n}: {reason}")
        print(res.reconcile_table)


if __name__ == "__main__":
    main()
