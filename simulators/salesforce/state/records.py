"""The org's records: create/read/update/delete/upsert with schema-driven validation, inside
transactions (allOrNone needs rollback), and a change feed that listeners (CDC, record-triggered
flows, outbound messages) see only after commit.

Records are stored as plain dicts of canonical field name -> Python value (Decimal, date,
datetime, bool, str), keyed by the 15-character id so 15- and 18-character ids are the same key.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from simulators.core.ids import sf_id_key

from .. import errors as E
from ..objects import REGISTRY, Field, Registry, SObject
from ..soql.index import Indexes
from .transactions import Transactional
from .values import coerce, normalize_id

TOUCHED_LOG_MAX = 4096   # written keys kept per table before the log starts afresh (indexes then rebuild once)
SYSTEM_FIELDS = {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                 "SystemModstamp"}


@dataclass
class Change:
    kind: str  # CREATE UPDATE DELETE UNDELETE
    sobject: str
    id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    changed: list[str]
    origin: str
    at: datetime
    transaction_key: str = ""
    sequence: int = 0
    base_url: str | None = None   # the org's address the changing request used (outbound message URLs)


def empty_state() -> dict[str, Any]:
    return {"records": {name: {} for name in REGISTRY.objects},
            "deleted": {name: {} for name in REGISTRY.objects},
            "autonumber": {}}


class Database(Transactional):
    def __init__(self, sim, store, registry: Registry = REGISTRY):
        self.sim = sim
        self.store = store
        self.registry = registry
        self.rules = None  # set by the Org: business rules (rules.py) run inside the write path
        self.listeners: list[Callable[[Change], None]] = []
        self._init_transactions()
        self.user_id = ""
        self.security = None  # set by the Org: who is acting, and their profile's field-level security
        # per table, the keys of the records written (and undone) since the log began: the field indexes
        # (soql/index.py) catch up from it instead of rebuilding; started afresh when it grows long
        self._touched: dict[str, list[str]] = {}
        self.indexes = Indexes(self)

    @property
    def actor_id(self) -> str | None:
        """The user the current API call acts as (CreatedById / LastModifiedById); the org's default
        user for automation and setup."""
        acting = self.security.acting_user_id() if self.security else None
        return acting or self.user_id or None

    # ---- access -----------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    def sobject(self, name: str) -> SObject:
        obj = self.registry.get(name)
        if obj is None:
            raise E.NotFound(f"The requested resource does not exist", code="NOT_FOUND")
        return obj

    def table(self, sobject: str) -> dict[str, dict[str, Any]]:
        return self.data["records"][sobject]

    def find(self, record_id: str, sobject: str | None = None, include_deleted: bool = False) -> dict[str, Any] | None:
        key = sf_id_key(record_id) if isinstance(record_id, str) else None
        if key is None:
            return None
        obj = self.registry.for_id(key) if sobject is None else self.registry.get(sobject)
        if obj is None:
            return None
        rec = self.table(obj.name).get(key)
        if rec is None and include_deleted:
            hit = self.data["deleted"][obj.name].get(key)
            rec = hit["record"] if hit else None
        return rec

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        obj = self.sobject(sobject)
        key = sf_id_key(record_id)
        if key is None or key[:3] != obj.key_prefix:
            raise E.NotFound(f"Provided external ID field does not exist or is not accessible: {record_id}")
        rec = self.table(obj.name).get(key)
        if rec is None:
            if key in self.data["deleted"][obj.name]:
                raise E.EntityIsDeleted("entity is deleted", fields=[])
            raise E.NotFound("The requested resource does not exist")
        return rec

    def all(self, sobject: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self.store.lock:   # a snapshot: never a table changing under the caller's iteration
            rows = list(self.table(sobject).values())
            if include_deleted:
                rows += [d["record"] for d in self.data["deleted"][sobject].values()]
        return rows

    def by_external(self, obj: SObject, fname: str, value: str) -> list[dict[str, Any]]:
        f = obj.field(fname)
        needle = str(value).lower()
        if f.type == "id":
            rec = self.table(obj.name).get(sf_id_key(value) or "")
            return [rec] if rec else []
        if f.type == "reference":
            with self.store.lock:
                return [r for r in self.table(obj.name).values()
                        if r.get(f.name) is not None and str(r[f.name]).lower() == needle]
        return self.indexes.lookup(obj.name, f.name, [needle], False)

    # ---- writes -----------------------------------------------------------------------
    def _check_fields(self, obj: SObject, values: dict[str, Any], creating: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        blocked: list[str] = []
        for raw_name, raw in values.items():
            if raw_name == "attributes":
                continue
            f = obj.field(raw_name)
            if f is None:
                raise E.InvalidField(f"No such column '{raw_name}' on sobject of type {obj.name}", fields=[])
            allowed = f.createable if creating else f.updateable
            if not allowed or f.auto_number or f.calculated or f.name in SYSTEM_FIELDS:
                if f.name == "Id" and not creating:
                    continue
                blocked.append(f.name)
                continue
            out[f.name] = coerce(f, raw)
        if self.security is not None:   # field-level security of the acting user's profile
            blocked += [n for n in self.security.read_only(obj.name, list(out)) if n not in blocked]
        if blocked:
            # one error naming every field the caller may not set (system, read-only, or FLS)
            raise E.InvalidFieldForInsertUpdate(
                f"Unable to create/update fields: {', '.join(blocked)}. Please check the security settings of "
                f"this field and verify that it is read/write for your profile or permission set.", fields=blocked)
        for name, value in out.items():
            f = obj.fields[name]
            if f.type == "reference" and value is not None:
                self._check_reference(f, value)
        return out

    def _check_object_permission(self, obj: SObject, action: str) -> None:
        """The acting user's profile must permit creating / deleting this object (security.py)."""
        if self.security is not None and not self.security.may(obj.name, action):
            raise E.InsufficientAccess("insufficient access rights on object id", fields=[])

    def _check_reference(self, f: Field, value: str) -> None:
        target = self.registry.for_id(value)
        if target is None or target.name not in f.reference_to:
            raise E.FieldIntegrity(f"field integrity exception: unknown (id value of incorrect type: {value})",
                                   fields=[f.name])
        if self.find(value, target.name) is None:
            raise E.InvalidCrossReference(f"invalid cross reference id", fields=[f.name])

    def _check_required(self, obj: SObject, rec: dict[str, Any]) -> None:
        missing = [f.name for f in obj.fields.values() if f.required and rec.get(f.name) in (None, "")]
        if missing:
            raise E.RequiredFieldMissing(f"Required fields are missing: [{', '.join(missing)}]", fields=missing)

    def _check_unique(self, obj: SObject, rec: dict[str, Any]) -> None:
        for f in obj.fields.values():
            if f.unique and rec.get(f.name) is not None:
                needle = str(rec[f.name]).lower()
                same = (self.table(obj.name).values() if f.type in ("id", "reference")   # ids: compared as text
                        else self.indexes.lookup(obj.name, f.name, [needle], False))
                for other in same:
                    if other["Id"] != rec["Id"] and other.get(f.name) is not None and str(other[f.name]).lower() == needle:
                        raise E.DuplicateValue(f"duplicate value found: {f.name} duplicates value on record with "
                                               f"id: {other['Id']}", fields=[f.name])

    def _auto_number(self, obj: SObject) -> str:
        counters = self.data["autonumber"]
        start = 100 if obj.name == "Order" else 1
        n = counters.get(obj.name, start)
        counters[obj.name] = n + 1

        def undo():
            counters[obj.name] = n
        self._tx.undo.append(undo)
        return obj.auto_number_format.format(n)

    def create(self, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
        """One DML insert: atomic on its own (a savepoint inside the request's transaction)."""
        with self.transaction():
            return self._create(sobject, values)

    def _create(self, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
        obj = self.sobject(sobject)
        if not obj.createable or obj.event:
            raise E.InvalidType(f"sObject type '{obj.name}' is not supported for create", code="INVALID_TYPE")
        self._check_object_permission(obj, "create")
        if any(k.lower() == "id" for k in values):
            raise E.InvalidFieldForInsertUpdate("cannot specify Id in an insert call", fields=["Id"])
        clean = self._check_fields(obj, values, creating=True)
        now = self.sim.clock.now()
        rec: dict[str, Any] = {f.name: None for f in obj.fields.values()}
        for f in obj.fields.values():
            if f.default is not None:
                rec[f.name] = f.default
        rec.update(clean)
        rec["Id"] = self.sim.ids.salesforce(obj.key_prefix)
        for f in obj.fields.values():
            if f.auto_number:
                rec[f.name] = self._auto_number(obj)
        rec.update({"IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now, "SystemModstamp": now,
                    "CreatedById": self.actor_id, "LastModifiedById": self.actor_id})
        if "OwnerId" in obj.fields and rec.get("OwnerId") is None:
            rec["OwnerId"] = self.actor_id
        if self.rules:
            self.rules.before_insert(obj, rec)
        self._check_required(obj, rec)
        self._check_unique(obj, rec)
        key = rec["Id"][:15]
        table = self.table(obj.name)
        table[key] = rec
        self._changed(obj.name, key)

        def undo_create():
            table.pop(key, None)
            self._changed(obj.name, key)
        self._tx.undo.append(undo_create)
        if self.rules:
            self.rules.after_write(obj, None, rec)
        changed = [k for k, v in rec.items() if v is not None]
        self._record_change(Change("CREATE", obj.name, rec["Id"], None, dict(rec), changed, self._origin, now))
        return rec

    def _changed(self, sobject: str, key: str) -> None:
        log = self.touched_log(sobject)
        if len(log) >= TOUCHED_LOG_MAX:
            log = self._touched[sobject] = []   # a new log: every index of the table rebuilds once
        log.append(key)

    def touched_log(self, sobject: str) -> list[str]:
        """The table's log of written record keys (the same list object until it is started afresh)."""
        log = self._touched.get(sobject)
        if log is None:
            log = self._touched[sobject] = []
        return log

    def update(self, sobject: str, record_id: str, values: dict[str, Any], system: bool = False) -> dict[str, Any]:
        with self.transaction():
            return self._update(sobject, record_id, values, system)

    def _update(self, sobject: str, record_id: str, values: dict[str, Any], system: bool) -> dict[str, Any]:
        obj = self.sobject(sobject)
        rec = self.get(obj.name, record_id)
        clean = values if system else self._check_fields(obj, values, creating=False)
        old = dict(rec)
        new = dict(rec)
        new.update(clean)
        if self.rules and not system:
            self.rules.before_update(obj, old, new)
        changed = [k for k in new if new[k] != old.get(k)]
        if not system:
            self._check_required(obj, new)
            self._check_unique(obj, new)
        if changed:
            now = self.sim.clock.now()
            new.update({"LastModifiedDate": now, "SystemModstamp": now, "LastModifiedById": self.actor_id})
        rec.clear()
        rec.update(new)
        key = rec["Id"][:15]
        self._changed(obj.name, key)

        def undo():
            rec.clear()
            rec.update(old)
            self._changed(obj.name, key)
        self._tx.undo.append(undo)
        if changed:
            if self.rules:
                self.rules.after_write(obj, old, rec)
            self._record_change(Change("UPDATE", obj.name, rec["Id"], old, dict(rec),
                                       changed + ["LastModifiedDate"], self._origin, rec["LastModifiedDate"]))
        return rec

    def delete(self, sobject: str, record_id: str) -> None:
        with self.transaction():
            self._delete(sobject, record_id)

    def _delete(self, sobject: str, record_id: str) -> None:
        obj = self.sobject(sobject)
        if not obj.deletable:
            raise E.InvalidType(f"sObject type '{obj.name}' is not supported for delete")
        rec = self.get(obj.name, record_id)
        self._check_object_permission(obj, "delete")
        if self.rules:
            self.rules.before_delete(obj, rec)
        key = rec["Id"][:15]
        now = self.sim.clock.now()
        old = dict(rec)
        table, bin_ = self.table(obj.name), self.data["deleted"][obj.name]
        del table[key]
        tomb = dict(rec, IsDeleted=True, SystemModstamp=now, LastModifiedDate=now)
        bin_[key] = {"record": tomb, "deletedDate": now}
        self._changed(obj.name, key)

        def undo():
            bin_.pop(key, None)
            table[key] = rec
            self._changed(obj.name, key)
        self._tx.undo.append(undo)
        if self.rules:
            self.rules.after_write(obj, old, None)
        self._record_change(Change("DELETE", obj.name, rec["Id"], old, None, [], self._origin, now))

    def upsert(self, sobject: str, ext_field: str, ext_value: str, values: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Returns (record, created). 300 with the matches when more than one record matches. The
        match and the write are one transaction: two upserts of one key never both create."""
        with self.transaction():
            return self._upsert(sobject, ext_field, ext_value, values)

    def _upsert(self, sobject: str, ext_field: str, ext_value: str, values: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        obj = self.sobject(sobject)
        f = obj.field(ext_field)
        if f is None or not (f.external_id or f.type == "id"):
            raise E.NotFound(f"Provided external ID field does not exist or is not accessible: {ext_field}")
        matches = self.by_external(obj, f.name, ext_value)
        if len(matches) > 1:
            raise MultipleMatches([m["Id"] for m in matches], obj.name)
        body = {k: v for k, v in values.items() if k != "attributes"}
        for k in list(body):
            if k.lower() == f.name.lower():
                if str(body[k]).lower() != str(ext_value).lower():
                    raise E.SalesforceError(f"The value of the external ID field in the URL ({ext_value}) does not "
                                            f"match the one in the body ({body[k]})", code="INVALID_FIELD")
                del body[k]
        if matches:
            return self.update(obj.name, matches[0]["Id"], body), False
        if f.type == "id":
            raise E.NotFound("Provided external ID field does not exist or is not accessible: Id")
        body[f.name] = ext_value
        return self.create(obj.name, body), True


class MultipleMatches(Exception):
    def __init__(self, ids: list[str], sobject: str):
        super().__init__(f"{len(ids)} matches")
        self.ids = ids
        self.sobject = sobject
