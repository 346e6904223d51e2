"""Business timings of a load run, correlated by ids and observed through the systems' public APIs.

Three timings (each in simulated seconds, what the business sees, and in wall seconds):

- ``order_to_invoice_visible``: the sales rep's activation returned -> the order's invoice mirror in
  Salesforce carries its Stripe invoice (the customer can pay);
- ``payment_to_paid_visible``: the payment that settles the invoice succeeded at Stripe (its
  ``status_transitions.paid_at``) -> the mirror shows ``Paid``;
- ``payment_to_erp_applied``: the same payment -> the ERP invoice has nothing remaining (the customer
  payment applied).

A timing that does not complete before its deadline is *unfinished*: counted, never dropped.
No gevent, no Locust here: the locustfile and ``o2c load`` (late collection) share this code.
"""
from __future__ import annotations

import json
import time as _wall  # the load generator's own measurements; simulators never read this
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TIMINGS = ("order_to_invoice_visible", "payment_to_paid_visible", "payment_to_erp_applied")
PAYMENT_TIMINGS = TIMINGS[1:]


class SimTime:
    """The harness's simulated clock seen from the load generator: the same anchor every fake uses,
    so ``now()`` here is the fakes' ``now`` (scaled: ``rate`` simulated seconds per wall second)."""

    def __init__(self, anchor: dict[str, Any]):
        self.mode = anchor.get("mode", "scaled")
        self.rate = float(anchor.get("rate") or 1.0)
        self.sim_anchor = datetime.fromisoformat(str(anchor["sim_anchor"]).replace("Z", "+00:00"))
        self.wall_anchor = float(anchor["wall_anchor"])

    def at(self, wall: float) -> float:
        """Simulated epoch seconds at wall time ``wall``."""
        if self.mode == "frozen":
            return self.sim_anchor.timestamp()
        return self.sim_anchor.timestamp() + (wall - self.wall_anchor) * self.rate

    def now(self) -> float:
        return self.at(_wall.time())

    def iso(self, sim_epoch: float) -> str:
        return datetime.fromtimestamp(sim_epoch, tz=timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Pending:
    kind: str
    key: str                     # the order key (Order_Key__c): the correlation id across systems
    start_wall: float
    start_sim: float
    deadline_wall: float
    meta: dict[str, Any] = field(default_factory=dict)


class Tracker:
    """Pending and finished timings of one process (one Locust process, or the late collector)."""

    def __init__(self, deadline_s: float):
        self.deadline_s = deadline_s
        self.pending: dict[tuple[str, str], Pending] = {}
        self.done: list[dict[str, Any]] = []
        self.unfinished: list[dict[str, Any]] = []
        self.duplicates: set[str] = set()
        self.completed_payments: dict[str, set[str]] = {}
        self.orders_activated = 0
        self.payments = {"declined": 0, "parts": 0, "full": 0}

    def start(self, kind: str, key: str, start_wall: float, start_sim: float, **meta: Any) -> Pending:
        p = Pending(kind, key, start_wall, start_sim, start_wall + self.deadline_s, dict(meta))
        self.pending[(kind, key)] = p
        return p

    def waiting(self, kind: str) -> list[Pending]:
        return [p for (k, _), p in self.pending.items() if k == kind]

    def complete(self, p: Pending, end_wall: float, end_sim: float) -> dict[str, Any]:
        self.pending.pop((p.kind, p.key), None)
        rec = {"kind": p.kind, "key": p.key, "wall_s": round(max(0.0, end_wall - p.start_wall), 4),
               "sim_s": round(max(0.0, end_sim - p.start_sim), 3), "end_wall": end_wall}
        self.done.append(rec)
        if p.kind in PAYMENT_TIMINGS:
            self.completed_payments.setdefault(p.key, set()).add(p.kind)
        return rec

    def expire(self, now_wall: float) -> list[dict[str, Any]]:
        """Timings past their deadline become unfinished (counted, never dropped)."""
        out = []
        for p in [p for p in self.pending.values() if now_wall >= p.deadline_wall]:
            del self.pending[(p.kind, p.key)]
            rec = {"kind": p.kind, "key": p.key, "waited_s": round(now_wall - p.start_wall, 3)}
            self.unfinished.append(rec)
            out.append(rec)
        return out

    @property
    def lifecycles_completed(self) -> int:
        return sum(1 for kinds in self.completed_payments.values() if kinds >= set(PAYMENT_TIMINGS))

    # ---- hand-over between processes (a Locust process -> o2c load's late collection) ------------
    def to_json(self) -> dict[str, Any]:
        return {"deadline_s": self.deadline_s, "pending": [asdict(p) for p in self.pending.values()],
                "done": self.done, "unfinished": self.unfinished, "duplicates": sorted(self.duplicates),
                "completed_payments": {k: sorted(v) for k, v in self.completed_payments.items()},
                "orders_activated": self.orders_activated, "payments": self.payments}

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json()))
        tmp.replace(path)

    def merge(self, data: dict[str, Any]) -> None:
        for p in data.get("pending", []):
            pend = Pending(**p)
            self.pending[(pend.kind, pend.key)] = pend
        self.done += data.get("done", [])
        self.unfinished += data.get("unfinished", [])
        self.duplicates |= set(data.get("duplicates", []))
        for k, kinds in data.get("completed_payments", {}).items():
            self.completed_payments.setdefault(k, set()).update(kinds)
        self.orders_activated += data.get("orders_activated", 0)
        for k, v in data.get("payments", {}).items():
            self.payments[k] = self.payments.get(k, 0) + v


