"""Routes: SetupIntents (docs.stripe.com/api/setup_intents)."""
from __future__ import annotations

from .routes import expand
from .routes_core import _one
from .state import StripeState

S = StripeState


def si_create(st: S, p):
    return st.render(st.setup_intents.create(p), expand(p))


def si_update(st: S, p, id):
    return st.render(st.setup_intents.update(st.get("setup_intent", id), p), expand(p))


def si_list(st: S, p):
    wanted = {f: p[f] for f in ("customer", "payment_method") if p.get(f)}
    return st.render(st.list_objects("setup_intent", p, "/v1/setup_intents",
                                     lambda o: all(o.get(f) == v for f, v in wanted.items())), expand(p))


def _action(action: str):
    def view(st: S, p, id):
        si = st.get("setup_intent", id)
        getattr(st.setup_intents, action)(si, p)
        return st.render(si, expand(p))
    return view


TABLE = [
    ("POST", "/v1/setup_intents", "setup_intents.create", si_create),
    ("GET", "/v1/setup_intents", "setup_intents.list", si_list),
    ("GET", "/v1/setup_intents/<id>", "setup_intents.retrieve", _one("setup_intent")),
    ("POST", "/v1/setup_intents/<id>", "setup_intents.update", si_update),
    ("POST", "/v1/setup_intents/<id>/confirm", "setup_intents.confirm", _action("confirm")),
    ("POST", "/v1/setup_intents/<id>/cancel", "setup_intents.cancel", _action("cancel")),
]
