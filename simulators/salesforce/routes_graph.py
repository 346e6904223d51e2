"""``POST /services/data/vXX.X/composite/graph``: graphs of composite subrequests (nodes), each graph
all-or-none on its own: a failing graph is rolled back and answers ``isSuccessful: false`` while the
others stand. References ``@{ref.path}`` resolve within a graph only. The whole request counts as one
API call (app.py). Sources, developer.salesforce.com api_rest: resources_composite_graph,
resources_composite_graph_introduction ("Using Composite Graphs": the node URLs a graph supports,
graphId rules) and resources_composite_graph_limits (75 graphs, 500 nodes per graph and per
payload, depth 15, processing halted once more than 14 graphs failed)."""
from __future__ import annotations

import re
from typing import Any

from simulators.core.lane import Lane, LaneRequest

from . import errors as E
from .http import body_json, json_answer
from .routes_composite import HALTED, REF, run_composite

MAX_GRAPHS = 75
MAX_NODES = 500            # per graph, and per payload
MAX_DEPTH = 15
MAX_FAILURES = 14          # more failed graphs than this halt the rest
GRAPH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{0,39}")
# the node URLs a graph accepts: sObject create, rows by id, rows by external id
NODE_URL = re.compile(r"/services/data/v\d+\.\d+/sobjects/[A-Za-z0-9_]+(/[^/?]+(/[^?]+)?)?/?(\?.*)?")
NODE_METHODS = {0: {"POST"}, 1: {"GET", "PATCH", "DELETE"}, 2: {"GET", "PATCH", "DELETE", "POST"}}


class GraphInvalid(Exception):
    """A graph that cannot run: answered as a failed graph, naming the node."""

    def __init__(self, ref: Any, message: str):
        super().__init__(message)
        self.ref, self.message = ref, message


def _refs(node: dict[str, Any]) -> set[str]:
    text = repr(node.get("url", "")) + repr(node.get("body"))
    return {m.group(1) for m in REF.finditer(text)}


def check_graph(nodes: list[Any]) -> None:
    """Node shape, supported URLs and methods, unique referenceIds, and the depth limit (the longest
    chain of references, a node alone is depth 1)."""
    if len(nodes) > MAX_NODES:
        raise GraphInvalid(None, f"A graph can't have more than {MAX_NODES} nodes.")
    depth: dict[str, int] = {}
    for node in nodes:
        if not isinstance(node, dict):
            raise E.JsonParserError("each node of a graph must be an object")
        ref, url, method = node.get("referenceId"), str(node.get("url", "")), str(node.get("method", "")).upper()
        if not ref or not isinstance(ref, str):
            raise GraphInvalid(ref, "Each node of a graph needs a referenceId.")
        if ref in depth:
            raise GraphInvalid(ref, f"Duplicate referenceId {ref} in the graph.")
        match = NODE_URL.fullmatch(re.sub(REF, "x", url))
        if not match or method not in NODE_METHODS[bool(match.group(1)) + bool(match.group(2))]:
            raise GraphInvalid(ref, f"{method} {url} is not supported in a composite graph: nodes create, read, "
                                    f"update or delete sObject rows (by id or external id).")
        depth[ref] = 1 + max((depth.get(r, 0) for r in _refs(node)), default=0)
        if depth[ref] > MAX_DEPTH:
            raise GraphInvalid(ref, f"The graph is deeper than the maximum depth of {MAX_DEPTH}.")


def _failed(nodes: list[Any], ref: Any, message: str, code: str = "INVALID_INPUT") -> dict[str, Any]:
    out = []
    for node in nodes:
        node_ref = node.get("referenceId") if isinstance(node, dict) else None
        if ref is not None and node_ref == ref:
            out.append({"body": [{"errorCode": code, "message": message}], "httpHeaders": {},
                        "httpStatusCode": 400, "referenceId": node_ref})
        else:
            out.append({**HALTED, "referenceId": node_ref})
    if ref is None and out:
        out[0] = {**out[0], "body": [{"errorCode": code, "message": message}]}
    return {"compositeResponse": out}


def register(lane: Lane, org) -> None:
    db = org.db

    def graph(req: LaneRequest, version: str):
        graphs = body_json(req).get("graphs")
        if not isinstance(graphs, list) or not graphs:
            raise E.JsonParserError("graphs must be a non-empty array of {graphId, compositeRequest}")
        if len(graphs) > MAX_GRAPHS:
            raise E.SalesforceError(f"A request can't have more than {MAX_GRAPHS} graphs.", code="INVALID_INPUT")
        seen: set[str] = set()
        total = 0
        for g in graphs:
            if not isinstance(g, dict) or not isinstance(g.get("compositeRequest"), list) or not g["compositeRequest"]:
                raise E.JsonParserError("each graph needs a graphId and a non-empty compositeRequest array")
            gid = g.get("graphId")
            if not isinstance(gid, str) or not GRAPH_ID.fullmatch(gid) or gid in seen:
                raise E.SalesforceError(f"Invalid graphId {gid!r}: each graphId must be unique in the request, begin "
                                        f"with an alphanumeric character and be under 40 characters.",
                                        code="INVALID_INPUT")
            seen.add(gid)
            total += len(g["compositeRequest"])
        if total > MAX_NODES:
            raise E.SalesforceError(f"A request can't have more than {MAX_NODES} nodes in all its graphs.",
                                    code="INVALID_INPUT")
        out, failures = [], 0
        for g in graphs:
            nodes = g["compositeRequest"]
            if failures > MAX_FAILURES:
                response = {"compositeResponse": [{**HALTED, "referenceId": n.get("referenceId")} for n in nodes]}
                ok = False
            else:
                try:
                    check_graph(nodes)
                except GraphInvalid as bad:
                    response, ok = _failed(nodes, bad.ref, bad.message), False
                else:
                    responses, ok = run_composite(lane, db, req, nodes, True)
                    response = {"compositeResponse": responses}
            failures += not ok
            out.append({"graphId": g["graphId"], "graphResponse": response, "isSuccessful": ok})
        return json_answer({"graphs": out})

    def composite_resources(req: LaneRequest, version: str):
        """``GET /composite``: the composite resources (REST API "Composite Resources")."""
        base = f"/services/data/v{version}/composite"
        return json_answer({k: f"{base}/{k}" for k in ("tree", "batch", "sobjects", "graph")})

    lane.add("POST", "/services/data/v<version>/composite/graph", "composite.graph", graph)
    lane.add("GET", "/services/data/v<version>/composite", "composite.resources", composite_resources)
