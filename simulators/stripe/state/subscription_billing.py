"""Subscriptions on the simulated clock: periods, invoices, trials, prorations and dunning.

- Creation: the first invoice (``billing_reason=subscription_create``) is finalized at once; for
  ``charge_automatically`` it is paid at once with the subscription's (or customer's) default payment
  method -> ``active``; a decline or ``payment_behavior=default_incomplete`` -> ``incomplete``, and
  ``incomplete_expired`` (invoice voided) 23 hours later if still unpaid (docs.stripe.com/billing/
  subscriptions/overview#subscription-statuses). ``send_invoice`` subscriptions are ``active`` at once.
- Each period end starts the next period: a draft invoice (``subscription_cycle``) that the invoices'
  ``auto_advance`` finalizes an hour later and then charges; failures follow the invoices' Smart-Retries
  schedule (``/_sim/stripe/dunning``): ``past_due`` at the first failure, and after the last retry the
  subscription is ``canceled`` (default), ``unpaid`` or left ``past_due`` (``subscription_final``).
- Trials: ``trialing`` with a $0 first invoice; ``customer.subscription.trial_will_end`` three days before
  the end (docs.stripe.com/billing/subscriptions/trials#use-webhooks); at the end -> ``active``
  (or ``paused`` / ``canceled`` without a payment method, per ``trial_settings``).
- ``invoice.upcoming`` fires ``UPCOMING_DAYS`` before each renewal (the fake's fixed choice; Stripe's is a
  Dashboard setting).
- Prorations (prorations.py) stay pending for the next invoice or are invoiced at once by
  ``invoice_pending`` (``always_invoice``, cancel with ``invoice_now``).
"""
from __future__ import annotations

import calendar
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .base import Resource

INCOMPLETE_EXPIRY = 23 * 3600
TRIAL_WILL_END = 3 * 86400
UPCOMING_DAYS = 3


