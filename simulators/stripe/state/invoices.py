"""One-off invoices: draft -> open -> paid / void / uncollectible, per Stripe's transition table
(stripe.com/docs/invoicing/integration/workflow-transitions), with automatic collection, overdue
notices and Smart-Retries-like dunning on the simulated clock.

- ``auto_advance`` drafts finalize one simulated hour after creation (``automatically_finalizes_at``);
  the first automatic payment attempt for ``charge_automatically`` is at that moment too (or at
  once when a caller finalizes after the hour).
- ``send_invoice`` invoices get ``due_date`` (``days_until_due`` after finalization unless given);
  at ``due_date`` an ``invoice.overdue`` event fires if the invoice is still open.
- Dunning (settings ``dunning``): after a failed automatic attempt, ``retries`` more attempts
  spread evenly over ``window_days``; none for hard declines or when no payment method exists;
  after the last failure the invoice stays open (``past_due``) or is marked uncollectible.
"""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource
from .dunning import DunningMixin

HOUR = 3600


class InvoiceStore(DunningMixin, Resource):
    def __init__(self, hub):
        super().__init__(hub)
        # hosted: hosted-invoice-page token -> invoice id; dunning: the settings /_sim/stripe/dunning set
        self.store = self.sim.store(lambda: {"hosted": {}, "dunning": {}})

    def create(self, params: dict[str, Any], extra: dict[str, Any] | None = None,
               internal: dict[str, Any] | None = None) -> dict[str, Any]:
        """``extra`` (public fields) and ``internal`` (bookkeeping) let subscriptions shape their invoices
        before ``invoice.created`` is sent."""
        cus = self.db.get("customer", P.string(params, "customer", required=True), param="customer")
        method = P.string(params, "collection_method", default="charge_automatically",
                          choices=("charge_automatically", "send_invoice"))
        days = P.integer(params, "days_until_due", minimum=0)
        due = P.integer(params, "due_date")
        if method == "send_invoice" and days is None and due is None:
            raise InvalidRequest("Invoices with `collection_method=send_invoice` must have either `days_until_due` "
                                 "or `due_date` set.", param="days_until_due")
        if method == "charge_automatically" and (days is not None or due is not None):
            raise InvalidRequest("`days_until_due` and `due_date` can only be set when `collection_method` is "
                                 "`send_invoice`.", param="days_until_due" if days is not None else "due_date")
        now = self.db.now()
        auto = P.boolean(params, "auto_advance", default=False)
        iid = self.db.new_id("in")
        inv = {
            "id": iid, "object": "invoice", "account_country": "US", "account_name": "O2C Harness (test)",
            "account_tax_ids": None, "amount_due": 0, "amount_overpaid": 0, "amount_paid": 0,
            "amount_paid_off_stripe": 0, "amount_remaining": 0, "amount_shipping": 0, "application": None, "attempt_count": 0,
            "attempted": False, "auto_advance": auto,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None,
                              "status": None},
            "automatically_finalizes_at": now + HOUR if auto else None, "billing_reason": "manual",
            "collection_method": method, "confirmation_secret": None, "created": now,
            "currency": (P.string(params, "currency") or cus.get("currency") or "usd").lower(),
            "custom_fields": None, "customer": cus["id"], "customer_address": cus["address"],
            "customer_email": cus["email"], "customer_name": cus["name"], "customer_phone": cus["phone"],
            "customer_shipping": None, "customer_tax_exempt": cus["tax_exempt"], "customer_tax_ids": [],
            "default_payment_method": None, "default_source": None, "default_tax_rates": [],
            "description": P.string(params, "description"), "discounts": [],
            "due_date": due, "effective_at": None, "ending_balance": None,
            "footer": P.string(params, "footer") or cus["invoice_settings"].get("footer"),
            "from_invoice": None, "hosted_invoice_url": None, "invoice_pdf": None,
            "issuer": {"type": "self"}, "last_finalization_error": None, "latest_revision": None,
            "lines": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": f"/v1/invoices/{iid}/lines"},
            "livemode": False, "metadata": P.metadata(params), "next_payment_attempt": None,
            "number": P.string(params, "number"), "on_behalf_of": None, "parent": None,
            "payment_settings": {"default_mandate": None, "payment_method_options": None,
                                 "payment_method_types": None},
            "payments": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                         "url": "/v1/invoice_payments"},
            "period_end": now, "period_start": now, "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0, "receipt_number": None, "rendering": None,
            "shipping_cost": None, "shipping_details": None, "starting_balance": 0,
            "statement_descriptor": None, "status": "draft",
            "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                                   "voided_at": None},
            "subtotal": 0, "subtotal_excluding_tax": 0, "test_clock": cus.get("test_clock"),
            "threshold_reason": None, "total": 0, "total_discount_amounts": [], "total_excluding_tax": 0,
            "total_pretax_credit_amounts": [], "total_taxes": [], "webhooks_delivered_at": None,
        }
        self.db.internal(iid)["days_until_due"] = days
        self.db.internal(iid).update(internal or {})
        inv.update(extra or {})
        if params.get("default_payment_method"):
            inv["default_payment_method"] = self.hub.payment_methods.resolve_pm(params["default_payment_method"],
                                                                                param="default_payment_method")["id"]
        self.hub.invoice_tax.invoice_pricing_params(inv, params)   # default_tax_rates, discounts (state/invoice_tax.py)
        self.db.put(inv)
        behaviour = P.string(params, "pending_invoice_items_behavior", default="exclude",
                             choices=("exclude", "include"))
        if behaviour == "include":
            for ii_id in list(self.db.d["order"].get("invoiceitem", [])):
                ii = self.db.d["objects"].get(ii_id)
                if (ii and not ii.get("deleted") and ii["invoice"] is None and ii["customer"] == cus["id"]
                        and ii["currency"] == inv["currency"]):
                    self.hub.lines.add_line_for_item(inv, ii)
        self.hub.lines.recompute(inv)
        self.hub.events.emit("invoice.created", inv)
        if auto:
            self._schedule(now + HOUR, "auto_finalize", iid)
        return inv

    def update(self, inv: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        draft_only = ("collection_method", "days_until_due", "due_date", "currency", "default_payment_method")
        if inv["status"] != "draft":
            for key in draft_only:
                if key in params:
                    raise InvalidRequest(f"Finalized invoices can't be updated in this way ({key}).", param=key,
                                         code="invoice_not_editable")
        if inv["status"] in ("paid", "void") and "auto_advance" in params:
            raise InvalidRequest("You can't change auto_advance on a paid or void invoice.", param="auto_advance",
                                 code="invoice_not_editable")
        before = self.db.snapshot(inv)
        for key in ("description", "footer"):
            if key in params:
                inv[key] = params[key] or None
        if "collection_method" in params:
            inv["collection_method"] = P.string(params, "collection_method",
                                                choices=("charge_automatically", "send_invoice"))
        if "days_until_due" in params:
            self.db.internal(inv["id"])["days_until_due"] = P.integer(params, "days_until_due", minimum=0)
        if "due_date" in params:
            inv["due_date"] = P.integer(params, "due_date")
        if params.get("default_payment_method"):
            inv["default_payment_method"] = self.hub.payment_methods.resolve_pm(params["default_payment_method"],
                                                                                param="default_payment_method")["id"]
        if "auto_advance" in params:
            inv["auto_advance"] = P.boolean(params, "auto_advance")
            if inv["status"] == "draft":
                inv["automatically_finalizes_at"] = inv["created"] + HOUR if inv["auto_advance"] else None
                if inv["auto_advance"]:
                    self._schedule(max(self.db.now(), inv["created"] + HOUR), "auto_finalize", inv["id"])
        inv["metadata"] = P.metadata(params, inv["metadata"])
        self.hub.invoice_tax.invoice_pricing_params(inv, params)   # recomputes the totals
        previous = {k: v for k, v in before.items() if inv.get(k) != v}
        self.hub.events.emit("invoice.updated", inv, previous)
        return inv

    def delete(self, inv: dict[str, Any]) -> dict[str, Any]:
        if inv["status"] != "draft":
            raise InvalidRequest("You can only delete draft invoices.", code="invoice_not_editable")
        for line in inv["lines"]["data"]:
            ii_id = (line["parent"]["invoice_item_details"] or {}).get("invoice_item")
            if ii_id:
                self.db.d["objects"][ii_id] = {"id": ii_id, "object": "invoiceitem", "deleted": True}
            self.db.d["objects"].pop(line["id"], None)
        self.hub.events.emit("invoice.deleted", inv)
        gone = {"id": inv["id"], "object": "invoice", "deleted": True}
        self.db.d["objects"][inv["id"]] = gone
        return gone

    # ---- finalize ------------------------------------------------------------------------------
    def finalize(self, inv: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
        if inv["status"] != "draft":
            raise InvalidRequest("This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                                 code="invoice_not_editable")
        self.hub.discounts.redeem_discounts(inv)   # checks restrictions, then counts redemptions (state/discounts.py)
        params = params or {}
        if "auto_advance" in params:
            inv["auto_advance"] = P.boolean(params, "auto_advance")
        now = self.db.now()
        cus = self.db.get("customer", inv["customer"])
        if not inv["number"]:
            inv["number"] = f"{cus['invoice_prefix']}-{cus['next_invoice_sequence']:04d}"
            cus["next_invoice_sequence"] += 1
        token = "test_" + self.sim.secrets.token(40)
        self.store.data["hosted"][token] = inv["id"]
        inv.update(status="open", effective_at=now, automatically_finalizes_at=None,
                   hosted_invoice_url=f"{self.hub.public_base}/i/acct_o2c/{token}",
                   invoice_pdf=f"{self.hub.public_base}/invoice/acct_o2c/{token}/pdf")
        inv["status_transitions"]["finalized_at"] = now
        if inv["collection_method"] == "send_invoice" and inv["due_date"] is None:
            inv["due_date"] = now + 86400 * (self.db.internal(inv["id"]).get("days_until_due") or 0)
        self.hub.lines.recompute(inv)
        self.hub.balance.apply_customer_balance(inv)   # the customer's credit or debit (state/balance.py)
        self.hub.lines.recompute(inv)
        if inv["amount_due"] > 0:
            pi = self.hub.payments.new_payment_intent(inv["amount_due"], inv["currency"], inv["customer"],
                                                      f"Invoice {inv['number']}", {})
            self.hub.events.emit("payment_intent.created", pi)
            inv["confirmation_secret"] = {"client_secret": pi["client_secret"], "type": "payment_intent"}
            self.hub.invoice_payments.new_invoice_payment(inv, pi, default=True)
        self.hub.events.emit("invoice.finalized", inv)
        if inv["amount_due"] == 0:
            self.mark_paid(inv, None)
            return inv
        if inv["collection_method"] == "send_invoice":
            if inv["auto_advance"]:
                self.hub.events.emit("invoice.sent", inv)
            self._schedule(inv["due_date"], "overdue", inv["id"])
        elif inv["auto_advance"]:
            self._schedule(max(now, inv["created"] + HOUR), "auto_pay", inv["id"])
        return inv

    # ---- pay -------------------------------------------------------------------------------------
    def pay(self, inv: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if inv["status"] == "draft":
            self.finalize(inv, {})  # Stripe finalizes a draft passed to /pay
            if inv["status"] == "paid":
                return inv
        if inv["status"] == "paid":
            raise InvalidRequest("Invoice is already paid")
        if inv["status"] == "void":
            raise InvalidRequest("This invoice has been voided and cannot be paid.", code="invoice_not_editable")
        if P.boolean(params, "paid_out_of_band", default=False):
            pi = self.invoice_pi(inv)
            if pi and pi["status"] not in ("succeeded", "canceled"):
                pi.update(status="canceled", canceled_at=self.db.now(), cancellation_reason="void_invoice")
            inv["amount_paid_off_stripe"] = inv["amount_remaining"]
            self.mark_paid(inv, None, out_of_band=True)
            return inv
        pm_ref = params.get("payment_method") or params.get("source")
        pm = self.hub.payment_methods.resolve_pm(pm_ref) if pm_ref else self._default_pm(inv)
        if pm is None:
            raise InvalidRequest("This customer has no attached payment source or default payment method. Please "
                                 "consider adding a default payment method. For more information, visit "
                                 "https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority.",
                                 )
        if pm["customer"] is None and pm_ref and pm_ref != pm["id"]:
            pm["customer"] = inv["customer"]  # a magic test id stands for a card of this customer
        elif pm["customer"] not in (None, inv["customer"]):
            raise InvalidRequest("The PaymentMethod provided belongs to a different customer.",
                                 param="payment_method")
        charge = self.attempt_payment(inv, pm, automatic=False)
        if charge["status"] == "failed":
            raise self.hub.payments.decline_error(self.db.get("payment_intent", charge["payment_intent"]), charge)
        return inv

    def _default_pm(self, inv: dict[str, Any]) -> dict[str, Any] | None:
        cus = self.db.find(inv["customer"]) or {}
        for ref in (inv.get("default_payment_method"),
                    (cus.get("invoice_settings") or {}).get("default_payment_method")):
            if ref and self.db.find(ref):
                return self.db.find(ref)
        return None

    def invoice_pi(self, inv: dict[str, Any]) -> dict[str, Any] | None:
        for pay in inv["payments"]["data"]:
            if pay["is_default"]:
                return self.db.find(pay["payment"]["payment_intent"])
        return None

    def attempt_payment(self, inv: dict[str, Any], pm: dict[str, Any], automatic: bool) -> dict[str, Any]:
        pi = self.invoice_pi(inv)
        if pi is None or pi["status"] in ("succeeded", "canceled"):
            raise InvalidRequest("This invoice has no payment to collect.", code="invoice_payment_intent_requires_action")
        pi.update(amount=inv["amount_remaining"], payment_method=pm["id"], status="requires_confirmation")
        inv["attempt_count"] += 1
        inv["attempted"] = True
        charge = self.hub.payments.charge_attempt(pi, pm)  # on success the PaymentIntent hook marks the invoice paid
        if charge["status"] != "succeeded":
            inv["next_payment_attempt"] = None
            if inv["collection_method"] == "charge_automatically" and inv["auto_advance"]:
                self._plan_retry(inv, pm, charge)
            self.hub.events.emit("invoice.payment_failed", inv)
            self.hub.billing.on_invoice_payment_failed(inv)
        return charge

    def mark_paid(self, inv: dict[str, Any], pi: dict[str, Any] | None, out_of_band: bool = False) -> None:
        now = self.db.now()
        paid = inv["amount_remaining"]
        inv.update(status="paid", amount_paid=inv["amount_paid"] + paid, amount_remaining=0,
                   next_payment_attempt=None, auto_advance=False)
        inv["status_transitions"]["paid_at"] = now
        pay = self.hub.invoice_payments.default_payment(inv)
        if pay is not None and pi is not None:
            pay.update(status="paid", amount_paid=paid)
            pay["status_transitions"]["paid_at"] = now
        elif pay is not None:
            pay["status"] = "canceled"
            pay["status_transitions"]["canceled_at"] = now
        if pi is not None and pay is not None:
            self.hub.events.emit("invoice_payment.paid", pay)
        self.hub.events.emit("invoice.paid", inv)
        if not out_of_band:
            self.hub.events.emit("invoice.payment_succeeded", inv)
        self.hub.billing.on_invoice_paid(inv)

    # ---- other transitions -------------------------------------------------------------------------
    def void(self, inv: dict[str, Any]) -> dict[str, Any]:
        if inv["status"] not in ("open", "uncollectible"):
            raise InvalidRequest(f"You can only pass in open or uncollectible invoices. This invoice is {inv['status']}.",
                                 code="invoice_not_editable")
        self.hub.invoice_payments.check_voidable(inv)
        now = self.db.now()
        inv.update(status="void", next_payment_attempt=None, auto_advance=False, amount_remaining=0)
        inv["status_transitions"]["voided_at"] = now
        pi = self.invoice_pi(inv)
        if pi and pi["status"] not in ("succeeded", "canceled"):
            pi.update(status="canceled", canceled_at=now, cancellation_reason="void_invoice")
        for pay in inv["payments"]["data"]:
            if pay["status"] == "open":
                pay["status"] = "canceled"
                pay["status_transitions"]["canceled_at"] = now
        self.hub.events.emit("invoice.voided", inv)
        return inv

    def mark_uncollectible(self, inv: dict[str, Any]) -> dict[str, Any]:
        if inv["status"] != "open":
            raise InvalidRequest(f"You can only mark open invoices as uncollectible. This invoice is {inv['status']}.",
                                 code="invoice_not_editable")
        self.hub.invoice_payments.check_uncollectible(inv)
        inv.update(status="uncollectible", next_payment_attempt=None)
        inv["status_transitions"]["marked_uncollectible_at"] = self.db.now()
        self.hub.events.emit("invoice.marked_uncollectible", inv)
        return inv

    def send(self, inv: dict[str, Any]) -> dict[str, Any]:
        if inv["status"] == "draft":
            self.finalize(inv, {"auto_advance": "false"})
        if inv["status"] not in ("open", "uncollectible", "paid"):
            raise InvalidRequest("You can only send open invoices.", code="invoice_not_editable")
        self.hub.events.emit("invoice.sent", inv)
        return inv

    # ---- hosted invoice page --------------------------------------------------------------------------
    def invoice_by_token(self, token: str) -> dict[str, Any] | None:
        iid = self.store.data["hosted"].get(token)
        return self.db.find(iid) if iid else None

    def pay_hosted(self, inv: dict[str, Any], card: str,
                   amount: int | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """What the hosted invoice page does with a card: (invoice, error body or None). ``amount``
        (minor units, below the amount remaining) pays part of the invoice (see invoice_payments.py)."""
        if inv["status"] not in ("open", "uncollectible"):
            raise InvalidRequest(f"This invoice is {inv['status']} and cannot be paid.", code="invoice_not_editable")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
            raise InvalidRequest(f"Invalid integer: {amount}", param="amount", code="parameter_invalid_integer")
        try:
            pm = self.hub.payment_methods.resolve_pm(card.replace(" ", ""), param="card")
        except Exception:
            pm = self.hub.payment_methods.create({"type": "card", "card": {"number": card}})
        pm["customer"] = pm["customer"] or inv["customer"]
        if amount is not None and amount != inv["amount_remaining"]:
            charge = self.hub.invoice_payments.pay_hosted_partial(inv, pm, amount)
        else:
            charge = self.attempt_payment(inv, pm, automatic=False)
        if charge["status"] == "failed":
            return inv, self.hub.invoice_payments.hosted_decline(charge).body()
        return inv, None

    # ---- scheduled work ----------------------------------------------------------------------------------
    def _schedule(self, when: int, kind: str, iid: str, **extra: Any) -> None:
        from datetime import datetime, timezone
        at = datetime.fromtimestamp(when, tz=timezone.utc)
        if at < self.clock.now():
            at = self.clock.now()
        self.clock.schedule(at, lambda: self.run_job(kind, iid, **extra), name=f"stripe {kind} {iid}",
                            owner=self.sim.name)

    def run_job(self, kind: str, iid: str, **extra: Any) -> None:
        with self.lock:
            inv = self.db.find(iid)
            if not inv or inv.get("deleted"):
                return
            if kind == "auto_finalize" and inv["status"] == "draft" and inv["auto_advance"]:
                self.finalize(inv)
            elif kind == "overdue" and inv["status"] == "open" and inv["due_date"] and inv["due_date"] <= self.db.now():
                self.hub.events.emit("invoice.overdue", inv)
                self.hub.billing.on_invoice_overdue(inv)
            elif kind in ("auto_pay", "retry") and inv["status"] == "open" and inv["auto_advance"]:
                if kind == "retry" and inv["attempt_count"] != extra.get("after_attempt"):
                    return  # someone paid or retried in between
                pm = self._default_pm(inv) or self.db.find(extra.get("pm"))
                if pm is None:
                    self.hub.events.emit("invoice.payment_failed", inv)
                    self.hub.billing.on_invoice_payment_failed(inv)
                    return
                self.attempt_payment(inv, pm, automatic=True)
