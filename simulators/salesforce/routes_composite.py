"""``/composite`` (subrequests with ``@{ref.path}`` references, ``allOrNone``) and
``/composite/sobjects`` (sObject collections: up to 200 records, SaveResult arrays using
``statusCode``). developer.salesforce.com api_rest: resources_composite_composite,
resources_composite_sobjects_collections."""
from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import args, body_json, json_answer
from .routes_sobjects import record_json, select_fields
from .state.records import MultipleMatches

P = "/services/data/v<version>"
REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the request was using AllOrNone "
                          "header", "fields": []}


# allOrNone on a Composite request overrides the allOrNone of the sObject Collections subrequests it
# embeds (developer.salesforce.com api_rest resources_composite_allornone); passed in the subrequest's environ
COMPOSITE_ALL_OR_NONE = "o2c.composite_all_or_none"
# marks a subrequest's environ: it does not count against the daily API limit (the outer call did)
SUBREQUEST = "o2c.subrequest"


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


def subrequest(lane: Lane, outer: LaneRequest, method: str, url: str, headers: dict[str, str], payload: Any,
               all_or_none: bool) -> tuple[int, dict[str, str], bytes]:
    """One composite subrequest through the whole lane (faults, auth, validation, journal), in this
    thread: inside the composite's transaction, where it is a savepoint."""
    parts = urlsplit(url)
    data = json.dumps(payload).encode("utf-8") if payload is not None else b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"), "QUERY_STRING": parts.query,
        "SERVER_NAME": outer.environ.get("SERVER_NAME", "localhost"),
        "SERVER_PORT": outer.environ.get("SERVER_PORT", "443"), "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": outer.environ.get("REMOTE_ADDR") or "127.0.0.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": outer.environ.get("wsgi.url_scheme", "https"),
        "wsgi.errors": outer.environ.get("wsgi.errors"), "wsgi.version": (1, 0), "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False, COMPOSITE_ALL_OR_NONE: all_or_none,
        SUBREQUEST: True,
    }
    if outer.header("Host"):
        environ["HTTP_HOST"] = outer.header("Host")
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue
        environ[key if key in ("CONTENT_TYPE",) else "HTTP_" + key] = str(value)
    captured: dict[str, Any] = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = int(status.split(" ", 1)[0]), dict(response_headers)

    body = b"".join(lane(environ, start_response))
    return captured["status"], captured["headers"], body


HALTED = {"body": [{"errorCode": "PROCESSING_HALTED",
                     "message": "The transaction was rolled back since another operation in the same "
                                "transaction failed."}], "httpHeaders": {}, "httpStatusCode": 400}


def run_composite(lane: Lane, db, req: LaneRequest, subs: list[Any], all_or_none: bool) -> tuple[list[Any], bool]:
    """Run composite subrequests in order, in one transaction, resolving ``@{ref.path}`` references
    to earlier results: (the ``compositeResponse`` list, whether every subrequest succeeded). Under
    ``allOrNone`` the first failure rolls everything back and the others answer PROCESSING_HALTED.
    Shared by ``/composite`` and ``/composite/graph`` (each graph is all-or-none)."""
    auth = req.header("Authorization") or ""
    results: dict[str, Any] = {}
    responses: list[dict[str, Any]] = []
    failed_refs: set[str] = set()
    try:
        with db.transaction():
            for sub in subs:
                if not isinstance(sub, dict):
                    raise E.JsonParserError("each subrequest must be an object")
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
                status, sub_headers, data = subrequest(lane, req, str(sub.get("method", "GET")).upper(),
                                                       str(url), headers, payload, all_or_none)
                parsed = _json_or_none(sub_headers, data)
                out_headers = {k: v for k, v in sub_headers.items() if k in ("Location",)}
                responses.append({"body": parsed, "httpHeaders": out_headers, "httpStatusCode": status,
                                  "referenceId": ref})
                # an embedded sObject Collection answers 200 with per-record failures; under the
                # composite's allOrNone it was all-or-none itself, and its failure fails the request
                collection_failed = isinstance(parsed, list) and any(
                    isinstance(r, dict) and r.get("success") is False for r in parsed)
                if status >= 400 or (all_or_none and collection_failed):
                    db.rollback_to(mark)
                    failed_refs.add(ref)
                    if all_or_none:
                        raise _Abort()
                elif ref:
                    results[ref] = parsed if parsed is not None else {}
    except _Abort:
        out = []
        for i, sub in enumerate(subs):
            ref = sub.get("referenceId")
            if i < len(responses) and ref in failed_refs:
                out.append(responses[i])
            else:
                out.append({**HALTED, "referenceId": ref})
        return out, False
    return responses, not failed_refs


