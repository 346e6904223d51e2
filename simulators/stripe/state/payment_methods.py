"""PaymentMethods (test cards). Test-card behaviour is data: stripe_test_cards.json in simulators.data
(attach ok/decline, charge ok/decline, dispute). A magic id (``pm_card_visa``) or token (``tok_visa``) or raw
test number makes a fresh ``pm_`` each time it is used, as Stripe does in test mode; the card ``fingerprint``
is the same for the same number (per run seed), as Stripe's is per card number per account.
"""
from __future__ import annotations

import hashlib
from typing import Any

from simulators import data as packaged

from .. import params as P
from ..errors import CardError, InvalidRequest, ResourceMissing
from .base import Resource

_CARDS: dict[str, Any] = {}


def cards() -> dict[str, Any]:
    """number -> card spec, plus alias (pm_card_* / tok_*) -> number."""
    if not _CARDS:
        data = packaged.load("stripe_test_cards")
        by_number = {c["number"]: c for c in data["cards"]}
        aliases = {a: c["number"] for c in data["cards"] for a in c.get("payment_methods", []) + c.get("tokens", [])}
        _CARDS.update(by_number=by_number, aliases=aliases)
    return _CARDS


class PaymentMethodStore(Resource):
    # ---- payment methods ----------------------------------------------------------------
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
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
        exp_month = P.integer(card, "exp_month", default=12, label="card[exp_month]")
        exp_year = P.integer(card, "exp_year", default=2034, label="card[exp_year]")
        if not 1 <= exp_month <= 12:
            raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month",
                            param="exp_month")
        if self._expired(exp_month, exp_year):
            # a past expiry is refused when the card is tokenized (docs.stripe.com/error-codes#invalid-expiry-year)
            year_past = exp_year < self.clock.now().year
            raise CardError(f"Your card's expiration {'year' if year_past else 'month'} is invalid.",
                            code="invalid_expiry_year" if year_past else "invalid_expiry_month",
                            param="exp_year" if year_past else "exp_month")
        pm = self._new_pm(number, exp_month, exp_year)
        pm["metadata"] = P.metadata(params)
        self._billing_details(pm, params)
        return pm

    def _expired(self, month: int, year: int) -> bool:
        today = self.clock.now()
        return (year, month) < (today.year, today.month)

    def card_expired(self, pm: dict[str, Any]) -> bool:
        """At charge time, on the simulated clock: a card that has expired since it was saved is declined."""
        return self._expired(pm["card"]["exp_month"], pm["card"]["exp_year"])

    @staticmethod
    def _billing_details(pm: dict[str, Any], params: dict[str, Any]) -> None:
        bd = params.get("billing_details")
        if not isinstance(bd, dict):
            return
        for key in ("email", "name", "phone"):
            if key in bd:
                pm["billing_details"][key] = bd[key] or None
        if isinstance(bd.get("address"), dict):
            pm["billing_details"]["address"].update({k: v or None for k, v in bd["address"].items()})

    def update(self, pm: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if not pm["customer"]:
            # Stripe refuses updates to a PaymentMethod that is not saved to a customer
            raise InvalidRequest("You must save this PaymentMethod to a customer before you update it.",
                                 code="payment_method_unexpected_state")
        previous = self.db.snapshot(pm)
        pm["metadata"] = P.metadata(params, pm["metadata"])
        self._billing_details(pm, params)
        card = params.get("card")
        if isinstance(card, dict):
            month = P.integer(card, "exp_month", default=pm["card"]["exp_month"], label="card[exp_month]")
            year = P.integer(card, "exp_year", default=pm["card"]["exp_year"], label="card[exp_year]")
            if not 1 <= month <= 12 or self._expired(month, year):
                raise CardError("Your card's expiration date is invalid.", code="invalid_expiry_year",
                                param="exp_year")
            pm["card"].update(exp_month=month, exp_year=year)
        self.hub.events.emit("payment_method.updated", pm, {k: v for k, v in previous.items() if pm.get(k) != v})
        return pm

    def fingerprint(self, number: str) -> str:
        """The same card number gives the same fingerprint for this run's seed (Stripe: per card, per account)."""
        digest = hashlib.sha256(f"stripe-card:{self.sim.seed}:{number}".encode()).digest()
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        return "".join(alphabet[b % 62] for b in digest[:16])

    def _card_number(self, ref: str, param: str) -> str:
        num = cards()["aliases"].get(ref)
        if num is None:
            raise ResourceMissing("token" if ref.startswith("tok_") else "PaymentMethod", ref, param=param)
        return num

    def _new_pm(self, number: str, exp_month: int = 12, exp_year: int = 2034) -> dict[str, Any]:
        spec = cards()["by_number"].get(number, {"brand": "visa", "funding": "credit"})
        pm = {
            "id": self.db.new_id("pm"), "object": "payment_method", "allow_redisplay": "unspecified",
            "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                            "postal_code": None, "state": None},
                                "email": None, "name": None, "phone": None, "tax_id": None},
            "card": {"brand": spec["brand"], "checks": {"address_line1_check": None, "address_postal_code_check": None,
                                                        "cvc_check": "pass"},
                     "country": "US", "display_brand": spec["brand"], "exp_month": exp_month, "exp_year": exp_year,
                     "fingerprint": self.fingerprint(number), "funding": spec.get("funding", "credit"),
                     "generated_from": None, "last4": number[-4:],
                     "networks": {"available": [spec["brand"]], "preferred": None},
                     "three_d_secure_usage": {"supported": True}, "wallet": None},
            "created": self.db.now(), "customer": None, "livemode": False, "metadata": {}, "type": "card",
        }
        self.db.internal(pm["id"])["number"] = number
        return self.db.put(pm)

    def resolve_pm(self, ref: Any, param: str = "payment_method") -> dict[str, Any]:
        """An existing pm_, or a fresh one from a magic id, token or raw test number."""
        if isinstance(ref, str):
            if ref in cards()["aliases"]:
                return self._new_pm(cards()["aliases"][ref])
            if ref.isdigit() and len(ref) >= 12:
                return self._new_pm(ref)
        return self.db.get("payment_method", ref, param=param)

    def card_spec(self, pm: dict[str, Any]) -> dict[str, Any]:
        number = self.db.internal(pm["id"]).get("number", "")
        return cards()["by_number"].get(number, {"attach": "ok", "charge": "ok"})

    def attach(self, pm: dict[str, Any], customer_id: Any) -> dict[str, Any]:
        cus = self.db.get("customer", customer_id, param="customer")
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
            self.hub.events.emit("payment_method.attached", pm)
        return pm

    def detach(self, pm: dict[str, Any]) -> dict[str, Any]:
        if not pm["customer"]:
            raise InvalidRequest("The payment method you provided is not attached to a customer so detachment is "
                                 "impossible.", code="payment_method_unexpected_state")
        cus = self.db.find(pm["customer"])
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        if cus and cus["invoice_settings"].get("default_payment_method") == pm["id"]:
            cus["invoice_settings"]["default_payment_method"] = None
        self.hub.events.emit("payment_method.detached", pm, previous)
        return pm


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0
