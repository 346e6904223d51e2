"""One record of a bulk job (Bulk API 1.0 and 2.0 alike): an insert, update, upsert or delete of the
org's records, each its own DML statement, lookups of a parent by its external id, and query rows
flattened into CSV columns."""
from __future__ import annotations

from typing import Any

from .. import errors as E
from .values import to_json


def lookup(org, obj, rel: str, key: str, value: Any) -> tuple[str, Any]:
    """``rel.key = value`` (e.g. ``Account.Customer_Key__c``) -> (the lookup field, the parent's Id)."""
    f = obj.relationship(rel)
    if f is None or not f.reference_to:
        raise E.InvalidField(f"No such relationship '{rel}' on sobject of type {obj.name}", fields=[f"{rel}.{key}"])
    if value is None:
        return f.name, None
    parent = org.db.sobject(f.reference_to[0])
    pf = parent.field(key)
    if pf is None or not (pf.external_id or pf.type == "id"):
        raise E.InvalidField(f"{key} is not an external id field of {parent.name}", fields=[f"{rel}.{key}"])
    matches = org.db.by_external(parent, pf.name, str(value))
    if len(matches) != 1:
        raise E.InvalidCrossReference(f"{parent.name} with {pf.name} '{value}': "
                                      f"{'not found' if not matches else 'more than one match'}", fields=[f.name])
    return f.name, matches[0]["Id"]


def apply_row(org, obj, op: str, ext: str | None, values: dict[str, Any]) -> tuple[str, bool]:
    """Run one record's DML; (record id, created). Raises the Salesforce error of the record."""
    db = org.db
    if op in ("delete", "hardDelete"):
        rec_id = values.get("Id") or values.get("id")
        if not rec_id:
            raise E.MalformedId("Id not specified in a delete call", fields=["Id"])
        db.delete(obj.name, str(rec_id))
        return str(rec_id), False
    if op == "insert":
        return db.create(obj.name, values)["Id"], True
    if op == "update":
        rec_id = values.pop("Id", None) or values.pop("id", None)
        if not rec_id:
            raise E.MalformedId("Id not specified in an update call", fields=["Id"])
        return db.update(obj.name, str(rec_id), values)["Id"], False
    key = next((k for k in values if ext and k.lower() == ext.lower()), None)
    if key is None or values[key] in (None, ""):
        raise E.SalesforceError(f"Missing external ID value for {ext}", code="MISSING_ARGUMENT", fields=[ext or ""])
    rec, created = db.upsert(obj.name, str(ext), str(values.pop(key)), values)
    return rec["Id"], created


def flatten(rec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A query row as CSV cells: parent fields become ``Account.Name`` columns, booleans ``true``/``false``."""
    out: dict[str, Any] = {}
    for k, v in rec.items():
        if k == "attributes":
            continue
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            v = to_json(v)
            out[f"{prefix}{k}"] = ("true" if v else "false") if isinstance(v, bool) else v
    return out


def flat_table(records: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Query rows flattened, and every column in the order it first appears."""
    rows = [flatten(r) for r in records]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns), rows
