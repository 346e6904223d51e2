"""Customer balance and the account's balance transactions.

Customer balance (docs.stripe.com/billing/customer/balance, docs.stripe.com/api/customer_balance_transactions):
a negative ``balance`` is credit the customer has, a positive one is owed; every change is a
``customer_balance_transaction`` (``ending_balance`` after it). When an invoice is finalized the balance is
applied to it: credit reduces ``amount_due`` (at most to zero), a debit adds to it; the invoice records
``starting_balance`` and ``ending_balance`` (docs.stripe.com/api/invoices/object#invoice_object-starting_balance).

Balance transactions (docs.stripe.com/api/balance_transactions): one per captured charge (``fee``: Stripe's
standard US card pricing, 2.9% + 30 cents, docs.stripe.com/pricing; ``net`` = amount - fee) and one per refund
(negative amount, no fee); ``available_on`` two days later (the standard US payout schedule).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource

CBT_TYPES = ("adjustment", "applied_to_invoice", "credit_note", "initial", "invoice_overpaid", "invoice_too_large",
             "invoice_too_small", "unapplied_from_invoice", "unspent_receiver_credit")
FEE_RATE, FEE_FIXED = Decimal("0.029"), 30
DAY = 86400


class BalanceStore(Resource):
    # ---- customer balance --------------------------------------------------------------------------
    def add_customer_balance(self, cus: dict[str, Any], amount: int, currency: str, kind: str,
                             description: str | None = None, metadata: dict[str, str] | None = None,
                             credit_note: str | None = None, invoice: str | None = None) -> dict[str, Any]:
        currency = currency.lower()
        if cus.get("currency") and cus["currency"] != currency:
            raise InvalidRequest(f"The currency {currency} does not match the customer's currency "
                                 f"{cus['currency']}.", param="currency")
        cus["currency"] = cus.get("currency") or currency
        previous = cus["balance"]
        cus["balance"] = previous + amount
        txn = {
            "id": self.db.new_id("cbtxn"), "object": "customer_balance_transaction", "amount": amount,
            "checkout_session": None, "created": self.db.now(), "credit_note": credit_note, "currency": currency,
            "customer": cus["id"], "description": description, "ending_balance": cus["balance"], "invoice": invoice,
            "livemode": False, "metadata": metadata or {}, "type": kind,
        }
        self.db.put(txn)
        self.hub.events.emit("customer.updated", cus, {"balance": previous})
        return txn

    def create_customer_balance_transaction(self, cus: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        amount = P.integer(params, "amount", required=True)
        currency = P.string(params, "currency", required=True)
        if amount == 0:
            raise InvalidRequest("The amount must be a non-zero integer.", param="amount")
        return self.add_customer_balance(cus, amount, currency, "adjustment", P.string(params, "description"),
                                         P.metadata(params))

    def customer_balance_transaction(self, cus: dict[str, Any], tid: str) -> dict[str, Any]:
        txn = self.db.get("customer_balance_transaction", tid)
        if txn["customer"] != cus["id"]:
            self.db.get("customer_balance_transaction", "")   # Stripe's 404 for another customer's transaction
        return txn

    def update_customer_balance_transaction(self, txn: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if "description" in params:
            txn["description"] = P.string(params, "description") or None
        txn["metadata"] = P.metadata(params, txn["metadata"])
        return txn

    def apply_customer_balance(self, inv: dict[str, Any]) -> None:
        """At finalization: credit (negative balance) pays down the invoice, a debit is added to it."""
        cus = self.db.get("customer", inv["customer"])
        start = cus["balance"] if cus.get("currency") in (None, inv["currency"]) else 0
        inv["starting_balance"] = start
        applied = 0
        if start < 0:
            applied = min(-start, max(0, inv["total"]))
        elif start > 0:
            applied = -start
        inv["ending_balance"] = start + applied
        if applied:
            self.add_customer_balance(cus, applied, inv["currency"], "applied_to_invoice", invoice=inv["id"])

    # ---- the account's balance transactions ----------------------------------------------------------
    def new_balance_transaction(self, amount: int, currency: str, kind: str, source: str,
                                description: str | None = None) -> str:
        fee = int((Decimal(amount) * FEE_RATE).quantize(Decimal(1), ROUND_HALF_UP)) + FEE_FIXED if kind == "charge" else 0
        now = self.db.now()
        txn = {
            "id": self.db.new_id("txn"), "object": "balance_transaction", "amount": amount,
            "available_on": now + 2 * DAY, "balance_type": "payments", "created": now, "currency": currency,
            "description": description, "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None, "currency": currency,
                             "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
            "net": amount - fee, "reporting_category": kind, "source": source, "status": "pending", "type": kind,
        }
        self.db.put(txn)
        return txn["id"]

    def list_balance_transactions(self, params: dict[str, Any]) -> dict[str, Any]:
        kind, source, currency = P.string(params, "type"), P.string(params, "source"), P.string(params, "currency")
        return self.db.list_objects(
            "balance_transaction", params, "/v1/balance_transactions",
            lambda o: (not kind or o["type"] == kind) and (not source or o["source"] == source)
            and (not currency or o["currency"] == currency.lower()))
