"""Runs a parsed SOQL query against the org's records.

The pipeline: parse (``parser.py``) -> check the object, clauses and the acting user's access ->
candidate rows (an ``Id`` / external-id index when the WHERE clause pins one, else the table) ->
USING SCOPE -> WHERE (``where.py``) -> aggregate (``aggregate.py``) or ORDER BY / OFFSET / LIMIT
and projection. Parent fields come back as nested objects (null when the parent is null), child
subqueries as ``{totalSize, done, records}`` (null when empty), every record with
``attributes {type, url}``; ORDER BY defaults to NULLS FIRST ascending, NULLS LAST descending.

Errors: anything the grammar does not cover is MALFORMED_QUERY; unknown objects INVALID_TYPE;
unknown fields INVALID_FIELD (also fields the user's profile may not read; with
``WITH SECURITY_ENFORCED`` such a field is refused as INSUFFICIENT_ACCESS instead).
``FOR UPDATE`` needs nothing more: every request runs in one transaction that holds the org's lock
until it commits (state/transactions.py), so the rows read cannot change under it.
"""
from __future__ import annotations

import contextvars
from datetime import date
from typing import Any, Callable

from .. import errors as E
from ..objects import Field, Registry, SObject
from ..state.values import to_json
from .aggregate import Aggregator, _sortable
from .ast import Func, Item, Query, TypeOf
from .exprs import Compiled, Expressions, Resolver, no_such_column
from .index import Indexes
from .parser import parse
from .where import Conditions, index_hint

SCOPES = ("everything", "mine", "mine_and_my_groups", "delegated", "my_territory", "my_team_territory", "team")
MODES = ("SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE")
# whether the query being run says WITH SECURITY_ENFORCED (per thread of control, like the acting user)
_ENFORCED: contextvars.ContextVar[bool] = contextvars.ContextVar("soql_security_enforced", default=False)


