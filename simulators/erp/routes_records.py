"""The record API (``/services/rest/record/v1``): one route table of parse-only handlers.

Reads: ``GET /{type}/{id}`` (``?fields=a,b``, ``?expandSubResources=true``), ``GET /{type}`` (``q``,
``limit``, ``offset``), sublists ``GET /{type}/{id}/{sublist}`` and ``/{type}/{id}/{sublist}/{line}``.
Writes: create (204 + Location), PATCH update, PUT ``eid:`` upsert, transforms, DELETE (204, or
NetSuite's dependency error while other records reference the record).
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import InvalidContent, InvalidFieldValue, NotFound
from .render import BASE
from .routes import COLLECTION, RESOURCE, Call, answer, created, no_content, page, paging
from .routes_meta import known_fields
from .routes_query import parse_filter
from .state.base import ITEM_TYPES
from .state.removal import DELETABLE

READABLE = ("customer", "salesOrder", "invoice", "customerPayment", "creditMemo", "itemFulfillment",
            "journalEntry", "revenueArrangement", "revenueElement", "revenuePlan") + ITEM_TYPES
# sublists each record type renders (render.py): the names NetSuite uses
SUBLISTS = {"salesOrder": ("item",), "invoice": ("item",), "creditMemo": ("item", "apply"),
            "itemFulfillment": ("item",), "customerPayment": ("apply",), "journalEntry": ("line",),
            "revenuePlan": ("plannedRevenue",), "revenueArrangement": ("revenueElement",)}
NAME_VALIDATION = "X-NetSuite-PropertyNameValidation"
VALUE_VALIDATION = "X-NetSuite-PropertyValueValidation"


def expand(call: Call) -> bool:
    return call.args.get("expandSubResources", "false").lower() == "true"


def check_properties(call: Call, rtype: str, body: dict) -> dict:
    """``X-NetSuite-PropertyNameValidation`` / ``PropertyValueValidation``: ``Error`` refuses unknown
    field names / values of the wrong JSON type with 400 INVALID_CONTENT; ``Warning`` (the default) and
    ``Ignore`` accept them (unknown fields are dropped). Custom fields (``cust*``) are always known."""
    fields = known_fields(rtype)
    if call.header(NAME_VALIDATION).lower() == "error":
        for name in body:
            if name not in fields and not name.startswith("cust"):
                raise InvalidContent(f"Invalid content in the request body: the field {name} does not exist on "
                                     f"the {rtype} record.", path=name)
    if call.header(VALUE_VALIDATION).lower() == "error":
        for name, value in body.items():
            kind = fields.get(name)
            if kind and value is not None and not _is_kind(value, kind):
                raise InvalidFieldValue(value, name)
    return body


def _is_kind(value: Any, kind: str) -> bool:
    return {"string": isinstance(value, str), "boolean": isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "ref": isinstance(value, (dict, str, int)) and not isinstance(value, bool),
            "sublist": isinstance(value, dict), "date": isinstance(value, str)}.get(kind, True)


def select_fields(call: Call, body: dict) -> dict:
    """``?fields=a,b``: only those fields (with ``links``), as NetSuite answers."""
    wanted = call.args.get("fields")
    if not wanted:
        return body
    keep = {f.strip() for f in wanted.split(",") if f.strip()} | {"links"}
    return {k: v for k, v in body.items() if k in keep}


def table(state) -> list[tuple[str, str, str, Callable]]:
    rows: list[tuple[str, str, str, Callable]] = []

    def add(method: str, rule: str, endpoint: str, fn: Callable) -> None:
        rows.append((method, BASE + rule, endpoint, fn))

    # ---- reads ----------------------------------------------------------------------------------
    def make_get(rtype: str):
        def get(call: Call, key: str):
            rec = state.resolve(rtype, key)
            return answer(select_fields(call, call.renderer().record(rtype, rec, expand(call))))
        return get

    def make_list(rtype: str):
        def list_(call: Call):
            limit, offset = paging(call)
            recs = list(state.records(rtype).values())
            q = call.args.get("q")
            if q:
                keep = parse_filter(q)
                recs = [r for r in recs if keep(r)]
            r = call.renderer()
            chunk = [{"links": r.link(rtype, x["id"]), "id": x["id"]} for x in recs[offset:offset + limit]]
            return answer(page(call, chunk, len(recs), limit, offset, {"q": q} if q else {}), COLLECTION)
        return list_

    def make_sublist(rtype: str, name: str):
        def rows_of(call: Call, key: str) -> tuple[list[dict], str]:
            rec = state.resolve(rtype, key)
            sub = call.renderer().record(rtype, rec, True).get(name) or {}
            return sub.get("items", []), rec["id"]

        def sublist(call: Call, key: str):
            items, rid = rows_of(call, key)
            r = call.renderer()
            out = [{**it, "links": r.link(rtype, rid, name, str(_line_id(it, n)))} for n, it in enumerate(items)]
            limit, offset = paging(call)
            return answer(page(call, out[offset:offset + limit], len(out), limit, offset, {}), COLLECTION)

        def line(call: Call, key: str, line: str):
            items, rid = rows_of(call, key)
            for n, it in enumerate(items):
                if str(_line_id(it, n)) == line:
                    return answer(select_fields(call, {**it, "links": call.renderer().link(rtype, rid, name, line)}))
            raise NotFound(f"The sublist line {line} does not exist on the {name} sublist.", path=name)
        return sublist, line

    for rtype in READABLE:
        add("GET", f"/{rtype}/<key>", f"{rtype}.get", make_get(rtype))
        add("GET", f"/{rtype}", f"{rtype}.list", make_list(rtype))
        for name in SUBLISTS.get(rtype, ()):
            sub, ln = make_sublist(rtype, name)
            add("GET", f"/{rtype}/<key>/{name}", f"{rtype}.{name}.list", sub)
            add("GET", f"/{rtype}/<key>/{name}/<line>", f"{rtype}.{name}.get", ln)

    # ---- deletes ----------------------------------------------------------------------------------
    def make_delete(rtype: str):
        def delete(call: Call, key: str):
            state.removal.delete(rtype, key)
            return no_content()
        return delete

    for rtype in DELETABLE:
        add("DELETE", f"/{rtype}/<key>", f"{rtype}.delete", make_delete(rtype))

    # ---- customer, salesOrder --------------------------------------------------------------------
    def body(call: Call, rtype: str) -> dict:
        return check_properties(call, rtype, call.json())

    add("POST", "/customer", "customer.create",
        lambda call: created(call, "customer", state.create_customer(body(call, "customer"))["id"]))
    add("PATCH", "/customer/<key>", "customer.update",
        lambda call, key: (state.update_customer(key, body(call, "customer")), no_content())[1])
    add("POST", "/salesOrder", "salesOrder.create",
        lambda call: created(call, "salesOrder", state.create_sales_order(body(call, "salesOrder"))["id"]))
    add("PATCH", "/salesOrder/<key>", "salesOrder.update",
        lambda call, key: (state.update_sales_order(key, body(call, "salesOrder"), call.args), no_content())[1])

    def make_upsert(rtype: str):
        def upsert(call: Call, key: str):
            rec, was_created = state.upsert(rtype, key, body(call, rtype))
            return created(call, rtype, rec["id"]) if was_created else no_content()
        return upsert

    add("PUT", "/customer/<key>", "customer.upsert", make_upsert("customer"))
    add("PUT", "/salesOrder/<key>", "salesOrder.upsert", make_upsert("salesOrder"))
    add("POST", "/salesOrder/<key>/!transform/invoice", "salesOrder.transform.invoice",
        lambda call, key: created(call, "invoice", state.bill(key, call.json())["id"]))
    add("POST", "/salesOrder/<key>/!transform/itemFulfillment", "salesOrder.transform.itemFulfillment",
        lambda call, key: created(call, "itemFulfillment", state.fulfill(key, call.json())["id"]))

    # ---- payments, credit memos, invoices -------------------------------------------------------
    add("POST", "/customerPayment", "customerPayment.create",
        lambda call: created(call, "customerPayment",
                             state.create_payment(body(call, "customerPayment"))["id"]))
    add("POST", "/invoice/<key>/!transform/creditMemo", "invoice.transform.creditMemo",
        lambda call, key: created(call, "creditMemo", state.credit(key, call.json())["id"]))
    add("PATCH", "/invoice/<key>", "invoice.update",
        lambda call, key: (state.update_invoice(key, body(call, "invoice")), no_content())[1])
    return rows


def _line_id(item: dict, index: int) -> Any:
    """A sublist line's key: its ``line`` number, else its ``id``, else its position (1-based)."""
    return item.get("line") or item.get("id") or index + 1
