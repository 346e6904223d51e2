"""sObject Tree (``POST /composite/tree/{sObject}``): nested records created in one all-or-none request.

Rules from the REST API Developer Guide, "sObject Tree" / "Create Nested Records": every record
names its type and a ``referenceId`` unique in the request; children are under their parent's
child-relationship name as ``{"records": [...]}``; at most 200 records in all, trees at most five
levels deep, at most five object types; the records of the top level are of the URL's object. On
success every record's ``{"referenceId", "id"}`` (201); on any failure nothing is kept and only
the failing records are listed with their errors (400, ``hasErrors: true``).
"""
from __future__ import annotations

from typing import Any

from .. import errors as E

MAX_RECORDS, MAX_DEPTH, MAX_TYPES = 200, 5, 5


class TreeInvalid(Exception):
    """A request the tree API refuses before creating anything (its shape, not a record's data)."""

    def __init__(self, reference: str | None, code: str, message: str):
        super().__init__(message)
        self.reference, self.code, self.message = reference, code, message


def create_tree(org, sobject: str, records: Any) -> tuple[int, dict[str, Any]]:
    top = org.db.sobject(sobject)
    if not isinstance(records, list) or not records:
        raise TreeInvalid(None, "INVALID_INPUT", "The request body needs a non-empty \"records\" array")
    flat: list[tuple[Any, dict[str, Any], int, str | None, str | None]] = []
    _collect(org, top, records, 1, None, None, flat)
    if len(flat) > MAX_RECORDS:
        raise TreeInvalid(None, "INVALID_INPUT", f"The request contains {len(flat)} records; the limit is "
                                                 f"{MAX_RECORDS}")
    if len({obj.name for obj, *_ in flat}) > MAX_TYPES:
        raise TreeInvalid(None, "INVALID_INPUT", f"A tree request may contain at most {MAX_TYPES} object types")
    refs = [rec["attributes"]["referenceId"] for _, rec, *_ in flat]
    dup = next((r for r in refs if refs.count(r) > 1), None)
    if dup:
        raise TreeInvalid(dup, "INVALID_INPUT", f"Duplicate ReferenceId provided in the request: {dup}")
    ids: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    db = org.db
    try:
        with db.transaction():
            for obj, rec, _, parent_ref, link_field in flat:
                ref = rec["attributes"]["referenceId"]
                values = {k: v for k, v in rec.items() if k != "attributes" and not _is_children(v)}
                if parent_ref is not None:
                    if parent_ref not in ids:
                        continue   # the parent failed: nothing to attach to (its error is listed)
                    values[link_field] = ids[parent_ref]
                try:
                    with db.savepoint():
                        ids[ref] = db.create(obj.name, values)["Id"]
                except E.SalesforceError as exc:
                    errors.append({"referenceId": ref, "errors": [exc.save_error()]})
            if errors:
                raise _Rollback()
    except _Rollback:
        return 400, {"hasErrors": True, "results": errors}
    return 201, {"hasErrors": False, "results": [{"referenceId": r, "id": ids[r]} for r in refs]}


class _Rollback(Exception):
    pass


def _is_children(value: Any) -> bool:
    return isinstance(value, dict) and "records" in value


def _collect(org, obj, records: list[Any], depth: int, parent_ref: str | None, link_field: str | None,
             out: list) -> None:
    if depth > MAX_DEPTH:
        raise TreeInvalid(parent_ref, "INVALID_INPUT", f"Trees may be at most {MAX_DEPTH} levels deep")
    for rec in records:
        attrs = rec.get("attributes") if isinstance(rec, dict) else None
        if not isinstance(attrs, dict) or not attrs.get("referenceId") or not attrs.get("type"):
            raise TreeInvalid(None, "INVALID_INPUT", "Every record needs attributes with type and referenceId")
        ref = str(attrs["referenceId"])
        if str(attrs["type"]).lower() != obj.name.lower():
            raise TreeInvalid(ref, "INVALID_INPUT", f"Record type {attrs['type']} does not match {obj.name}")
        out.append((obj, rec, depth, parent_ref, link_field))
        for key, value in rec.items():
            if key == "attributes" or not _is_children(value):
                continue
            child = org.registry.child(obj, key)
            if child is None:
                raise TreeInvalid(ref, "INVALID_FIELD", f"No such child relationship '{key}' on {obj.name}")
            _, child_obj, fname = child
            if not isinstance(value["records"], list):
                raise TreeInvalid(ref, "INVALID_INPUT", f"{key}.records must be an array")
            _collect(org, child_obj, value["records"], depth + 1, ref, fname, out)
