"""Paying an invoice from the portal, through Stripe's public API (the fake Stripe: in-process the
harness routes api.stripe.com to it; live the harness sets the setting ``portal_stripe_url``).

The choice: a **PaymentIntent attached to the Stripe invoice** (``POST /v1/invoices/{id}/attach_payment``),
not a redirect to the hosted invoice page. It is Stripe's documented way to take a partial payment of
an invoice from one's own page (docs.stripe.com/invoicing/partial-payments), it keeps the customer on
the portal (one session, one CSRF-protected form, the decline reason shown in place), and the
integration sees the same ``invoice_payment.paid`` / ``invoice.paid`` events as for any payment.

Steps, each with an ``Idempotency-Key`` derived from the payment attempt (a form submitted twice
charges once): PaymentMethod from the card, PaymentIntent (amount computed by the server, the
invoice's customer and currency), attach to the invoice, confirm. A decline cancels the
PaymentIntent (its invoice payment turns canceled) and returns Stripe's message.
"""
from __future__ import annotations

from typing import Any

import requests


class PaymentError(Exception):
    def __init__(self, message: str, code: str | None = None, decline_code: str | None = None):
        super().__init__(message)
        self.message, self.code, self.decline_code = message, code, decline_code


class StripeGateway:
    def __init__(self, base_url: str, api_key: str, verify: Any = True):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False   # Stripe is on loopback or in process: no proxy from the environment
        self.session.auth = (api_key, "")
        self.verify = verify

    def _call(self, method: str, path: str, data: dict[str, Any] | None = None,
              idempotency_key: str | None = None) -> dict[str, Any]:
        headers: dict[str, str] = {}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            resp = self.session.request(method, self.base + path, data=data, headers=headers, timeout=30,
                                        verify=self.verify)
        except requests.RequestException as exc:
            raise PaymentError(f"The payment service could not be reached ({type(exc).__name__}). "
                               "Nothing was charged; please try again.") from exc
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code >= 400:
            err = body.get("error") or {}
            raise PaymentError(err.get("message") or f"The payment service answered {resp.status_code}.",
                               err.get("code"), err.get("decline_code"))
        return body

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/invoices/{invoice_id}")

    def pay(self, invoice: dict[str, Any], amount: int, card: str, key: str, description: str) -> dict[str, Any]:
        """Charge ``amount`` (minor units) against the open Stripe ``invoice``; returns the PaymentIntent."""
        pm = self._call("POST", "/v1/payment_methods", {"type": "card", "card[number]": card},
                        f"{key}-pm")
        pi = self._call("POST", "/v1/payment_intents", {
            "amount": amount, "currency": invoice["currency"], "customer": invoice["customer"],
            "payment_method": pm["id"], "description": description,
            "metadata[invoice]": invoice["id"], "metadata[source]": "billing-portal"}, f"{key}-pi")
        self._call("POST", f"/v1/invoices/{invoice['id']}/attach_payment", {"payment_intent": pi["id"]},
                   f"{key}-attach")
        try:
            return self._call("POST", f"/v1/payment_intents/{pi['id']}/confirm", {}, f"{key}-confirm")
        except PaymentError:
            try:   # the attempt is over: its invoice payment turns canceled, the customer may try again
                self._call("POST", f"/v1/payment_intents/{pi['id']}/cancel", {"cancellation_reason": "abandoned"},
                           f"{key}-cancel")
            except PaymentError:
                pass
            raise
