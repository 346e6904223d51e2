"""SetupIntents: save a card for later payments without charging it (docs.stripe.com/api/setup_intents,
docs.stripe.com/payments/setup-intents).

Statuses: ``requires_payment_method`` -> ``requires_confirmation`` (a method is set) -> ``requires_action`` (3D Secure
test cards, docs.stripe.com/testing#regulatory-cards) -> ``succeeded`` / ``canceled``. A succeeded SetupIntent
attaches its PaymentMethod to its customer. A declined card leaves it in ``requires_payment_method`` with
``last_setup_error`` and raises the 402 card error; a failed 3D Secure authentication does the same with
``setup_intent_authentication_failure``. The customer's 3D Secure step is ``POST
/_sim/stripe/setup_intents/<id>/authenticate`` (``{"outcome": "complete" | "fail"}``), the two buttons of Stripe's
test authentication page.
"""
from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import CardError, InvalidRequest
from .base import Resource
from .payments import EXPIRED

CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
AUTH_FAILED = {"code": "setup_intent_authentication_failure",
               "message": "We are unable to authenticate your payment method. Please choose a different payment "
                          "method and try again."}


class SetupIntentStore(Resource):
    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = P.string(params, "customer")
        if customer:
            self.db.get("customer", customer, param="customer")
        sid = self.db.new_id("seti")
        si = {
            "id": sid, "object": "setup_intent", "application": None, "attach_to_self": None,
            "automatic_payment_methods": None, "cancellation_reason": None,
            "client_secret": f"{sid}_secret_{self.sim.secrets.token(25)}", "created": self.db.now(),
            "customer": customer, "description": P.string(params, "description"), "flow_directions": None,
            "last_setup_error": None, "latest_attempt": None, "livemode": False, "mandate": None,
            "metadata": P.metadata(params), "next_action": None, "on_behalf_of": None, "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                                "request_three_d_secure": "automatic"}},
            "payment_method_types": params.get("payment_method_types") or ["card"], "single_use_mandate": None,
            "status": "requires_payment_method",
            "usage": P.string(params, "usage", default="off_session", choices=("off_session", "on_session")),
        }
        self.db.put(si)
        if params.get("return_url"):
            self.db.internal(sid)["return_url"] = params["return_url"]
        if params.get("payment_method"):
            si["payment_method"] = self.hub.payment_methods.resolve_pm(params["payment_method"])["id"]
            si["status"] = "requires_confirmation"
        self.hub.events.emit("setup_intent.created", si)
        if P.boolean(params, "confirm", default=False):
            self.confirm(si, {})
        return si

    def update(self, si: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if si["status"] in ("succeeded", "canceled"):
            raise InvalidRequest(f"You cannot update this SetupIntent because it has a status of {si['status']}.",
                                 code="setup_intent_unexpected_state")
        if params.get("customer"):
            si["customer"] = self.db.get("customer", params["customer"], param="customer")["id"]
        if "description" in params:
            si["description"] = params["description"] or None
        if params.get("payment_method"):
            si["payment_method"] = self.hub.payment_methods.resolve_pm(params["payment_method"])["id"]
            si["status"] = "requires_confirmation"
            si["next_action"] = None
        si["metadata"] = P.metadata(params, si["metadata"])
        return si

    def confirm(self, si: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if si["status"] not in CONFIRMABLE:
            raise InvalidRequest(f"You cannot confirm this SetupIntent because it has a status of {si['status']}. "
                                 "Only a SetupIntent with one of the following statuses may be confirmed: "
                                 "requires_payment_method, requires_confirmation.",
                                 code="setup_intent_unexpected_state")
        if params.get("payment_method"):
            si["payment_method"] = self.hub.payment_methods.resolve_pm(params["payment_method"])["id"]
        if params.get("return_url"):
            self.db.internal(si["id"])["return_url"] = params["return_url"]
        if not si["payment_method"]:
            raise InvalidRequest("You cannot confirm this SetupIntent because it's missing a payment method. Update "
                                 "the SetupIntent with a payment method and then confirm it again.",
                                 param="payment_method", code="setup_intent_unexpected_state")
        pm = self.db.get("payment_method", si["payment_method"], param="payment_method")
        if si["customer"] and pm["customer"] and pm["customer"] != si["customer"]:
            raise InvalidRequest("The provided PaymentMethod was previously used with a PaymentIntent without "
                                 "Customer attachment, shared with a connected account without Customer "
                                 "attachment, or was detached from a Customer. It may not be used again.",
                                 param="payment_method", code="payment_method_unexpected_state")
        spec = self.hub.payment_methods.card_spec(pm)
        if self.hub.payment_methods.card_expired(pm):
            spec = dict(spec, attach="decline", decline=EXPIRED)
        if spec.get("attach") == "decline":
            raise self._setup_failed(si, pm, spec["decline"])
        if spec.get("setup") == "requires_action":
            si["status"] = "requires_action"
            return_url = self.db.internal(si["id"]).get("return_url")
            auth_url = f"{self.hub.public_base}/_sim/stripe/setup_intents/{si['id']}/authenticate"
            si["next_action"] = ({"type": "redirect_to_url",
                                  "redirect_to_url": {"return_url": return_url, "url": auth_url}} if return_url else
                                 {"type": "use_stripe_sdk",
                                  "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": auth_url}})
            self.hub.events.emit("setup_intent.requires_action", si)
            return si
        return self._setup_succeeded(si, pm)

    def _setup_succeeded(self, si: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
        if si["customer"]:
            self.hub.payment_methods.attach(pm, si["customer"])
        si.update(status="succeeded", next_action=None, last_setup_error=None)
        self.hub.events.emit("setup_intent.succeeded", si)
        return si

    def _setup_failed(self, si: dict[str, Any], pm: dict[str, Any], dec: dict[str, Any]) -> CardError:
        si.update(status="requires_payment_method", next_action=None)
        si["last_setup_error"] = {
            "code": dec["code"], **({"decline_code": dec["decline_code"]} if dec.get("decline_code") else {}),
            "doc_url": f"https://stripe.com/docs/error-codes/{dec['code'].replace('_', '-')}",
            "message": dec["message"], "param": dec.get("param"), "payment_method": self.db.snapshot(pm),
            "type": "card_error" if dec.get("decline_code") else "invalid_request_error",
        }
        self.hub.events.emit("setup_intent.setup_failed", si)
        return CardError(dec["message"], code=dec["code"], decline_code=dec.get("decline_code"),
                         param=dec.get("param"), setup_intent=self.db.snapshot(si), payment_method=self.db.snapshot(pm))

    def authenticate(self, si: dict[str, Any], outcome: str) -> dict[str, Any]:
        """The customer finishes (``complete``) or fails (``fail``) the 3D Secure challenge."""
        if si["status"] != "requires_action":
            raise ValueError(f"setup intent {si['id']} is {si['status']}, not requires_action")
        pm = self.db.get("payment_method", si["payment_method"])
        if outcome == "complete":
            return self._setup_succeeded(si, pm)
        self._setup_failed(si, pm, AUTH_FAILED)
        return si

    def cancel(self, si: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if si["status"] not in CANCELABLE:
            raise InvalidRequest(f"You cannot cancel this SetupIntent because it has a status of {si['status']}. "
                                 "Only a SetupIntent with one of the following statuses may be canceled: "
                                 f"{', '.join(CANCELABLE)}.", code="setup_intent_unexpected_state")
        si.update(status="canceled", next_action=None,
                  cancellation_reason=P.string(params, "cancellation_reason",
                                               choices=("abandoned", "duplicate", "requested_by_customer")))
        self.hub.events.emit("setup_intent.canceled", si)
        return si
