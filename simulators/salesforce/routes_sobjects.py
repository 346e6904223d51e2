"""``/services/data/vXX.X/sobjects/...``: describe, CRUD, upsert by external id, updated/deleted,
limits, and platform-event publish (``POST /sobjects/X__e/``). Parsing and shaping only; the
rules live in ``state``."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_plus

from flask import Flask, Response, request

from simulators.core.jsonutil import BadJson, loads
from simulators.core.sim import json_response

from . import errors as E
from .state.records import MultipleMatches
from .state.values import coerce, parse_datetime, sf_datetime, to_json

P = "/services/data/v<version>"


def body_json(require_object: bool = True) -> Any:
    raw = request.get_data()
    if not raw:
        return {}
    ctype = request.headers.get("Content-Type", "")
    if ctype and "json" not in request.mimetype:
        # the fake speaks JSON only: any other declared body type is the REST API's 415
        raise E.http_error(415, SimpleNamespace(content_type=ctype))
    try:
        data = loads(raw)
    except BadJson as exc:
        raise E.JsonParserError(f"Unexpected character: was expecting JSON ({exc})")
    if require_object and not isinstance(data, dict):
        raise E.JsonParserError("Cannot deserialize instance of sObject from START_ARRAY value")
    return data


def record_json(org, obj, rec: dict[str, Any], version: str, fields: list[str] | None = None) -> dict[str, Any]:
    out = {"attributes": {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{rec['Id']}"}}
    names = fields if fields is not None else list(obj.fields)
    for name in names:
        out[name] = to_json(rec.get(name))
    return out


def select_fields(obj, raw: str | None) -> list[str] | None:
    if not raw:
        return None
    out = []
    for name in (n.strip() for n in raw.split(",") if n.strip()):
        f = obj.field(name)
        if f is None:
            raise E.InvalidField(f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a "
                                 f"custom field, be sure to append the '__c' after the custom field name. Please "
                                 f"reference your WSDL or the describe call for the appropriate names.")
        out.append(f.name)
    return out


def raw_external_value(field: str, decoded: str) -> str:
    """The external id exactly as the client encoded it: simple-salesforce quote_plus-es it, so a
    space arrives as '+' and '/' as %2F (which the router has already decoded)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0]
        marker = f"/{field}/"
        idx = path.find(marker)
        if idx >= 0:
            return unquote_plus(path[idx + len(marker):])
    return decoded.replace("+", " ")


def save_result(rec_id: str | None, created: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rec_id, "success": True, "errors": []}
    if created is not None:
        out["created"] = created
    return out


