"""The Stripe fake's object table (``Objects``) and the base of every per-resource store
(``Resource``): ids, time, lookup, lists (newest first, ``starting_after`` / ``ending_before`` /
``has_more``) and ``expand[]``.

The objects are plain data in one ``Store`` (``/_sim/state`` dumps it; reset/snapshot/restore for
free), shared by every resource store because Stripe ids are one namespace (``expand[]`` and
lookups cross resource types):

- ``objects``: every Stripe object by id, stored in its public JSON shape;
- ``order``: per object type, ids in creation order (lists walk it backwards: newest first);
- ``internal``: per-object bookkeeping that is not part of the public shape (dunning attempts,
  scheduled-job markers).

A store's own data lives in its own ``Store`` (idempotency keys, hosted-page tokens, settings).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable

from ..errors import InvalidRequest, ResourceMissing
from .. import params as P

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1.0 pins (stripe/_api_version.py)

ID_LEN = {"cus": 14, "prod": 14, "clock": 24}
KIND_NAMES = {  # object type -> the word Stripe uses in "No such ...: 'x'"
    "customer": "customer", "invoice": "invoice", "invoiceitem": "invoiceitem", "payment_intent": "payment_intent",
    "payment_method": "PaymentMethod", "charge": "charge", "refund": "refund", "dispute": "dispute",
    "event": "event", "webhook_endpoint": "webhook endpoint", "product": "product", "price": "price",
    "test_helpers.test_clock": "test clock", "tax_rate": "tax rate", "line_item": "invoice line item",
    "invoice_payment": "invoice payment", "credit_note": "credit note",
    "credit_note_line_item": "credit note line item", "customer_balance_transaction": "customer balance transaction",
    "balance_transaction": "balance transaction", "tax_id": "tax id",
    "subscription": "subscription", "subscription_item": "subscription_item", "setup_intent": "setup_intent",
    "card": "source",
    "coupon": "coupon", "promotion_code": "promotion code", "discount": "discount",
}


def empty_state() -> dict[str, Any]:
    return {"objects": {}, "order": {}, "internal": {}}


class Objects:
    """Every Stripe object by id, plus the per-type creation order; shared by all resource stores."""

    def __init__(self, sim, options: dict[str, Any]):
        self.sim = sim
        self.clock = sim.clock
        self.store = sim.store(empty_state)
        self.lock = self.store.lock
        self.options = options
        # fields computed at read time (``pending_webhooks`` on events): the event store sets it
        self.decorate: Callable[[dict[str, Any]], dict[str, Any]] = lambda obj: obj

    # ---- basics ------------------------------------------------------------------------
    @property
    def d(self) -> dict[str, Any]:
        return self.store.data

    def now(self) -> int:
        return self.clock.timestamp()

    def new_id(self, prefix: str) -> str:
        return self.sim.ids.prefixed(prefix, ID_LEN.get(prefix, 24))

    def internal(self, oid: str) -> dict[str, Any]:
        return self.d["internal"].setdefault(oid, {})

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object and append it to its type's creation order."""
        self.d["objects"][obj["id"]] = obj
        self.d["order"].setdefault(obj["object"], []).append(obj["id"])
        return obj

    def get(self, kind: str, oid: Any, param: str = "id") -> dict[str, Any]:
        if not isinstance(oid, str) or not oid:
            raise ResourceMissing(KIND_NAMES.get(kind, kind), str(oid), param=param)
        obj = self.d["objects"].get(oid)
        if obj is None or obj.get("object") != kind or obj.get("deleted"):
            raise ResourceMissing(KIND_NAMES.get(kind, kind), oid, param=param)
        return obj

    def find(self, oid: Any) -> dict[str, Any] | None:
        return self.d["objects"].get(oid) if isinstance(oid, str) else None

    # ---- lists ---------------------------------------------------------------------------
    def list_objects(self, kind: str, params: dict[str, Any], url: str,
                     where: Callable[[dict[str, Any]], bool] | None = None,
                     ids: list[str] | None = None) -> dict[str, Any]:
        limit = P.integer(params, "limit", default=10)
        if not 1 <= limit <= 100:
            raise InvalidRequest("This value must be greater than or equal to 1 and less than or equal to 100.",
                                 param="limit", code="parameter_invalid_integer")
        after, before = params.get("starting_after"), params.get("ending_before")
        for name, cursor in (("starting_after", after), ("ending_before", before)):
            if cursor is not None and not isinstance(cursor, str):   # lenient mode lets a hash or list through
                raise InvalidRequest(f"Invalid string: {cursor!r}", param=name)
        if after and before:
            raise InvalidRequest("You may only specify one of these parameters: ending_before, starting_after.",
                                 param="ending_before")
        created = params.get("created")
        if isinstance(created, list):   # lenient mode lets ``created[]=`` through
            raise InvalidRequest("Invalid integer: an array", param="created", code="parameter_invalid_integer")
        objects = self.d["objects"]

        def keep(obj: dict[str, Any]) -> bool:
            if obj is None or obj.get("deleted"):
                return False
            if created is not None and not _created_match(obj.get("created"), created):
                return False
            return where(obj) if where else True

        source = ids if ids is not None else self.d["order"].get(kind, [])
        cursor = after or before
        if cursor and (cursor not in objects or objects[cursor].get("object") != kind):   # no such <kind>
            raise ResourceMissing(KIND_NAMES.get(kind, kind), cursor, param="starting_after" if after else "ending_before")

        def take(walk) -> tuple[list[dict[str, Any]], bool]:
            """Up to ``limit`` kept objects in walk order, and whether more follow."""
            page: list[dict[str, Any]] = []
            for oid in walk:
                obj = objects.get(oid)
                if keep(obj):
                    if len(page) == limit:
                        return page, True
                    page.append(obj)
            return page, False

        if before:
            # walk towards newer items starting just after the cursor, then present newest first
            # newer than the cursor (nothing, if it is not in this list: another kind, another filter)
            page, has_more = take(source[source.index(before) + 1:] if before in source else [])
            page.reverse()
        else:
            walk = reversed(source)
            if after is not None:  # resume just past the cursor (nothing, if it is not in this list)
                walk = itertools.dropwhile(lambda oid: oid != after, walk)
                next(walk, None)
            page, has_more = take(walk)
        return {"object": "list", "data": page, "has_more": has_more, "url": url}

    # ---- rendering -----------------------------------------------------------------------
    def render(self, obj: dict[str, Any], expand: list[str] | None = None) -> dict[str, Any]:
        out = self.decorate(obj)
        for path in expand or []:
            out = self._expand(out, path.split("."), path)
        return out

    def _expand(self, value: Any, parts: list[str], full: str) -> Any:
        if not parts or not isinstance(value, dict):
            return value
        head, rest = parts[0], parts[1:]
        if value.get("object") in ("list", "search_result") and head == "data":
            out = dict(value)
            out["data"] = [self._expand(self.decorate(x), rest, full) for x in value["data"]]
            return out
        if head not in value:
            raise InvalidRequest(f"This property cannot be expanded ({full}).", param="expand")
        child = value[head]
        if isinstance(child, list):   # a list of ids (e.g. ``discounts``): each one expanded
            found = [self.find(x) if isinstance(x, str) else x for x in child]
            out = dict(value)
            out[head] = [self._expand(self.decorate(f), rest, full) if isinstance(f, dict) else x
                         for f, x in zip(found, child)]
            return out
        if isinstance(child, str):
            target = self.find(child)
            if target is None:
                return value
            child = self.decorate(target)
        out = dict(value)
        out[head] = self._expand(child, rest, full) if isinstance(child, dict) else child
        return out

    @staticmethod
    def snapshot(obj: Any) -> Any:
        """A deep copy of plain JSON data (much cheaper than copy.deepcopy)."""
        if isinstance(obj, dict):
            return {k: Objects.snapshot(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [Objects.snapshot(v) for v in obj]
        return obj


class Resource:
    """One resource's store: its own methods over the shared object table (``self.db``), and its
    sibling stores through the hub (``self.hub.invoices``, ``self.hub.events``, ...)."""

    def __init__(self, hub):
        self.hub = hub
        self.db: Objects = hub.objects
        self.sim = hub.sim
        self.clock = hub.clock
        self.lock = hub.lock
        self.options = hub.options


def _created_match(value: int | None, spec: Any) -> bool:
    if value is None:
        return False
    if isinstance(spec, dict):
        ops = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
        for op, raw in spec.items():
            if op not in ops:
                raise InvalidRequest(f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
            try:
                bound = int(raw)
            except ValueError:
                raise InvalidRequest(f"Invalid integer: {raw}", param=f"created[{op}]")
            if not ops[op](bound):
                return False
        return True
    try:
        return value == int(spec)
    except ValueError:
        raise InvalidRequest(f"Invalid integer: {spec}", param="created")
