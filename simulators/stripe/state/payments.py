"""PaymentMethods (test cards), PaymentIntents, Charges, Refunds and Disputes.

Test-card behaviour is data: stripe_test_cards.json in simulators.data (attach ok/decline, charge ok/decline,
dispute). A magic id (``pm_card_visa``) or token (``tok_visa``) or raw test number makes a fresh
``pm_`` each time it is used, as Stripe does in test mode.
"""
from __future__ import annotations

from typing import Any

from simulators import data as packaged

from .. import params as P
from ..errors import CardError, InvalidRequest, ResourceMissing
from .base import Base

_CARDS: dict[str, Any] = {}


def cards() -> dict[str, Any]:
    """number -> card spec, plus alias (pm_card_* / tok_*) -> number."""
    if not _CARDS:
        data = packaged.load("stripe_test_cards")
        by_number = {c["number"]: c for c in data["cards"]}
        aliases = {a: c["number"] for c in data["cards"] for a in c.get("payment_methods", []) + c.get("tokens", [])}
        _CARDS.update(by_number=by_number, aliases=aliases)
    return _CARDS


class PaymentsMixin(Base):
    # ---- payment methods ----------------------------------------------------------------
    def create_payment_method(self, params: dict[str, Any]) -> dict[str, Any]:
        ptype = P.string(params, "type", required=True)
        if ptype != "card":
            raise InvalidRequest(f"The payment method type provided: {ptype} is invalid. This fake supports: card.",
                                 param="type")
        card = params.get("card")
        if not isinstance(card, dict):
            raise InvalidRequest("Missing required param: card.", param="card", code="parameter_missing")
        if card.get("token"):
            number = self._card_number(card["token"], "card[token]")
        else:
            number = P.string(card, "number", required=True, label="card[number]").replace(" ", "")
            if number not in cards()["by_number"]:
                if not number.isdigit() or not _luhn(number):
                    raise CardError("Your card number is incorrect.", code="incorrect_number", param="number")
        pm = self._new_pm(number, P.integer(card, "exp_month", default=12, label="card[exp_month]"),
                          P.integer(card, "exp_year", default=2034, label="card[exp_year]"))
        pm["metadata"] = P.metadata(params)
        bd = params.get("billing_details")
        if isinstance(bd, dict):
            pm["billing_details"].update({k: v for k, v in bd.items() if k in ("email", "name", "phone")})
        return pm

    def _card_number(self, ref: str, param: str) -> str:
        num = cards()["aliases"].get(ref)
        if num is None:
            raise ResourceMissing("token" if ref.startswith("tok_") else "PaymentMethod", ref, param=param)
        return num

    def _new_pm(self, number: str, exp_month: int = 12, exp_year: int = 2034) -> dict[str, Any]:
        spec = cards()["by_number"].get(number, {"brand": "visa", "funding": "credit"})
        pm = {
            "id": self.new_id("pm"), "object": "payment_method", "allow_redisplay": "unspecified",
            "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                            "postal_code": None, "state": None},
                                "email": None, "name": None, "phone": None, "tax_id": None},
            "card": {"brand": spec["brand"], "checks": {"address_line1_check": None, "address_postal_code_check": None,
                                                        "cvc_check": "pass"},
                     "country": "US", "display_brand": spec["brand"], "exp_month": exp_month, "exp_year": exp_year,
                     "fingerprint": self.sim.ids.token(16), "funding": spec.get("funding", "credit"),
                     "generated_from": None, "last4": number[-4:],
                     "networks": {"available": [spec["brand"]], "preferred": None},
                     "three_d_secure_usage": {"supported": True}, "wallet": None},
            "created": self.now(), "customer": None, "livemode": False, "metadata": {}, "type": "card",
        }
        self.internal(pm["id"])["number"] = number
        return self.put(pm)

    def resolve_pm(self, ref: Any, param: str = "payment_method") -> dict[str, Any]:
        """An existing pm_, or a fresh one from a magic id, token or raw test number."""
        if isinstance(ref, str):
            if ref in cards()["aliases"]:
                return self._new_pm(cards()["aliases"][ref])
            if ref.isdigit() and len(ref) >= 12:
                return self._new_pm(ref)
        return self.get("payment_method", ref, param=param)

    def card_spec(self, pm: dict[str, Any]) -> dict[str, Any]:
        number = self.internal(pm["id"]).get("number", "")
        return cards()["by_number"].get(number, {"attach": "ok", "charge": "ok"})

    def attach_payment_method(self, pm: dict[str, Any], customer_id: Any) -> dict[str, Any]:
        cus = self.get("customer", customer_id, param="customer")
        if pm["customer"] and pm["customer"] != cus["id"]:
            raise InvalidRequest("The payment method you provided has already been attached to a customer.",
                                 param="payment_method", code="payment_method_unexpected_state")
        spec = self.card_spec(pm)
        if spec.get("attach") == "decline":
            dec = spec["decline"]
            raise CardError(dec["message"], code=dec["code"], decline_code=dec["decline_code"],
                            param=dec.get("param"))
        if pm["customer"] != cus["id"]:
            pm["customer"] = cus["id"]
            self.emit("payment_method.attached", pm)
        return pm

    def detach_payment_method(self, pm: dict[str, Any]) -> dict[str, Any]:
        if not pm["customer"]:
            raise InvalidRequest("The payment method you provided is not attached to a customer so detachment is "
                                 "impossible.", code="payment_method_unexpected_state")
        cus = self.find(pm["customer"])
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        if cus and cus["invoice_settings"].get("default_payment_method") == pm["id"]:
            cus["invoice_settings"]["default_payment_method"] = None
        self.emit("payment_method.detached", pm, previous)
        return pm

    # ---- payment intents ----------------------------------------------------------------
    def create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = P.integer(params, "amount", required=True, minimum=1)
        currency = P.string(params, "currency", required=True).lower()
        customer = P.string(params, "customer")
        if customer:
            self.get("customer", customer, param="customer")
        pi = self.new_payment_intent(amount, currency, customer, P.string(params, "description"),
                                     P.metadata(params),
                                     P.string(params, "capture_method", default="automatic",
                                              choices=("automatic", "automatic_async", "manual")))
        if params.get("payment_method"):
            pm = self.resolve_pm(params["payment_method"])
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        self.emit("payment_intent.created", pi)
        if P.boolean(params, "confirm", default=False):
            self.confirm_payment_intent(pi, {})
        return pi

    def new_payment_intent(self, amount: int, currency: str, customer: str | None, description: str | None,
                           metadata: dict[str, str], capture_method: str = "automatic") -> dict[str, Any]:
        pid = self.new_id("pi")
        pi = {
            "id": pid, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
            "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": capture_method,
            "client_secret": f"{pid}_secret_{self.sim.secrets.token(25)}", "confirmation_method": "automatic",
            "created": self.now(), "currency": currency, "customer": customer, "description": description,
            "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": metadata,
            "next_action": None, "on_behalf_of": None, "payment_method": None,
            "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                                "request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"], "processing": None, "receipt_email": None, "review": None,
            "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "requires_payment_method", "transfer_data": None,
            "transfer_group": None,
        }
        return self.put(pi)

    def update_payment_intent(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] in ("succeeded", "canceled"):
            raise InvalidRequest(f"This PaymentIntent's status is {pi['status']}; it can no longer be updated.",
                                 code="payment_intent_unexpected_state")
        if "amount" in params:
            self.guard_default_pi(pi, "change the amount of")
            pi["amount"] = P.integer(params, "amount", minimum=1)
        for key in ("description", "receipt_email"):
            if key in params:
                pi[key] = params[key] or None
        if params.get("payment_method"):
            pi["payment_method"] = self.resolve_pm(params["payment_method"])["id"]
            pi["status"] = "requires_confirmation"
        pi["metadata"] = P.metadata(params, pi["metadata"])
        return pi

    def confirm_payment_intent(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Charge the PaymentIntent's method; on a decline raise the 402 the SDK maps to CardError."""
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise InvalidRequest(f"This PaymentIntent's status is {pi['status']}, but it must be "
                                 "requires_payment_method or requires_confirmation to be confirmed.",
                                 code="payment_intent_unexpected_state")
        if params.get("payment_method"):
            pi["payment_method"] = self.resolve_pm(params["payment_method"])["id"]
        if not pi["payment_method"]:
            raise InvalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method. "
                                 "To confirm the PaymentIntent with cus, specify a payment method attached to this "
                                 "customer along with the customer ID.", param="payment_method",
                                 code="payment_intent_unexpected_state")
        pm = self.get("payment_method", pi["payment_method"], param="payment_method")
        charge = self._charge(pi, pm)
        if charge["status"] == "failed":
            raise self.decline_error(pi, charge)
        return pi

    def decline_error(self, pi: dict[str, Any], charge: dict[str, Any]) -> CardError:
        err = pi["last_payment_error"]
        return CardError(err["message"], code=err["code"], decline_code=err.get("decline_code"),
                         param=err.get("param"), charge=charge["id"], payment_intent=self.snapshot(pi),
                         payment_method=err.get("payment_method"))

    def _charge(self, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
        spec = self.card_spec(pm)
        ok = spec.get("charge", "ok") == "ok"
        dec = spec.get("decline") or {}
        manual = pi["capture_method"] == "manual"
        cid = self.new_id("ch")
        card = pm["card"]
        outcome = ({"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                    "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                    "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized"} if ok else
                   {"advice_code": "do_not_try_again" if spec.get("hard") else "try_again_later",
                    "network_advice_code": None, "network_decline_code": None,
                    "network_status": "not_sent_to_network" if dec.get("decline_code") == "fraudulent"
                    else "declined_by_network", "reason": dec.get("decline_code"),
                    "risk_level": "highest" if dec.get("decline_code") == "fraudulent" else "normal",
                    "risk_score": 85 if dec.get("decline_code") == "fraudulent" else 40,
                    "seller_message": "The bank did not return any further details with this decline.",
                    "type": "blocked" if dec.get("decline_code") == "fraudulent" else "issuer_declined"})
        charge = {
            "id": cid, "object": "charge", "amount": pi["amount"],
            "amount_captured": pi["amount"] if ok and not manual else 0, "amount_refunded": 0,
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": f"txn_{self.sim.ids.token(24)}" if ok and not manual else None,
            "billing_details": pm["billing_details"], "calculated_statement_descriptor": "O2C HARNESS",
            "captured": ok and not manual, "created": self.now(), "currency": pi["currency"],
            "customer": pi["customer"] or pm["customer"], "description": pi["description"], "disputed": False,
            "failure_balance_transaction": None, "failure_code": None if ok else dec.get("code"),
            "failure_message": None if ok else dec.get("message"), "fraud_details": {}, "livemode": False,
            "metadata": dict(pi["metadata"]), "on_behalf_of": None, "outcome": outcome, "paid": ok,
            "payment_intent": pi["id"], "payment_method": pm["id"],
            "payment_method_details": {"card": {"amount_authorized": pi["amount"] if ok else None,
                                                "brand": card["brand"], "checks": card["checks"],
                                                "country": card["country"], "exp_month": card["exp_month"],
                                                "exp_year": card["exp_year"], "fingerprint": card["fingerprint"],
                                                "funding": card["funding"], "last4": card["last4"],
                                                "network": card["brand"]}, "type": "card"},
            "receipt_email": None, "receipt_number": None,
            "receipt_url": f"{self.public_base}/receipts/{cid}" if ok else None,
            "refunded": False, "refunds": {"object": "list", "data": [], "has_more": False,
                                           "url": f"/v1/charges/{cid}/refunds"},
            "review": None, "shipping": None, "source_transfer": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "succeeded" if ok else "failed",
            "transfer_data": None, "transfer_group": None,
        }
        self.put(charge)
        pi["latest_charge"] = cid
        pi["payment_method"] = pm["id"]
        if ok:
            pi["last_payment_error"] = None
            if manual:
                pi["status"], pi["amount_capturable"] = "requires_capture", pi["amount"]
            else:
                pi["status"], pi["amount_received"] = "succeeded", pi["amount"]
            self.emit("charge.succeeded", charge)
            self.emit("payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded", pi)
            if spec.get("dispute"):
                self._open_dispute(charge, spec["dispute"].get("reason", "fraudulent"))
            if not manual:
                self.on_payment_intent_succeeded(pi)  # credits the invoice it pays (invoice_payments.py)
        else:
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = {
                "charge": cid, "code": dec.get("code"), "decline_code": dec.get("decline_code"),
                "doc_url": f"https://stripe.com/docs/error-codes/{dec.get('code')}", "message": dec.get("message"),
                "param": dec.get("param"), "payment_method": self.snapshot(pm), "type": "card_error",
            }
            self.internal(cid)["hard"] = bool(spec.get("hard"))
            self.emit("charge.failed", charge)
            self.emit("payment_intent.payment_failed", pi)
        return charge

    def capture_payment_intent(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] != "requires_capture":
            raise InvalidRequest(f"This PaymentIntent could not be captured because it has a status of "
                                 f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                                 "captured: requires_capture.", code="payment_intent_unexpected_state")
        amount = P.integer(params, "amount_to_capture", default=pi["amount_capturable"], minimum=1)
        if amount > pi["amount_capturable"]:
            raise InvalidRequest("The amount to capture exceeds the amount capturable.", param="amount_to_capture")
        charge = self.get("charge", pi["latest_charge"])
        charge.update(captured=True, amount_captured=amount, balance_transaction=f"txn_{self.sim.ids.token(24)}")
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self.emit("charge.captured", charge)
        self.emit("payment_intent.succeeded", pi)
        self.on_payment_intent_succeeded(pi)
        return pi

    def cancel_payment_intent(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] in ("succeeded", "canceled"):
            raise InvalidRequest(f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
                                 "Only a PaymentIntent with one of the following statuses may be canceled: "
                                 "requires_payment_method, requires_capture, requires_confirmation, "
                                 "requires_action, processing.", code="payment_intent_unexpected_state")
        self.guard_default_pi(pi, "cancel")
        pi.update(status="canceled", canceled_at=self.now(),
                  cancellation_reason=P.string(params, "cancellation_reason", default="requested_by_customer"))
        self.on_payment_intent_canceled(pi)
        self.emit("payment_intent.canceled", pi)
        return pi

    # ---- refunds and disputes -----------------------------------------------------------
    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("charge"):
            charge = self.get("charge", params["charge"], param="charge")
        elif params.get("payment_intent"):
            pi = self.get("payment_intent", params["payment_intent"], param="payment_intent")
            if not pi["latest_charge"] or pi["status"] != "succeeded":
                raise InvalidRequest(f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                                     param="payment_intent", code="charge_not_refundable")
            charge = self.get("charge", pi["latest_charge"])
        else:
            raise InvalidRequest("One of the following params should be provided for this request: payment_intent "
                                 "or charge.", code="parameter_missing")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise InvalidRequest(f"Charge {charge['id']} has not been captured or did not succeed.",
                                 param="charge", code="charge_not_refundable")
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise InvalidRequest(f"Charge {charge['id']} has already been refunded.",
                                 code="charge_already_refunded")
        amount = P.integer(params, "amount", default=remaining, minimum=1)
        if amount > remaining:
            raise InvalidRequest(f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge "
                                 f"(${remaining / 100:.2f})", param="amount", code="amount_too_large")
        refund = {
            "id": self.new_id("re"), "object": "refund", "amount": amount,
            "balance_transaction": f"txn_{self.sim.ids.token(24)}", "charge": charge["id"], "created": self.now(),
            "currency": charge["currency"], "destination_details": {"card": {"reference_status": "pending",
                                                                             "reference_type": "acquirer_reference_number",
                                                                             "type": "refund"}, "type": "card"},
            "metadata": P.metadata(params), "payment_intent": charge["payment_intent"],
            "reason": P.string(params, "reason", choices=("duplicate", "fraudulent", "requested_by_customer")),
            "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
            "transfer_reversal": None,
        }
        self.put(refund)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        charge["refunds"]["data"].insert(0, refund)
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge, previous)
        return refund

    def _open_dispute(self, charge: dict[str, Any], reason: str) -> dict[str, Any]:
        created = self.now()
        dispute = {
            "id": self.new_id("dp"), "object": "dispute", "amount": charge["amount"], "balance_transactions": [],
            "charge": charge["id"], "created": created, "currency": charge["currency"], "evidence": {},
            "evidence_details": {"due_by": created + 8 * 86400, "has_evidence": False, "past_due": False,
                                 "submission_count": 0},
            "is_charge_refundable": False, "livemode": False, "metadata": {},
            "payment_intent": charge["payment_intent"], "reason": reason, "status": "needs_response",
        }
        self.put(dispute)
        charge["disputed"] = True
        self.emit("charge.dispute.created", dispute)
        return dispute

    def close_dispute(self, dispute: dict[str, Any]) -> dict[str, Any]:
        if dispute["status"] in ("won", "lost"):
            raise InvalidRequest("This dispute is already closed.", code="dispute_already_closed")
        dispute["status"] = "lost"
        self.emit("charge.dispute.closed", dispute)
        return dispute


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0
