"""Routes: customers, payment methods, products, prices, events, webhook endpoints, test clocks."""
from __future__ import annotations

from typing import Any

from .errors import InvalidRequest
from .routes import expand
from .state import StripeState

S = StripeState


def _one(kind: str):
    def view(st: S, p: dict[str, Any], id: str):
        return st.render(st.get(kind, id), expand(p))
    return view


def _list(kind: str, url: str, where=None):
    def view(st: S, p: dict[str, Any]):
        fn = where(p) if where else None
        return st.render(st.list_objects(kind, p, url, fn), expand(p))
    return view


def _eq(*fields: str):
    def build(p: dict[str, Any]):
        wanted = {f: p[f] for f in fields if p.get(f) not in (None, "")}
        if not wanted:
            return None
        return lambda o: all(o.get(f) == v for f, v in wanted.items())
    return build


# customers ---------------------------------------------------------------------------------------
def customers_create(st: S, p):
    return st.render(st.customers.create(p), expand(p))


def customers_retrieve(st: S, p, id):
    """A deleted customer is still retrievable: ``{"id", "object": "customer", "deleted": true}``
    (docs.stripe.com/api/customers/delete); only its updates and other uses answer 404."""
    gone = st.d["objects"].get(id)
    if gone is not None and gone.get("object") == "customer" and gone.get("deleted"):
        return dict(gone)
    return st.render(st.get("customer", id), expand(p))


def customers_update(st: S, p, id):
    return st.render(st.customers.update(st.get("customer", id), p), expand(p))


def customers_delete(st: S, p, id):
    return st.customers.delete(st.get("customer", id))


def customers_list(st: S, p):
    return st.render(st.customers.list_customers(p), expand(p))


def customer_payment_methods(st: S, p, id):
    st.get("customer", id)
    ptype = p.get("type")
    return st.render(st.list_objects("payment_method", p, f"/v1/customers/{id}/payment_methods",
                                     lambda pm: pm["customer"] == id and (not ptype or pm["type"] == ptype)),
                     expand(p))


# payment methods -------------------------------------------------------------------------------------
def pm_create(st: S, p):
    return st.render(st.payment_methods.create(p), expand(p))


def pm_retrieve(st: S, p, id):
    pm = st.payment_methods.resolve_pm(id, param="payment_method") if id in _magic(st) else st.get("payment_method", id)
    return st.render(pm, expand(p))


def _magic(st: S):
    from .state.payment_methods import cards
    return cards()["aliases"]


def pm_update(st: S, p, id):
    return st.render(st.payment_methods.update(st.get("payment_method", id), p), expand(p))


def pm_attach(st: S, p, id):
    if not p.get("customer"):
        raise InvalidRequest("Missing required param: customer.", param="customer", code="parameter_missing")
    pm = st.payment_methods.resolve_pm(id, param="payment_method")
    return st.render(st.payment_methods.attach(pm, p["customer"]), expand(p))


def pm_detach(st: S, p, id):
    return st.render(st.payment_methods.detach(st.get("payment_method", id)), expand(p))


def pm_list(st: S, p):
    cus, ptype = p.get("customer"), p.get("type")
    if cus:
        st.get("customer", cus, param="customer")
    return st.render(st.list_objects("payment_method", p, "/v1/payment_methods",
                                     lambda pm: (not cus or pm["customer"] == cus) and (not ptype or pm["type"] == ptype)),
                     expand(p))


# products / prices -------------------------------------------------------------------------------------
def products_create(st: S, p):
    return st.render(st.customers.create_product(p), expand(p))


def products_update(st: S, p, id):
    return st.render(st.customers.update_product(st.get("product", id), p), expand(p))


def products_delete(st: S, p, id):
    return st.customers.delete_product(st.get("product", id))


def prices_create(st: S, p):
    return st.render(st.customers.create_price(p), expand(p))


def prices_update(st: S, p, id):
    return st.render(st.customers.update_price(st.get("price", id), p), expand(p))


def _active(*fields: str):
    def build(p):
        from . import params as P
        active = P.boolean(p, "active")
        eq = _eq(*fields)(p)
        if active is None and eq is None:
            return None
        return lambda o: (active is None or o["active"] == active) and (eq is None or eq(o))
    return build


# events and webhook endpoints -------------------------------------------------------------------------
def events_list(st: S, p):
    return st.render(st.events.list_events(p), expand(p))


