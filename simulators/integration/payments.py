"""Stripe side of the integration: the payable invoice, and payment status flowing back.

Payment events arrive by signed webhook (verified with the SDK's ``construct_event``, stale or
forged ones refused, duplicates ignored by event id) or by polling ``/v1/events`` every N
simulated seconds from a ``created`` watermark. Either way the integration re-reads the current
state from Stripe before acting (fetch-on-notify), so out-of-order delivery cannot move a
record backwards. Effects are idempotent: the ERP payment's external id is the charge id, the
Salesforce payment is upserted by charge id.

Partial payments (Stripe API 2025-03-31.basil onwards): an invoice may be paid by several
PaymentIntents, each an ``invoice_payment``. A part payment raises ``invoice_payment.paid`` (the
invoice stays ``open``); the one that completes it also ``invoice.paid``. On any of them the
integration lists the invoice's paid invoice payments (``GET /v1/invoice_payments?invoice=&status=paid``)
and, for each, applies a customer payment of that payment's own amount in the ERP (external id =
its charge) and records a ``blng__Payment__c``; the mirror then shows ``Partially Paid`` with the
ERP's amount remaining as its balance, or ``Paid`` with balance 0.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe

from ..core.clock import iso
from .flows import credit_items, dec
from ..clients import AlreadyExists, Permanent

TOLERANCE = 300  # seconds, stripe.Webhook.DEFAULT_TOLERANCE
# The events the integration acts on. Not ``invoice.finalized``: the integration finalizes its invoices
# itself, and an invoice just finalized has nothing paid to sync (a delivery per invoice for nothing);
# ``invoice.payment_succeeded`` stays beside ``invoice.paid``, a lost delivery of one covered by the other.
EVENTS = ["invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed", "invoice.voided",
          "invoice.marked_uncollectible", "charge.refunded", "charge.dispute.created", "invoice_payment.paid"]
SETTLED = ("Paid", "Refunded")   # mirror payment statuses a part payment never moves back from


def _obj(x: Any) -> dict[str, Any]:
    return x.to_dict() if hasattr(x, "to_dict") else dict(x)


class Payments:
    def __init__(self, app):
        self.app = app
        self.gw, self.sf, self.erp, self.tax = app.gw, app.sf, app.erp, app.tax
        self.config = app.config
        app.queue.handler("stripe_event")(self.handle_event)
        app.queue.handler("poll")(self.poll)

    @property
    def data(self) -> dict[str, Any]:
        return self.app.store.data

    # ---- invoice in Stripe (publishing it: publish.py) ----------------------------------------
    def void_for_invoice(self, inv: dict[str, Any]) -> None:
        sid = self._stripe_invoice_for(str(inv["id"]))
        if sid is None:
            return
        si = self.gw.read(f"/v1/invoices/{sid}")
        if si["status"] == "open":
            self.gw.call(lambda c: c.v1.invoices.void_invoice(sid, options={"idempotency_key": f"o2c-void-{sid}"}))
        elif si["status"] == "draft":
            self.gw.call(lambda c: c.v1.invoices.delete(sid))

    def _stripe_invoice_for(self, erp_id: str) -> str | None:
        rows = self.sf.query(f"SELECT Stripe_Invoice_Id__c FROM blng__Invoice__c WHERE ERP_Invoice_Id__c = '{erp_id}'")
        return rows[0]["Stripe_Invoice_Id__c"] if rows and rows[0].get("Stripe_Invoice_Id__c") else None

    # ---- events in --------------------------------------------------------------------------
    def ensure_webhook_endpoint(self) -> None:
        if self.data.get("webhook_secret"):
            return
        ep = self.gw.call(lambda c: c.v1.webhook_endpoints.create(params={
            "url": f"{self.config.own_url}/webhooks/stripe", "enabled_events": EVENTS,
            "description": "o2c reference integration"}))
        self.data["webhook_secret"] = ep.secret
        self.data["webhook_endpoint"] = ep.id

    def receive_webhook(self, payload: bytes, signature: str | None) -> tuple[int, str]:
        secret = self.data.get("webhook_secret")
        if not secret:
            return 503, "webhook endpoint not registered yet"
        try:
            # The SDK checks the signature; the 5-minute freshness check is done here against the
            # simulated clock (the SDK's own check reads the wall clock, and simulated time runs
            # on its own). Same rule as construct_event's default tolerance of 300 s.
            stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature or "", secret, tolerance=None)
            stamp = int(dict(p.split("=", 1) for p in (signature or "").split(",") if "=" in p).get("t", "0"))
            if stamp < self.app.now().timestamp() - TOLERANCE:
                raise stripe.SignatureVerificationError("Timestamp outside the tolerance zone", signature)
            # the event as plain JSON: its id, type, time and invoice are all the job needs (the SDK's
            # construct_event would build typed objects only to be read as dicts)
            event = json.loads(payload)
            if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "type" not in event:
                raise ValueError("not a Stripe event")
        except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
            self.data["stats"]["webhooks_rejected"] += 1
            return 400, f"rejected: {exc}"
        self.enqueue(event["id"], event["type"], event.get("created"), *_invoice_of(event))
        return 200, "ok"

    def enqueue(self, event_id: str, event_type: str, created: int, invoice: str | None = None,
                state: str | None = None) -> None:
        """Queue an event's job. An invoice event (signed webhook, or read from /v1/events) carries its
        invoice id, type, time and the invoice's state in the event (``status:amount_paid``), so its
        job reads the invoice itself and not the event again; the invoice id is also the job's lane
        (one invoice's events never run at the same time)."""
        with self.app.store.lock:
            seen = self.data["events_seen"]
            if event_id in seen:
                self.data["stats"]["duplicates_ignored"] += 1
                return
            seen[event_id] = {"type": event_type, "created": created, "received_at": iso(self.app.now())}
        if event_type in EVENTS:
            payload: dict[str, Any] = {"event_id": event_id}
            if invoice:
                payload.update(invoice=invoice, type=event_type, created=created)
                if state:
                    payload["state"] = state
                    if self._nothing_to_do(payload):
                        return   # what the job would find first thing: no job at all
            self.app.queue.submit("stripe_event", event_id, payload)

    def _nothing_to_do(self, payload: dict[str, Any]) -> bool:
        """An invoice event whose own snapshot of the invoice (``state``) shows nothing to sync, or the
        state already synced (the second and third event about one payment): a later change of the
        invoice comes with an event of its own, which reads the invoice then. A failed payment is
        always looked at (the mirror notes it)."""
        return payload["type"] != "invoice.payment_failed" and bool(payload.get("state")) and (
            _nothing_to_sync(payload["state"])
            or self.app.queue.finished(f"stripe:{payload['invoice']}", "synced") == payload["state"])

    def poll(self, payload: dict[str, Any]) -> None:
        """Polling mode: read /v1/events newer than the last event seen (``ending_before`` = that
        event, Stripe's cursor for "newer than"), oldest first; the first poll, or one whose cursor
        is gone (events are kept 30 days), starts from the ``created`` watermark. Reschedule."""
        try:
            cursor = self.data.get("poll_cursor")
            try:
                events = self._events_since(cursor)
            except Permanent:
                if not cursor:
                    raise
                self.data["poll_cursor"] = cursor = None   # the cursor event expired: fall back
                events = self._events_since(None)
            for e in events:
                self.enqueue(e["id"], e["type"], e["created"], *_invoice_of(e))
                self.data["poll_watermark"] = max(self.data.get("poll_watermark") or 0, e["created"])
                self.data["poll_cursor"] = e["id"]
            self.data["stats"]["polls"] += 1
        finally:
            if self.config.payment_sync == "polling":
                self.app.schedule_poll()

    def _events_since(self, cursor: str | None) -> list[dict[str, Any]]:
        """Events of our types after ``cursor`` (or from the watermark), oldest first, as plain JSON."""
        params: dict[str, Any] = {"limit": 100, "types": EVENTS}
        if cursor:
            params["ending_before"] = cursor
        else:
            params["created"] = {"gte": self.data.get("poll_watermark") or 0}
        # the whole walk is one call(): later pages are requests too, and can fail like the first
        listed = self.gw.walk("/v1/events", params, towards_newest=bool(cursor))
        return listed if cursor else listed[::-1]   # a created-filtered walk comes newest first

    def handle_event(self, payload: dict[str, Any]) -> None:
        if payload.get("invoice") and payload.get("type"):   # fetch-on-notify: the invoice is read afresh
            if self._nothing_to_do(payload):   # synced meanwhile (by the job of another event about it)
                return
            self.sync_invoice(payload["invoice"], {"id": payload["event_id"], "type": payload["type"],
                                                   "created": payload.get("created")})
            return
        event = _obj(self.gw.call(lambda c: c.v1.events.retrieve(payload["event_id"])))
        obj = event["data"]["object"]
        kind = event["type"]
        if kind.startswith("invoice."):
            self.sync_invoice(obj["id"], event)
        elif kind == "invoice_payment.paid":
            self.sync_invoice(obj["invoice"], event)
        elif kind == "charge.refunded":
            self.sync_refund(obj["id"])
        elif kind == "charge.dispute.created":
            self.sync_dispute(obj)

    # ---- effects ------------------------------------------------------------------------------
    def _mirror_for(self, si: dict[str, Any]) -> dict[str, Any] | None:
        erp_id = si.get("metadata", {}).get("erp_invoice_id")
        if not erp_id:
            return None
        rows = self.sf.query("SELECT Id, blng__Account__c, blng__PaymentStatus__c, blng__Balance__c, blng__TotalAmount__c, "
                             f"Dispute_Status__c FROM blng__Invoice__c WHERE ERP_Invoice_Id__c = '{erp_id}'")
        return rows[0] if rows else None

    def sync_invoice(self, stripe_invoice_id: str, event: dict[str, Any]) -> None:
        """Bring the mirror and the ERP in line with the invoice as Stripe has it now. The state last
        synced (status and amount paid) is a checkpoint: the second and third event about the
        same change (``invoice_payment.paid``, ``invoice.payment_succeeded``, ``invoice.paid``)
        cost one read, not a second round of look-ups."""
        si = self.gw.read(f"/v1/invoices/{stripe_invoice_id}")
        scope, state = f"stripe:{si['id']}", f"{si['status']}:{si['amount_paid']}"
        if event["type"] != "invoice.payment_failed" and self.app.queue.checkpoints(scope).get("synced") == state:
            return
        if event["type"] != "invoice.payment_failed" and _nothing_to_sync(state):
            return   # nothing paid, voided or written off yet (e.g. invoice.finalized)
        mirror = self._mirror_for(si)
        if mirror is None:
            return  # not one of ours
        self._sync_invoice(si, mirror, event)
        self.app.queue.checkpoint(scope, "synced", state)

    def _sync_invoice(self, si: dict[str, Any], mirror: dict[str, Any], event: dict[str, Any]) -> None:
        erp_id = si["metadata"]["erp_invoice_id"]
        if si["amount_paid"] > 0 or si["status"] == "paid":
            self.apply_payments(erp_id, mirror, si, event)
        if si["status"] == "void":
            self.sf.update("blng__Invoice__c", mirror["Id"], {"blng__InvoiceStatus__c": "Cancelled"})
        elif si["status"] == "uncollectible":
            self.sf.update("blng__Invoice__c", mirror["Id"], {"Collections_Status__c": "Uncollectible"})
        elif event["type"] == "invoice.payment_failed" and si["status"] != "paid" \
                and mirror["blng__PaymentStatus__c"] not in SETTLED:
            self.sf.update("blng__Invoice__c", mirror["Id"], {"blng__Notes__c": "Last payment attempt failed"})

    def paid_parts(self, si: dict[str, Any]) -> list[tuple[str | None, Decimal, int]]:
        """What Stripe collected for the invoice, one entry per payment: (charge id, amount, paid at).
        A remainder with no payment behind it (``paid_out_of_band``) is one entry with no charge."""
        parts: list[tuple[str | None, Decimal, int]] = []
        # each payment's PaymentIntent expanded in the list: its charge without a read per payment; the
        # pages as plain JSON (no typed objects built only to be read as dicts)
        pays = self.gw.walk("/v1/invoice_payments", {"invoice": si["id"], "status": "paid", "limit": 100,
                                                     "expand": ["data.payment.payment_intent"]})
        for pay in sorted(pays, key=lambda p: (p["created"], p["id"])):
            pi = (pay.get("payment") or {}).get("payment_intent")
            if not pi or not pay.get("amount_paid"):
                continue
            if isinstance(pi, str):
                pi = self.gw.read(f"/v1/payment_intents/{pi}")
            paid_at = (pay.get("status_transitions") or {}).get("paid_at") or si["created"]
            parts.append((pi.get("latest_charge"), Decimal(pay["amount_paid"]) / 100, paid_at))
        rest = Decimal(si["amount_paid"]) / 100 - sum((a for _, a, _ in parts), Decimal("0"))
        if rest > 0:
            paid_at = (si.get("status_transitions") or {}).get("paid_at") or si["created"]
            parts.append((None, rest, paid_at))
        return parts

    def apply_payments(self, erp_id: str, mirror: dict[str, Any], si: dict[str, Any], event: dict[str, Any]) -> None:
        for charge_id, amount, paid_at in self.paid_parts(si):
            self.apply_payment(erp_id, mirror, charge_id, amount, paid_at)
        if mirror["blng__PaymentStatus__c"] in SETTLED:
            return
        if si["status"] == "paid":
            paid_at = (si.get("status_transitions") or {}).get("paid_at") or event["created"]
            self.sf.update("blng__Invoice__c", mirror["Id"], {
                "blng__PaymentStatus__c": "Paid", "blng__Balance__c": 0.0, "Paid_At__c": _iso_ts(paid_at)})
            return
        # part paid: the balance is what the ERP (the receivables ledger) still has open
        remaining = dec(self.erp.get("invoice", erp_id)["amountRemaining"])
        if mirror["blng__PaymentStatus__c"] != "Partially Paid" or dec(mirror["blng__Balance__c"]) != remaining:
            self.sf.update("blng__Invoice__c", mirror["Id"], {
                "blng__PaymentStatus__c": "Partially Paid", "blng__Balance__c": remaining})

    def _charges_of(self, si: dict[str, Any]) -> list[str]:
        return [c for c, _, _ in self.paid_parts(si) if c]

    def apply_payment(self, erp_id: str, mirror: dict[str, Any], charge_id: str | None, amount: Decimal,
                      paid_at: int) -> None:
        """One gateway payment: a customer payment of its own amount in the ERP (never twice: the
        external id is the charge id) and one blng__Payment__c in Salesforce."""
        ref = charge_id or f"oob-{erp_id}"
        q, scope = self.app.queue, f"payment:{ref}"
        done = q.checkpoints(scope)
        if done.get("sf_payment"):
            return
        # no look-up first: the external id is unique, so a payment already there is refused (DUP_RCRD)
        # and re-read below; one fully applied leaves nothing remaining, so it is not sent at all
        if not done.get("erp_payment"):
            inv = self.erp.get("invoice", erp_id)
            pay_amount = min(amount, dec(inv["amountRemaining"]))
            if pay_amount > 0:
                try:
                    self.erp.create("customerPayment", {
                        "externalId": ref, "customer": {"id": str(_ref_id(inv["entity"]))},
                        "payment": pay_amount, "memo": f"Stripe {ref}",
                        "apply": {"items": [{"doc": {"id": erp_id}, "apply": True, "amount": pay_amount}]}})
                except AlreadyExists:
                    # DUP_RCRD: another event for the same invoice applied this charge first (or our
                    # own answer was lost after the write). Re-read: the same charge on the same
                    # invoice is the payment we meant; anything else is for a person.
                    self._same_payment(ref, erp_id)
        q.checkpoint(scope, "erp_payment")
        self.sf.upsert("blng__Payment__c", "Gateway_Charge_Id__c", ref, {
            "blng__Account__c": mirror["blng__Account__c"], "blng__Invoice__c": mirror["Id"], "blng__Amount__c": amount,
            "blng__Status__c": "Posted", "blng__PaymentDate__c": _iso_ts(paid_at)[:10]})
        q.checkpoint(scope, "sf_payment")

    def _same_payment(self, ref: str, erp_id: str) -> None:
        pay = self.erp.get("customerPayment", f"eid:{ref}")
        applied = {str(_ref_id((a.get("doc") or {}))) for a in (pay.get("apply") or {}).get("items", [])
                   if a.get("apply", True)}
        if erp_id not in applied:
            raise Permanent(f"ERP customer payment {ref} exists but is not applied to invoice {erp_id}")

    def sync_refund(self, charge_id: str) -> None:
        charge = _obj(self.gw.call(lambda c: c.v1.charges.retrieve(charge_id)))
        pays = self.sf.query(f"SELECT Id, blng__Invoice__c, blng__Amount__c FROM blng__Payment__c "
                             f"WHERE Gateway_Charge_Id__c = '{charge_id}'")
        if not pays:
            return
        refunded = Decimal(charge["amount_refunded"]) / 100
        mirror_id = pays[0]["blng__Invoice__c"]
        mirror = self.sf.query(f"SELECT Id, ERP_Invoice_Id__c, AvaTax_Document_Code__c, blng__TotalAmount__c "
                               f"FROM blng__Invoice__c WHERE Id = '{mirror_id}'")[0]
        erp_id = mirror["ERP_Invoice_Id__c"]
        memo_key = f"refund-{charge_id}-{charge['amount_refunded']}"
        existing = self.erp.request("GET", f"/record/v1/creditMemo/eid:{memo_key}", allow=(404,))
        total = dec(mirror["blng__TotalAmount__c"])
        full = refunded >= total
        if existing.status_code == 404:
            # This refund's own amount: the cumulative refund less what earlier refunds already credited.
            credited = sum((dec(m.get("total")) for m in self.erp.suiteql(
                f"SELECT id, total FROM transaction WHERE type = 'CustCred' AND createdfrom = '{erp_id}'")),
                Decimal("0"))
            delta = refunded - credited
            if delta <= 0:
                return
            body: dict[str, Any] = {"externalId": memo_key, "memo": f"Stripe refund of {charge_id}"}
            if not full:
                # A partial credit names its lines: the refund is spread over the invoice lines in
                # proportion to their totals, each share split into amount and tax.
                body["item"] = {"items": credit_items(self.erp.get("invoice", erp_id), delta)}
            self.erp.transform("invoice", erp_id, "creditMemo", body)
            code = mirror.get("AvaTax_Document_Code__c")
            if code and self.tax.get(f"{code}-R{charge['amount_refunded']}", "ReturnInvoice") is None:
                pct = None if full and credited == 0 else (delta / total * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                self.tax.refund(code, f"{code}-R{charge['amount_refunded']}", self.app.today().isoformat(), pct)
        self.sf.update("blng__Payment__c", pays[0]["Id"], {"blng__Status__c": "Refunded" if full else "Partially Refunded"})
        if full:
            self.sf.update("blng__Invoice__c", mirror_id, {"blng__PaymentStatus__c": "Refunded"})

    def sync_dispute(self, dispute: dict[str, Any]) -> None:
        charge = _obj(self.gw.call(lambda c: c.v1.charges.retrieve(dispute["charge"])))
        pays = self.sf.query(f"SELECT Id, blng__Invoice__c FROM blng__Payment__c WHERE Gateway_Charge_Id__c = '{charge['id']}'")
        if pays:
            self.sf.update("blng__Invoice__c", pays[0]["blng__Invoice__c"], {"Dispute_Status__c": dispute.get("status") or "needs_response"})
            return
        # a dispute on an invoice not yet marked paid here: find the invoice through the payment intent
        for si in self.gw.call(lambda c: list(c.v1.invoices.list(params={"limit": 100}).auto_paging_iter())):
            si = _obj(si)
            if si.get("amount_paid") and charge["id"] in self._charges_of(si):
                mirror = self._mirror_for(si)
                if mirror:
                    self.sf.update("blng__Invoice__c", mirror["Id"],
                                   {"Dispute_Status__c": dispute.get("status") or "needs_response"})
                return


def _nothing_to_sync(state: str) -> bool:
    """An invoice state (``status:amount_paid``) that asks nothing of the mirror or the ERP."""
    status, _, paid = state.partition(":")
    return status in ("draft", "open") and paid in ("0", "")


def _invoice_of(event: Any) -> tuple[str | None, str | None]:
    """The Stripe invoice an invoice event is about (``invoice.*``: the object; ``invoice_payment.paid``:
    its ``invoice``) and, for ``invoice.*``, the invoice's state in the event; (None, None) otherwise."""
    event = _obj(event)
    etype = event.get("type") or ""
    obj = (event.get("data") or {}).get("object") or {}
    if etype.startswith("invoice."):
        state = f"{obj['status']}:{obj['amount_paid']}" if "status" in obj and "amount_paid" in obj else None
        return obj.get("id"), state
    if etype == "invoice_payment.paid":
        inv = obj.get("invoice")
        return (inv if isinstance(inv, str) else (inv or {}).get("id")), None
    return None, None


def _ref_id(value: Any) -> str:
    return value.get("id") if isinstance(value, dict) else value


def _iso_ts(ts: int) -> str:
    return iso(datetime.fromtimestamp(int(ts), tz=timezone.utc))
