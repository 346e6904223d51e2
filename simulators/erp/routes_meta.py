"""The metadata catalog (``/services/rest/record/v1/metadata-catalog``): the record types the fake
serves, each described as JSON Schema (``Accept: application/schema+json``) or OpenAPI 3
(``Accept: application/swagger+json``; ``?select=customer,salesOrder`` picks the types), as in
Oracle's "Working with Resource Metadata". The same field table drives property name/value
validation (``X-NetSuite-PropertyNameValidation`` / ``PropertyValueValidation``, routes_records.py)."""
from __future__ import annotations

from typing import Callable

from .errors import NotFound
from .render import BASE
from .routes import Call, answer
from .state.base import ITEM_TYPES

CATALOG = BASE + "/metadata-catalog"
SCHEMA = "application/schema+json"
OPENAPI = "application/swagger+json"
_COMMON = {"id": "string", "externalId": "string", "createdDate": "datetime", "lastModifiedDate": "datetime"}
_TRAN = {**_COMMON, "tranId": "string", "tranDate": "date", "entity": "ref", "memo": "string", "status": "ref",
         "currency": "ref", "subsidiary": "ref", "terms": "ref", "total": "number", "subtotal": "number",
         "postingPeriod": "ref", "dueDate": "date", "createdFrom": "ref"}
FIELDS: dict[str, dict[str, str]] = {
    "customer": {**_COMMON, "entityId": "string", "companyName": "string", "email": "string", "phone": "string",
                 "isPerson": "boolean", "firstName": "string", "lastName": "string", "comments": "string",
                 "isInactive": "boolean", "taxable": "boolean", "url": "string", "altName": "string",
                 "terms": "ref", "subsidiary": "ref", "currency": "ref", "defaultAddress": "string",
                 "addressBook": "sublist", "billAddress": "string", "shipAddress": "string"},
    "salesOrder": {**_TRAN, "orderStatus": "ref", "item": "sublist"},
    "invoice": {**_TRAN, "item": "sublist", "amountRemaining": "number", "amountPaid": "number"},
    "customerPayment": {**_TRAN, "customer": "ref", "payment": "number", "apply": "sublist"},
    "creditMemo": {**_TRAN, "item": "sublist", "apply": "sublist"},
    "itemFulfillment": {**_TRAN, "item": "sublist", "shipStatus": "ref"},
    "journalEntry": {**_TRAN, "line": "sublist"},
    "revenueArrangement": {**_TRAN, "revenueElement": "sublist"},
    "revenueElement": {**_COMMON, "revenueArrangement": "ref", "item": "ref", "source": "ref",
                       "salesAmount": "number", "revenueAmount": "number", "revenuePlan": "ref"},
    "revenuePlan": {**_COMMON, "revenueElement": "ref", "amount": "number", "plannedRevenue": "sublist"},
    **{t: {**_COMMON, "itemId": "string", "displayName": "string", "description": "string", "basePrice": "number",
           "isInactive": "boolean", "revenueRecognitionRule": "ref"} for t in ITEM_TYPES},
}
_JSON = {"string": {"type": "string"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
         "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"},
         "ref": {"type": "object", "properties": {"id": {"type": "string"}, "refName": {"type": "string"},
                                                  "externalId": {"type": "string"}}},
         "sublist": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}}


def known_fields(rtype: str) -> dict[str, str]:
    return FIELDS.get(rtype, {})


def json_schema(rtype: str) -> dict:
    props = {name: {**_JSON[kind], "title": name, "x-ns-filterable": kind not in ("sublist",)}
             for name, kind in FIELDS[rtype].items()}
    return {"$schema": "https://json-schema.org/draft-06/hyper-schema#", "title": rtype, "type": "object",
            "properties": props}


def openapi(call: Call, types: list[str]) -> dict:
    paths: dict = {}
    for t in types:
        ref = {"$ref": f"#/components/schemas/{t}"}
        body = {"content": {"application/json": {"schema": ref}}}
        paths[f"/{t}"] = {"get": {"summary": f"Get list of {t} records.", "parameters": [
                              {"name": n, "in": "query", "schema": {"type": "string"}} for n in ("q", "limit", "offset")],
                              "responses": {"200": {"description": "List of records."}}},
                          "post": {"summary": f"Insert a {t} record.", "requestBody": body,
                                   "responses": {"204": {"description": "Inserted record."}}}}
        paths[f"/{t}/{{id}}"] = {m: {"summary": f"{m.upper()} a {t} record.",
                                     "parameters": [{"name": "id", "in": "path", "required": True,
                                                     "schema": {"type": "string"}}],
                                     **({"requestBody": body} if m in ("patch", "put") else {}),
                                     "responses": {"200" if m == "get" else "204": {"description": "OK"}}}
                                 for m in ("get", "patch", "put", "delete")}
    return {"openapi": "3.0.1", "info": {"title": "NetSuite REST Record API", "version": "v1"},
            "servers": [{"url": call.root + BASE}], "paths": paths,
            "components": {"schemas": {t: json_schema(t) for t in types}}}


def _selected(call: Call) -> list[str]:
    raw = call.args.get("select")
    types = [t.strip() for t in raw.split(",") if t.strip()] if raw else sorted(FIELDS)
    for t in types:
        if t not in FIELDS:
            raise NotFound(f"The record type {t} does not exist in the metadata catalog.", path="select")
    return types


def catalog(call: Call):
    types = _selected(call)
    if OPENAPI in call.header("Accept"):
        return answer(openapi(call, types), "application/swagger+json; charset=UTF-8")
    root = call.root + CATALOG
    return answer({"items": [{"name": t, "links": [
        {"rel": "canonical", "href": f"{root}/{t}", "mediaType": "application/json"},
        {"rel": "alternate", "href": f"{root}/{t}", "mediaType": OPENAPI},
        {"rel": "describedby", "href": f"{root}/{t}", "mediaType": SCHEMA}]} for t in types],
        "links": [{"rel": "self", "href": root}]}, "application/json; charset=UTF-8")


def describe(call: Call, rtype: str):
    if rtype not in FIELDS:
        raise NotFound(f"The record type {rtype} does not exist in the metadata catalog.", path=rtype)
    if OPENAPI in call.header("Accept"):
        return answer(openapi(call, [rtype]), "application/swagger+json; charset=UTF-8")
    return answer(json_schema(rtype), "application/schema+json; charset=UTF-8")


def table(state) -> list[tuple[str, str, str, Callable]]:
    return [("GET", CATALOG, "metadata.catalog", catalog), ("GET", CATALOG + "/<rtype>", "metadata.describe", describe)]
