"""Invoice payments and partial payments (API 2025-03-31.basil onwards; the fake renders 2026-10-28).

What Stripe documents, and what the fake does with it:

- Finalizing an invoice creates a *default* ``invoice_payment`` (``is_default: true``) whose
  PaymentIntent pays the invoice in full; Stripe keeps it in step with ``amount_remaining`` and it
  can't be edited or canceled directly (stripe-python 16.1.0 ``_invoice_payment.py``, ``is_default``).
- ``POST /v1/invoices/{id}/attach_payment`` with ``payment_intent`` adds a separate PaymentIntent to
  the invoice's ``payments``. When that PaymentIntent succeeds it is credited to the invoice
  (``amount_paid`` up, ``amount_remaining`` down); a PaymentIntent that already succeeded is
  credited at once; the invoice becomes ``paid`` only when fully paid (``_invoice_service.py``
  ``attach_payment`` docstring; docs.stripe.com/invoicing/partial-payments).
- The PaymentIntent must have the invoice's ``currency`` and ``customer``, and its ``amount`` may
  be anything up to the invoice's ``amount_remaining`` (docs.stripe.com/invoicing/partial-payments).
- ``invoice_payment.paid`` fires when an attached payment turns ``paid``
  (docs.stripe.com/changelog/basil/2025-05-28/partial-payments).
- An invoice with open or paid payments can't be voided; with open payments it can't be marked
  uncollectible; canceling an attached PaymentIntent cancels its invoice payment
  (docs.stripe.com/invoicing/partial-payments, "Invoice payment statuses"). The default payment is
  not counted: every open invoice has one.

The fake's own choices where Stripe does not say (documented in docs/stripe.md): error codes and
messages of the attach checks; a partial payment emits ``invoice_payment.paid`` and
``invoice.updated`` (``previous_attributes`` = the old amounts), the payment that completes the
invoice also ``invoice.paid`` and ``invoice.payment_succeeded``; the default PaymentIntent is then
canceled (``cancellation_reason: automatic``); money beyond the amount remaining is recorded in
``amount_overpaid``.
"""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import CardError, InvalidRequest
from .base import Resource

