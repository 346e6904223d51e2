"""What a user interface reads: ``/recent`` (the acting user's recently viewed records) and
``/sobjects/{sObject}/describe/layouts[/{recordTypeId}]`` (page layouts). Served by the core lane.

- ``GET /services/data/vXX.X/recent?limit=n``: the records the acting user last retrieved (a GET of
  one record, by id or by external id), most recent first, each as ``attributes`` + ``Id`` + ``Name``
  (developer.salesforce.com api_rest resources_recent_items; at most 200, ``limit`` caps it).
- ``GET .../describe/layouts``: ``{"layouts": [...], "recordTypeMappings": [...],
  "recordTypeSelectorRequired": [false]}``; ``.../describe/layouts/{recordTypeId}`` one layout
  (api_rest resources_sobject_layouts_get, resources_sobject_layouts_multiple_rts_get; SOAP API
  DescribeLayoutResult). The fake's objects have no record types but the master one
  (``012000000000000AAA``), and one layout each listing every field in one two-column section.
"""
from __future__ import annotations

import hashlib
from typing import Any

from simulators.core.ids import sf_id18, sf_id_key
from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import args, json_answer
from .routes_sobjects import MAX_RECENT, record_json

P = "/services/data/v<version>"
MASTER_RECORD_TYPE = "012000000000000AAA"


def _layout_id(obj) -> str:
    digest = hashlib.sha256(obj.name.encode()).hexdigest()[:12]
    return sf_id18("00h" + digest[:12].upper().replace("0", "A"))


def _section(obj, fields: list[dict[str, Any]], editable: bool) -> dict[str, Any]:
    items = []
    for tab, f in enumerate(fields):
        items.append({
            "editableForNew": editable and f["createable"], "editableForUpdate": editable and f["updateable"],
            "label": f["label"], "placeholder": False, "required": not f["nillable"] and f["createable"]
            and not f["defaultedOnCreate"],
            "layoutComponents": [{"components": [], "details": f, "displayLines": 1, "tabOrder": tab + 1,
                                  "type": "Field", "value": f["name"]}]})
    rows = [{"layoutItems": items[i:i + 2], "numItems": len(items[i:i + 2])} for i in range(0, len(items), 2)]
    return {"collapsed": False, "columns": 2, "heading": f"{obj.label} Information", "layoutRows": rows,
            "layoutSectionId": sf_id18("01B" + _layout_id(obj)[3:15]), "parentLayoutId": _layout_id(obj),
            "rows": len(rows), "tabOrder": "TopToBottom", "useCollapsibleSection": False, "useHeading": True}


def layout(org, obj, version: str) -> dict[str, Any]:
    fields = [f for f in obj.describe(version, org.registry)["fields"] if f["name"] not in ("IsDeleted",)]
    locked = set(org.security.read_only(obj.name, [f["name"] for f in fields]))
    for f in fields:
        if f["name"] in locked:
            f["createable"] = f["updateable"] = False
    return {
        "buttonLayoutSection": {"detailButtons": []},
        "detailLayoutSections": [_section(obj, fields, False)],
        "editLayoutSections": [_section(obj, [f for f in fields if f["createable"] or f["updateable"]], True)],
        "feedView": None, "highlightsPanelLayoutSection": None, "id": _layout_id(obj),
        "multirowEditLayoutSections": [], "offlineLinks": [], "quickActionList": {"quickActionListItems": []},
        "relatedContent": None,
        "relatedLists": [{"accessLevelRequiredForCreate": None, "buttons": [], "columns": [], "custom": False,
                          "field": field, "label": child, "limitRows": 5, "name": rel, "sobject": child, "sort": []}
                         for rel, (child, field) in obj.children.items()],
        "saveOptions": [],
    }


def register(lane: Lane, org) -> None:
    def obj_or_404(name: str):
        obj = org.registry.get(name)
        if obj is None:
            raise E.NotFound("The requested resource does not exist")
        return obj

    def recent(req: LaneRequest, version: str):
        raw = args(req).get("limit")
        try:
            limit = MAX_RECENT if raw in (None, "") else int(raw)
        except ValueError:
            raise E.SalesforceError(f"limit must be an integer, not {raw!r}", code="INVALID_PARAMETER_VALUE")
        user = org.security.acting_user()
        seen = org.store.data.get("recent", {}).get(user["username"] if user else "", [])
        out = []
        for sobject, rid in seen:
            if len(out) >= max(0, min(limit, MAX_RECENT)):
                break
            obj = org.registry.get(sobject)
            rec = org.db.find(rid, sobject) if obj else None
            if rec is not None:   # a deleted record leaves the list
                out.append(record_json(org, obj, rec, version, ["Id", "Name"] if "Name" in obj.fields else ["Id"]))
        return json_answer(out)

    def layouts(req: LaneRequest, version: str, sobject: str):
        obj = obj_or_404(sobject)
        one = layout(org, obj, version)
        mapping = {"active": True, "available": True, "defaultRecordTypeMapping": True, "developerName": "Master",
                   "layoutId": one["id"], "master": True, "name": "Master", "picklistsForRecordType": [
                       {"picklistName": f["name"], "picklistValues": f["picklistValues"]}
                       for f in obj.describe(version, org.registry)["fields"] if f["type"] == "picklist"],
                   "recordTypeId": MASTER_RECORD_TYPE,
                   "urls": {"layout": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts/"
                                      f"{MASTER_RECORD_TYPE}"}}
        return json_answer({"layouts": [one], "recordTypeMappings": [mapping], "recordTypeSelectorRequired": [False]})

    def layout_for(req: LaneRequest, version: str, sobject: str, record_type: str):
        obj = obj_or_404(sobject)
        if sf_id_key(record_type) != MASTER_RECORD_TYPE[:15]:
            raise E.NotFound(f"Invalid record type id: {record_type}")
        return json_answer(layout(org, obj, version))

    lane.add("GET", f"{P}/recent", "recent", recent)
    lane.add("GET", f"{P}/sobjects/<sobject>/describe/layouts", "sobjects.layouts", layouts)
    lane.add("GET", f"{P}/sobjects/<sobject>/describe/layouts/<record_type>", "sobjects.layouts", layout_for)
