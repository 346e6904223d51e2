"""The reference integration as a web service: it receives Salesforce Outbound Messages and
Stripe webhooks, runs its work on the shared simulated clock, and shows its own state (dead
letters, counters, settings) under ``/_integration``. It also carries the core ``/_sim`` control
plane so the harness can drive its clock in live mode like any fake. Its HTTP surface
(``routes.py``) is the fakes' framework-free pipeline.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import requests

from ..core.app import VendorApp
from ..core.clock import SimClock
from ..core.sim import Sim, Vendor
from .billing import BillingRun
from ..clients import AvaTaxConn, ErpConn, SalesforceConn, StripeConn
from .config import Config
from .flows import Flows
from .jobs import WorkQueue
from ..clients import Retryable
from .payments import Payments
from .publish import Publisher
from .routes import IntegrationError, control_table, lane, render_error


def _state() -> dict[str, Any]:
    return {"pending": {}, "dead": [], "events_seen": {}, "poll_watermark": 0, "poll_cursor": None, "webhook_secret": None,
            "webhook_endpoint": None, "installed": False, "notifications": 0, "billing_runs": [],
            "checkpoints": {}, "org_id": None,
            "stats": {"done": 0, "retries": 0, "dead": 0, "webhooks_rejected": 0, "duplicates_ignored": 0,
                      "polls": 0, "notifications_refused": 0, "cancels_refused": 0, "dead_retried": 0}}


class Integration:
    def __init__(self, sim: Sim, config: Config):
        self.sim = sim
        self.config = config
        self.store = sim.store(_state)
        self.queue = WorkQueue(sim, config, self.store)
        self.connect()
        self.billing = BillingRun(self)

    def connect(self) -> None:
        self.sf = SalesforceConn(self.config)
        self.gw = StripeConn(self.config)
        self.tax = AvaTaxConn(self.config)
        self.erp = ErpConn(self.config)
        self.flows = Flows(self)
        self.payments = Payments(self)
        self.publisher = Publisher(self)

    def now(self) -> datetime:
        return self.sim.now()

    def today(self) -> date:
        return self.sim.now().date()

    def install(self) -> dict[str, Any]:
        """Deploy: register the Stripe webhook endpoint (webhook mode), configure the Salesforce
        Outbound Message for Order activation (setup metadata, done through the fake's control
        plane as an admin would in Setup), and start polling (polling mode)."""
        c = self.config
        self.store.data["installed"] = True
        self.org_id()   # log in: the organization this integration serves
        sf_control = requests.post(f"{c.salesforce_url}/_sim/salesforce/outbound-messages", json={
            "object": "Order", "url": f"{c.own_url}/salesforce/outbound", "field": "Status",
            "values": ["Activated", "Cancelled"], "name": "O2C_Order_Activated"},
            headers=c.control_headers(), verify=c.ca_bundle or True, timeout=c.http_timeout)
        sf_control.raise_for_status()
        if c.payment_sync == "webhook":
            self.payments.ensure_webhook_endpoint()
        else:
            self.schedule_poll()
        return {"installed": True, "payment_sync": c.payment_sync, "system_of_record": c.system_of_record}

    def schedule_poll(self) -> None:
        if not any(j.name == "integration poll" for j in self.sim.clock.pending(owner=self.sim.name)):
            self.sim.clock.schedule(self.config.poll_interval, lambda: self.queue.submit("poll", "events"),
                                    name="integration poll", owner=self.sim.name)

    def org_id(self) -> str:
        """The Salesforce organization the integration is connected to (from the OAuth identity
        URL at login), kept in the store; 15-character form, as the 18-character one ends in a
        checksum of it."""
        if not self.store.data.get("org_id"):
            self.sf.login()
            if not self.sf.org_id:
                raise Retryable("salesforce login gave no organization id")
            self.store.data["org_id"] = self.sf.org_id
        return self.store.data["org_id"][:15]

    def on_notification(self, org: str | None, record_ids: list[str]) -> tuple[int, str]:
        """An Outbound Message: accepted only from our own org; it names records, nothing more. The
        order job re-reads each order from Salesforce and acts on what Salesforce says (a
        ``<sf:Status>`` in the message is never trusted: Cancelled there does not cancel anything)."""
        try:
            ours = self.org_id()
        except Retryable:
            return 503, "cannot check the organization right now"
        if not org or org[:15] != ours:
            self.store.data["stats"]["notifications_refused"] += 1
            return 400, "OrganizationId does not match the connected organization"
        for order_id in record_ids:
            self.queue.submit("order", order_id, {"order_id": order_id})
        self.store.data["notifications"] += len(record_ids)
        return 200, "ok"

    def status(self) -> dict[str, Any]:
        d = self.store.data
        return {"config": self.config.public(), "installed": d["installed"], "pending": len(d["pending"]),
                "worker_errors": list(self.queue.worker_errors),
                "dead_letters": len(d["dead"]), "events_seen": len(d["events_seen"]),
                "notifications": d["notifications"], "stats": d["stats"], "poll_watermark": d["poll_watermark"],
                "billing": {"mode": "on activation" if self.config.bill_on_activation else "nightly billing run",
                            "next_run": self.billing.next_due, "runs": len(d["billing_runs"])}}


def create_app(clock: SimClock | None = None, seed: int | str | None = None, validation: str = "off", live: bool = False,
               **settings: Any) -> VendorApp:
    config = Config()
    config.update(settings)
    app = VendorApp("integration")
    vendor = Vendor(name="integration", render_error=render_error,
                    fault_error=lambda spec: IntegrationError(spec.get("message", "fault"), status=spec.get("status", 503)),
                    violation_error=lambda v: IntegrationError(str(v)))
    sim = Sim(vendor, clock=clock, seed=seed, validation="off")
    # /_integration is a control plane like /_sim: loopback callers with the run's token only
    # (settings carry where credentials are sent, so a stranger must not change them).
    sim.control_prefixes = ("/_sim", "/_integration")
    integ = Integration(sim, config)
    sim.control_tables.append(control_table(integ))
    app.serve(sim, lane(sim, integ))
    app.extensions["integration"] = integ
    sim.on_reset(integ.billing.schedule)
    if live:
        integ.queue.start_workers(config.workers)
    return app
