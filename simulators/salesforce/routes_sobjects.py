"""``/services/data/vXX.X/sobjects/...``: describe, CRUD, upsert by external id, updated/deleted,
limits, and platform-event publish (``POST /sobjects/X__e/``). Parsing and shaping only; the
rules live in ``state``. Served by the core lane (``app.py``): each handler takes the lane
request and the URL's variables and returns ``(status, headers, body)``."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import unquote_plus

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import args, body_json, empty, json_answer
from .state.records import MultipleMatches
from .state.values import coerce, parse_datetime, sf_datetime, to_json

P = "/services/data/v<version>"
MAX_RECENT = 200   # /recent answers at most 200 records
# the version root's resources (REST API "Resources by Version"), advertised when served (GET)
RESOURCES = ("sobjects", "query", "queryAll", "limits", "composite", "search", "parameterizedSearch", "recent",
             "tooling", "ui-api", "analytics", "connect", "jobs", "process", "quickActions", "theme", "appMenu")


def record_json(org, obj, rec: dict[str, Any], version: str, fields: list[str] | None = None) -> dict[str, Any]:
    out = {"attributes": {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{rec['Id']}"}}
    get = rec.get
    for name in (fields if fields is not None else obj.fields):   # the object's fields in describe order
        out[name] = to_json(get(name))
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


def raw_external_value(req: LaneRequest, field: str, decoded: str) -> str:
    """The external id exactly as the client encoded it: simple-salesforce quote_plus-es it, so a
    space arrives as '+' and '/' as %2F (which the router has already decoded)."""
    raw = req.environ.get("RAW_URI") or req.environ.get("REQUEST_URI")
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


def remember_view(org, sobject: str, record_id: str) -> None:
    """Note that the acting user viewed a record (``/recent``, routes_views.py)."""
    user = org.security.acting_user()
    if user is None:
        return
    seen = org.store.data["recent"].setdefault(user["username"], [])
    entry = [sobject, record_id]
    if entry in seen:
        seen.remove(entry)
    seen.insert(0, entry)
    del seen[MAX_RECENT:]


def register(lane: Lane, org) -> None:
    db, reg = org.db, org.registry

    def obj_or_404(name: str):
        obj = reg.get(name)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        return obj

    def resources(req, version):
        base = f"/services/data/v{version}"
        # a real org lists more (tooling, ui-api, analytics, ...): only those this fake serves are advertised
        return json_answer({k: f"{base}/{k}" for k in RESOURCES if lane.match("GET", f"{base}/{k}")})

    def describe_global(req, version):
        return json_answer({"encoding": "UTF-8", "maxBatchSize": 200,
                            "sobjects": [o.describe_global_entry(version) for o in reg.objects.values()]})

    def sobject_basic(req, version, sobject):
        obj = obj_or_404(sobject)
        recent = sorted(db.all(obj.name), key=lambda r: r["LastModifiedDate"] or r["CreatedDate"], reverse=True)[:200]
        return json_answer({"objectDescribe": obj.describe_global_entry(version),
                            "recentItems": [record_json(org, obj, r, version, ["Id", "Name"] if "Name" in obj.fields
                                                        else ["Id"]) for r in recent]})

    def create(req, version, sobject):
        obj = obj_or_404(sobject)
        values = body_json(req)
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
            return json_answer({"id": "e00xx0000000001AAA", "success": True,
                                "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": uuid, "fields": []}]},
                               201)
        rec = db.create(obj.name, values)
        return json_answer(save_result(rec["Id"]), 201, {"Location": f"/services/data/v{version}/sobjects/"
                                                                     f"{obj.name}/{rec['Id']}"})

    def describe(req, version, sobject):
        obj = obj_or_404(sobject)
        out = obj.describe(version, reg)
        locked = set(org.security.read_only(obj.name, list(obj.fields)))   # this user's field-level security
        for f in out["fields"]:
            if f["name"] in locked:
                f["createable"] = f["updateable"] = False
        return json_answer(out)

    def record_get(req, version, sobject, record_id):
        obj = obj_or_404(sobject)
        rec = db.get(obj.name, record_id)
        remember_view(org, obj.name, rec["Id"])
        return json_answer(record_json(org, obj, rec, version, select_fields(obj, args(req).get("fields"))))

    def record_patch(req, version, sobject, record_id):
        obj = obj_or_404(sobject)
        db.update(obj.name, record_id, body_json(req))
        return empty()

    def record_delete(req, version, sobject, record_id):
        obj = obj_or_404(sobject)
        db.delete(obj.name, record_id)
        return empty()

    def external_field(req, sobject, field, value):
        obj = obj_or_404(sobject)
        f = obj.field(field)
        if f is None or not (f.external_id or f.type == "id"):
            raise E.NotFound(f"Provided external ID field does not exist or is not accessible: {field}")
        return obj, f, raw_external_value(req, field, value)

    def one_match(obj, f, value, version) -> tuple[dict[str, Any] | None, Any]:
        """(the one record, None) or (None, the REST API's 300 answer listing the candidates)."""
        matches = db.by_external(obj, f.name, value)
        if len(matches) > 1:
            return None, json_answer([f"/services/data/v{version}/sobjects/{obj.name}/{m['Id']}" for m in matches],
                                     300)
        if not matches:
            raise E.NotFound("The requested resource does not exist")
        return matches[0], None

    def external_get(req, version, sobject, field, value):
        obj, f, value = external_field(req, sobject, field, value)
        rec, multiple = one_match(obj, f, value, version)
        if multiple:
            return multiple
        remember_view(org, obj.name, rec["Id"])
        return json_answer(record_json(org, obj, rec, version, select_fields(obj, args(req).get("fields"))))

    def external_delete(req, version, sobject, field, value):
        obj, f, value = external_field(req, sobject, field, value)
        rec, multiple = one_match(obj, f, value, version)
        if multiple:
            return multiple
        db.delete(obj.name, rec["Id"])
        return empty()

    def external_upsert(req, version, sobject, field, value):
        obj, f, value = external_field(req, sobject, field, value)
        try:
            rec, created = db.upsert(obj.name, f.name, value, body_json(req))
        except MultipleMatches as mm:
            return json_answer([f"/services/data/v{version}/sobjects/{obj.name}/{i}" for i in mm.ids], 300)
        if created:
            return json_answer(save_result(rec["Id"], True), 201)
        if float(version) >= 46.0:
            return json_answer(save_result(rec["Id"], False), 200)
        return empty()

    def window(req) -> tuple:
        raw_start, raw_end = args(req).get("start"), args(req).get("end")
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

    def updated(req, version, sobject):
        obj = obj_or_404(sobject)
        start, end = window(req)
        ids = [r["Id"] for r in db.all(obj.name) if start <= r["SystemModstamp"] <= end]
        return json_answer({"ids": sorted(ids), "latestDateCovered": sf_datetime(end)})

    def deleted(req, version, sobject):
        obj = obj_or_404(sobject)
        start, end = window(req)
        rows = [{"id": d["record"]["Id"], "deletedDate": sf_datetime(d["deletedDate"])}
                for d in org.store.data["deleted"][obj.name].values() if start <= d["deletedDate"] <= end]
        return json_answer({"deletedRecords": rows, "earliestDateAvailable": sf_datetime(start),
                            "latestDateCovered": sf_datetime(end)})

    def limits(req, version):
        mx = org.settings["api_daily_max"]
        used = org.store.data["api_usage"]
        storage = sum(len(t) for t in org.store.data["records"].values()) * 2 // 1024
        return json_answer({
            "DailyApiRequests": {"Max": mx, "Remaining": max(mx - used, 0)},
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 5120, "Remaining": 5120 - storage},
            "HourlyPublishedPlatformEvents": {"Max": 250000, "Remaining": 250000},
            "DailyDeliveredPlatformEvents": {"Max": 50000, "Remaining": 50000},
            "SingleEmail": {"Max": 5000, "Remaining": 5000},
        })

    # static segments first: a literal ("describe") outranks a variable ("<record_id>"), as in the REST API
    for method, rule, endpoint, handler in (
        ("GET", f"{P}", "resources", resources),
        ("GET", f"{P}/sobjects", "sobjects.describe_global", describe_global),
        ("GET", f"{P}/limits", "limits", limits),
        ("GET", f"{P}/sobjects/<sobject>", "sobjects.basic", sobject_basic),
        ("POST", f"{P}/sobjects/<sobject>", "sobjects.basic", create),
        ("GET", f"{P}/sobjects/<sobject>/describe", "sobjects.describe", describe),
        ("GET", f"{P}/sobjects/<sobject>/updated", "sobjects.updated", updated),
        ("GET", f"{P}/sobjects/<sobject>/deleted", "sobjects.deleted", deleted),
        ("GET", f"{P}/sobjects/<sobject>/<record_id>", "sobjects.record", record_get),
        ("PATCH", f"{P}/sobjects/<sobject>/<record_id>", "sobjects.record", record_patch),
        ("DELETE", f"{P}/sobjects/<sobject>/<record_id>", "sobjects.record", record_delete),
        ("GET", f"{P}/sobjects/<sobject>/<field>/<path:value>", "sobjects.external", external_get),
        ("PATCH", f"{P}/sobjects/<sobject>/<field>/<path:value>", "sobjects.external", external_upsert),
        ("DELETE", f"{P}/sobjects/<sobject>/<field>/<path:value>", "sobjects.external", external_delete),
    ):
        lane.add(method, rule, endpoint, handler)
