"""HTTP parsing for the record API (``/services/rest/record/v1``) and SuiteQL (``/services/rest/query/v1``).

Endpoint names are the operations faults, schemas and the journal use: ``<recordType>.<verb>``,
``<source>.transform.<target>`` and ``suiteql.query``.
"""
from __future__ import annotations

import re

from urllib.parse import urlencode

from flask import Flask, Response, request

from ..core.sim import json_response
from .errors import InvalidContent, InvalidQuery, NetSuiteError, NotFound, UserError
from .render import BASE, Renderer
from .state.base import ITEM_TYPES
from .suiteql import run_query
from .suiteql.engine import MAX_LIMIT

QUERY = "/services/rest/query/v1/suiteql"
READABLE = ("customer", "salesOrder", "invoice", "customerPayment", "creditMemo", "itemFulfillment",
            "journalEntry", "revenueArrangement", "revenueElement", "revenuePlan") + ITEM_TYPES
RESOURCE = "application/vnd.oracle.resource+json; type=singular-resource; charset=UTF-8"
COLLECTION = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"


def _body() -> dict:
    data = request.get_json(silent=True, force=True) if request.data else {}
    if data is None or not isinstance(data, dict):
        raise InvalidContent("Invalid content in the request body: the body must be a JSON object.")
    return data


def _created(rtype: str, rid: str) -> Response:
    resp = Response(status=204)
    resp.headers["Location"] = f"{request.host_url.rstrip('/')}{BASE}/{rtype}/{rid}"
    return resp


def _expand() -> bool:
    return request.args.get("expandSubResources", "false").lower() == "true"


def register(app: Flask, state) -> None:
    def renderer() -> Renderer:
        return Renderer(state, request.host_url)

    def add(rule: str, endpoint: str, fn, methods: list[str]) -> None:
        app.add_url_rule(rule, endpoint=endpoint, view_func=fn, methods=methods)

    # ---- reads (every record type) ----------------------------------------------------
    def make_get(rtype: str):
        def view(key: str):
            rec = state.resolve(rtype, key)
            resp = json_response(renderer().record(rtype, rec, _expand()))
            resp.headers["Content-Type"] = RESOURCE
            return resp
        return view

    def make_list(rtype: str):
        def view():
            limit, offset = paging()
            recs = list(state.records(rtype).values())
            q = request.args.get("q")
            if q:
                recs = [r for r in recs if _match_q(r, q)]
            page = recs[offset:offset + limit]
            r = renderer()
            body = {"links": _page_links(request.base_url, limit, offset, len(recs), {"q": q} if q else {}),
                    "count": len(page), "hasMore": offset + limit < len(recs),
                    "items": [{"links": r.link(rtype, x["id"]), "id": x["id"]} for x in page],
                    "offset": offset, "totalResults": len(recs)}
            resp = json_response(body)
            resp.headers["Content-Type"] = COLLECTION
            return resp
        return view

    for rtype in READABLE:
        add(f"{BASE}/{rtype}/<key>", f"{rtype}.get", make_get(rtype), ["GET"])
        add(f"{BASE}/{rtype}", f"{rtype}.list", make_list(rtype), ["GET"])

    # ---- customer ----------------------------------------------------------------------
    def customer_create():
        return _created("customer", state.create_customer(_body())["id"])

    def customer_update(key: str):
        state.update_customer(key, _body())
        return Response(status=204)

    def customer_upsert(key: str):
        rec, created = state.upsert("customer", key, _body())
        return _created("customer", rec["id"]) if created else Response(status=204)

    add(f"{BASE}/customer", "customer.create", customer_create, ["POST"])
    add(f"{BASE}/customer/<key>", "customer.update", customer_update, ["PATCH"])
    add(f"{BASE}/customer/<key>", "customer.upsert", customer_upsert, ["PUT"])

    # ---- salesOrder --------------------------------------------------------------------
    def so_create():
        return _created("salesOrder", state.create_sales_order(_body())["id"])

    def so_update(key: str):
        state.update_sales_order(key, _body(), request.args)
        return Response(status=204)

    def so_upsert(key: str):
        rec, created = state.upsert("salesOrder", key, _body())
        return _created("salesOrder", rec["id"]) if created else Response(status=204)

    def so_invoice(key: str):
        return _created("invoice", state.bill(key, _body())["id"])

    def so_fulfill(key: str):
        return _created("itemFulfillment", state.fulfill(key, _body())["id"])

    add(f"{BASE}/salesOrder", "salesOrder.create", so_create, ["POST"])
    add(f"{BASE}/salesOrder/<key>", "salesOrder.update", so_update, ["PATCH"])
    add(f"{BASE}/salesOrder/<key>", "salesOrder.upsert", so_upsert, ["PUT"])
    add(f"{BASE}/salesOrder/<key>/!transform/invoice", "salesOrder.transform.invoice", so_invoice, ["POST"])
    add(f"{BASE}/salesOrder/<key>/!transform/itemFulfillment", "salesOrder.transform.itemFulfillment",
        so_fulfill, ["POST"])

    # ---- payments, credit memos ----------------------------------------------------------
    def payment_create():
        return _created("customerPayment", state.create_payment(_body())["id"])

    def invoice_credit(key: str):
        return _created("creditMemo", state.credit(key, _body())["id"])

    def invoice_update(key: str):
        body = _body()
        inv = state.resolve("invoice", key)
        allowed = {"memo", "externalId", "custbody_ava_doc_code"}
        bad = [k for k in body if k not in allowed and not k.startswith("custbody")]
        if bad:
            raise UserError(f"Error while accessing a resource. The field {bad[0]} cannot be changed on an "
                            "invoice through this fake; credit it instead.", path=bad[0])
        with state.store.lock:
            if "externalId" in body:
                state.reindex_external("invoice", inv, body["externalId"])
            inv.update({k: v for k, v in body.items() if k != "externalId"})
            state.stamp(inv)
            state.emit("invoice.updated", "invoice", inv)
        return Response(status=204)

    add(f"{BASE}/customerPayment", "customerPayment.create", payment_create, ["POST"])
    add(f"{BASE}/invoice/<key>/!transform/creditMemo", "invoice.transform.creditMemo", invoice_credit, ["POST"])
    add(f"{BASE}/invoice/<key>", "invoice.update", invoice_update, ["PATCH"])

    # ---- SuiteQL -------------------------------------------------------------------------
    def suiteql():
        if "transient" not in request.headers.get("Prefer", "").lower():
            raise NetSuiteError("Invalid request header: the 'Prefer: transient' header is required for SuiteQL.",
                                path="Prefer", code="INVALID_HEADER")
        limit, offset = paging()
        body = _body()
        if "q" not in body:
            raise InvalidQuery("The request body must contain the q property.")
        items, total = run_query(state, body["q"], limit, offset)
        resp = json_response({"links": _page_links(request.base_url, limit, offset, total, {}),
                              "count": len(items), "hasMore": offset + len(items) < total,
                              "items": [{"links": [], **it} for it in items], "offset": offset,
                              "totalResults": total})
        resp.headers["Content-Type"] = COLLECTION
        return resp

    add(QUERY, "suiteql.query", suiteql, ["POST"])


