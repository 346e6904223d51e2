"""The ERP's API on the core fast lane (``core/lane.py``): every path under ``/services/rest/`` —
the record API, SuiteQL, asynchronous jobs and the metadata catalog — takes the one pipeline
(gate -> faults -> limits -> auth -> schema validation -> one route table -> handler -> answer ->
journal); errors, unknown paths and wrong methods answer in NetSuite's ``o:errorDetails`` shape.

Endpoint names are the operations faults, schemas and the journal use: ``<recordType>.<verb>``,
``<source>.transform.<target>``, ``<recordType>.<sublist>.list`` and ``suiteql.query``.
Reads of records run on the server's event loop (``inline``): they take no lock and never block;
writes, SuiteQL, asynchronous requests and OAuth 1.0a requests (the nonce memory is locked) run in
worker threads.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlencode

from ..core.jsonutil import dumps, loads
from ..core.lane import Answer, Lane, LaneHooks, LaneRequest
from .errors import InvalidContent, NetSuiteError, render_error
from .render import BASE, Renderer

RESOURCE = "application/vnd.oracle.resource+json; type=singular-resource; charset=UTF-8"
COLLECTION = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"
MAX_LIMIT = 1000
Handler = Callable[..., Answer]


class Call:
    """What a handler reads: the request, the state, the query parameters and the body."""

    __slots__ = ("req", "state", "args", "root")

    def __init__(self, req: LaneRequest, state):
        self.req = req
        self.state = state
        self.args: dict[str, str] = {}
        for k, v in parse_qsl(req.query_string, keep_blank_values=True):
            self.args.setdefault(k, v)   # the first value wins
        self.root = host_url(req.environ)

    def json(self) -> dict:
        return body_json(self.req)

    def header(self, name: str) -> str:
        return self.req.header(name) or ""

    def renderer(self) -> Renderer:
        return Renderer(self.state, self.root)

    @property
    def base_url(self) -> str:
        return self.root + quote(self.req.path, safe="/!$&'()*+,;=:@~")


def host_url(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def body_json(req: LaneRequest) -> dict:
    """The body as a JSON object (an empty body is ``{}``), else NetSuite's INVALID_CONTENT."""
    if "json" not in req.cache:
        raw = req.body()
        if not raw.strip():
            data: Any = {}
        else:
            try:
                data = loads(raw)
            except (ValueError, RecursionError):
                raise InvalidContent("Invalid content in the request body: the body is not valid JSON.")
        if not isinstance(data, dict):
            raise InvalidContent("Invalid content in the request body: the body must be a JSON object.")
        req.cache["json"] = data
    return req.cache["json"]


# ---- answers ---------------------------------------------------------------------------------
def answer(payload: Any, ctype: str = RESOURCE, status: int = 200) -> Answer:
    return status, [("Content-Type", ctype)], dumps(payload).encode("utf-8")


def no_content() -> Answer:
    return 204, [], b""


def created(call: Call, rtype: str, rid: str) -> Answer:
    return 204, [("Location", f"{call.root}{BASE}/{rtype}/{rid}")], b""


def paging(call: Call, multiple: bool = True) -> tuple[int, int]:
    """``limit`` (1..1000) and ``offset`` (>= 0 and a multiple of limit, as NetSuite requires:
    github.com/ehmad11/netsuite-rest/issues/25) from the query string; anything else is NetSuite's
    400 naming the parameter, never a 500."""
    out = []
    for name, default in (("limit", MAX_LIMIT), ("offset", 0)):
        raw = call.args.get(name)
        if raw is None:
            out.append(default)
            continue
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise NetSuiteError(f"Invalid query parameter value: {name}. The value must be a non-negative integer.",
                                path=name, code="INVALID_PARAMETER")
        out.append(int(raw))
    limit, offset = out
    if not 1 <= limit <= MAX_LIMIT:
        raise NetSuiteError(f"Invalid query parameter: limit must be between 1 and {MAX_LIMIT}.", path="limit",
                            code="INVALID_PARAMETER")
    if multiple and offset % limit:
        raise NetSuiteError("Invalid query parameter: offset. The offset must be a multiple of the limit.",
                            path="offset", code="INVALID_PARAMETER")
    return limit, offset


def page(call: Call, chunk: list[dict], total: int, limit: int, offset: int, extra: dict) -> dict:
    """NetSuite's collection body for one page (``chunk``) of ``total`` rows: links
    (previous/first/next/last/self), count, hasMore, items."""

    def href(off: int) -> str:
        return f"{call.base_url}?{urlencode({**extra, 'limit': limit, 'offset': off})}"
    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links = []
    if offset > 0:
        links.append({"rel": "previous", "href": href(max(0, offset - limit))})
    links.append({"rel": "first", "href": href(0)})
    if offset + limit < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    links.append({"rel": "last", "href": href(last)})
    links.append({"rel": "self", "href": href(offset)})
    return {"links": links, "count": len(chunk), "hasMore": offset + limit < total,
            "items": chunk, "offset": offset, "totalResults": total}


# ---- the lane ------------------------------------------------------------------------------------
def install(sim, state, authenticator) -> Lane:
    """The ERP's lane: it owns every path (the API by its route tables, anything else NetSuite's 404)."""
    from . import routes_async, routes_meta, routes_query, routes_records

    def authenticate(req: LaneRequest) -> str:
        url = host_url(req.environ) + quote(req.path, safe="/!$&'()*+,;=:@~")
        return authenticator(req.header("Authorization") or "", req.method, url, req.query_string,
                             req.header("Content-Type") or "", req.body() if req.method != "GET" else b"")

    def dispatch(req: LaneRequest, handler: Handler) -> Answer:
        call = Call(req, state)
        if "respond-async" in call.header("Prefer").lower() and not req.path.startswith(routes_async.ASYNC):
            return routes_async.submit(call, handler)
        return handler(call, **req.url_args)

    def not_found(req: LaneRequest) -> NetSuiteError:
        allowed = [m for m in lane.allowed(req.path) if m != "HEAD"]
        if allowed:
            return NetSuiteError(f"The HTTP method {req.method} is not allowed for this resource. Allowed: "
                                 f"{', '.join(allowed)}.", status=405, code="INVALID_REQUEST",
                                 headers={"Allow": ", ".join(allowed)})
        return NetSuiteError(f"Invalid URL: the resource {req.path} does not exist. Check the record type and the "
                             "URL.", status=404, code="NONEXISTENT_ID")

    def inline(environ: dict[str, Any]) -> bool:
        """Record reads only (no lock, no blocking); OAuth requests lock the nonce memory."""
        return (environ.get("REQUEST_METHOD") in ("GET", "HEAD")
                and (environ.get("PATH_INFO") or "").startswith(BASE + "/")
                and not (environ.get("HTTP_AUTHORIZATION") or "").lstrip("b'\"").startswith("OAuth")
                and "respond-async" not in (environ.get("HTTP_PREFER") or ""))

    hooks = LaneHooks(begin=lambda req: None, authenticate=authenticate, params=body_json, dispatch=dispatch,
                      render_error=render_error, not_found=not_found, finish=lambda req, headers: None,
                      inline=inline)
    lane = Lane(sim, hooks, None, prefix="/")
    for module in (routes_records, routes_query, routes_async, routes_meta):
        for method, rule, endpoint, handler in module.table(state):
            lane.add(method, rule, endpoint, handler)
            if method == "GET":
                lane.add("HEAD", rule, endpoint, handler)
    return lane