def register(app: Flask, org) -> None:
    db, reg = org.db, org.registry

    def obj_or_404(name: str):
        obj = reg.get(name)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        return obj

    def resources(version):
        base = f"/services/data/v{version}"
        return json_response({k: f"{base}/{k}" for k in ("sobjects", "query", "queryAll", "limits", "composite",
                                                          "search", "tooling")})

    def describe_global(version):
        return json_response({"encoding": "UTF-8", "maxBatchSize": 200,
                              "sobjects": [o.describe_global_entry(version) for o in reg.objects.values()]})

    def sobject_basic(version, sobject):
        obj = obj_or_404(sobject)
        if request.method == "POST":
            return create(version, obj)
        recent = sorted(db.all(obj.name), key=lambda r: r["LastModifiedDate"] or r["CreatedDate"], reverse=True)[:200]
        return json_response({"objectDescribe": obj.describe_global_entry(version),
                              "recentItems": [record_json(org, obj, r, version, ["Id", "Name"] if "Name" in obj.fields
                                                          else ["Id"]) for r in recent]})

    def create(version, obj):
        values = body_json()
        if obj.event:
            clean = {}
            for k, v in values.items():
                if k == "attributes":
                    continue
                f = obj.field(k)
                if f is None:
                    raise E.InvalidField(f"No such column '{k}' on sobject of type {obj.name}")
                if not f.createable:
                    raise E.InvalidFieldForInsertUpdate(f"Unable to create/update fields: {f.name}.", fields=[f.name])
                clean[f.name] = coerce(f, v)
            uuid = org.bus.publish_platform_event(obj, clean)
            return json_response({"id": "e00xx0000000001AAA", "success": True,
                                  "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": uuid, "fields": []}]},
                                 201)
        rec = db.create(obj.name, values)
        return json_response(save_result(rec["Id"]), 201, {"Location": f"/services/data/v{version}/sobjects/"
                                                                       f"{obj.name}/{rec['Id']}"})

    def describe(version, sobject):
        obj = obj_or_404(sobject)
        out = obj.describe(version, reg)
        locked = set(org.security.read_only(obj.name, list(obj.fields)))   # this user's field-level security
        for f in out["fields"]:
            if f["name"] in locked:
                f["createable"] = f["updateable"] = False
        return json_response(out)

    def record(version, sobject, record_id):
        obj = obj_or_404(sobject)
        if request.method == "GET":
            rec = db.get(obj.name, record_id)
            return json_response(record_json(org, obj, rec, version, select_fields(obj, request.args.get("fields"))))
        if request.method == "PATCH":
            db.update(obj.name, record_id, body_json())
            return Response(b"", 204)
        db.delete(obj.name, record_id)
        return Response(b"", 204)

    def by_external(version, sobject, field, value):
        obj = obj_or_404(sobject)
        f = obj.field(field)
        if f is None or not (f.external_id or f.type == "id"):
            raise E.NotFound(f"Provided external ID field does not exist or is not accessible: {field}")
        value = raw_external_value(field, value)
        if request.method == "GET":
            matches = db.by_external(obj, f.name, value)
            if len(matches) > 1:
                return json_response([f"/services/data/v{version}/sobjects/{obj.name}/{m['Id']}" for m in matches], 300)
            if not matches:
                raise E.NotFound("The requested resource does not exist")
            return json_response(record_json(org, obj, matches[0], version,
                                             select_fields(obj, request.args.get("fields"))))
        if request.method == "DELETE":
            matches = db.by_external(obj, f.name, value)
            if len(matches) > 1:
                return json_response([f"/services/data/v{version}/sobjects/{obj.name}/{m['Id']}" for m in matches], 300)
            if not matches:
                raise E.NotFound("The requested resource does not exist")
            db.delete(obj.name, matches[0]["Id"])
            return Response(b"", 204)
        try:
            rec, created = db.upsert(obj.name, f.name, value, body_json())
        except MultipleMatches as mm:
            return json_response([f"/services/data/v{version}/sobjects/{obj.name}/{i}" for i in mm.ids], 300)
        if created:
            return json_response(save_result(rec["Id"], True), 201)
        if float(version) >= 46.0:
            return json_response(save_result(rec["Id"], False), 200)
        return Response(b"", 204)

    def window(version) -> tuple:
        raw_start, raw_end = request.args.get("start"), request.args.get("end")
        if not raw_start or not raw_end:
            raise E.SalesforceError("start and end are required", code="MISSING_ARGUMENT")
        try:
            start = parse_datetime(raw_start.replace(" ", "+"))
            end = parse_datetime(raw_end.replace(" ", "+"))
        except ValueError:
            raise E.SalesforceError("Invalid date format; use ISO 8601", code="INVALID_REPLICATION_DATE")
        now = org.sim.clock.now()
        if end < start:
            raise E.SalesforceError("end date must be after the start date", code="INVALID_REPLICATION_DATE")
        if start < now - timedelta(days=30):
            raise E.SalesforceError("startDate cannot be more than 30 days ago", code="INVALID_REPLICATION_DATE")
        return start, min(end, now)

    def updated(version, sobject):
        obj = obj_or_404(sobject)
        start, end = window(version)
        ids = [r["Id"] for r in db.all(obj.name) if start <= r["SystemModstamp"] <= end]
        return json_response({"ids": sorted(ids), "latestDateCovered": sf_datetime(end)})

    def deleted(version, sobject):
        obj = obj_or_404(sobject)
        start, end = window(version)
        rows = [{"id": d["record"]["Id"], "deletedDate": sf_datetime(d["deletedDate"])}
                for d in org.store.data["deleted"][obj.name].values() if start <= d["deletedDate"] <= end]
        return json_response({"deletedRecords": rows, "earliestDateAvailable": sf_datetime(start),
                              "latestDateCovered": sf_datetime(end)})

    def limits(version):
        mx = org.settings["api_daily_max"]
        used = org.store.data["api_usage"]
        storage = sum(len(t) for t in org.store.data["records"].values()) * 2 // 1024
        return json_response({
            "DailyApiRequests": {"Max": mx, "Remaining": max(mx - used, 0)},
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 5120, "Remaining": 5120 - storage},
            "HourlyPublishedPlatformEvents": {"Max": 250000, "Remaining": 250000},
            "DailyDeliveredPlatformEvents": {"Max": 50000, "Remaining": 50000},
            "SingleEmail": {"Max": 5000, "Remaining": 5000},
        })

    r = app.add_url_rule
    r(f"{P}", endpoint="resources", view_func=resources, methods=["GET"])
    r(f"{P}/sobjects", endpoint="sobjects.describe_global", view_func=describe_global, methods=["GET"])
    r(f"{P}/limits", endpoint="limits", view_func=limits, methods=["GET"])
    r(f"{P}/sobjects/<sobject>", endpoint="sobjects.basic", view_func=sobject_basic, methods=["GET", "POST"])
    r(f"{P}/sobjects/<sobject>/describe", endpoint="sobjects.describe", view_func=describe, methods=["GET"])
    r(f"{P}/sobjects/<sobject>/updated", endpoint="sobjects.updated", view_func=updated, methods=["GET"])
    r(f"{P}/sobjects/<sobject>/deleted", endpoint="sobjects.deleted", view_func=deleted, methods=["GET"])
    r(f"{P}/sobjects/<sobject>/<record_id>", endpoint="sobjects.record", view_func=record,
      methods=["GET", "PATCH", "DELETE"])
    r(f"{P}/sobjects/<sobject>/<field>/<path:value>", endpoint="sobjects.external", view_func=by_external,
      methods=["GET", "PATCH", "DELETE"])