def shift(ts: int, interval: str, count: int) -> int:
    """``ts`` moved by ``count`` intervals; months/years keep the anchor's day, clamped to the month's end."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    if interval in ("day", "week"):
        return ts + count * (7 if interval == "week" else 1) * 86400
    months = count * (12 if interval == "year" else 1)
    y, m = divmod(dt.month - 1 + months, 12)
    year, month = dt.year + y, m + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


class SubscriptionBilling(Resource):
    # ---- periods --------------------------------------------------------------------------------------
    def period_end(self, sub: dict[str, Any], cycle: int) -> int:
        rec = sub["items"]["data"][0]["price"]["recurring"]
        return shift(self.db.internal(sub["id"])["anchor"], rec["interval"], rec["interval_count"] * cycle)

    def schedule_sub(self, when: int, kind: str, sid: str, **extra: Any) -> None:
        at = datetime.fromtimestamp(when, tz=timezone.utc)
        at = max(at, self.clock.now())
        self.clock.schedule(at, lambda: self.run_sub_job(kind, sid, **extra), name=f"stripe {kind} {sid}",
                            owner=self.sim.name)

    def schedule_cycle(self, sub: dict[str, Any]) -> None:
        start, end = self.hub.subscriptions.period(sub)
        cycle = self.db.internal(sub["id"])["cycle"]
        self.schedule_sub(end, "sub_cycle", sub["id"], cycle=cycle)
        if sub["status"] == "trialing":
            self.schedule_sub(max(start, end - TRIAL_WILL_END), "sub_trial_will_end", sub["id"], cycle=cycle)
        elif end - UPCOMING_DAYS * 86400 > self.db.now():
            self.schedule_sub(end - UPCOMING_DAYS * 86400, "sub_upcoming", sub["id"], cycle=cycle)

    # ---- creation --------------------------------------------------------------------------------------
    def start_subscription(self, sub: dict[str, Any], prorate_first: bool) -> None:
        info = self.db.internal(sub["id"])
        if sub["trial_end"]:
            sub["status"] = "trialing"
            sub["billing_cycle_anchor"] = sub["trial_end"]
        else:
            sub["billing_cycle_anchor"] = info["anchor"]
        self.hub.events.emit("customer.subscription.created", sub)
        start, end = self.hub.subscriptions.period(sub)
        factor = None
        if prorate_first:   # a future billing_cycle_anchor: the first, short period is prorated
            full = end - shift(end, *self._interval(sub, -1))
            factor = Decimal(end - start) / Decimal(full)
        inv = self.bill_period(sub, "subscription_create", immediate=True, factor=factor, create=True)
        if sub["status"] == "trialing":
            pass
        elif inv["status"] == "paid" or sub["collection_method"] == "send_invoice":
            self._set_status(sub, "active")
        else:
            self.schedule_sub(sub["created"] + INCOMPLETE_EXPIRY, "sub_expire", sub["id"])
        self.schedule_cycle(sub)

    def _interval(self, sub: dict[str, Any], times: int) -> tuple[str, int]:
        rec = sub["items"]["data"][0]["price"]["recurring"]
        return rec["interval"], rec["interval_count"] * times

    def payer(self, sub: dict[str, Any]) -> dict[str, Any] | None:
        cus = self.db.find(sub["customer"]) or {}
        for ref in (sub.get("default_payment_method"), (cus.get("invoice_settings") or {}).get("default_payment_method")):
            if ref and self.db.find(ref):
                return self.db.find(ref)
        return None

    # ---- invoices ------------------------------------------------------------------------------------------
    def bill_period(self, sub: dict[str, Any], reason: str, immediate: bool, factor: Decimal | None = None,
                    create: bool = False) -> dict[str, Any]:
        """An invoice for the current period of every item plus the subscription's pending items."""
        params = {"customer": sub["customer"], "collection_method": sub["collection_method"],
                  "currency": sub["currency"], "auto_advance": "false" if immediate or sub["status"] == "unpaid"
                  else "true"}
        if sub["collection_method"] == "send_invoice":
            params["days_until_due"] = str(sub["days_until_due"] or 0)
        if sub.get("description"):
            params["description"] = sub["description"]
        inv = self._sub_invoice(sub, params, reason)
        start, end = self.hub.subscriptions.period(sub)
        trial = sub["status"] == "trialing"
        for si in sub["items"]["data"]:
            amount = 0 if trial else si["price"]["unit_amount"] * si["quantity"]
            if factor is not None:
                amount = int((amount * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            name = self._product_name(si)
            desc = (f"Trial period for {name}" if trial else
                    f"{si['quantity']} × {name} (at ${si['price']['unit_amount'] / 100:.2f} / "
                    f"{si['price']['recurring']['interval']})")
            self._sub_line(inv, sub, si, amount, desc, start, end)
        self._pull_pending(inv, sub)
        self.hub.lines.recompute(inv)
        inv["period_start"], inv["period_end"] = (start, start) if create else self._invoice_period(sub, inv)
        if not immediate:
            return inv   # auto_advance finalizes it an hour later, then charges it
        self._collect_now(sub, inv, create)
        return inv

    def _invoice_period(self, sub: dict[str, Any], inv: dict[str, Any]) -> tuple[int, int]:
        # a renewal invoice's period_start/period_end are the period just ended (docs.stripe.com/api/invoices/object)
        info = self.db.internal(sub["id"])
        prev = info.get("previous_period") or self.hub.subscriptions.period(sub)
        return prev[0], prev[1]

    def _collect_now(self, sub: dict[str, Any], inv: dict[str, Any], create: bool) -> None:
        send = sub["collection_method"] == "send_invoice"
        self.hub.invoices.finalize(inv, {"auto_advance": "true" if send else "false"})
        inv["auto_advance"] = inv["status"] == "open" and not create   # retries; none for a first invoice
        if inv["status"] != "open" or sub["collection_method"] != "charge_automatically":
            return
        if create and self.db.internal(sub["id"]).get("behavior") == "default_incomplete":
            return   # the integration confirms the PaymentIntent (confirmation_secret) itself
        pm = self.payer(sub)
        if pm is None:
            if not create:
                self.on_invoice_payment_failed(inv)
            return
        self.hub.invoices.attempt_payment(inv, pm, automatic=True)

    def _sub_invoice(self, sub: dict[str, Any], params: dict[str, Any], reason: str) -> dict[str, Any]:
        extra = {"billing_reason": reason, "default_payment_method": sub["default_payment_method"],
                 "parent": {"quote_details": None, "type": "subscription_details",
                            "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]}}}
        inv = self.hub.invoices.create(params, extra=extra, internal={"subscription": sub["id"]})
        sub["latest_invoice"] = inv["id"]
        return inv

    def _product_name(self, si: dict[str, Any]) -> str:
        prod = self.db.find(si["price"]["product"]) or {}
        return prod.get("name") or si["price"]["product"]

    def _sub_line(self, inv: dict[str, Any], sub: dict[str, Any], si: dict[str, Any], amount: int, desc: str,
                  start: int, end: int) -> None:
        line = {
            "id": self.db.new_id("il"), "object": "line_item", "amount": amount, "currency": inv["currency"],
            "description": desc, "discount_amounts": [], "discountable": True, "discounts": [],
            "invoice": inv["id"], "livemode": False, "metadata": dict(sub["metadata"]),
            "parent": {"invoice_item_details": None, "type": "subscription_item_details",
                       "subscription_item_details": {"invoice_item": None, "proration": False,
                                                     "proration_details": {"credited_items": None},
                                                     "subscription": sub["id"], "subscription_item": si["id"]}},
            "period": {"end": end, "start": start}, "pretax_credit_amounts": [],
            "pricing": {"price_details": {"price": si["price"]["id"], "product": si["price"]["product"]},
                        "type": "price_details", "unit_amount_decimal": si["price"]["unit_amount_decimal"]},
            "quantity": si["quantity"], "subscription": sub["id"], "subtotal": amount, "taxes": [],
        }
        inv["lines"]["data"].append(line)
        self.db.d["objects"][line["id"]] = line

    def _pull_pending(self, inv: dict[str, Any], sub: dict[str, Any]) -> int:
        n = 0
        for ii_id in list(self.db.d["order"].get("invoiceitem", [])):
            ii = self.db.d["objects"].get(ii_id)
            if (ii and not ii.get("deleted") and ii["invoice"] is None and ii["customer"] == sub["customer"]
                    and self.db.internal(ii_id).get("subscription") == sub["id"]):
                line = self.hub.lines.add_line_for_item(inv, ii)
                line["parent"]["invoice_item_details"].update(proration=ii["proration"], subscription=sub["id"])
                line["subscription"] = sub["id"]
                n += 1
        return n

    def invoice_pending(self, sub: dict[str, Any], reason: str, allow_empty: bool = False) -> dict[str, Any] | None:
        """An invoice now with the subscription's pending items (``always_invoice``, ``invoice_now``)."""
        if not allow_empty and not any(
                ii and not ii.get("deleted") and ii.get("invoice") is None
                and self.db.internal(ii["id"]).get("subscription") == sub["id"]
                for ii in (self.db.d["objects"].get(i) for i in self.db.d["order"].get("invoiceitem", []))):
            return None
        params = {"customer": sub["customer"], "collection_method": sub["collection_method"],
                  "currency": sub["currency"], "auto_advance": "false"}
        if sub["collection_method"] == "send_invoice":
            params["days_until_due"] = str(sub["days_until_due"] or 0)
        inv = self._sub_invoice(sub, params, reason)
        self._pull_pending(inv, sub)
        self.hub.lines.recompute(inv)
        self._collect_now(sub, inv, create=False)
        return inv

    # ---- status changes --------------------------------------------------------------------------------------
    def _set_status(self, sub: dict[str, Any], status: str, emit: bool = True) -> None:
        if sub["status"] == status:
            return
        previous = {"status": sub["status"]}
        sub["status"] = status
        if emit:
            self.hub.events.emit("customer.subscription.updated", sub, previous)

    def end_subscription(self, sub: dict[str, Any], reason: str, details: dict[str, Any] | None = None) -> None:
        now = self.db.now()
        sub.update(status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now)
        sub["cancellation_details"].update(reason=reason, comment=(details or {}).get("comment"),
                                           feedback=(details or {}).get("feedback"))
        for inv_id in self.db.d["order"].get("invoice", []):   # Stripe stops collecting the subscription's invoices
            inv = self.db.d["objects"].get(inv_id)
            if inv and self.db.internal(inv_id).get("subscription") == sub["id"] and inv.get("status") == "open":
                inv.update(auto_advance=False, next_payment_attempt=None)
        self.hub.events.emit("customer.subscription.deleted", sub)

    def end_trial_now(self, sub: dict[str, Any]) -> None:
        now = self.db.now()
        sub["trial_end"] = now
        self.db.internal(sub["id"]).update(anchor=now, cycle=0)
        self.hub.subscriptions.set_period(sub, sub["trial_start"], now)
        self._next_period(sub)

    # ---- hooks called by the invoices' code ------------------------------------------------------------------
    def _sub_of(self, inv: dict[str, Any]) -> dict[str, Any] | None:
        sid = self.db.internal(inv["id"]).get("subscription")
        return self.db.find(sid) if sid else None

    def on_invoice_paid(self, inv: dict[str, Any]) -> None:
        sub = self._sub_of(inv)
        if sub and sub["status"] in ("incomplete", "past_due", "unpaid") and sub["latest_invoice"] == inv["id"]:
            self._set_status(sub, "active")

    def on_invoice_payment_failed(self, inv: dict[str, Any]) -> None:
        sub = self._sub_of(inv)
        if sub and sub["status"] == "active" and inv["billing_reason"] != "subscription_create":
            self._set_status(sub, "past_due")

    def on_dunning_exhausted(self, inv: dict[str, Any]) -> None:
        sub = self._sub_of(inv)
        if not sub or sub["status"] != "past_due":
            return
        final = self.hub.invoices.dunning().get("subscription_final", "canceled")
        if final == "canceled":
            self.end_subscription(sub, "payment_failed")
        elif final == "unpaid":
            self._set_status(sub, "unpaid")

    def on_invoice_overdue(self, inv: dict[str, Any]) -> None:
        sub = self._sub_of(inv)
        if sub and sub["status"] == "active":
            self._set_status(sub, "past_due")

    # ---- scheduled work ----------------------------------------------------------------------------------------
    def run_sub_job(self, kind: str, sid: str, cycle: int | None = None) -> None:
        with self.lock:
            sub = self.db.find(sid)
            if not sub or sub.get("deleted") or sub["status"] in ("canceled", "incomplete_expired"):
                return
            current = self.db.internal(sid).get("cycle")
            if cycle is not None and cycle != current:
                return   # the period moved on (trial ended early, resumed, ...)
            if kind == "sub_expire" and sub["status"] == "incomplete":
                inv = self.db.find(sub["latest_invoice"])
                if inv and inv["status"] == "open":
                    self.hub.invoices.void(inv)
                self._set_status(sub, "incomplete_expired")
            elif kind == "sub_trial_will_end" and sub["status"] == "trialing":
                self.hub.events.emit("customer.subscription.trial_will_end", sub)
            elif kind == "sub_upcoming" and sub["status"] in ("active", "past_due") and not sub["cancel_at_period_end"]:
                self.hub.events.emit("invoice.upcoming", self._upcoming(sub))
            elif kind == "sub_cancel_at" and sub["cancel_at"] and sub["cancel_at"] <= self.db.now():
                self.end_subscription(sub, "cancellation_requested")
            elif kind == "sub_cycle" and sub["status"] in ("active", "past_due", "unpaid", "trialing"):
                if sub["cancel_at_period_end"]:
                    self.end_subscription(sub, "cancellation_requested")
                else:
                    self._next_period(sub)

    def _upcoming(self, sub: dict[str, Any]) -> dict[str, Any]:
        """The renewal invoice as ``invoice.upcoming`` shows it (no id): the next period of every item
        plus the pending items (prorations) it will pick up."""
        preview = self.hub.preview.preview_invoice({"customer": sub["customer"], "currency": sub["currency"]})
        _, end = self.hub.subscriptions.period(sub)
        nxt = self.period_end(sub, self.db.internal(sub["id"])["cycle"] + 1)
        lines = []
        for si in sub["items"]["data"]:
            line = self.hub.preview.preview_line(si["price"]["unit_amount"] * si["quantity"], si["quantity"],
                                                 f"{si['quantity']} × {self._product_name(si)}", {}, sub["currency"],
                                                 None)
            line.update(period={"start": end, "end": nxt}, subscription=sub["id"])
            lines.append(line)
        lines += [line for line in preview["lines"]["data"]
                  if self.db.internal(line["parent"]["invoice_item_details"]["invoice_item"]).get("subscription")
                  == sub["id"]]
        total = sum(line["amount"] for line in lines)
        preview["lines"].update(data=lines, total_count=len(lines))
        preview.update(id=None, billing_reason="upcoming", subscription=sub["id"], subtotal=total,
                       subtotal_excluding_tax=total, total=total, total_excluding_tax=total,
                       amount_due=max(total, 0), amount_remaining=max(total, 0), period_start=end, period_end=nxt,
                       collection_method=sub["collection_method"])
        return preview

    def _next_period(self, sub: dict[str, Any]) -> None:
        before = self.db.snapshot(sub)
        info = self.db.internal(sub["id"])
        old = self.hub.subscriptions.period(sub)
        if sub["status"] == "trialing":
            if sub["collection_method"] == "charge_automatically" and self.payer(sub) is None:
                missing = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
                if missing == "cancel":
                    self.end_subscription(sub, "cancellation_requested")
                    return
                if missing == "pause":
                    self._set_status(sub, "paused")
                    self.hub.events.emit("customer.subscription.paused", sub)
                    return
            sub["status"] = "active"
            info["previous_period"] = None
        else:
            info["previous_period"] = list(old)
        info["cycle"] += 1
        self.hub.subscriptions.set_period(sub, old[1], self.period_end(sub, info["cycle"]))
        self.bill_period(sub, "subscription_cycle", immediate=False)
        self.hub.events.emit("customer.subscription.updated", sub,
                             {k: v for k, v in before.items() if sub.get(k) != v and k != "latest_invoice"})
        self.schedule_cycle(sub)
