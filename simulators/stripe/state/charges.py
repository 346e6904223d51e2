"""Legacy Charges (``POST /v1/charges`` with a card ``source`` or a customer's default card, then
``POST /v1/charges/{id}/capture``) and PaymentIntent incremental authorization.

- docs.stripe.com/api/charges/create: ``source`` is a token (``tok_visa``) or a card id; with ``customer`` and no
  ``source`` the customer's default card is charged; ``capture=false`` only authorizes.
- docs.stripe.com/api/charges/capture: ``amount`` at most the authorized amount; the rest is refunded (released).
- docs.stripe.com/payments/incremental-authorization: only a ``requires_capture`` PaymentIntent whose charge has
  ``incremental_authorization.status=available`` (requested with
  ``payment_method_options[card][request_incremental_authorization]=if_available`` on Visa, Mastercard, American
  Express or Discover), a higher ``amount``, at most 10 attempts.
"""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import CardError, InvalidRequest, ResourceMissing
from .base import Resource
from .payment_methods import cards
from .payments import EXPIRED, charge_outcome, check_minimum

INCREMENTAL_BRANDS = frozenset({"visa", "mastercard", "amex", "discover"})
MAX_INCREMENTS = 10
AUTH_DAYS = 7   # an uncaptured card charge expires after 7 days (docs.stripe.com/payments/place-a-hold-on-a-payment-method)