_DIGITS = re.compile(r"[0-9]{1,9}")


def paging() -> tuple[int, int]:
    """``limit`` (1..1000) and ``offset`` (>= 0, a multiple of limit on NetSuite; any here) from the
    query string; anything else is NetSuite's 400 naming the parameter, never a 500."""
    out = []
    for name, default in (("limit", MAX_LIMIT), ("offset", 0)):
        raw = request.args.get(name)
        if raw is None:
            out.append(default)
            continue
        if not _DIGITS.fullmatch(raw):
            raise NetSuiteError(f"Invalid query parameter value: {name}. The value must be a non-negative integer.",
                                path=name, code="INVALID_PARAMETER")
        out.append(int(raw))
    limit, offset = out
    if not 1 <= limit <= MAX_LIMIT:
        raise NetSuiteError(f"Invalid query parameter: limit must be between 1 and {MAX_LIMIT}.", path="limit",
                            code="INVALID_PARAMETER")
    return limit, offset


def _page_links(base: str, limit: int, offset: int, total: int, extra: dict) -> list[dict]:
    def href(off: int) -> str:
        return f"{base}?{urlencode({**extra, 'limit': limit, 'offset': off})}"
    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links = []
    if offset > 0:
        links.append({"rel": "previous", "href": href(max(0, offset - limit))})
    links.append({"rel": "first", "href": href(0)})
    if offset + limit < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    links.append({"rel": "last", "href": href(last)})
    links.append({"rel": "self", "href": href(offset)})
    return links


def _match_q(rec: dict, q: str) -> bool:
    """Record-list filter ``?q=externalId IS "X"`` / ``field EQUAL value`` (the common forms)."""
    import re
    m = re.match(r'^\s*(\w+)\s+(IS|EQUAL|ANY_OF)\s+"?([^"]*)"?\s*$', q, re.I)
    if not m:
        raise InvalidQuery(f"Unsupported record filter {q!r}; use e.g. externalId IS \"X\".")
    field, _, value = m.groups()
    field = {"externalid": "externalId", "tranid": "tranId", "status": "status", "entity": "entity"}.get(
        field.lower(), field)
    return str(rec.get(field)) in value.split(",") if m.group(2).upper() == "ANY_OF" else str(rec.get(field)) == value
