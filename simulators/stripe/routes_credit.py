"""Routes: credit notes, customer balance transactions and the account's balance transactions
(business logic in state/credit_notes.py and state/balance.py)."""
from __future__ import annotations

from .errors import InvalidRequest
from .routes import expand
from .routes_core import _one
from .state import StripeState

S = StripeState


# credit notes ------------------------------------------------------------------------------------
def cn_create(st: S, p):
    return st.render(st.credit_notes.create(p), expand(p))


def cn_preview(st: S, p):
    return st.render(st.credit_notes.preview(p), expand(p))


def _page(items: list, p, url: str) -> dict:
    """A list of lines that are not stored (a preview's): Stripe's list shape, ``limit`` honoured."""
    from . import params as P
    limit = P.integer(p, "limit", default=10)
    if not 1 <= limit <= 100:
        raise InvalidRequest("This value must be greater than or equal to 1 and less than or equal to 100.",
                             param="limit", code="parameter_invalid_integer")
    after = p.get("starting_after")
    ids = [x["id"] for x in items]
    start = ids.index(after) + 1 if after in ids else 0
    return {"object": "list", "data": items[start:start + limit], "has_more": start + limit < len(items), "url": url}


def cn_preview_lines(st: S, p):
    lines = st.credit_notes.preview(p)["lines"]["data"]
    return st.render(_page(lines, p, "/v1/credit_notes/preview/lines"), expand(p))


def cn_update(st: S, p, id):
    return st.render(st.credit_notes.update(st.get("credit_note", id), p), expand(p))


def cn_void(st: S, p, id):
    return st.render(st.credit_notes.void(st.get("credit_note", id)), expand(p))


def cn_list(st: S, p):
    inv, cus = p.get("invoice"), p.get("customer")
    return st.render(st.list_objects(
        "credit_note", p, "/v1/credit_notes",
        lambda o: (not inv or o["invoice"] == inv) and (not cus or o["customer"] == cus)), expand(p))


def cn_lines(st: S, p, credit_note):
    cn = st.get("credit_note", credit_note, param="credit_note")
    ids = [line["id"] for line in cn["lines"]["data"]]
    return st.render(st.list_objects("credit_note_line_item", p, f"/v1/credit_notes/{credit_note}/lines",
                                     ids=list(reversed(ids))), expand(p))


# customer balance transactions ---------------------------------------------------------------------
def cbt_create(st: S, p, customer):
    cus = st.get("customer", customer, param="customer")
    return st.render(st.balance.create_customer_balance_transaction(cus, p), expand(p))


def cbt_retrieve(st: S, p, customer, transaction):
    cus = st.get("customer", customer, param="customer")
    return st.render(st.balance.customer_balance_transaction(cus, transaction), expand(p))


def cbt_update(st: S, p, customer, transaction):
    cus = st.get("customer", customer, param="customer")
    txn = st.balance.customer_balance_transaction(cus, transaction)
    return st.render(st.balance.update_customer_balance_transaction(txn, p), expand(p))


def cbt_list(st: S, p, customer):
    st.get("customer", customer, param="customer")
    inv = p.get("invoice")
    return st.render(st.list_objects(
        "customer_balance_transaction", p, f"/v1/customers/{customer}/balance_transactions",
        lambda o: o["customer"] == customer and (not inv or o["invoice"] == inv)), expand(p))


def bt_list(st: S, p):
    return st.render(st.balance.list_balance_transactions(p), expand(p))


TABLE = [
    ("POST", "/v1/credit_notes", "credit_notes.create", cn_create),
    ("GET", "/v1/credit_notes", "credit_notes.list", cn_list),
    ("GET", "/v1/credit_notes/preview", "credit_notes.preview", cn_preview),
    ("GET", "/v1/credit_notes/preview/lines", "credit_notes.preview_lines", cn_preview_lines),
    ("GET", "/v1/credit_notes/<id>", "credit_notes.retrieve", _one("credit_note")),
    ("POST", "/v1/credit_notes/<id>", "credit_notes.update", cn_update),
    ("POST", "/v1/credit_notes/<id>/void", "credit_notes.void", cn_void),
    ("GET", "/v1/credit_notes/<credit_note>/lines", "credit_notes.list_lines", cn_lines),
    ("POST", "/v1/customers/<customer>/balance_transactions", "customer_balance_transactions.create", cbt_create),
    ("GET", "/v1/customers/<customer>/balance_transactions", "customer_balance_transactions.list", cbt_list),
    ("GET", "/v1/customers/<customer>/balance_transactions/<transaction>", "customer_balance_transactions.retrieve",
     cbt_retrieve),
    ("POST", "/v1/customers/<customer>/balance_transactions/<transaction>", "customer_balance_transactions.update",
     cbt_update),
    ("GET", "/v1/balance_transactions", "balance_transactions.list", bt_list),
    ("GET", "/v1/balance_transactions/<id>", "balance_transactions.retrieve", _one("balance_transaction")),
]