class Engine:
    def __init__(self, db, today: Callable[[], date]):
        self.db = db
        self.registry: Registry = db.registry
        self.today = today
        self.resolver = Resolver(self.registry, lambda rid: db.find(rid, include_deleted=True), db.table)
        self.indexes: Indexes = db.indexes   # kept up to date by the database's writes
        self.exprs = Expressions(self.resolver, self._settings, self._check_field)
        self.aggregator = Aggregator(self.exprs, lambda operand: Conditions(operand, self._semi_join, today,
                                                                            self._settings))

    def _settings(self) -> dict:
        return self.db.data.get("settings") or {}

    # ---- entry point --------------------------------------------------------------------
    def run(self, text: str, include_deleted: bool = False, version: str = "59.0") -> tuple[list[dict], int]:
        q = parse(text)
        obj = self._object(q.sobject)
        self._check_clauses(obj, q)
        token = _ENFORCED.set("SECURITY_ENFORCED" in q.with_)
        try:
            return self._run(obj, q, include_deleted, version)
        finally:
            _ENFORCED.reset(token)

    def _run(self, obj: SObject, q: Query, include_deleted: bool, version: str) -> tuple[list[dict], int]:
        if q.is_count:
            if len(q.fields) > 1 or q.group_kind:
                raise E.MalformedQuery("COUNT() must be the only element in the SELECT list.")
            return [], len(self._select(obj, q, include_deleted))
        if q.is_aggregate:
            rows = self._filter(obj, q, include_deleted)
            out = self.aggregator.run(obj, q, rows)
            return out, len(out)
        fields = self._expand(obj, q)
        rows = self._select(obj, q, include_deleted)
        kids = {id(sub): self._children(obj, sub, rows, include_deleted, q.alias)
                for sub in fields if isinstance(sub, Query)}
        projectors = self._projectors(obj, q, fields, version, include_deleted, kids)
        return [self._project(obj, r, projectors, version) for r in rows], len(rows)

    def _object(self, name: str) -> SObject:
        obj = self.registry.get(name)
        if obj is None or not obj.queryable or not self._may_read(obj):
            raise E.InvalidType(f"\n{name}\n^\nERROR at Row:1:Column:1\nsObject type '{name}' is not supported. If "
                                f"you are attempting to use a custom object, be sure to append the '__c' after the "
                                f"entity name. Please reference your WSDL or the describe call for the appropriate "
                                f"names.")
        return obj

    def _may_read(self, obj: SObject) -> bool:
        security = self.db.security
        return security is None or security.may(obj.name, "read")

    def _check_clauses(self, obj: SObject, q: Query) -> None:
        if q.scope is not None:
            if q.scope not in SCOPES:
                raise E.MalformedQuery(f"Invalid scope: {q.scope}. Valid scopes: {', '.join(SCOPES)}")
            if q.scope.startswith("mine") and obj.field("OwnerId") is None:
                raise E.MalformedQuery(f"Scope {q.scope} is not supported for {obj.name}: it has no owner")
        for mode in q.with_:
            if mode == "DATA CATEGORY":
                raise E.MalformedQuery(f"WITH DATA CATEGORY is only supported on articles and questions, not on "
                                       f"{obj.name}")
            if mode not in MODES:
                raise E.MalformedQuery(f"unexpected token: '{mode}'")
        if len(set(q.with_) & set(MODES)) > 1:
            raise E.MalformedQuery("Only one of WITH SECURITY_ENFORCED, WITH USER_MODE and WITH SYSTEM_MODE may be "
                                   "used")
        if "UPDATE" in q.for_:
            if q.order:
                raise E.MalformedQuery("FOR UPDATE cannot be used with ORDER BY")
            if q.is_aggregate:
                raise E.MalformedQuery("FOR UPDATE cannot be used with aggregate queries")
        if q.update is not None:
            raise E.MalformedQuery(f"UPDATE {q.update} is only supported for KnowledgeArticleVersion")

    # ---- access control ------------------------------------------------------------------
    def _check_field(self, owner: SObject, f: Field) -> None:
        security = self.db.security
        if security is None or f.name == "Id":
            return
        if f.name in security.hidden(owner.name):
            if _ENFORCED.get():
                raise E.SalesforceError("Insufficient permissions: secure query included inaccessible field",
                                        code="INSUFFICIENT_ACCESS")
            raise no_such_column(f.name, owner.name)

    # ---- rows ------------------------------------------------------------------------------
    def _filter(self, obj: SObject, q: Query, include_deleted: bool, base: list[dict] | None = None) -> list[dict]:
        where = Conditions(lambda o, e: self._operand(o, e, q.alias), self._semi_join, self.today, self._settings)
        pred = where.compile(obj, q.where) if q.where is not None else None
        if base is not None:
            rows = base
        else:
            hint = index_hint(obj, q.where, q.alias) if q.where is not None else None
            hit = self._indexed(obj, hint, include_deleted) if hint else None
            rows = hit if hit is not None else self.db.all(obj.name, include_deleted)
        if q.scope and q.scope.startswith("mine"):
            me = self.db.actor_id or ""
            rows = [r for r in rows if (r.get("OwnerId") or "")[:15] == me[:15]]
        return [r for r in rows if pred(r)] if pred else list(rows)

    def _indexed(self, obj: SObject, hint: tuple[list[str], list[str]], include_deleted: bool) -> list[dict] | None:
        """Candidate rows from an index: ``Field = v`` directly; ``Parent.Field = v`` as the parents'
        records from their index, then this object's rows by its lookup field."""
        path, values = hint
        if len(path) == 1:
            return self.indexes.lookup(obj.name, path[0], values, include_deleted)
        rel = obj.relationship(path[0])
        if rel is None or len(rel.reference_to) != 1 or include_deleted:
            return None
        parent = self.registry.get(rel.reference_to[0])
        f = parent.field(path[1]) if parent else None
        if f is None or not (f.type == "id" or f.external_id or f.unique):
            return None
        parents = self.indexes.lookup(parent.name, f.name, values, False)
        if parents is None:
            return None
        return self.indexes.lookup(obj.name, rel.name, [p["Id"] for p in parents], False) if parents else []

    def _select(self, obj: SObject, q: Query, include_deleted: bool, base: list[dict] | None = None) -> list[dict]:
        for item in q.fields:  # validate the select list even when nothing matches
            if isinstance(item, Item) and not (isinstance(item.expr, Func) and item.expr.name in ("COUNT", "FIELDS")):
                self._operand(obj, item.expr, q.alias)
        rows = self._filter(obj, q, include_deleted, base)
        if q.order:
            rows = self._sort(obj, rows, q)
        else:
            rows.sort(key=lambda r: r["Id"])
        if q.offset:
            if q.offset > 2000:
                raise E.SalesforceError("Maximum SOQL offset allowed is 2000", code="NUMBER_OUTSIDE_VALID_RANGE")
            rows = rows[q.offset:]
        if q.limit is not None:
            rows = rows[:q.limit]
        return rows

    def _operand(self, obj: SObject, expr: Any, alias: str | None = None) -> Compiled:
        if isinstance(expr, Func) and expr.name == "DISTANCE":
            raise E.InvalidField(f"DISTANCE() needs a geolocation or address field; {obj.name} has none")
        return self.exprs.compile(obj, expr, alias)

    def _sort(self, obj: SObject, rows: list[dict], q: Query) -> list[dict]:
        for expr, desc, nulls_last in reversed(q.order):
            c = self._operand(obj, expr, q.alias)
            if c.field.type == "textarea" and c.field.length > 255:
                raise E.InvalidField(f"field '{c.field.name}' can not be sorted in a query call")
            present, absent = [], []
            for r in rows:
                (absent if c.read(r) is None else present).append(r)
            present.sort(key=lambda r: _sortable(c.read(r)), reverse=desc)
            rows = present + absent if nulls_last else absent + present
        return rows

    def _semi_join(self, sub: Query) -> list[Any]:
        if len(sub.fields) != 1 or not isinstance(sub.fields[0], Item) or not isinstance(sub.fields[0].expr, list):
            raise E.MalformedQuery("The inner select field of a semi-join must be a single Id or reference field")
        obj = self._object(sub.sobject if isinstance(sub.sobject, str) else ".".join(sub.sobject))
        c = self._operand(obj, sub.fields[0].expr, sub.alias)
        if c.field.type not in ("id", "reference"):
            raise E.MalformedQuery(f"The selected field '{c.field.name}' in the subquery must be an Id or reference "
                                   f"field")
        return [v for v in (c.read(r) for r in self._select(obj, sub, False)) if v]

    # ---- select list -----------------------------------------------------------------------
    def _expand(self, obj: SObject, q: Query) -> list[Any]:
        """FIELDS(ALL | STANDARD | CUSTOM) -> the field paths (sforce_api_calls_soql_select_fields.htm):
        ALL and CUSTOM need a LIMIT of at most 200."""
        out: list[Any] = []
        for item in q.fields:
            if isinstance(item, Item) and isinstance(item.expr, Func) and item.expr.name == "FIELDS":
                arg = item.expr.args[0] if len(item.expr.args) == 1 and isinstance(item.expr.args[0], list) else None
                which = arg[0].upper() if arg and len(arg) == 1 else ""
                if which not in ("ALL", "STANDARD", "CUSTOM"):
                    raise E.MalformedQuery("FIELDS() takes ALL, STANDARD or CUSTOM")
                if which != "STANDARD" and (q.limit is None or q.limit > 200):
                    raise E.MalformedQuery(f"The SOQL FIELDS function must have a LIMIT of at most 200")
                hidden = self.db.security.hidden(obj.name) if self.db.security else set()
                for f in obj.fields.values():
                    custom = f.name.endswith("__c")
                    if f.name not in hidden and (which == "ALL" or custom == (which == "CUSTOM")):
                        out.append(Item([f.name]))
                continue
            out.append(item)
        return out

    def _projectors(self, obj: SObject, q: Query, fields: list[Any], version: str, include_deleted: bool,
                    kids: dict) -> list[Callable[[dict, dict], None]]:
        out: list[Callable[[dict, dict], None]] = []
        for item in fields:
            if isinstance(item, Query):
                out.append(self._child_projector(item, kids[id(item)], version, include_deleted, q.alias))
            elif isinstance(item, TypeOf):
                out.append(self._typeof_projector(obj, item, version, q.alias))
            elif isinstance(item.expr, list):
                hops, f = self.resolver.compile(obj, item.expr, q.alias)
                if item.alias:
                    raise E.MalformedQuery(f"Field aliases are only allowed in aggregate queries: {item.alias}")
                out.append(lambda out_, rec, hops=hops, f=f: self._place(out_, rec, hops, f, None, version))
            else:
                c = self._operand(obj, item.expr, q.alias)
                if item.expr.name not in ("TOLABEL", "CONVERTCURRENCY", "FORMAT", "CONVERTTIMEZONE"):
                    raise E.MalformedQuery(f"{item.expr.name}() is only allowed in aggregate queries or GROUP BY")
                path = _path_of(item.expr)
                hops, f = self.resolver.compile(obj, path, q.alias)
                name = item.alias or f.name
                out.append(lambda out_, rec, hops=hops, f=f, c=c, name=name:
                           self._place(out_, rec, hops, f, (name, c.read(rec)), version))
        return out

    def _project(self, obj: SObject, rec: dict, projectors: list, version: str) -> dict:
        out: dict[str, Any] = {"attributes": self._attributes(obj, rec, version)}
        for p in projectors:
            p(out, rec)
        return out

    def _attributes(self, obj: SObject, rec: dict, version: str) -> dict:
        return {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{rec['Id']}"}

    def _place(self, out: dict, rec: dict, hops: list[Field], f: Field, computed: tuple | None, version: str) -> None:
        node, current = out, rec
        for hop in hops:
            target_id = current.get(hop.name) if current else None
            parent = self.db.find(target_id, include_deleted=True) if target_id else None
            key = hop.relationship_name
            if parent is None:
                if key not in node:
                    node[key] = None
                return
            if not isinstance(node.get(key), dict):
                node[key] = {"attributes": self._attributes(self.registry.for_id(parent["Id"]), parent, version)}
            node, current = node[key], parent
        if computed is None:
            node[f.name] = to_json(current.get(f.name))
        else:
            node[computed[0]] = to_json(computed[1])

    def _typeof_projector(self, obj: SObject, t: TypeOf, version: str, alias: str | None):
        """TYPEOF poly WHEN Type THEN fields ... ELSE fields END (sforce_api_calls_soql_select_typeof.htm)."""
        path = t.path[1:] if len(t.path) == 2 and alias and t.path[0].lower() == alias.lower() else t.path
        f = obj.relationship(path[0]) if len(path) == 1 else None
        if f is None:
            raise E.InvalidField(f"Didn't understand relationship '{'.'.join(t.path)}' in TYPEOF")
        rel = f.relationship_name
        branches: dict[str, list] = {}
        for type_name, paths in t.whens:
            target = self.registry.get(type_name)
            if target is None or target.name not in f.reference_to:
                raise E.MalformedQuery(f"TYPEOF: {type_name} is not a type of {rel}")
            branches[target.name] = [self.resolver.compile(target, p) for p in paths]
        fallback = {}

        def project(out: dict, rec: dict) -> None:
            target_id = rec.get(f.name)
            parent = self.db.find(target_id, include_deleted=True) if target_id else None
            if parent is None:
                out[rel] = None
                return
            p_obj = self.registry.for_id(parent["Id"])
            if p_obj.name not in branches and t.otherwise is None:
                out[rel] = {"attributes": self._attributes(p_obj, parent, version)}
                return
            if p_obj.name not in branches:
                fallback.setdefault(p_obj.name, [self.resolver.compile(p_obj, p) for p in t.otherwise])
            node = {"attributes": self._attributes(p_obj, parent, version)}
            for h, fld in branches.get(p_obj.name) or fallback[p_obj.name]:
                self._place(node, parent, h, fld, None, version)
            out[rel] = node
        return project

    # ---- child subqueries --------------------------------------------------------------------
    def _child_info(self, obj: SObject, sub: Query, alias: str | None = None) -> tuple[str, SObject, str]:
        path = sub.sobject if isinstance(sub.sobject, list) else [sub.sobject]
        if len(path) == 2 and (path[0].lower() == obj.name.lower() or (alias and path[0].lower() == alias.lower())):
            path = path[1:]
        hit = self.registry.child(obj, path[0]) if len(path) == 1 else None
        if hit is None:
            raise E.InvalidType(f"Didn't understand relationship '{'.'.join(path)}' in FROM part of query call. If "
                                f"you are attempting to use a custom relationship, be sure to append the '__r' after "
                                f"the custom relationship name. Please reference your WSDL or the describe call for "
                                f"the appropriate names.")
        if any(isinstance(f, Query) for f in sub.fields):
            raise E.MalformedQuery("Nested child subqueries are not supported")
        if sub.is_count or sub.is_aggregate:
            raise E.MalformedQuery("Aggregate functions are not supported in a child subquery")
        return hit

    def _children(self, obj: SObject, sub: Query, parents: list[dict], include_deleted: bool,
                  alias: str | None) -> dict[str, list]:
        """The child rows of every parent, grouped by the parent's 15-char key: one pass over the children."""
        _, child, fname = self._child_info(obj, sub, alias)
        wanted = {p["Id"][:15] for p in parents}
        by_parent: dict[str, list[dict]] = {}
        few = len(wanted) <= 1000 and not include_deleted   # a few parents: their children from the index
        rows = self.indexes.lookup(child.name, fname, sorted(wanted), False) if few else None
        for r in rows if rows is not None else self.db.all(child.name, include_deleted):
            ref = r.get(fname)
            if ref and ref[:15] in wanted:
                by_parent.setdefault(ref[:15], []).append(r)
        return by_parent

    def _child_projector(self, sub: Query, by_parent: dict, version: str, include_deleted: bool, alias: str | None):
        compiled: list = []   # (relationship name, child object, projectors): compiled for the first parent

        def project(out: dict, rec: dict) -> None:
            if not compiled:
                rel_name, child, _ = self._child_info(self.registry.for_id(rec["Id"]), sub, alias)
                compiled.extend((rel_name, child, self._projectors(child, sub, self._expand(child, sub), version,
                                                                   include_deleted, {})))
            rel_name, child, projectors = compiled
            kids = self._select(child, sub, include_deleted, base=list(by_parent.get(rec["Id"][:15], ())))
            out[rel_name] = None if not kids else {
                "totalSize": len(kids), "done": True,
                "records": [self._project(child, k, projectors, version) for k in kids]}
        return project


def _path_of(expr: Any) -> list[str]:
    while isinstance(expr, Func):
        expr = expr.args[0]
    return expr