def register(lane: Lane, org) -> None:
    db = org.db

    def composite(req, version):
        body = body_json(req)
        subs = body.get("compositeRequest") or []
        if not isinstance(subs, list) or not subs or len(subs) > 25:
            raise E.JsonParserError("compositeRequest must hold between 1 and 25 subrequests")
        responses, _ = run_composite(lane, db, req, subs, bool(body.get("allOrNone")))
        return json_answer({"compositeResponse": responses})

    def _collection(req, records: list[Any], all_or_none: bool, op) -> list[dict[str, Any]]:
        all_or_none = all_or_none or bool(req.environ.get(COMPOSITE_ALL_OR_NONE))
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

    def collections_delete(req, version):
        ids = [i for i in (args(req).get("ids") or "").split(",") if i]
        all_or_none = args(req).get("allOrNone", "false").lower() == "true"

        def delete(rid):
            obj = org.registry.for_id(rid)
            if obj is None:
                raise E.MalformedId(f"malformed id {rid}")
            db.delete(obj.name, rid)
            return {"id": rid, "success": True, "errors": []}
        return json_answer(_collection(req, ids, all_or_none, delete))

    def collections(req, version):
        body = body_json(req)
        records = body.get("records") or []
        all_or_none = bool(body.get("allOrNone"))
        if req.method == "POST":
            def create(item):
                sobject, values = _typed(item)
                if any(k.lower() == "id" for k in values):
                    raise E.InvalidFieldForInsertUpdate("cannot specify Id in an insert call", fields=["Id"])
                return {"id": db.create(sobject, values)["Id"], "success": True, "errors": []}
            return json_answer(_collection(req, records, all_or_none, create))

        def update(item):
            sobject, values = _typed(item)
            rid = values.pop("Id", None) or values.pop("id", None)
            if not rid:
                raise E.MalformedId("Id is required to update a record", fields=["Id"])
            return {"id": db.update(sobject, rid, values)["Id"], "success": True, "errors": []}
        return json_answer(_collection(req, records, all_or_none, update))

    def collections_get(req, version, sobject):
        obj = org.registry.get(sobject)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        if req.method == "POST":
            payload = body_json(req)
            ids, fields = payload.get("ids") or [], payload.get("fields")
            fields = ",".join(fields) if isinstance(fields, list) else fields
        else:
            ids = [i for i in (args(req).get("ids") or "").split(",") if i]
            fields = args(req).get("fields")
        names = select_fields(obj, fields)
        if not names:
            raise E.SalesforceError("fields is required", code="MISSING_ARGUMENT")
        out = []
        for rid in ids:
            rec = db.find(rid, obj.name)
            out.append(record_json(org, obj, rec, version, names) if rec else None)
        return json_answer(out)

    def collections_upsert(req, version, sobject, field):
        obj = org.registry.get(sobject)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        body = body_json(req)

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
        return json_answer(_collection(req, body.get("records") or [], bool(body.get("allOrNone")), upsert))

    for method, rule, endpoint, handler in (
        ("POST", f"{P}/composite", "composite", composite),
        ("POST", f"{P}/composite/sobjects", "composite.sobjects", collections),
        ("PATCH", f"{P}/composite/sobjects", "composite.sobjects", collections),
        ("DELETE", f"{P}/composite/sobjects", "composite.sobjects", collections_delete),
        ("GET", f"{P}/composite/sobjects/<sobject>", "composite.sobjects_get", collections_get),
        ("POST", f"{P}/composite/sobjects/<sobject>", "composite.sobjects_get", collections_get),
        ("PATCH", f"{P}/composite/sobjects/<sobject>/<field>", "composite.sobjects_upsert", collections_upsert),
    ):
        lane.add(method, rule, endpoint, handler)


def _json_or_none(headers: dict[str, str], data: bytes) -> Any:
    if not data or "json" not in headers.get("Content-Type", ""):
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