def webhook_endpoints_create(st: S, p):
    return st.events.create_webhook_endpoint(p)  # the only response that carries `secret`


def webhook_endpoints_retrieve(st: S, p, id):
    return st.events.public_endpoint(st.get("webhook_endpoint", id))


def webhook_endpoints_update(st: S, p, id):
    return st.events.public_endpoint(st.events.update_webhook_endpoint(st.get("webhook_endpoint", id), p))


def webhook_endpoints_delete(st: S, p, id):
    we = st.get("webhook_endpoint", id)
    st.d["objects"][id] = {"id": id, "object": "webhook_endpoint", "deleted": True}
    return {"id": we["id"], "object": "webhook_endpoint", "deleted": True}


def webhook_endpoints_list(st: S, p):
    out = st.list_objects("webhook_endpoint", p, "/v1/webhook_endpoints")
    return dict(out, data=[st.events.public_endpoint(we) for we in out["data"]])


# test clocks -----------------------------------------------------------------------------------------
def clocks_create(st: S, p):
    return st.customers.create_test_clock(p)


def clocks_advance(st: S, p, id):
    return st.customers.advance_test_clock(st.get("test_helpers.test_clock", id), p)


def clocks_delete(st: S, p, id):
    return st.customers.delete_test_clock(st.get("test_helpers.test_clock", id))


TC = "/v1/test_helpers/test_clocks"
TABLE = [
    ("POST", "/v1/customers", "customers.create", customers_create),
    ("GET", "/v1/customers", "customers.list", customers_list),
    ("GET", "/v1/customers/<id>", "customers.retrieve", customers_retrieve),
    ("POST", "/v1/customers/<id>", "customers.update", customers_update),
    ("DELETE", "/v1/customers/<id>", "customers.delete", customers_delete),
    ("GET", "/v1/customers/<id>/payment_methods", "customers.payment_methods", customer_payment_methods),
    ("POST", "/v1/payment_methods", "payment_methods.create", pm_create),
    ("GET", "/v1/payment_methods", "payment_methods.list", pm_list),
    ("GET", "/v1/payment_methods/<id>", "payment_methods.retrieve", pm_retrieve),
    ("POST", "/v1/payment_methods/<id>", "payment_methods.update", pm_update),
    ("POST", "/v1/payment_methods/<id>/attach", "payment_methods.attach", pm_attach),
    ("POST", "/v1/payment_methods/<id>/detach", "payment_methods.detach", pm_detach),
    ("POST", "/v1/products", "products.create", products_create),
    ("GET", "/v1/products", "products.list", _list("product", "/v1/products", _active())),
    ("GET", "/v1/products/<id>", "products.retrieve", _one("product")),
    ("POST", "/v1/products/<id>", "products.update", products_update),
    ("DELETE", "/v1/products/<id>", "products.delete", products_delete),
    ("POST", "/v1/prices", "prices.create", prices_create),
    ("GET", "/v1/prices", "prices.list", _list("price", "/v1/prices", _active("product", "currency", "type"))),
    ("GET", "/v1/prices/<id>", "prices.retrieve", _one("price")),
    ("POST", "/v1/prices/<id>", "prices.update", prices_update),
    ("GET", "/v1/tax_rates/<id>", "tax_rates.retrieve", _one("tax_rate")),
    ("GET", "/v1/events", "events.list", events_list),
    ("GET", "/v1/events/<id>", "events.retrieve", _one("event")),
    ("POST", "/v1/webhook_endpoints", "webhook_endpoints.create", webhook_endpoints_create),
    ("GET", "/v1/webhook_endpoints", "webhook_endpoints.list", webhook_endpoints_list),
    ("GET", "/v1/webhook_endpoints/<id>", "webhook_endpoints.retrieve", webhook_endpoints_retrieve),
    ("POST", "/v1/webhook_endpoints/<id>", "webhook_endpoints.update", webhook_endpoints_update),
    ("DELETE", "/v1/webhook_endpoints/<id>", "webhook_endpoints.delete", webhook_endpoints_delete),
    ("POST", TC, "test_clocks.create", clocks_create),
    ("GET", TC, "test_clocks.list", _list("test_helpers.test_clock", TC)),
    ("GET", TC + "/<id>", "test_clocks.retrieve", _one("test_helpers.test_clock")),
    ("DELETE", TC + "/<id>", "test_clocks.delete", clocks_delete),
    ("POST", TC + "/<id>/advance", "test_clocks.advance", clocks_advance),
]
