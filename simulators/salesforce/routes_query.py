"""SOQL: ``query``, ``queryAll`` and ``query/<locator>`` with real paging.

Page size: 2000 by default; ``Sforce-Query-Options: batchSize=N`` (clamped to 200..2000 as the
real API does); ``/_sim/salesforce/settings {"query_batch_size": N}`` forces any size for tests.
``nextRecordsUrl`` is a path (``/services/data/v59.0/query/01gxx...-2000``), which clients
prefix with the instance URL. A locator is single-use per page position, valid until reset.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import args, body_json, json_answer

P = "/services/data/v<version>"


def batch_size(org, req: LaneRequest) -> int:
    forced = org.settings.get("query_batch_size")
    if forced:
        return max(int(forced), 1)
    m = re.search(r"batchSize\s*=\s*(\d+)", req.header("Sforce-Query-Options") or "")
    if m:
        return min(max(int(m.group(1)), 200), 2000)
    return 2000


def register(lane: Lane, org) -> None:
    cursors = lambda: org.store.data["cursors"]  # noqa: E731

    def page(version: str, records: list, total: int, start: int, size: int, locator: str | None) -> dict:
        chunk = records[start:start + size]
        done = start + size >= len(records)
        out = {"totalSize": total, "done": done, "records": chunk}
        if not done:
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{start + size}"
        return out

    def run(req: LaneRequest, version: str, include_deleted: bool):
        q = args(req).get("q") or args(req).get("explain")
        if not q:
            raise E.MalformedQuery("A query string must be provided", code="MALFORMED_QUERY")
        records, total = org.engine.run(q, include_deleted=include_deleted, version=version)
        size = batch_size(org, req)
        locator = None
        if len(records) > size:
            n = org.sim.ids.counter("sf:01g")
            locator = f"01g5g{n:010d}"
            cursors()[locator] = {"records": records, "total": total}
            if len(cursors()) > 500:  # bounded, like server-side cursors
                cursors().pop(next(iter(cursors())))
        return json_answer(page(version, records, total, 0, size, locator))

    def query(req, version):
        return run(req, version, False)

    def query_all(req, version):
        return run(req, version, True)

    def query_more(req, version, locator):
        base, _, offset = locator.rpartition("-")
        cursor = cursors().get(base)
        if cursor is None or not offset.isdigit():
            raise E.InvalidQueryLocator("invalid query locator")
        return json_answer(page(version, cursor["records"], cursor["total"], int(offset), batch_size(org, req), base))

    lane.add("GET", f"{P}/query", "query.run", query)
    lane.add("GET", f"{P}/queryAll", "query.all", query_all)
    lane.add("GET", f"{P}/query/<locator>", "query.more", query_more)
    lane.add("GET", f"{P}/queryAll/<locator>", "query.all_more", query_more)
    register_search(lane, org)


# ---- SOSL (soql/search.py): a separate concern, registered next to the query routes ----------------
def register_search(lane: Lane, org) -> None:
    from .soql.search import Search, parameterized

    def search(req, version):
        q = args(req).get("q")
        if not q:
            raise E.SalesforceError("A search string must be provided", code="MALFORMED_SEARCH")
        return json_answer(Search(org.engine).run(q, version))

    def parameterized_search(req, version):
        if req.method == "POST":
            params = body_json(req, require_object=False)
            if not isinstance(params, dict):
                raise E.SalesforceError("The request body must be a JSON object", code="JSON_PARSER_ERROR")
        else:   # GET: q, in, fields, overallLimit, sobject=Account&Account.fields=Id,Name&Account.limit=10
            a = args(req)
            split = lambda v: [f.strip() for f in v.split(",") if f.strip()] if v else None  # noqa: E731
            names = [v for k, v in parse_qsl(req.query_string, keep_blank_values=True) if k == "sobject"]
            params = {"q": a.get("q"), "in": a.get("in"), "fields": split(a.get("fields")),
                      "overallLimit": a.get("overallLimit"),
                      "sobjects": [{"name": name, "fields": split(a.get(f"{name}.fields")),
                                    "limit": a.get(f"{name}.limit")} for name in names]}
        return json_answer(parameterized(org.engine, params, version))

    lane.add("GET", f"{P}/search", "query.search", search)
    lane.add("GET", f"{P}/parameterizedSearch", "query.parameterized_search", parameterized_search)
    lane.add("POST", f"{P}/parameterizedSearch", "query.parameterized_search", parameterized_search)
