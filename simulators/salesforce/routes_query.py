"""SOQL: ``query``, ``queryAll`` and ``query/<locator>`` with real paging.

Page size: 2000 by default; ``Sforce-Query-Options: batchSize=N`` (clamped to 200..2000 as the
real API does); ``/_sim/salesforce/settings {"query_batch_size": N}`` forces any size for tests.
``nextRecordsUrl`` is a path (``/services/data/v59.0/query/01gxx...-2000``), which clients
prefix with the instance URL. A locator is single-use per page position, valid until reset.
"""
from __future__ import annotations

import re

from flask import Flask, request

from simulators.core.sim import json_response

from . import errors as E

P = "/services/data/v<version>"


def batch_size(org) -> int:
    forced = org.settings.get("query_batch_size")
    if forced:
        return max(int(forced), 1)
    m = re.search(r"batchSize\s*=\s*(\d+)", request.headers.get("Sforce-Query-Options", ""))
    if m:
        return min(max(int(m.group(1)), 200), 2000)
    return 2000


def register(app: Flask, org) -> None:
    cursors = lambda: org.store.data["cursors"]  # noqa: E731

    def page(version: str, records: list, total: int, start: int, size: int, locator: str | None) -> dict:
        chunk = records[start:start + size]
        done = start + size >= len(records)
        out = {"totalSize": total, "done": done, "records": chunk}
        if not done:
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{start + size}"
        return out

    def run(version: str, include_deleted: bool):
        q = request.args.get("q") or request.args.get("explain")
        if not q:
            raise E.MalformedQuery("A query string must be provided", code="MALFORMED_QUERY")
        records, total = org.engine.run(q, include_deleted=include_deleted, version=version)
        size = batch_size(org)
        locator = None
        if len(records) > size:
            n = org.sim.ids.counter("sf:01g")
            locator = f"01g5g{n:010d}"
            cursors()[locator] = {"records": records, "total": total}
            if len(cursors()) > 500:  # bounded, like server-side cursors
                cursors().pop(next(iter(cursors())))
        return json_response(page(version, records, total, 0, size, locator))

    def query(version):
        return run(version, False)

    def query_all(version):
        return run(version, True)

    def query_more(version, locator):
        base, _, offset = locator.rpartition("-")
        cursor = cursors().get(base)
        if cursor is None or not offset.isdigit():
            raise E.InvalidQueryLocator("invalid query locator")
        return json_response(page(version, cursor["records"], cursor["total"], int(offset), batch_size(org), base))

    app.add_url_rule(f"{P}/query", endpoint="query.run", view_func=query, methods=["GET"])
    app.add_url_rule(f"{P}/queryAll", endpoint="query.all", view_func=query_all, methods=["GET"])
    app.add_url_rule(f"{P}/query/<locator>", endpoint="query.more", view_func=query_more, methods=["GET"])
    app.add_url_rule(f"{P}/queryAll/<locator>", endpoint="query.all_more", view_func=query_more, methods=["GET"])
    register_search(app, org)


# ---- SOSL (soql/search.py): a separate concern, registered next to the query routes ----------------
def register_search(app: Flask, org) -> None:
    from .soql.search import Search, parameterized

    def search(version):
        q = request.args.get("q")
        if not q:
            raise E.SalesforceError("A search string must be provided", code="MALFORMED_SEARCH")
        return json_response(Search(org.engine).run(q, version))

    def parameterized_search(version):
        if request.method == "POST":
            params = request.get_json(silent=True)
            if not isinstance(params, dict):
                raise E.SalesforceError("The request body must be a JSON object", code="JSON_PARSER_ERROR")
        else:   # GET: q, in, fields, overallLimit, sobject=Account&Account.fields=Id,Name&Account.limit=10
            args = request.args
            split = lambda v: [f.strip() for f in v.split(",") if f.strip()] if v else None  # noqa: E731
            params = {"q": args.get("q"), "in": args.get("in"), "fields": split(args.get("fields")),
                      "overallLimit": args.get("overallLimit"),
                      "sobjects": [{"name": name, "fields": split(args.get(f"{name}.fields")),
                                    "limit": args.get(f"{name}.limit")} for name in args.getlist("sobject")]}
        return json_response(parameterized(org.engine, params, version))

    app.add_url_rule(f"{P}/search", endpoint="query.search", view_func=search, methods=["GET"])
    app.add_url_rule(f"{P}/parameterizedSearch", endpoint="query.parameterized_search",
                     view_func=parameterized_search, methods=["GET", "POST"])
