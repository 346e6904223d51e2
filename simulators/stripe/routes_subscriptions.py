"""Routes: subscriptions and subscription items (docs.stripe.com/api/subscriptions,
docs.stripe.com/api/subscription_items); the logic is in state/subscriptions.py and
state/subscription_billing.py."""
from __future__ import annotations

from .routes import expand
from .routes_core import _one
from .state import StripeState

S = StripeState


def sub_retrieve(st: S, p, id):
    """A canceled subscription stays retrievable (status ``canceled``)."""
    return st.render(st.get("subscription", id), expand(p))


def sub_create(st: S, p):
    return st.render(st.subscriptions.create(p), expand(p))


def sub_update(st: S, p, id):
    return st.render(st.subscriptions.update(st.get("subscription", id), p), expand(p))


def sub_cancel(st: S, p, id):
    return st.render(st.subscriptions.cancel(st.get("subscription", id), p), expand(p))


def sub_resume(st: S, p, id):
    return st.render(st.subscriptions.resume(st.get("subscription", id), p), expand(p))


def sub_list(st: S, p):
    return st.render(st.subscriptions.list_subscriptions(p), expand(p))


def si_create(st: S, p):
    return st.render(st.subscriptions.create_subscription_item(p), expand(p))


def si_update(st: S, p, id):
    return st.render(st.subscriptions.update_subscription_item(st.get("subscription_item", id), p), expand(p))


def si_delete(st: S, p, id):
    return st.subscriptions.delete_subscription_item(st.get("subscription_item", id), p)


def si_list(st: S, p):
    return st.render(st.subscriptions.list_subscription_items(p), expand(p))


TABLE = [
    ("POST", "/v1/subscriptions", "subscriptions.create", sub_create),
    ("GET", "/v1/subscriptions", "subscriptions.list", sub_list),
    ("GET", "/v1/subscriptions/<id>", "subscriptions.retrieve", sub_retrieve),
    ("POST", "/v1/subscriptions/<id>", "subscriptions.update", sub_update),
    ("DELETE", "/v1/subscriptions/<id>", "subscriptions.cancel", sub_cancel),
    ("POST", "/v1/subscriptions/<id>/resume", "subscriptions.resume", sub_resume),
    ("POST", "/v1/subscription_items", "subscription_items.create", si_create),
    ("GET", "/v1/subscription_items", "subscription_items.list", si_list),
    ("GET", "/v1/subscription_items/<id>", "subscription_items.retrieve", _one("subscription_item")),
    ("POST", "/v1/subscription_items/<id>", "subscription_items.update", si_update),
    ("DELETE", "/v1/subscription_items/<id>", "subscription_items.delete", si_delete),
]
