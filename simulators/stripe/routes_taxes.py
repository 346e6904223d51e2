"""Routes: tax rates and customer tax ids (business logic in state/taxes.py)."""
from __future__ import annotations

from .routes import expand
from .state import StripeState

S = StripeState


def txr_create(st: S, p):
    return st.render(st.taxes.create_tax_rate(p), expand(p))


def txr_update(st: S, p, id):
    return st.render(st.taxes.update_tax_rate(st.get("tax_rate", id), p), expand(p))


def txr_list(st: S, p):
    return st.render(st.taxes.list_tax_rates(p), expand(p))


def txi_create(st: S, p, customer):
    return st.render(st.taxes.create_tax_id(st.get("customer", customer, param="customer"), p), expand(p))


def txi_retrieve(st: S, p, customer, id):
    return st.render(st.taxes.customer_tax_id(st.get("customer", customer, param="customer"), id), expand(p))


def txi_delete(st: S, p, customer, id):
    return st.taxes.delete_tax_id(st.taxes.customer_tax_id(st.get("customer", customer, param="customer"), id))


def txi_list(st: S, p, customer):
    st.get("customer", customer, param="customer")
    return st.render(st.list_objects("tax_id", p, f"/v1/customers/{customer}/tax_ids",
                                     lambda o: o["customer"] == customer), expand(p))


TABLE = [
    ("POST", "/v1/tax_rates", "tax_rates.create", txr_create),
    ("GET", "/v1/tax_rates", "tax_rates.list", txr_list),
    ("POST", "/v1/tax_rates/<id>", "tax_rates.update", txr_update),
    ("POST", "/v1/customers/<customer>/tax_ids", "customer_tax_ids.create", txi_create),
    ("GET", "/v1/customers/<customer>/tax_ids", "customer_tax_ids.list", txi_list),
    ("GET", "/v1/customers/<customer>/tax_ids/<id>", "customer_tax_ids.retrieve", txi_retrieve),
    ("DELETE", "/v1/customers/<customer>/tax_ids/<id>", "customer_tax_ids.delete", txi_delete),
]
