"""The nightly billing run (``bill_on_activation = False``).

Activation then stops at the ERP sales order and the AvaTax SalesOrder estimate; once a day, at
``billing_run_hour`` UTC on the simulated clock, the run bills every ERP sales order pending
billing, the way NetSuite's "Bill Sales Orders" does: it reads them from the ERP (SuiteQL), and
queues one ``bill`` job per order (the same bill flow as billing on activation: ERP invoice,
AvaTax SalesInvoice committed, Salesforce mirror, Stripe invoice).

Idempotent and crash-safe:

- the run is itself a job (retried with back-off when the ERP is down, dead-lettered if it keeps
  failing, and never queued twice for the same day);
- it selects by state, not by what it did before: sales orders that are still pending billing
  (Pending Fulfillment / Partially Fulfilled / Pending Billing). A run that stopped halfway, a run
  that was missed, or a second run the same day picks up exactly what is left;
- each order's bill job looks up the invoice by external id before creating it, and the ERP refuses
  a second invoice for a billed sales order, so an order is invoiced once however often it is retried;
- an order deactivated in Salesforce for an amendment is skipped (the bill job bills Activated
  orders only) and billed by the first run after it is activated again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..core.clock import Job, iso

PENDING_BILLING = ("B", "D", "E", "F")   # salesOrder statuses that can still be invoiced
RUNS_KEPT = 60


class BillingRun:
    def __init__(self, app):
        self.app = app
        self.config = app.config
        self.sim = app.sim
        self._job: Job | None = None
        app.queue.handler("billing_run")(self.run)

    @property
    def data(self) -> dict[str, Any]:
        return self.app.store.data

    # ---- the schedule ---------------------------------------------------------------------------
    def next_run(self, after: datetime | None = None) -> datetime:
        """The next ``billing_run_hour``:00 UTC strictly after ``after`` (default: now)."""
        now = after or self.sim.now()
        at = now.replace(hour=self.config.billing_run_hour, minute=0, second=0, microsecond=0)
        return at if at > now else at + timedelta(days=1)

    def schedule(self) -> None:
        """(Re)schedule the daily run after a reset or a change of settings; nothing is scheduled
        while the integration bills on activation."""
        if self._job is not None:
            self._job.cancelled = True
            self._job = None
        if not self.config.bill_on_activation:
            self._schedule_at(self.next_run())

    def _schedule_at(self, when: datetime) -> None:
        self._job = self.sim.clock.schedule(when, lambda: self._due(when), name="integration billing run",
                                            owner=self.sim.name)

    def _due(self, when: datetime) -> None:
        # the next day's run is on the clock before this one does any work: a failing run never
        # stops the schedule
        self._job = None
        if self.config.bill_on_activation:
            return
        self._schedule_at(self.next_run(when))
        self.submit(f"{when.date().isoformat()}T{when.hour:02d}")

    def submit(self, run_id: str | None = None) -> dict[str, Any]:
        """Queue a run now (the scheduled one, or an operator's "bill now")."""
        run_id = run_id or f"manual-{iso(self.sim.now())}"
        queued = self.app.queue.submit("billing_run", run_id, {"run": run_id})
        return {"run": run_id, "queued": queued}

    @property
    def next_due(self) -> str | None:
        return iso(self._job.due) if self._job is not None and not self._job.cancelled else None

    # ---- the run ---------------------------------------------------------------------------------
    def pending_sales_orders(self) -> list[dict[str, Any]]:
        statuses = ", ".join(f"'{s}'" for s in PENDING_BILLING)
        return self.app.erp.suiteql(
            "SELECT id, tranid, externalid, status, custbody_sf_order_id FROM transaction "
            f"WHERE type = 'SalesOrd' AND status IN ({statuses}) ORDER BY id")

    def run(self, payload: dict[str, Any]) -> None:
        started = iso(self.sim.now())
        rows = self.pending_sales_orders()
        missing = [r for r in rows if not r.get("custbody_sf_order_id") and r.get("externalid")]
        by_key = self._order_ids([str(r["externalid"]) for r in missing]) if missing else {}
        queued, unknown = [], []
        for r in rows:
            order_id = r.get("custbody_sf_order_id") or by_key.get(str(r.get("externalid")))
            if not order_id:
                unknown.append(r.get("tranid"))   # not an order this integration placed
                continue
            self.app.queue.submit("bill", order_id, {"order_id": order_id, "billing_run": payload.get("run")})
            queued.append(r.get("tranid"))
        runs = self.data.setdefault("billing_runs", [])
        runs.append({"run": payload.get("run"), "started": started, "pending_sales_orders": len(rows),
                     "queued": queued, "not_ours": unknown})
        del runs[:-RUNS_KEPT]

    def _order_ids(self, keys: list[str]) -> dict[str, str]:
        """Salesforce Order ids for sales orders created before the order id was stamped on them."""
        quoted = ", ".join("'" + k.replace("\\", "\\\\").replace("'", "\\'") + "'" for k in keys)
        rows = self.app.sf.query(f"SELECT Id, Order_Key__c FROM Order WHERE Order_Key__c IN ({quoted})")
        out = {r["Order_Key__c"]: r["Id"] for r in rows}
        for k in keys:   # orders without a key are keyed by their Salesforce id
            if k not in out and len(k) in (15, 18) and k[:3] == "801":
                out[k] = k
        return out
