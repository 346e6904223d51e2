"""Refunds and Disputes, with Stripe's rules: a disputed charge cannot be refunded (``charge_disputed``);
a closed dispute cannot be updated; opening a dispute withdraws the funds (``charge.dispute.funds_withdrawn``)."""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import InvalidRequest
from .base import Resource
from .payment_methods import cards


class RefundStore(Resource):
    # ---- refunds and disputes -----------------------------------------------------------
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("charge"):
            charge = self.db.get("charge", params["charge"], param="charge")
        elif params.get("payment_intent"):
            pi = self.db.get("payment_intent", params["payment_intent"], param="payment_intent")
            if not pi["latest_charge"] or pi["status"] != "succeeded":
                raise InvalidRequest(f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                                     param="payment_intent", code="charge_not_refundable")
            charge = self.db.get("charge", pi["latest_charge"])
        else:
            raise InvalidRequest("One of the following params should be provided for this request: payment_intent "
                                 "or charge.", code="parameter_missing")
        if charge["disputed"]:
            # a disputed charge cannot also be refunded (docs.stripe.com/error-codes#charge-disputed)
            raise InvalidRequest(f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                                 param="charge", code="charge_disputed")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise InvalidRequest(f"Charge {charge['id']} has not been captured or did not succeed.",
                                 param="charge", code="charge_not_refundable")
        released = self.db.internal(charge["id"]).get("released", 0)   # uncaptured rest of a legacy capture
        remaining = charge["amount_captured"] - charge["amount_refunded"] + released
        if remaining <= 0:
            raise InvalidRequest(f"Charge {charge['id']} has already been refunded.",
                                 code="charge_already_refunded")
        amount = P.integer(params, "amount", default=remaining, minimum=1)
        if amount > remaining:
            raise InvalidRequest(f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge "
                                 f"(${remaining / 100:.2f})", param="amount", code="amount_too_large")
        refund = {
            "id": self.db.new_id("re"), "object": "refund", "amount": amount,
            "balance_transaction": None, "charge": charge["id"], "created": self.db.now(),
            "currency": charge["currency"], "destination_details": {"card": {"reference_status": "pending",
                                                                             "reference_type": "acquirer_reference_number",
                                                                             "type": "refund"}, "type": "card"},
            "metadata": P.metadata(params), "payment_intent": charge["payment_intent"],
            "reason": P.string(params, "reason", choices=("duplicate", "fraudulent", "requested_by_customer")),
            "receipt_number": None, "source_transfer_reversal": None,
            # a card's refund succeeds at once, except on the refund-pending test card (docs.stripe.com/testing#refunds)
            "status": "pending" if self.refund_spec(charge).get("refund") == "pending" else "succeeded",
            "transfer_reversal": None,
        }
        self.db.put(refund)
        refund["balance_transaction"] = self.hub.balance.new_balance_transaction(-amount, charge["currency"], "refund",
                                                                                 refund["id"], "REFUND FOR CHARGE")
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] - released >= charge["amount_captured"]
        charge["refunds"]["data"].insert(0, refund)
        self.hub.events.emit("refund.created", refund)
        self.hub.events.emit("charge.refunded", charge, previous)
        return refund

    def refund_spec(self, charge: dict[str, Any]) -> dict[str, Any]:
        number = self.db.internal(charge.get("payment_method") or "").get("number", "")
        return cards()["by_number"].get(number, {})

    def cancel(self, refund: dict[str, Any]) -> dict[str, Any]:
        """docs.stripe.com/api/refunds/cancel: only a refund that has not completed (``requires_action``; here also
        ``pending``, the one unfinished state a card refund reaches) can be canceled; the amount goes back to
        the charge as refundable, and the refund's balance transaction is reversed."""
        if refund["status"] not in ("requires_action", "pending"):
            raise InvalidRequest(f"Refund {refund['id']} has a status of {refund['status']} and cannot be canceled. "
                                 "Only refunds with a status of requires_action can be canceled.")
        charge = self.db.get("charge", refund["charge"])
        before = refund["status"]
        refund.update(status="canceled", failure_reason="merchant_request")
        refund["failure_balance_transaction"] = self.hub.balance.new_balance_transaction(
            refund["amount"], refund["currency"], "refund_failure", refund["id"], "REFUND CANCELED")
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        self.hub.events.emit("refund.updated", refund, {"status": before})
        self.hub.events.emit("charge.refund.updated", refund)
        self.hub.events.emit("charge.updated", charge, previous)
        return refund

    def open_dispute(self, charge: dict[str, Any], reason: str) -> dict[str, Any]:
        created = self.db.now()
        dispute = {
            "id": self.db.new_id("dp"), "object": "dispute", "amount": charge["amount"], "balance_transactions": [],
            "charge": charge["id"], "created": created, "currency": charge["currency"], "evidence": {},
            "evidence_details": {"due_by": created + 8 * 86400, "has_evidence": False, "past_due": False,
                                 "submission_count": 0},
            "is_charge_refundable": False, "livemode": False, "metadata": {},
            "payment_intent": charge["payment_intent"], "reason": reason, "status": "needs_response",
        }
        self.db.put(dispute)
        charge["disputed"] = True
        self.hub.events.emit("charge.dispute.created", dispute)
        # the disputed amount (and the fee) leave the balance at once (docs.stripe.com/disputes/how-disputes-work)
        dispute["balance_transactions"].append({
            "id": f"txn_{self.sim.ids.token(24)}", "object": "balance_transaction", "amount": -dispute["amount"],
            "created": created, "currency": dispute["currency"], "description": f"Chargeback withdrawal for "
            f"{charge['id']}", "fee": 1500, "net": -dispute["amount"] - 1500, "reporting_category": "dispute",
            "source": dispute["id"], "status": "available", "type": "adjustment"})
        self.hub.events.emit("charge.dispute.funds_withdrawn", dispute)
        return dispute

    def update_dispute(self, dispute: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if dispute["status"] in ("won", "lost", "warning_closed"):
            raise InvalidRequest("This dispute is already closed and can no longer be updated.",
                                 code="dispute_already_closed")
        dispute["metadata"] = P.metadata(params, dispute["metadata"])
        if isinstance(params.get("evidence"), dict):
            dispute["evidence"].update(params["evidence"])
            dispute["evidence_details"]["has_evidence"] = True
        if P.boolean(params, "submit", default=True):
            # submit defaults to true: the evidence goes to the bank at once (docs.stripe.com/api/disputes/update)
            if dispute["evidence_details"]["has_evidence"]:
                dispute["status"] = "under_review"
                dispute["evidence_details"]["submission_count"] += 1
        self.hub.events.emit("charge.dispute.updated", dispute)
        return dispute

    def close_dispute(self, dispute: dict[str, Any]) -> dict[str, Any]:
        if dispute["status"] in ("won", "lost"):
            raise InvalidRequest("This dispute is already closed.", code="dispute_already_closed")
        dispute["status"] = "lost"
        self.hub.events.emit("charge.dispute.closed", dispute)
        return dispute