def _quote(key: str) -> str:
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Observer:
    """Watches the systems for pending timings: one batched SOQL query on the invoice mirrors and
    one batched SuiteQL query on the ERP invoices per pass, whatever the number pending."""

    BATCH = 100

    def __init__(self, sf, erp):
        self.sf, self.erp = sf, erp   # SalesforceConn / ErpConn-like: .query(soql) and .suiteql(q)

    def poll(self, tracker: Tracker, clock: SimTime) -> list[dict[str, Any]]:
        finished: list[dict[str, Any]] = []
        want_sf = {p.key for p in tracker.pending.values() if p.kind != "payment_to_erp_applied"}
        keys = sorted(want_sf)
        for i in range(0, len(keys), self.BATCH):
            chunk = keys[i:i + self.BATCH]
            rows = self.sf.query(
                "SELECT Id, Stripe_Invoice_Id__c, ERP_Invoice_Id__c, blng__PaymentStatus__c, blng__TotalAmount__c, "
                "blng__Order__r.Order_Key__c FROM blng__Invoice__c WHERE blng__Order__r.Order_Key__c IN ("
                + ", ".join(_quote(k) for k in chunk) + ")")
            seen_wall = _wall.time()
            by_key: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_key.setdefault((r.get("blng__Order__r") or {}).get("Order_Key__c"), []).append(r)
            for key, mirrors in by_key.items():
                if len(mirrors) > 1:
                    tracker.duplicates.add(key)
                m = mirrors[0]
                p = tracker.pending.get(("order_to_invoice_visible", key))
                if p and m.get("Stripe_Invoice_Id__c"):
                    rec = tracker.complete(p, seen_wall, clock.at(seen_wall))
                    rec.update(stripe_invoice=m["Stripe_Invoice_Id__c"], erp_invoice=m.get("ERP_Invoice_Id__c"),
                               total=m.get("blng__TotalAmount__c"))
                    finished.append(rec)
                p = tracker.pending.get(("payment_to_paid_visible", key))
                if p and m.get("blng__PaymentStatus__c") == "Paid":
                    finished.append(tracker.complete(p, seen_wall, clock.at(seen_wall)))
        erp_wait = {str(p.meta.get("erp_invoice")): p for p in tracker.waiting("payment_to_erp_applied")
                    if p.meta.get("erp_invoice")}
        ids = sorted(erp_wait)
        for i in range(0, len(ids), self.BATCH):
            chunk = ids[i:i + self.BATCH]
            rows = self.erp.suiteql("SELECT id, amountremaining, total FROM transaction WHERE type = 'CustInvc' "
                                    "AND id IN (" + ", ".join(str(int(x)) for x in chunk) + ")")
            seen_wall = _wall.time()
            for r in rows:
                p = erp_wait.get(str(r["id"]))
                if p and float(r.get("amountremaining") or 0) == 0 and float(r.get("total") or 0) > 0:
                    finished.append(tracker.complete(p, seen_wall, clock.at(seen_wall)))
        return finished


def percentiles(values: list[float]) -> dict[str, float]:
    xs = sorted(values)
    if not xs:
        return {"count": 0, "p50_s": 0.0, "p95_s": 0.0, "p99_s": 0.0, "max_s": 0.0}

    def pct(p: float) -> float:
        k = (len(xs) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
        return round(xs[lo] + (xs[hi] - xs[lo]) * (k - lo), 3)
    return {"count": len(xs), "p50_s": pct(0.50), "p95_s": pct(0.95), "p99_s": pct(0.99), "max_s": round(xs[-1], 3)}


def wait_deadline(poll_interval: float, rate: float, sync: str, floor: float = 20.0) -> float:
    """A bounded wall-clock deadline per timing: generous next to what the sync mode needs (in
    polling mode three poll intervals of simulated time), never unbounded."""
    need = 3 * poll_interval / rate if sync == "polling" else 0.0
    return max(floor, need + 10.0)

