"""Stripe-specific control endpoints under ``/_sim/stripe`` (loopback only, plain JSON):

- ``GET/POST /_sim/stripe/webhook-schedule``: retry schedule per endpoint (``endpoint``: a ``we_`` id or
  ``*`` for the default; ``schedule``: ``sandbox`` | ``live`` | list of delays in seconds).
- ``GET/POST /_sim/stripe/webhook-signing`` ``{"clock": "simulated" | "wall"}``: which clock the
  ``Stripe-Signature`` timestamp follows (simulated by default; ``wall`` for receivers that check the SDK's
  300-second tolerance against their own clock).
- ``GET/POST /_sim/stripe/dunning``: Smart-Retries-like settings ``retries``, ``window_days``,
  ``final`` (``past_due`` | ``uncollectible``), ``subscription_final`` (``canceled`` | ``unpaid`` |
  ``past_due``: a subscription's status after the last retry fails).
- ``POST /_sim/stripe/invoices/<id>/pay_hosted`` ``{"card": "4242424242424242", "amount": 5000}``: the customer
  pays on the hosted invoice page (same code path as the page's form); ``amount`` (optional, minor units)
  pays part of a ``send_invoice`` invoice. 200 with the invoice, 402 with the decline, 400 with Stripe's
  error body for a bad amount.
- ``POST /_sim/stripe/setup_intents/<id>/authenticate`` ``{"outcome": "complete" | "fail"}``: the customer's
  3D Secure step for a SetupIntent in ``requires_action`` (the two buttons of Stripe's test authentication page).
- ``GET /_sim/stripe/deliveries?event=evt_…``: webhook delivery attempts for one event.
"""
from __future__ import annotations


from simulators.core.control import control_body as _body
from simulators.core.errors import ControlError
from simulators.core.control_routes import ControlRoutes, control_request, json_response

from .state import SCHEDULES_DOC, StripeState


def control_routes(st: StripeState) -> ControlRoutes:
    bp = ControlRoutes("/_sim/stripe")

    @bp.get("/webhook-schedule")
    def schedule_get():
        return json_response({"schedules": st.events.schedules(), "named": SCHEDULES_DOC,
                              "default": st.options.get("webhook_schedule", "sandbox")})

    @bp.post("/webhook-schedule")
    def schedule_set():
        body = _body()
        if "schedule" not in body:
            raise ControlError("schedule is required: sandbox, live or a list of delays in seconds")
        endpoint = body.get("endpoint", "*")
        with st.lock:
            if endpoint != "*":
                obj = st.find(endpoint)
                if not obj or obj.get("object") != "webhook_endpoint":
                    raise ControlError(f"no webhook endpoint {endpoint}", 404)
            try:
                out = st.events.set_schedule(endpoint, body["schedule"])
            except ValueError as exc:
                raise ControlError(str(exc)) from exc
        return json_response({"schedules": out})

    @bp.get("/webhook-signing")
    def signing_get():
        return json_response({"clock": st.events.signature_clock()})

    @bp.post("/webhook-signing")
    def signing_set():
        with st.lock:
            return json_response({"clock": st.events.signature_clock(_body()["clock"])})

    @bp.get("/dunning")
    def dunning_get():
        return json_response(st.invoices.dunning())

    @bp.post("/dunning")
    def dunning_set():
        with st.lock:
            try:
                return json_response(st.invoices.set_dunning(_body()))
            except ValueError as exc:
                raise ControlError(str(exc)) from exc

    @bp.post("/invoices/<iid>/pay_hosted")
    def pay_hosted(iid: str):
        body = _body()
        card = str(body.get("card", "4242424242424242"))
        amount = body.get("amount")
        with st.lock:
            inv = st.find(iid)
            if not inv or inv.get("object") != "invoice" or inv.get("deleted"):
                raise ControlError(f"no invoice {iid}", 404)
            _, error = st.invoices.pay_hosted(inv, card, amount)
            payload = st.render(inv)
            return json_response({"invoice": payload, **({"error": error["error"]} if error else {})},
                                 402 if error else 200)

    @bp.post("/setup_intents/<sid>/authenticate")
    def setup_authenticate(sid: str):
        outcome = _body().get("outcome", "complete")
        if outcome not in ("complete", "fail"):
            raise ControlError("outcome must be complete or fail")
        with st.lock:
            si = st.find(sid)
            if not si or si.get("object") != "setup_intent":
                raise ControlError(f"no setup intent {sid}", 404)
            try:
                st.setup_intents.authenticate(si, outcome)
            except ValueError as exc:
                raise ControlError(str(exc), 409) from exc
            return json_response(st.render(si))

    @bp.get("/deliveries")
    def deliveries():
        event = control_request().args.get("event")
        return json_response({"deliveries": [d.summary() for d in st.events.outbox.deliveries(event_id=event)]})

    return bp