# minor units; docs.stripe.com/currencies#minimum-and-maximum-charge-amounts (others: 50)
MIN_CHARGE = {"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
              "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200,
              "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000}


class InvoicePaymentStore(Resource):
    # ---- the records -------------------------------------------------------------------------
    def new_invoice_payment(self, inv: dict[str, Any], pi: dict[str, Any], default: bool) -> dict[str, Any]:
        pay = {"id": self.db.new_id("inpay"), "object": "invoice_payment", "amount_paid": None,
               "amount_requested": pi["amount"], "created": self.db.now(), "currency": inv["currency"],
               "invoice": inv["id"], "is_default": default, "livemode": False,
               "payment": {"payment_intent": pi["id"], "type": "payment_intent"}, "status": "open",
               "status_transitions": {"canceled_at": None, "paid_at": None}}
        self.db.put(pay)
        inv["payments"]["data"].append(pay)
        inv["payments"]["total_count"] = len(inv["payments"]["data"])
        self.db.internal(pi["id"])["invoice_payment"] = pay["id"]
        return pay

    def default_payment(self, inv: dict[str, Any]) -> dict[str, Any] | None:
        return next((p for p in inv["payments"]["data"] if p["is_default"]), None)

    def attached_payments(self, inv: dict[str, Any], *statuses: str) -> list[dict[str, Any]]:
        return [p for p in inv["payments"]["data"] if not p["is_default"] and (not statuses or p["status"] in statuses)]

    def invoice_of_pi(self, pi: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        pay = self.db.find(self.db.internal(pi["id"]).get("invoice_payment"))
        inv = self.db.find(pay["invoice"]) if pay else None
        return (inv, pay) if inv else None

    def list_invoice_payments(self, params: dict[str, Any]) -> dict[str, Any]:
        inv, status = P.string(params, "invoice"), P.string(params, "status")
        if status and status not in ("canceled", "open", "paid"):
            raise InvalidRequest("Invalid status: must be one of canceled, open, or paid", param="status")
        payment = params.get("payment")
        if payment is not None and not isinstance(payment, dict):
            raise InvalidRequest("Invalid payment: must be an object", param="payment")
        ptype = (payment or {}).get("type")
        if payment is not None and ptype not in ("payment_intent", "payment_record"):
            raise InvalidRequest("Missing required param: payment[type].", param="payment[type]",
                                 code="parameter_missing")
        pi = (payment or {}).get("payment_intent")

        def where(o: dict[str, Any]) -> bool:
            return ((not inv or o["invoice"] == inv) and (not status or o["status"] == status)
                    and (not ptype or o["payment"]["type"] == ptype)
                    and (not pi or o["payment"].get("payment_intent") == pi))

        ids = None   # with an invoice, only its own payments are walked (in creation order), not every one
        if inv:
            owner = self.db.find(inv)
            ids = [p["id"] for p in owner["payments"]["data"]] if owner and owner.get("object") == "invoice" else []
        return self.db.list_objects("invoice_payment", params, "/v1/invoice_payments", where, ids=ids)

    # ---- attach_payment ---------------------------------------------------------------------------
    def attach_payment(self, inv: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if params.get("payment_record"):
            raise InvalidRequest("Payment records are not supported by this fake; attach a payment_intent.",
                                 param="payment_record")
        pid = P.string(params, "payment_intent")
        if not pid:
            raise InvalidRequest("You must provide one of `payment_intent` or `payment_record`.",
                                 param="payment_intent", code="parameter_missing")
        pi = self.db.get("payment_intent", pid, param="payment_intent")
        if inv["status"] != "open":
            raise InvalidRequest(f"You can only attach payments to an open invoice. This invoice is {inv['status']}.",
                                 param="invoice", code="invoice_not_editable")
        if self.db.internal(pi["id"]).get("invoice_payment"):
            owner = self.db.find(self.db.find(self.db.internal(pi["id"])["invoice_payment"])["invoice"])
            raise InvalidRequest(f"The PaymentIntent {pi['id']} is already attached to invoice {owner['id']}.",
                                 param="payment_intent", code="payment_intent_unexpected_state")
        if pi["status"] == "canceled":
            raise InvalidRequest(f"The PaymentIntent {pi['id']} is canceled and can't be attached to an invoice.",
                                 param="payment_intent", code="payment_intent_unexpected_state")
        if pi["currency"] != inv["currency"]:
            raise InvalidRequest(f"The PaymentIntent's currency ({pi['currency']}) must match the invoice's "
                                 f"currency ({inv['currency']}).", param="payment_intent",
                                 code="payment_intent_invalid_parameter")
        if pi["customer"] != inv["customer"]:
            raise InvalidRequest(f"The PaymentIntent's customer ({pi['customer']}) must match the invoice's "
                                 f"customer ({inv['customer']}).", param="payment_intent",
                                 code="payment_intent_invalid_parameter")
        amount = pi["amount_received"] if pi["status"] == "succeeded" else pi["amount"]
        if amount > inv["amount_remaining"]:
            raise InvalidRequest(f"The PaymentIntent's amount ({amount}) exceeds the invoice's amount remaining "
                                 f"({inv['amount_remaining']}).", param="payment_intent", code="amount_too_large")
        pay = self.new_invoice_payment(inv, pi, default=False)
        if pi["status"] == "succeeded":
            self.credit_payment(inv, pay, pi)
        return inv

    # ---- a PaymentIntent succeeded or was canceled --------------------------------------------------
    def on_payment_intent_succeeded(self, pi: dict[str, Any]) -> None:
        """Called by the PaymentIntent code after ``payment_intent.succeeded``."""
        found = self.invoice_of_pi(pi)
        if not found:
            return
        inv, pay = found
        if pay["is_default"]:
            if inv["status"] in ("open", "uncollectible"):
                self.hub.invoices.mark_paid(inv, pi)
        elif pay["status"] == "open":
            self.credit_payment(inv, pay, pi)

    def on_payment_intent_canceled(self, pi: dict[str, Any]) -> None:
        found = self.invoice_of_pi(pi)
        if found and found[1]["status"] == "open":
            found[1]["status"] = "canceled"
            found[1]["status_transitions"]["canceled_at"] = self.db.now()

    def guard_default_pi(self, pi: dict[str, Any], action: str) -> None:
        found = self.invoice_of_pi(pi)
        if found and found[1]["is_default"]:
            raise InvalidRequest(f"You cannot {action} this PaymentIntent because it is the default payment of "
                                 f"invoice {found[0]['id']}; pay, void or attach payments to the invoice instead.",
                                 code="payment_intent_unexpected_state")

    def credit_payment(self, inv: dict[str, Any], pay: dict[str, Any], pi: dict[str, Any]) -> None:
        """Credit an attached payment that succeeded: the invoice's amounts, then its status."""
        now = self.db.now()
        received = min(pi["amount_received"], pay["amount_requested"])
        pay.update(status="paid", amount_paid=received)
        pay["status_transitions"]["paid_at"] = now
        before = {"amount_paid": inv["amount_paid"], "amount_remaining": inv["amount_remaining"]}
        applied = min(received, inv["amount_remaining"])
        inv["amount_paid"] += received
        inv["amount_overpaid"] += received - applied
        inv["amount_remaining"] -= applied
        self.hub.events.emit("invoice_payment.paid", pay)
        if inv["status"] not in ("open", "uncollectible"):
            return  # paid or void meanwhile: only the overpayment is recorded
        if inv["amount_remaining"] == 0:
            default = self.default_payment(inv)
            if default and default["status"] == "open":
                dpi = self.db.find(default["payment"]["payment_intent"])
                if dpi and dpi["status"] not in ("succeeded", "canceled"):
                    dpi.update(status="canceled", canceled_at=now, cancellation_reason="automatic")
                default["status"] = "canceled"
                default["status_transitions"]["canceled_at"] = now
            inv.update(status="paid", next_payment_attempt=None, auto_advance=False)
            inv["status_transitions"]["paid_at"] = now
            self.hub.events.emit("invoice.paid", inv)
            self.hub.events.emit("invoice.payment_succeeded", inv)
            return
        self._sync_default(inv)
        self.hub.events.emit("invoice.updated", inv, before)

    def _sync_default(self, inv: dict[str, Any]) -> None:
        """The default payment follows the amount remaining (Stripe: ``is_default``)."""
        default = self.default_payment(inv)
        if default is None or default["status"] != "open":
            return
        default["amount_requested"] = inv["amount_remaining"]
        dpi = self.db.find(default["payment"]["payment_intent"])
        if dpi and dpi["status"] not in ("succeeded", "canceled", "processing"):
            dpi["amount"] = inv["amount_remaining"]

    # ---- guards on other transitions ----------------------------------------------------------------
    def check_voidable(self, inv: dict[str, Any]) -> None:
        if self.attached_payments(inv, "open", "paid"):
            raise InvalidRequest("You can't void an invoice that has open or paid payments attached.",
                                 code="invoice_not_editable")

    def check_uncollectible(self, inv: dict[str, Any]) -> None:
        if self.attached_payments(inv, "open"):
            raise InvalidRequest("You can't mark an invoice uncollectible while it has open payments attached.",
                                 code="invoice_not_editable")

    # ---- the hosted invoice page: the customer pays part ------------------------------------------------
    def pay_hosted_partial(self, inv: dict[str, Any], pm: dict[str, Any], amount: int) -> dict[str, Any]:
        """A customer-chosen amount on the hosted page: a separate PaymentIntent attached to the
        invoice, then confirmed with the card (the same records ``attach_payment`` makes). Returns
        the charge."""
        if inv["collection_method"] != "send_invoice":
            raise InvalidRequest("Partial payments on the hosted invoice page are only available for invoices "
                                 "with `collection_method=send_invoice`.", param="amount")
        minimum = MIN_CHARGE.get(inv["currency"], 50)
        if amount < minimum:
            raise InvalidRequest(f"Amount must be at least {minimum} {inv['currency']} minor units.",
                                 param="amount", code="amount_too_small")
        if amount > inv["amount_remaining"]:
            raise InvalidRequest(f"The amount ({amount}) exceeds the invoice's amount remaining "
                                 f"({inv['amount_remaining']}).", param="amount", code="amount_too_large")
        pi = self.hub.payments.new_payment_intent(amount, inv["currency"], inv["customer"],
                                                  f"Partial payment of invoice {inv['number']}", {})
        self.hub.events.emit("payment_intent.created", pi)
        self.attach_payment(inv, {"payment_intent": pi["id"]})
        pi.update(payment_method=pm["id"], status="requires_confirmation")
        charge = self.hub.payments.charge_attempt(pi, pm)
        if charge["status"] == "failed":
            # the page gives up this attempt; the customer starts again with a fresh one
            self.hub.payments.cancel(pi, {"cancellation_reason": "abandoned"})
        return charge

    def hosted_decline(self, charge: dict[str, Any]) -> CardError:
        return self.hub.payments.decline_error(self.db.get("payment_intent", charge["payment_intent"]), charge)
