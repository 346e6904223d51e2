"""``/composite`` (subrequests with ``@{ref.path}`` references, ``allOrNone``) and
``/composite/sobjects`` (sObject collections: up to 200 records, SaveResult arrays using
``statusCode``). developer.salesforce.com api_rest: resources_composite_composite,
resources_composite_sobjects_collections."""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request

from simulators.core.sim import json_response

from . import errors as E
from .routes_sobjects import body_json, record_json, select_fields
from .state.records import MultipleMatches

P = "/services/data/v<version>"
REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the request was using AllOrNone "
                          "header", "fields": []}


# allOrNone on a Composite request overrides the allOrNone of the sObject Collections subrequests it
# embeds (developer.salesforce.com api_rest resources_composite_allornone); passed in the subrequest's environ
COMPOSITE_ALL_OR_NONE = "o2c.composite_all_or_none"


class _Abort(Exception):
    pass


def _resolve(results: dict[str, Any], ref: str, path: str) -> Any:
    if ref not in results:
        raise KeyError(ref)
    node = results[ref]
    for key in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        name, index = key
        node = node[int(index)] if index else node[name]
    return node


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = REF.fullmatch(value)
        if whole:
            return _resolve(results, whole.group(1), whole.group(2))
        return REF.sub(lambda m: str(_resolve(results, m.group(1), m.group(2))), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


def register(app: Flask, org) -> None:
    db = org.db

    def composite(version):
        body = body_json()
        subs = body.get("compositeRequest") or []
        if not isinstance(subs, list) or not subs or len(subs) > 25:
            raise E.JsonParserError("compositeRequest must hold between 1 and 25 subrequests")
        all_or_none = bool(body.get("allOrNone"))
        auth = request.headers.get("Authorization", "")
        client = app.test_client()
        results: dict[str, Any] = {}
        responses: list[dict[str, Any]] = []
        failed_refs: set[str] = set()
        try:
            with db.transaction():
                for sub in subs:
                    ref = sub.get("referenceId")
                    try:
                        url = _substitute(sub.get("url", ""), results)
                        payload = _substitute(sub.get("body"), results)
                    except (KeyError, IndexError, TypeError):
                        responses.append({"body": [{"errorCode": "PROCESSING_HALTED",
                                                    "message": f"Invalid reference specified. No value for "
                                                               f"{sub.get('url')} found in {ref}."}],
                                          "httpHeaders": {}, "httpStatusCode": 400, "referenceId": ref})
                        failed_refs.add(ref)
                        if all_or_none:
                            raise _Abort()
                        continue
                    headers = {"Authorization": auth, **(sub.get("httpHeaders") or {})}
                    mark = db.mark()
                    resp = client.open(url, method=sub.get("method", "GET").upper(), headers=headers,
                                       data=json.dumps(payload) if payload is not None else None,
                                       content_type="application/json",
                                       environ_base={"REMOTE_ADDR": request.remote_addr or "127.0.0.1",
                                                     COMPOSITE_ALL_OR_NONE: all_or_none})
                    parsed = resp.get_json(silent=True) if resp.data else None
                    out_headers = {k: v for k, v in resp.headers.items() if k in ("Location",)}
                    responses.append({"body": parsed, "httpHeaders": out_headers, "httpStatusCode": resp.status_code,
                                      "referenceId": ref})
                    # an embedded sObject Collection answers 200 with per-record failures; under the
                    # composite's allOrNone it was all-or-none itself, and its failure fails the request
                    collection_failed = isinstance(parsed, list) and any(
                        isinstance(r, dict) and r.get("success") is False for r in parsed)
                    if resp.status_code >= 400 or (all_or_none and collection_failed):
                        db.rollback_to(mark)
                        failed_refs.add(ref)
                        if all_or_none:
                            raise _Abort()
                    elif ref:
                        results[ref] = parsed if parsed is not None else {}
        except _Abort:
            halted = {"body": [{"errorCode": "PROCESSING_HALTED",
                                "message": "The transaction was rolled back since another operation in the same "
                                           "transaction failed."}], "httpHeaders": {}, "httpStatusCode": 400}
            out = []
            for i, sub in enumerate(subs):
                ref = sub.get("referenceId")
                if i < len(responses) and ref in failed_refs:
                    out.append(responses[i])
                else:
                    out.append({**halted, "referenceId": ref})
            return json_response({"compositeResponse": out})
        return json_response({"compositeResponse": responses})

    def _collection(records: list[Any], all_or_none: bool, op) -> list[dict[str, Any]]:
        all_or_none = all_or_none or bool(request.environ.get(COMPOSITE_ALL_OR_NONE))
        if len(records) > 200:
            raise E.SalesforceError("Maximum 200 records allowed", code="EXCEEDED_ID_LIMIT")
        results: list[dict[str, Any]] = []
        failed = False
        try:
            with db.transaction():
                for item in records:
                    try:
                        with db.savepoint():
                            results.append(op(item))
                    except E.SalesforceError as exc:
                        failed = True
                        results.append({"id": item.get("Id") if isinstance(item, dict) else item,
                                        "success": False, "errors": [exc.save_error()]})
                if failed and all_or_none:
                    raise _Abort()
        except _Abort:
            return [r if not r["success"] else {"id": None, "success": False, "errors": [ROLLED_BACK]}
                    for r in results]
        return results

    def _typed(item: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(item, dict):
            raise E.JsonParserError("each record must be an object")
        sobject = (item.get("attributes") or {}).get("type")
        if not sobject:
            raise E.InvalidType("Must specify a type in the attributes of each record")
        return sobject, {k: v for k, v in item.items() if k != "attributes"}

    def collections(version):
        if request.method == "DELETE":
            ids = [i for i in (request.args.get("ids") or "").split(",") if i]
            all_or_none = request.args.get("allOrNone", "false").lower() == "true"

            def delete(rid):
                obj = org.registry.for_id(rid)
                if obj is None:
                    raise E.MalformedId(f"malformed id {rid}")
                db.delete(obj.name, rid)
                return {"id": rid, "success": True, "errors": []}
            return json_response(_collection(ids, all_or_none, delete))
        body = body_json()
        records = body.get("records") or []
        all_or_none = bool(body.get("allOrNone"))
        if request.method == "POST":
            def create(item):
                sobject, values = _typed(item)
                if any(k.lower() == "id" for k in values):
                    raise E.InvalidFieldForInsertUpdate("cannot specify Id in an insert call", fields=["Id"])
                return {"id": db.create(sobject, values)["Id"], "success": True, "errors": []}
            return json_response(_collection(records, all_or_none, create))

        def update(item):
            sobject, values = _typed(item)
            rid = values.pop("Id", None) or values.pop("id", None)
            if not rid:
                raise E.MalformedId("Id is required to update a record", fields=["Id"])
            return {"id": db.update(sobject, rid, values)["Id"], "success": True, "errors": []}
        return json_response(_collection(records, all_or_none, update))

    def collections_get(version, sobject):
        obj = org.registry.get(sobject)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        if request.method == "POST":
            payload = body_json()
            ids, fields = payload.get("ids") or [], payload.get("fields")
            fields = ",".join(fields) if isinstance(fields, list) else fields
        else:
            ids = [i for i in (request.args.get("ids") or "").split(",") if i]
            fields = request.args.get("fields")
        names = select_fields(obj, fields)
        if not names:
            raise E.SalesforceError("fields is required", code="MISSING_ARGUMENT")
        out = []
        for rid in ids:
            rec = db.find(rid, obj.name)
            out.append(record_json(org, obj, rec, version, names) if rec else None)
        return json_response(out)

    def collections_upsert(version, sobject, field):
        obj = org.registry.get(sobject)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        body = body_json()

        def upsert(item):
            _, values = _typed(item)
            f = obj.field(field)
            key = next((values[k] for k in values if f and k.lower() == f.name.lower()), None)
            if key is None:
                raise E.RequiredFieldMissing(f"Required fields are missing: [{field}]", fields=[field])
            try:
                rec, created = db.upsert(obj.name, field, str(key), values)
            except MultipleMatches as mm:
                raise E.SalesforceError(f"Multiple records found: {', '.join(mm.ids)}",
                                        code="DUPLICATE_EXTERNAL_ID", fields=[field])
            return {"id": rec["Id"], "success": True, "errors": [], "created": created}
        return json_response(_collection(body.get("records") or [], bool(body.get("allOrNone")), upsert))

    r = app.add_url_rule
    r(f"{P}/composite", endpoint="composite", view_func=composite, methods=["POST"])
    r(f"{P}/composite/sobjects", endpoint="composite.sobjects", view_func=collections,
      methods=["POST", "PATCH", "DELETE"])
    r(f"{P}/composite/sobjects/<sobject>", endpoint="composite.sobjects_get", view_func=collections_get,
      methods=["GET", "POST"])
    r(f"{P}/composite/sobjects/<sobject>/<field>", endpoint="composite.sobjects_upsert",
      view_func=collections_upsert, methods=["PATCH"])
