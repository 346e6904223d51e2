"""PaymentIntents and their Charges: create, update, confirm, capture, cancel, with Stripe's rules
(minimum charge amounts, ``off_session`` only with ``confirm``, a ``return_url`` when automatic payment
methods may redirect, card expiry checked at charge time)."""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import CardError, InvalidRequest
from .base import Resource
from .invoice_payments import MIN_CHARGE
from .payment_methods import cards  # noqa: F401 (re-exported: routes and tests import it from here)

EXPIRED = {"code": "expired_card", "decline_code": "expired_card", "message": "Your card has expired.",
           "param": None}


def check_minimum(amount: int, currency: str) -> None:
    """docs.stripe.com/currencies#minimum-and-maximum-charge-amounts (``amount_too_small``)."""
    minimum = MIN_CHARGE.get(currency, 50)
    if amount < minimum:
        zero = currency in ZERO_DECIMAL
        shown = f"{minimum}" if zero else f"{minimum / 100:.2f}"
        raise InvalidRequest(f"Amount must be at least {'$' if currency == 'usd' else ''}{shown} {currency}",
                             param="amount", code="amount_too_small")


ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())


def charge_outcome(ok: bool, spec: dict[str, Any]) -> dict[str, Any]:
    """A charge's ``outcome`` for a test card's spec (authorized, issuer-declined or Radar-blocked)."""
    dec = spec.get("decline") or {}
    return ({"advice_code": None, "network_advice_code": None, "network_decline_code": None,
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


class PaymentIntentStore(Resource):
    # ---- payment intents ----------------------------------------------------------------
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = P.integer(params, "amount", required=True, minimum=1)
        currency = P.string(params, "currency", required=True).lower()
        check_minimum(amount, currency)
        confirm = P.boolean(params, "confirm", default=False)
        if params.get("off_session") not in (None, "", "false") and not confirm:
            # docs.stripe.com/api/payment_intents/create#create_payment_intent-off_session
            raise InvalidRequest("You can only pass `off_session` when `confirm=true`.", param="off_session")
        apm = params.get("automatic_payment_methods") if isinstance(params.get("automatic_payment_methods"),
                                                                    dict) else None
        customer = P.string(params, "customer")
        if customer:
            self.db.get("customer", customer, param="customer")
        pi = self.new_payment_intent(amount, currency, customer, P.string(params, "description"),
                                     P.metadata(params),
                                     P.string(params, "capture_method", default="automatic",
                                              choices=("automatic", "automatic_async", "manual")))
        if apm is not None:
            enabled = P.boolean(apm, "enabled", label="automatic_payment_methods[enabled]")
            pi["automatic_payment_methods"] = {"allow_redirects": apm.get("allow_redirects") or "always",
                                               "enabled": bool(enabled)}
        if params.get("return_url"):
            self.db.internal(pi["id"])["return_url"] = params["return_url"]
        self.hub.charges.incremental_option(pi, params)   # charges.py
        if params.get("payment_method"):
            pm = self.hub.payment_methods.resolve_pm(params["payment_method"])
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        self.hub.events.emit("payment_intent.created", pi)
        if confirm:
            self.confirm(pi, {k: params[k] for k in ("return_url",) if k in params})
        return pi

    def new_payment_intent(self, amount: int, currency: str, customer: str | None, description: str | None,
                           metadata: dict[str, str], capture_method: str = "automatic") -> dict[str, Any]:
        pid = self.db.new_id("pi")
        pi = {
            "id": pid, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
            "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": capture_method,
            "client_secret": f"{pid}_secret_{self.sim.secrets.token(25)}", "confirmation_method": "automatic",
            "created": self.db.now(), "currency": currency, "customer": customer, "description": description,
            "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": metadata,
            "next_action": None, "on_behalf_of": None, "payment_method": None,
            "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                                "request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"], "processing": None, "receipt_email": None, "review": None,
            "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "requires_payment_method", "transfer_data": None,
            "transfer_group": None,
        }
        return self.db.put(pi)

    def update(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] in ("succeeded", "canceled"):
            raise InvalidRequest(f"This PaymentIntent's status is {pi['status']}; it can no longer be updated.",
                                 code="payment_intent_unexpected_state")
        if "amount" in params:
            self.hub.invoice_payments.guard_default_pi(pi, "change the amount of")
            pi["amount"] = P.integer(params, "amount", required=True, minimum=1)
            check_minimum(pi["amount"], pi["currency"])
        for key in ("description", "receipt_email"):
            if key in params:
                pi[key] = params[key] or None
        if params.get("payment_method"):
            pi["payment_method"] = self.hub.payment_methods.resolve_pm(params["payment_method"])["id"]
            pi["status"] = "requires_confirmation"
        pi["metadata"] = P.metadata(params, pi["metadata"])
        return pi

    def confirm(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Charge the PaymentIntent's method; on a decline raise the 402 the SDK maps to CardError."""
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise InvalidRequest(f"This PaymentIntent's status is {pi['status']}, but it must be "
                                 "requires_payment_method or requires_confirmation to be confirmed.",
                                 code="payment_intent_unexpected_state")
        if params.get("payment_method"):
            pi["payment_method"] = self.hub.payment_methods.resolve_pm(params["payment_method"])["id"]
        if params.get("return_url"):
            self.db.internal(pi["id"])["return_url"] = params["return_url"]
        apm = pi.get("automatic_payment_methods") or {}
        if apm.get("enabled") and apm.get("allow_redirects") != "never" and \
                not self.db.internal(pi["id"]).get("return_url"):
            # docs.stripe.com/payments/payment-intents#automatic-payment-methods: redirect-based methods need
            # somewhere to send the customer back to
            raise InvalidRequest("This PaymentIntent is configured to accept payment methods enabled in your "
                                 "Dashboard, because automatic_payment_methods is enabled. Some of these payment "
                                 "methods may redirect your customer off of your page. You must provide a "
                                 "`return_url` when confirming this PaymentIntent, or set "
                                 "`automatic_payment_methods[allow_redirects]=never`.", param="return_url",
                                 code="payment_intent_unexpected_state")
        if not pi["payment_method"]:
            raise InvalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method. "
                                 "To confirm the PaymentIntent with cus, specify a payment method attached to this "
                                 "customer along with the customer ID.", param="payment_method",
                                 code="payment_intent_unexpected_state")
        pm = self.db.get("payment_method", pi["payment_method"], param="payment_method")
        charge = self.charge_attempt(pi, pm)
        if charge["status"] == "failed":
            raise self.decline_error(pi, charge)
        return pi

    def decline_error(self, pi: dict[str, Any], charge: dict[str, Any]) -> CardError:
        err = pi["last_payment_error"]
        return CardError(err["message"], code=err["code"], decline_code=err.get("decline_code"),
                         param=err.get("param"), charge=charge["id"], payment_intent=self.db.snapshot(pi),
                         payment_method=err.get("payment_method"))

    def charge_attempt(self, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
        spec = self.hub.payment_methods.card_spec(pm)
        if self.hub.payment_methods.card_expired(pm):
            spec = dict(spec, charge="decline", decline=EXPIRED)
        ok = spec.get("charge", "ok") == "ok"
        dec = spec.get("decline") or {}
        manual = pi["capture_method"] == "manual"
        cid = self.db.new_id("ch")
        card = pm["card"]
        outcome = charge_outcome(ok, spec)
        charge = {
            "id": cid, "object": "charge", "amount": pi["amount"],
            "amount_captured": pi["amount"] if ok and not manual else 0, "amount_refunded": 0,
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": pm["billing_details"], "calculated_statement_descriptor": "O2C HARNESS",
            "captured": ok and not manual, "created": self.db.now(), "currency": pi["currency"],
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
                                                "network": card["brand"],
                                                **self.hub.charges.incremental_details(pi, card, ok)}, "type": "card"},
            "receipt_email": None, "receipt_number": None,
            "receipt_url": f"{self.hub.public_base}/receipts/{cid}" if ok else None,
            "refunded": False, "refunds": {"object": "list", "data": [], "has_more": False,
                                           "url": f"/v1/charges/{cid}/refunds"},
            "review": None, "shipping": None, "source_transfer": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "succeeded" if ok else "failed",
            "transfer_data": None, "transfer_group": None,
        }
        self.db.put(charge)
        if ok and not manual:
            charge["balance_transaction"] = self.hub.balance.new_balance_transaction(
                charge["amount"], charge["currency"], "charge", cid, pi["description"])
        pi["latest_charge"] = cid
        pi["payment_method"] = pm["id"]
        if ok:
            pi["last_payment_error"] = None
            if manual:
                pi["status"], pi["amount_capturable"] = "requires_capture", pi["amount"]
            else:
                pi["status"], pi["amount_received"] = "succeeded", pi["amount"]
            self.hub.events.emit("charge.succeeded", charge)
            self.hub.events.emit("payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded",
                                 pi)
            if spec.get("dispute"):
                self.hub.refunds.open_dispute(charge, spec["dispute"].get("reason", "fraudulent"))
            if not manual:
                self.hub.invoice_payments.on_payment_intent_succeeded(pi)  # credits the invoice it pays
        else:
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = {
                "charge": cid, "code": dec.get("code"), "decline_code": dec.get("decline_code"),
                "doc_url": f"https://stripe.com/docs/error-codes/{dec.get('code')}", "message": dec.get("message"),
                "param": dec.get("param"), "payment_method": self.db.snapshot(pm), "type": "card_error",
            }
            self.db.internal(cid)["hard"] = bool(spec.get("hard"))
            self.hub.events.emit("charge.failed", charge)
            self.hub.events.emit("payment_intent.payment_failed", pi)
        return charge

    def capture(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] != "requires_capture":
            raise InvalidRequest(f"This PaymentIntent could not be captured because it has a status of "
                                 f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                                 "captured: requires_capture.", code="payment_intent_unexpected_state")
        amount = P.integer(params, "amount_to_capture", default=pi["amount_capturable"], minimum=1)
        if amount > pi["amount_capturable"]:
            raise InvalidRequest("The amount to capture exceeds the amount capturable.", param="amount_to_capture")
        charge = self.db.get("charge", pi["latest_charge"])
        charge.update(captured=True, amount_captured=amount,
                      balance_transaction=self.hub.balance.new_balance_transaction(amount, charge["currency"], "charge",
                                                                                   charge["id"], charge["description"]))
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self.hub.events.emit("charge.captured", charge)
        self.hub.events.emit("payment_intent.succeeded", pi)
        self.hub.invoice_payments.on_payment_intent_succeeded(pi)
        return pi

    def cancel(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] in ("succeeded", "canceled"):
            raise InvalidRequest(f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
                                 "Only a PaymentIntent with one of the following statuses may be canceled: "
                                 "requires_payment_method, requires_capture, requires_confirmation, "
                                 "requires_action, processing.", code="payment_intent_unexpected_state")
        self.hub.invoice_payments.guard_default_pi(pi, "cancel")
        pi.update(status="canceled", canceled_at=self.db.now(),
                  cancellation_reason=P.string(params, "cancellation_reason"))   # null unless given
        self.hub.invoice_payments.on_payment_intent_canceled(pi)
        self.hub.events.emit("payment_intent.canceled", pi)
        return pi
