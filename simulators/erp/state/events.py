"""The harness's outbound event feed (NOT a NetSuite feature: NetSuite has no native webhooks; real
accounts push through SuiteScript user-event scripts or workflows). Subscribers register a URL and a
list of event types; each delivery is a signed JSON POST through the core outbox.

Signature header ``X-O2C-ERP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``,
re-signed per attempt with the simulated time; the secret is returned once, on subscribe.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from ...core.errors import ControlError
from ...core.jsonutil import dumps
from .base import StateBase

EVENT_TYPES = ("invoice.created", "invoice.updated", "customerPayment.created", "creditMemo.created",
               "salesOrder.created", "salesOrder.updated", "customer.created", "customer.updated")
RETRY_SCHEDULE = [60, 300, 1800, 7200, 21600, 43200]   # seconds after each failed attempt
SIGNATURE_HEADER = "X-O2C-ERP-Signature"
EVENT_LOG = 1000


def sign(secret: str, body: bytes, ts: int) -> str:
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def signer(body: bytes, now: datetime, endpoint: dict) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(endpoint["secret"], body, int(now.timestamp())),
            "X-O2C-ERP-Event-Id": endpoint.get("_event_id", "")}


def summary(rtype: str, rec: dict) -> dict[str, Any]:
    out = {"recordType": rtype, "id": rec["id"], "externalId": rec.get("externalId"),
           "tranId": rec.get("tranId"), "lastModifiedDate": rec.get("lastModifiedDate")}
    for f in ("status", "total", "amountPaid", "amountRemaining", "payment", "applied", "unapplied",
              "createdFrom", "entity", "customer", "custbody_ava_doc_code"):
        if f in rec:
            out[f] = rec[f]
    if "apply" in rec:
        out["apply"] = [{"doc": a["doc"], "amount": a["amount"]} for a in rec["apply"]]
    return out


class EventFeed(StateBase):
    """The harness's event feed over the ERP's store and outbox."""

    def __init__(self, sim, store, settings: dict, outbox):
        self.sim, self.store, self.settings, self.outbox = sim, store, settings, outbox

    def emit(self, event_type: str, rtype: str, rec: dict) -> None:
        data = self.store.data
        n = self.next_id("event")
        event = {"id": f"evt_erp_{int(n):08d}", "type": event_type, "created": self.now(),
                 "account": self.settings.get("account", "O2C_SB1"), "data": summary(rtype, rec)}
        from .orders import INVOICE_STATUS, SO_STATUS
        st = event["data"].get("status")
        if rtype == "invoice" and st in INVOICE_STATUS:
            event["data"]["status"] = {"id": st, "refName": INVOICE_STATUS[st]}
        elif rtype == "salesOrder" and st in SO_STATUS:
            event["data"]["status"] = {"id": st, "refName": SO_STATUS[st]}
        log = data.setdefault("events", [])
        log.append(event)
        del log[:-EVENT_LOG]
        subs = [s for s in data["subscriptions"].values()
                if s["active"] and (event_type in s["events"] or "*" in s["events"])]
        if not subs:
            return
        body = dumps(event).encode()
        for s in subs:
            endpoint = {"id": s["id"], "url": s["url"], "secret": s["secret"], "_event_id": event["id"]}
            self.outbox.enqueue(endpoint, body, event["id"], event_type, RETRY_SCHEDULE)

    def subscribe(self, body: dict) -> dict:
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ControlError("url (http or https) is required")
        events = body.get("events") or ["*"]
        if not isinstance(events, list) or any(e != "*" and e not in EVENT_TYPES for e in events):
            raise ControlError(f"events must be a list of {list(EVENT_TYPES)} or ['*']")
        with self.store.lock:
            sid = f"sub_{int(self.next_id('sub')):04d}"
            sub = {"id": sid, "url": url, "events": events, "active": True, "created": self.now(),
                   "secret": body.get("secret") or "erpwhsec_" + self.sim.secrets.token(32)}
            self.store.data["subscriptions"][sid] = sub
            return dict(sub)

    def unsubscribe(self, sid: str) -> bool:
        with self.store.lock:
            return self.store.data["subscriptions"].pop(sid, None) is not None