class ChargeStore(Resource):
    # ---- cards (the legacy sources API) --------------------------------------------------------
    def new_card(self, token: str, customer: str | None = None) -> dict[str, Any]:
        number = cards()["aliases"].get(token) if token.startswith("tok_") else None
        if number is None:
            raise ResourceMissing("token", token, param="source")
        spec = cards()["by_number"][number]
        card = {
            "id": self.db.new_id("card"), "object": "card", "address_city": None, "address_country": None,
            "address_line1": None, "address_line1_check": None, "address_line2": None, "address_state": None,
            "address_zip": None, "address_zip_check": None, "brand": _BRANDS.get(spec["brand"], spec["brand"]),
            "country": "US", "customer": customer, "cvc_check": "pass", "dynamic_last4": None, "exp_month": 12,
            "exp_year": self.clock.now().year + 8, "fingerprint": self.hub.payment_methods.fingerprint(number),
            "funding": spec.get("funding", "credit"), "last4": number[-4:], "metadata": {}, "name": None,
            "tokenization_method": None, "wallet": None,
        }
        self.db.internal(card["id"])["number"] = number
        return self.db.put(card)

    def _source_card(self, params: dict[str, Any], customer: dict[str, Any] | None) -> dict[str, Any]:
        source = P.string(params, "source")
        if source and source.startswith("card_"):
            card = self.db.find(source)
            if not card or card.get("object") != "card":
                raise ResourceMissing("source", source, param="source")
        elif source:
            if customer is not None:
                # a token must first be saved to the customer (docs.stripe.com/api/charges/create#create_charge-source)
                raise InvalidRequest(f"Customer {customer['id']} does not have a linked source with ID {source}.",
                                     param="source", code="missing")
            return self.new_card(source)
        elif customer is not None:
            if not customer.get("default_source"):
                raise InvalidRequest("Cannot charge a customer that has no active card", param="card",
                                     code="missing")
            card = self.get_card(customer["default_source"])
        else:
            raise InvalidRequest("Must provide source or customer.", code="parameter_missing")
        if customer is not None and card["customer"] != customer["id"]:
            raise InvalidRequest(f"Customer {customer['id']} does not have a linked source with ID {card['id']}.",
                                 param="source", code="missing")
        return card

    def get_card(self, cid: str) -> dict[str, Any]:
        card = self.db.find(cid)
        if not card or card.get("object") != "card":
            raise ResourceMissing("source", cid, param="source")
        return card

    # ---- legacy charges ----------------------------------------------------------------------
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = P.integer(params, "amount", required=True, minimum=1)
        currency = P.string(params, "currency", required=True).lower()
        check_minimum(amount, currency)
        customer = self.db.get("customer", params["customer"], param="customer") if params.get("customer") else None
        card = self._source_card(params, customer)
        capture = P.boolean(params, "capture", default=True)
        spec = cards()["by_number"].get(self.db.internal(card["id"]).get("number", ""), {"charge": "ok"})
        if (card["exp_year"], card["exp_month"]) < (self.clock.now().year, self.clock.now().month):
            spec = dict(spec, charge="decline", decline=EXPIRED)
        ok = spec.get("charge", "ok") == "ok"
        dec = spec.get("decline") or {}
        brand = _SHORT.get(card["brand"], card["brand"].lower())
        cid, now = self.db.new_id("ch"), self.db.now()
        charge = {
            "id": cid, "object": "charge", "amount": amount, "amount_captured": amount if ok and capture else 0,
            "amount_refunded": 0, "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                            "postal_code": None, "state": None},
                                "email": None, "name": None, "phone": None, "tax_id": None},
            "calculated_statement_descriptor": "O2C HARNESS", "captured": ok and capture, "created": now,
            "currency": currency, "customer": customer["id"] if customer else None,
            "description": P.string(params, "description"), "disputed": False, "failure_balance_transaction": None,
            "failure_code": None if ok else dec.get("code"), "failure_message": None if ok else dec.get("message"),
            "fraud_details": {}, "livemode": False, "metadata": P.metadata(params), "on_behalf_of": None,
            "outcome": charge_outcome(ok, spec), "paid": ok, "payment_intent": None, "payment_method": card["id"],
            "payment_method_details": {"card": {
                "amount_authorized": amount if ok else None, "brand": brand,
                "capture_before": now + AUTH_DAYS * 86400 if ok and not capture else None,
                "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
                "country": card["country"], "exp_month": card["exp_month"], "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"], "funding": card["funding"], "last4": card["last4"],
                "network": brand}, "type": "card"},
            "receipt_email": P.string(params, "receipt_email"), "receipt_number": None,
            "receipt_url": f"{self.hub.public_base}/receipts/{cid}" if ok else None, "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{cid}/refunds"},
            "review": None, "shipping": None, "source": self.db.snapshot(card), "source_transfer": None,
            "statement_descriptor": P.string(params, "statement_descriptor"), "statement_descriptor_suffix": None,
            "status": "succeeded" if ok else "failed", "transfer_data": None, "transfer_group": None,
        }
        self.db.put(charge)
        if not ok:
            self.db.internal(cid)["hard"] = bool(spec.get("hard"))
            self.hub.events.emit("charge.failed", charge)
            # the 402 carries the failed charge's id (docs.stripe.com/api/errors: ``charge``)
            raise CardError(dec.get("message"), code=dec.get("code"), decline_code=dec.get("decline_code"),
                            param=dec.get("param"), charge=cid)
        if capture:
            charge["balance_transaction"] = self.hub.balance.new_balance_transaction(amount, currency, "charge", cid,
                                                                                     charge["description"])
        self.hub.events.emit("charge.succeeded", charge)
        if spec.get("dispute"):
            self.hub.refunds.open_dispute(charge, spec["dispute"].get("reason", "fraudulent"))
        return charge

    def capture(self, charge: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if charge["payment_intent"]:
            # a PaymentIntent's charge is captured through its PaymentIntent (same rules, same events)
            pi = self.db.get("payment_intent", charge["payment_intent"])
            capture = {"amount_to_capture": params["amount"]} if "amount" in params else {}
            self.hub.payments.capture(pi, capture)
            return charge
        if charge["captured"]:
            raise InvalidRequest(f"Charge {charge['id']} has already been captured.",
                                 code="charge_already_captured")
        if charge["status"] != "succeeded":
            raise InvalidRequest(f"Charge {charge['id']} has failed and cannot be captured.",
                                 code="charge_not_capturable")
        if charge["amount_refunded"] >= charge["amount"]:
            # an authorization not captured within 7 days is released (charge.expired)
            raise InvalidRequest(f"Charge {charge['id']} has expired and cannot be captured.",
                                 code="charge_expired_for_capture")
        amount = P.integer(params, "amount", default=charge["amount"], minimum=1)
        if amount > charge["amount"]:
            raise InvalidRequest(f"The amount to capture ({amount}) is greater than the amount authorized on "
                                 f"charge {charge['id']} ({charge['amount']}).", param="amount",
                                 code="amount_too_large")
        check_minimum(amount, charge["currency"])
        released = charge["amount"] - amount
        charge.update(captured=True, amount_captured=amount, amount_refunded=released,
                      balance_transaction=self.hub.balance.new_balance_transaction(amount, charge["currency"], "charge",
                                                                                   charge["id"], charge["description"]))
        charge["payment_method_details"]["card"]["capture_before"] = None
        # the uncaptured rest goes back to the card: it counts as refunded, and is not refundable again
        self.db.internal(charge["id"])["released"] = released
        self.hub.events.emit("charge.captured", charge)
        return charge

    # ---- incremental authorization -------------------------------------------------------------
    def incremental_option(self, pi: dict[str, Any], params: dict[str, Any]) -> None:
        pmo = params.get("payment_method_options")
        card = pmo.get("card") if isinstance(pmo, dict) else None
        value = card.get("request_incremental_authorization") if isinstance(card, dict) else None
        if value:
            if value not in ("if_available", "never"):
                raise InvalidRequest(f"Invalid payment_method_options[card][request_incremental_authorization]: "
                                     f"must be one of if_available or never",
                                     param="payment_method_options[card][request_incremental_authorization]")
            pi["payment_method_options"]["card"]["request_incremental_authorization"] = value

    def incremental_details(self, pi: dict[str, Any], card: dict[str, Any], ok: bool) -> dict[str, Any]:
        requested = pi["payment_method_options"]["card"].get("request_incremental_authorization") == "if_available"
        if not requested:
            return {}
        available = ok and pi["capture_method"] == "manual" and card["brand"] in INCREMENTAL_BRANDS
        return {"incremental_authorization": {"status": "available" if available else "unavailable"}}

    def increment_authorization(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] != "requires_capture":
            raise InvalidRequest(f"This PaymentIntent's status is {pi['status']}, but it must be requires_capture "
                                 "to increment its authorization.", code="payment_intent_unexpected_state")
        charge = self.db.get("charge", pi["latest_charge"])
        details = charge["payment_method_details"]["card"]
        if (details.get("incremental_authorization") or {}).get("status") != "available":
            raise InvalidRequest("This PaymentIntent is not eligible for incremental authorization: request it with "
                                 "`payment_method_options[card][request_incremental_authorization]=if_available` "
                                 "when creating the PaymentIntent.", code="payment_intent_unexpected_state")
        amount = P.integer(params, "amount", required=True, minimum=1)
        attempts = self.db.internal(pi["id"]).get("increments", 0)
        if attempts >= MAX_INCREMENTS:
            raise InvalidRequest(f"This PaymentIntent has reached the maximum of {MAX_INCREMENTS} incremental "
                                 "authorization attempts.", code="payment_intent_unexpected_state")
        self.db.internal(pi["id"])["increments"] = attempts + 1
        if amount <= pi["amount"]:
            raise InvalidRequest(f"The amount ({amount}) must be greater than the PaymentIntent's current amount "
                                 f"({pi['amount']}).", param="amount")
        if "description" in params:
            pi["description"] = params["description"] or None
        pi["metadata"] = P.metadata(params, pi["metadata"])
        pi.update(amount=amount, amount_capturable=amount)
        charge["amount"] = amount
        details["amount_authorized"] = amount
        self.hub.events.emit("charge.updated", charge)
        self.hub.events.emit("payment_intent.amount_capturable_updated", pi)
        return pi


# card object brands are spelled out (docs.stripe.com/api/cards/object#card_object-brand)
_BRANDS = {"visa": "Visa", "mastercard": "MasterCard", "amex": "American Express", "discover": "Discover"}
_SHORT = {v: k for k, v in _BRANDS.items()}
