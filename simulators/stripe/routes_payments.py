"""Routes: payment intents, charges, refunds, disputes."""
from __future__ import annotations

from . import params as P
from .routes import expand
from .routes_core import _one
from .state import StripeState

S = StripeState


def pi_create(st: S, p):
    return st.render(st.payments.create(p), expand(p))


def pi_update(st: S, p, id):
    return st.render(st.payments.update(st.get("payment_intent", id), p), expand(p))


def _pi_action(action: str, store: str = "payments"):
    """``store``: the state store that does it (an incremental authorization is the charge's)."""
    def view(st: S, p, id):
        pi = st.get("payment_intent", id)
        getattr(getattr(st, store), action)(pi, p)
        return st.render(pi, expand(p))
    return view


def _list_by(kind: str, url: str, *fields: str):
    def view(st: S, p):
        wanted = {f: p[f] for f in fields if p.get(f)}
        return st.render(st.list_objects(kind, p, url, (lambda o: all(o.get(f) == v for f, v in wanted.items()))
                                         if wanted else None), expand(p))
    return view


def charge_update(st: S, p, id):
    ch = st.get("charge", id)
    ch["metadata"] = P.metadata(p, ch["metadata"])
    if "description" in p:
        ch["description"] = p["description"] or None
    st.events.emit("charge.updated", ch)
    return st.render(ch, expand(p))


def charge_create(st: S, p):
    return st.render(st.charges.create(p), expand(p))


def charge_capture(st: S, p, id):
    return st.render(st.charges.capture(st.get("charge", id), p), expand(p))


def refund_cancel(st: S, p, id):
    return st.render(st.refunds.cancel(st.get("refund", id)), expand(p))


def refund_create(st: S, p):
    return st.render(st.refunds.create(p), expand(p))


def refund_update(st: S, p, id):
    re = st.get("refund", id)
    re["metadata"] = P.metadata(p, re["metadata"])
    return st.render(re, expand(p))


def dispute_update(st: S, p, id):
    return st.render(st.refunds.update_dispute(st.get("dispute", id), p), expand(p))


def dispute_close(st: S, p, id):
    return st.render(st.refunds.close_dispute(st.get("dispute", id)), expand(p))


TABLE = [
    ("POST", "/v1/payment_intents", "payment_intents.create", pi_create),
    ("GET", "/v1/payment_intents", "payment_intents.list", _list_by("payment_intent", "/v1/payment_intents", "customer")),
    ("GET", "/v1/payment_intents/<id>", "payment_intents.retrieve", _one("payment_intent")),
    ("POST", "/v1/payment_intents/<id>", "payment_intents.update", pi_update),
    ("POST", "/v1/payment_intents/<id>/confirm", "payment_intents.confirm", _pi_action("confirm")),
    ("POST", "/v1/payment_intents/<id>/capture", "payment_intents.capture", _pi_action("capture")),
    ("POST", "/v1/payment_intents/<id>/cancel", "payment_intents.cancel", _pi_action("cancel")),
    ("POST", "/v1/payment_intents/<id>/increment_authorization", "payment_intents.increment_authorization",
     _pi_action("increment_authorization", "charges")),
    ("POST", "/v1/charges", "charges.create", charge_create),
    ("GET", "/v1/charges", "charges.list", _list_by("charge", "/v1/charges", "customer", "payment_intent")),
    ("GET", "/v1/charges/<id>", "charges.retrieve", _one("charge")),
    ("POST", "/v1/charges/<id>", "charges.update", charge_update),
    ("POST", "/v1/charges/<id>/capture", "charges.capture", charge_capture),
    ("POST", "/v1/refunds", "refunds.create", refund_create),
    ("GET", "/v1/refunds", "refunds.list", _list_by("refund", "/v1/refunds", "charge", "payment_intent")),
    ("GET", "/v1/refunds/<id>", "refunds.retrieve", _one("refund")),
    ("POST", "/v1/refunds/<id>", "refunds.update", refund_update),
    ("POST", "/v1/refunds/<id>/cancel", "refunds.cancel", refund_cancel),
    ("GET", "/v1/disputes", "disputes.list", _list_by("dispute", "/v1/disputes", "charge", "payment_intent")),
    ("GET", "/v1/disputes/<id>", "disputes.retrieve", _one("dispute")),
    ("POST", "/v1/disputes/<id>", "disputes.update", dispute_update),
    ("POST", "/v1/disputes/<id>/close", "disputes.close", dispute_close),
]
